import Foundation

/// Runs a program to completion with the tool's own standard input and error; its standard
/// output goes to standard error, so a script's output is all that stdout carries.
/// Returns the exit status.
@discardableResult
func runProgram(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.standardOutput = FileHandle.standardError
    do {
        try process.run()
    } catch {
        throw ToolError("could not start \(executable): \(error.localizedDescription)")
    }
    process.waitUntilExit()
    return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
}

/// Replaces this process with `executable`, so the script gets the terminal, the signals and
/// the exit status directly. `arguments[0]` is what the program sees as its name.
func execProgram(_ executable: String, arguments: [String]) throws -> Never {
    let cArguments = arguments.map { strdup($0) } + [nil]
    fflush(nil)
    execv(executable, cArguments)
    throw ToolError("could not run \(executable): \(String(cString: strerror(errno)))")
}

/// The first executable called `name` on $PATH (links not resolved: the Swift driver picks
/// its mode from the name it was started by).
func findOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if access(candidate, X_OK) == 0 {
            return candidate
        }
    }
    return nil
}

/// Standard error, for the tool's own progress lines.
func note(_ message: String) {
    FileHandle.standardError.write(Data("swiftkeras: \(message)\n".utf8))
}
