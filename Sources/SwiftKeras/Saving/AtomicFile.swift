import Glibc

/// Writes files so that a reader finds either the previous file or the complete new one,
/// never a half-written file, even if the process is killed or the machine stops midway.
///
/// The new contents go to a temporary file in the target's folder (a rename is atomic only
/// within one file system), which is flushed to disk with `fsync`, then renamed over the
/// target; finally the folder itself is `fsync`ed so that the rename survives a power loss.
/// A process killed before the rename leaves the target untouched and, at worst, a stray
/// `.<name>.tmp-*` file beside it.
///
/// Every SwiftKeras writer that replaces a file (models, weights, checkpoints, logs,
/// arrays) goes through here:
///
/// ```swift
/// try AtomicFile.write(bytes, to: "history.csv")
/// try AtomicFile.write(to: "model.weights.h5") { temporaryPath in
///     try someLibraryThatWritesAPath(temporaryPath)
/// }
/// ```
public enum AtomicFile {
    /// Replaces (or creates) the file at `path` with `bytes`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { temporaryPath in
            let fd = Glibc.open(temporaryPath, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw error(path, "cannot open the temporary file \(temporaryPath)") }
            defer { Glibc.close(fd) }
            try writeAll(fd, bytes, path: path)
        }
    }

    /// Replaces (or creates) the file at `path` with `text` in UTF-8.
    public static func write(_ text: String, to path: String) throws { try write(Array(text.utf8), to: path) }

    /// Replaces (or creates) the file at `path` with what `body` writes to the temporary
    /// path it is given (for writers that need a path, such as C libraries). `body` must
    /// write the whole file and close it before returning. If `body` throws, the temporary
    /// file is removed and the target is left as it was.
    public static func write(to path: String, using body: (_ temporaryPath: String) throws -> Void) throws {
        let folder = folderOf(path)
        let temporaryPath = try createTemporaryFile(for: path, in: folder)
        do {
            try body(temporaryPath)
            try syncFile(temporaryPath, reportedAs: path)
            guard Glibc.rename(temporaryPath, path) == 0 else {
                throw error(path, "cannot rename the temporary file over it")
            }
        } catch {
            Glibc.unlink(temporaryPath)
            throw error
        }
        try syncFolder(folder, reportedAs: path)
    }

    // MARK: Pieces

    /// The folder holding `path` ("." for a bare name).
    static func folderOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// Creates `.<name>.tmp-<random>` beside the target, exclusively (never an existing
    /// file), with the permissions a new file gets from the umask.
    private static func createTemporaryFile(for path: String, in folder: String) throws -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard !name.isEmpty, !path.hasSuffix("/") else { throw KerasError.fileError(path: path, message: "not a file name") }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let suffix = String(generator.next() & 0xFFFF_FFFF_FFFF, radix: 36)
            let candidate = (folder == "." && !path.hasPrefix("./") ? "" : folder + (folder.hasSuffix("/") ? "" : "/"))
                + ".\(name).tmp-\(suffix)"
            let fd = Glibc.open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 {
                Glibc.close(fd)
                return candidate
            }
            guard errno == EEXIST else {
                throw error(path, "cannot create a temporary file in \(folder)")
            }
        }
        throw KerasError.fileError(path: path, message: "cannot create a temporary file in \(folder): every name tried exists")
    }

    private static func syncFile(_ temporaryPath: String, reportedAs path: String) throws {
        let fd = Glibc.open(temporaryPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error(path, "cannot reopen the temporary file to flush it") }
        defer { Glibc.close(fd) }
        guard Glibc.fsync(fd) == 0 else { throw error(path, "fsync of the temporary file failed") }
    }

    private static func syncFolder(_ folder: String, reportedAs path: String) throws {
        let fd = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error(path, "cannot open the folder \(folder) to flush the rename") }
        defer { Glibc.close(fd) }
        // Some file systems refuse fsync on a folder (EINVAL); the rename is done either way.
        guard Glibc.fsync(fd) == 0 || errno == EINVAL else { throw error(path, "fsync of the folder \(folder) failed") }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw error(path, "write failed")
                }
                offset += written
            }
        }
    }

    /// A file error with the system's reason for the last call ("No space left on device").
    private static func error(_ path: String, _ what: String) -> KerasError {
        let code = errno
        return .fileError(path: path, message: "\(what): \(String(cString: strerror(code))) (errno \(code))")
    }
}
