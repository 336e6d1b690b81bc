import Foundation
import SwiftKeras

/// The SwiftKeras checkout scripts are compiled against.
struct LibrarySource {
    let root: URL

    /// $SWIFTKERAS_ROOT, else the checkout this tool was built from (found from this file's
    /// path, as the datasets are); nil when neither holds the package.
    static func locate() -> LibrarySource? {
        var candidates: [URL] = []
        if let root = ProcessInfo.processInfo.environment["SWIFTKERAS_ROOT"], !root.isEmpty {
            candidates.append(URL(fileURLWithPath: root))
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        for root in candidates {
            let manifest = root.appendingPathComponent("Package.swift").path
            let library = root.appendingPathComponent("Sources/SwiftKeras").path
            if FileManager.default.fileExists(atPath: manifest) && FileManager.default.fileExists(atPath: library) {
                return LibrarySource(root: root.standardizedFileURL)
            }
        }
        return nil
    }

    /// The library's identity for the cache: a hash of the manifest and every source file
    /// the script library is built from (the bundled data excluded), the tool's version and
    /// the Swift toolchain (its path and modification time). Reading ~0.3 MB takes a few ms.
    func fingerprint() throws -> String {
        var hash = ContentHash()
        hash.add(swiftKerasVersion)
        if let swift = findOnPath("swift").map({ URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }) {
            hash.add(swift)
            if let attributes = try? FileManager.default.attributesOfItem(atPath: swift),
               let date = attributes[.modificationDate] as? Date {
                hash.add("\(date.timeIntervalSince1970)")
            }
        }
        for file in try sourceFiles() {
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(file).path) else {
                throw ToolError("\(root.appendingPathComponent(file).path): cannot read")
            }
            hash.add(file)
            hash.add(data)
        }
        return hash.hex
    }

    /// Package.swift and the files under Sources/ and Tools/SwiftKerasScripting/, sorted;
    /// the datasets (Sources/SwiftKeras/Datasets/Data) are found at run time, not built in.
    private func sourceFiles() throws -> [String] {
        var files = ["Package.swift"]
        for folder in ["Sources", "Tools/SwiftKerasScripting"] {
            guard let walk = FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path) else { continue }
            while let relative = walk.nextObject() as? String {
                if relative.hasSuffix("Datasets/Data") { walk.skipDescendants(); continue }
                if walk.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append("\(folder)/\(relative)") }
            }
        }
        return files.sorted()
    }
}

/// A built script library, kept in the cache for one library version: the shared object that
/// scripts link (SwiftKeras and ArgumentParser), the Swift modules they import, and the
/// compiler and flags to compile them with.
struct LibrarySnapshot {
    let directory: URL
    let swiftc: String
    /// The C module maps and include paths the library's modules need at import time.
    let clangArguments: [String]

    var libraryDirectory: URL { directory.appendingPathComponent("lib") }
    var modulesDirectory: URL { directory.appendingPathComponent("modules") }
    static let libraryName = "SwiftKerasScripting"

    /// The snapshot in `directory`, if one was completed there.
    static func load(_ directory: URL) -> LibrarySnapshot? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("compile.json").path),
              let info = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let swiftc = info["swiftc"] as? String, let clang = info["clangArguments"] as? [String] else { return nil }
        return LibrarySnapshot(directory: directory, swiftc: swiftc, clangArguments: clang)
    }

    /// Builds the script library in release mode in the checkout's own build folder (so the
    /// library objects are shared with `swift build -c release` there, and an unchanged
    /// library builds in seconds) and copies what scripts need into `directory`.
    static func build(from source: LibrarySource, into directory: URL) throws -> LibrarySnapshot {
        guard let swift = findOnPath("swift") else { throw ToolError("`swift` is not on the PATH; install the Swift toolchain") }
        note("building the SwiftKeras library (release) in \(source.root.path); once per library version")
        let status = try runProgram(swift, ["build", "-c", "release", "--package-path", source.root.path,
                                            "--product", libraryName])
        guard status == 0 else { throw ToolError("building SwiftKeras failed (swift build exited with \(status))") }
        let binPath = source.root.appendingPathComponent(".build/release")

        // The compiler and the C module flags SwiftPM used for the library target.
        let descriptionPath = binPath.appendingPathComponent("description.json").path
        guard let data = FileManager.default.contents(atPath: descriptionPath),
              let description = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let commands = description["swiftCommands"] as? [String: [String: Any]],
              let command = commands.first(where: { $0.value["moduleName"] as? String == libraryName })?.value,
              let swiftc = command["executable"] as? String,
              let other = command["otherArguments"] as? [String] else {
            throw ToolError("\(descriptionPath): no compile command for \(libraryName); remove \(binPath.path) and retry")
        }
        var clang: [String] = []
        var i = 0
        while i < other.count {
            if other[i] == "-Xcc", i + 1 < other.count, other[i + 1] != "-fPIC", other[i + 1] != "-g" {
                clang += [other[i], other[i + 1]]
                i += 2
            } else {
                if other[i].hasPrefix("-I") { clang.append(other[i]) }
                i += 1
            }
        }

        let fileManager = FileManager.default
        let staging = directory.deletingLastPathComponent().appendingPathComponent(".staging-\(getpid())-\(directory.lastPathComponent)")
        try? fileManager.removeItem(at: staging)
        let snapshot = LibrarySnapshot(directory: staging, swiftc: swiftc, clangArguments: clang)
        try fileManager.createDirectory(at: snapshot.libraryDirectory, withIntermediateDirectories: true)
        try fileManager.createDirectory(at: snapshot.modulesDirectory, withIntermediateDirectories: true)
        let sharedObject = "lib\(libraryName).so"
        try fileManager.copyItem(at: binPath.appendingPathComponent(sharedObject),
                                 to: snapshot.libraryDirectory.appendingPathComponent(sharedObject))
        let modules = binPath.appendingPathComponent("Modules")
        for name in try fileManager.contentsOfDirectory(atPath: modules.path) where name.hasSuffix(".swiftmodule") {
            try fileManager.copyItem(at: modules.appendingPathComponent(name), to: snapshot.modulesDirectory.appendingPathComponent(name))
        }
        let info: [String: Any] = ["swiftc": swiftc, "clangArguments": clang, "source": source.root.path]
        try AtomicFile.write([UInt8](try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])),
                             to: staging.appendingPathComponent("compile.json").path)
        // Another run may have finished the same snapshot meanwhile; either copy will do.
        if rename(staging.path, directory.path) != 0 { try? fileManager.removeItem(at: staging) }
        guard let done = load(directory) else { throw ToolError("\(directory.path): could not store the built library") }
        return done
    }
}
