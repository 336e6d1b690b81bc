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

/// Writes `data` to `path` through a temporary file in the same folder, flushed to disk and
/// renamed into place, so a reader never sees half a file.
func writeAtomically(_ data: Data, to path: String, permissions: Int = 0o644) throws {
    let temporary = "\(path).tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode_t(permissions))
    guard fd >= 0 else { throw ToolError("\(temporary): cannot create (\(String(cString: strerror(errno))))") }
    var ok = data.withUnsafeBytes { bytes -> Bool in
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return false }
            offset += written
        }
        return true
    }
    ok = ok && fsync(fd) == 0
    close(fd)
    guard ok, rename(temporary, path) == 0 else {
        unlink(temporary)
        throw ToolError("\(path): cannot write (\(String(cString: strerror(errno))))")
    }
}

/// Standard error, for the tool's own progress lines.
func note(_ message: String) {
    FileHandle.standardError.write(Data("swiftkeras: \(message)\n".utf8))
}
