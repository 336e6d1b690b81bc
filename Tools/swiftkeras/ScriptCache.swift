import Foundation
import SwiftKeras

/// Where compiled libraries and scripts live:
///
///     <cache>/libraries/<library fingerprint>/           one built library (LibrarySnapshot)
///     <cache>/libraries/<library fingerprint>/scripts/<path hash>/<content hash>/<name>
///
/// A script's binary is found again by hashing its path and content, so an unchanged script
/// starts without compiling and an edited one compiles alone against the same library.
struct ScriptCache {
    let root: URL

    /// $SWIFTKERAS_CACHE, else $XDG_CACHE_HOME/swiftkeras, else ~/.cache/swiftkeras.
    static func standard() -> ScriptCache {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SWIFTKERAS_CACHE"], !path.isEmpty { return ScriptCache(root: URL(fileURLWithPath: path)) }
        if let path = environment["XDG_CACHE_HOME"], !path.isEmpty {
            return ScriptCache(root: URL(fileURLWithPath: path).appendingPathComponent("swiftkeras"))
        }
        return ScriptCache(root: FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftkeras"))
    }

    var librariesDirectory: URL { root.appendingPathComponent("libraries") }

    /// The built library for the checkout's current sources, building it when missing.
    func library(for source: LibrarySource, timings: inout [(String, Double)]) throws -> LibrarySnapshot {
        let start = Date()
        let fingerprint = try source.fingerprint()
        timings.append(("library fingerprint", Date().timeIntervalSince(start)))
        let directory = librariesDirectory.appendingPathComponent(fingerprint)
        if let snapshot = LibrarySnapshot.load(directory) { return snapshot }
        try FileManager.default.createDirectory(at: librariesDirectory, withIntermediateDirectories: true)
        let buildStart = Date()
        let snapshot = try LibrarySnapshot.build(from: source, into: directory)
        timings.append(("library build", Date().timeIntervalSince(buildStart)))
        pruneLibraries(keeping: fingerprint, source: source)
        return snapshot
    }

    /// Removes older builds of the same checkout (and the scripts compiled against them).
    private func pruneLibraries(keeping fingerprint: String, source: LibrarySource) {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: librariesDirectory.path) else { return }
        for name in names where name != fingerprint && !name.hasPrefix(".") {
            let directory = librariesDirectory.appendingPathComponent(name)
            guard let data = fileManager.contents(atPath: directory.appendingPathComponent("compile.json").path),
                  let info = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  info["source"] as? String == source.root.path else { continue }
            try? fileManager.removeItem(at: directory)
        }
    }
}

/// One script file, read once: its content decides its cache entry.
struct Script {
    /// The path as the user gave it (what compiler messages and `CommandLine.arguments[0]` show).
    let path: String
    let absolutePath: String
    let content: Data
    let name: String

    init(path: String) throws {
        self.path = path
        absolutePath = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolutePath, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ToolError("\(path): no such script")
        }
        guard let content = FileManager.default.contents(atPath: absolutePath) else { throw ToolError("\(path): cannot read") }
        self.content = content
        let base = URL(fileURLWithPath: absolutePath).deletingPathExtension().lastPathComponent
        let cleaned = String(base.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
        name = cleaned.isEmpty ? "script" : cleaned
    }

    /// Uses `@main` (an entry point type) rather than top-level code.
    var hasMainAttribute: Bool {
        String(decoding: content, as: UTF8.self).split(separator: "\n").contains {
            $0.drop { $0 == " " || $0 == "\t" }.hasPrefix("@main")
        }
    }

    /// The source the compiler reads: the script with a `#!` first line blanked (the
    /// compiler allows one only in a main file) behind a `#sourceLocation` that maps every
    /// message back to the user's file and line.
    var compilableSource: Data {
        var text = String(decoding: content, as: UTF8.self)
        if text.hasPrefix("#!") {
            text = String(text[(text.firstIndex(of: "\n") ?? text.endIndex)...])
        }
        let escaped = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return Data("#sourceLocation(file: \"\(escaped)\", line: 1)\n\(text)".utf8)
    }

    /// The module name: the file's name unless that would hide an imported module.
    var moduleName: String {
        let taken: Set<String> = ["SwiftKeras", "SwiftKerasEngine", "ArgumentParser", "Foundation", "Glibc", "Swift", "main"]
        let candidate = name.first.map { $0.isLetter || $0 == "_" } == true ? name : "script_" + name
        return taken.contains(candidate) ? candidate + "Script" : candidate
    }
}

extension ScriptCache {
    /// The compiled binary of `script` against `library`, compiling it on a miss.
    func binary(for script: Script, library: LibrarySnapshot, rebuild: Bool,
                timings: inout [(String, Double)]) throws -> String {
        var pathHash = ContentHash()
        pathHash.add(script.absolutePath)
        var contentHash = ContentHash()
        contentHash.add(script.content)
        let scriptDirectory = library.directory.appendingPathComponent("scripts").appendingPathComponent(pathHash.hex)
        let entry = scriptDirectory.appendingPathComponent(contentHash.hex)
        let binary = entry.appendingPathComponent(script.name).path
        if !rebuild && access(binary, X_OK) == 0 { return binary }

        let fileManager = FileManager.default
        // Earlier versions of this script are of no further use.
        if let old = try? fileManager.contentsOfDirectory(atPath: scriptDirectory.path) {
            for name in old where name != contentHash.hex { try? fileManager.removeItem(at: scriptDirectory.appendingPathComponent(name)) }
        }
        try fileManager.createDirectory(at: entry, withIntermediateDirectories: true)
        let source = entry.appendingPathComponent("main.swift").path
        try AtomicFile.write([UInt8](script.compilableSource), to: source)

        let start = Date()
        note("compiling \(script.path) (release)")
        let temporary = "\(binary).tmp-\(getpid())"
        var arguments = [
            "-O", "-module-name", script.moduleName, "-diagnostic-style=llvm",
            "-I", library.modulesDirectory.path,
            "-L", library.libraryDirectory.path, "-l\(LibrarySnapshot.libraryName)",
            "-Xlinker", "-rpath", "-Xlinker", library.libraryDirectory.path,
            "-module-cache-path", root.appendingPathComponent("module-cache").path,
        ] + library.clangArguments
        if script.hasMainAttribute { arguments.append("-parse-as-library") }
        arguments += [source, "-o", temporary]
        let status = try runProgram(library.swiftc, arguments)
        guard status == 0 else {
            unlink(temporary)
            throw ExitCodeError(status: status, message: "\(script.path): compilation failed")
        }
        guard rename(temporary, binary) == 0 else { throw ToolError("\(binary): cannot store the compiled script") }
        timings.append(("script compile", Date().timeIntervalSince(start)))
        return binary
    }
}

/// A failure whose details the compiler already printed: only a one-line note follows.
struct ExitCodeError: Error {
    let status: Int32
    let message: String
}
