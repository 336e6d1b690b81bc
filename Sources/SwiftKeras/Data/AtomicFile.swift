import Glibc

/// Writes files so that a crash never leaves a half-written one: the bytes go to a temporary
/// file beside the target, which is flushed to disk (fsync) and then renamed over it.
enum AtomicFile {
    /// Writes `bytes` to `path`.
    static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        try write(to: path) { temporary in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw fileError(path, "cannot create \(temporary)") }
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw fileError(path, "write failed") }
                offset += n
            }
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    /// Lets `body` write a temporary file (by path), then makes it durable and moves it to `path`.
    static func write(to path: String, _ body: (String) throws -> Void) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try body(temporary)
            let fd = open(temporary, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw fileError(path, "cannot reopen \(temporary)") }
            let synced = fsync(fd) == 0
            close(fd)
            guard synced else { throw fileError(path, "fsync failed") }
            guard rename(temporary, path) == 0 else { throw fileError(path, "cannot rename \(temporary) over it") }
        } catch {
            unlink(temporary)
            throw error
        }
        // The rename itself is durable once the directory is synced.
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dfd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    private static func fileError(_ path: String, _ what: String) -> KerasError {
        .fileError(path: path, message: "\(what) (\(String(cString: strerror(errno))))")
    }
}

/// The whole contents of a file; errors name the file.
func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw KerasError.fileError(path: path, message: errno == ENOENT ? "file not found" : "cannot open (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
        throw KerasError.fileError(path: path, message: "not a regular file")
    }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var offset = 0
    try bytes.withUnsafeMutableBytes { buffer in
        while offset < buffer.count {
            let n = read(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw KerasError.fileError(path: path, message: "read failed (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            offset += n
        }
    }
    if offset < bytes.count { bytes.removeLast(bytes.count - offset) }
    return bytes
}
