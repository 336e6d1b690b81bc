import ArgumentParser
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile a single-file script against SwiftKeras (release, cached) and run it.",
        discussion: """
            The first run of a script builds the library once for its version (about a minute), \
            then compiles the script alone (a few seconds); later runs of the unchanged script \
            start at once. Arguments after the script are passed on to it \
            (CommandLine.arguments[0] is the script's path). Compiler messages name the script's \
            own file and line.
            """)

    @Flag(help: "Compile the script again even when a cached binary exists.") var rebuild = false
    @Flag(name: .shortAndLong, help: "Print what was built or found in the cache, with times.") var verbose = false
    @Argument(help: "The script: a .swift file that does `import SwiftKeras`.") var script: String
    @Argument(parsing: .postTerminator, help: "Arguments for the script.") var arguments: [String] = []

    func run() throws {
        let start = Date()
        var timings: [(String, Double)] = []
        let script = try Script(path: script)
        guard let source = LibrarySource.locate() else {
            throw ToolError("cannot find the SwiftKeras source: set SWIFTKERAS_ROOT to a checkout of the library")
        }
        let cache = ScriptCache.standard()
        let binary: String
        do {
            let library = try cache.library(for: source, timings: &timings)
            binary = try cache.binary(for: script, library: library, rebuild: rebuild, timings: &timings)
        } catch let failure as ExitCodeError {
            note(failure.message)
            throw ExitCode(failure.status)
        }
        if verbose {
            for (what, seconds) in timings { note("\(what): \(String(format: "%.3f", seconds)) s") }
            note("ready to run after \(String(format: "%.3f", Date().timeIntervalSince(start))) s: \(binary)")
        }
        try execProgram(binary, arguments: [script.path] + arguments)
    }
}

struct Clean: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove the cache of built libraries and compiled scripts.")

    func run() throws {
        let cache = ScriptCache.standard()
        if FileManager.default.fileExists(atPath: cache.root.path) { try FileManager.default.removeItem(at: cache.root) }
        print("Removed \(cache.root.path)")
    }
}
