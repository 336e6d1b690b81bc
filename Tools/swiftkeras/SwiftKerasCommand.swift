import ArgumentParser
import Foundation
import SwiftKeras

/// `swiftkeras`: runs single-file Swift scripts against SwiftKeras (compiled in release mode
/// and cached), writes starter packages and prints the summary of saved models.
@main
struct SwiftKerasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftkeras",
        abstract: "Run Keras-style Swift scripts, start a package, inspect saved models.",
        discussion: """
            A script is one .swift file that does `import SwiftKeras` (and, if it likes, \
            `import ArgumentParser`). `swiftkeras run train.swift` compiles it in release mode \
            against a build of the library that is made once per library version, caches the \
            binary by the script's content and runs it with the arguments that follow. A script \
            whose first line is `#!/usr/bin/env swiftkeras run` runs on its own after `chmod +x`.

            Cache: $SWIFTKERAS_CACHE, else $XDG_CACHE_HOME/swiftkeras, else ~/.cache/swiftkeras. \
            Library source: $SWIFTKERAS_ROOT, else the checkout this tool was built from.
            """,
        version: versionText(),
        subcommands: [Run.self, New.self, Summary.self, Clean.self])

    /// Everything after a script's path belongs to the script, flags and `--help` included,
    /// so the tool parses only what comes before it. A script given without `run`
    /// (`swiftkeras train.swift`) runs too, and so does a shebang line that `env` passes on
    /// as one word ("swiftkeras run"): the installer adds a link of that name.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let invokedAs = (CommandLine.arguments.first ?? "").split(separator: "/").last.map(String.init) ?? ""
        if invokedAs.hasSuffix(" run") {
            arguments.insert("run", at: 0)
        } else if let first = arguments.first, first.hasSuffix(".swift"), !first.hasPrefix("-") {
            arguments.insert("run", at: 0)
        }
        if arguments.first == "run", let script = arguments.dropFirst().firstIndex(where: { !$0.hasPrefix("-") }) {
            arguments.insert("--", at: script + 1)
        }
        main(arguments)
    }

    static func versionText() -> String {
        var text = "swiftkeras \(swiftKerasVersion)"
        if let source = LibrarySource.locate() { text += "\nSwiftKeras source: \(source.root.path)" }
        return text
    }
}

/// Fails with a message and no usage text (ArgumentParser prints "Error: " and the message).
struct ToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
