import Glibc

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
