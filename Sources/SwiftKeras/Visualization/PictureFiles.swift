import Glibc

/// The picture formats `History.plot(to:)` and `plotModel(_:to:)` write, chosen by the
/// file's extension.
enum PictureFormat: String {
    case svg, png, pdf, dot

    /// The format named by `path`'s extension; throws naming the path and the formats allowed.
    static func of(_ path: String, allowed: [PictureFormat], caller: String) throws -> PictureFormat {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext = name.contains(".") ? String(name.split(separator: ".").last!).lowercased() : ""
        guard let format = PictureFormat(rawValue: ext), allowed.contains(format) else {
            throw KerasError.fileError(
                path: path,
                message: "\(caller) writes \(allowed.map { "." + $0.rawValue }.joined(separator: ", ")) files, received \(ext.isEmpty ? "no extension" : "." + ext)")
        }
        return format
    }
}

/// A scratch file beside `path` (the source a rasterizer reads, its error log).
func scratchPath(beside path: String, suffix: String) -> String {
    let folder = AtomicFile.folderOf(path)
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return (path.contains("/") ? folder + "/" : "") + ".\(name).scratch-\(getpid())\(suffix)"
}

/// A program that turns one picture format into another (Graphviz `dot`, `rsvg-convert`).
struct PictureTool {
    let program: String
    /// The Debian package that installs it, named in the error when it is missing.
    let debianPackage: String

    static let graphviz = PictureTool(program: "dot", debianPackage: "graphviz")
    static let rsvg = PictureTool(program: "rsvg-convert", debianPackage: "librsvg2-bin")

    /// The program's path on $PATH, or nil.
    var location: String? {
        guard let path = getenv("PATH") else { return nil }
        for directory in String(cString: path).split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs the program with `arguments` and waits; throws naming `output` (the file the
    /// user asked for) with the program's own error text when it fails, and naming the
    /// Debian package when the program is missing.
    func run(_ arguments: [String], output: String, caller: String) throws {
        guard let executable = location else {
            throw KerasError.fileError(
                path: output,
                message: "\(caller) needs `\(program)` to write this format, and it is not on the PATH: install Debian's \(debianPackage) package (apt-get install \(debianPackage))")
        }
        let errorLog = scratchPath(beside: output, suffix: ".log")
        defer { unlink(errorLog) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, errorLog, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorLog, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw KerasError.fileError(path: output, message: "\(caller): cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let log = readSmallFile(errorLog).split(separator: "\n").prefix(5).joined(separator: "; ")
            throw KerasError.fileError(
                path: output,
                message: "\(caller): \(program) failed (\(exited ? "exit status \(code)" : "killed by signal \(status & 0x7f)"))\(log.isEmpty ? "" : ": " + log)")
        }
    }
}

/// The first few kilobytes of a file as text ("" when unreadable).
func readSmallFile(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = fread(&buffer, 1, buffer.count, file)
    return String(decoding: buffer.prefix(count), as: UTF8.self)
}
