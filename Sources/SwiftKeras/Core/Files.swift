import Glibc

/// The file-system operations callbacks need besides writing (which goes through
/// `AtomicFile`): reading a file whole, making and removing folders.
enum Files {
    /// The contents of `path`, or nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure(path, "cannot be read")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure(path, "cannot be read") }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates `path` and its missing parents (like `mkdir -p`).
    static func makeDirectories(_ path: String) throws {
        guard !path.isEmpty, !isDirectory(path) else { return }
        let parent = directory(of: path)
        if parent != path && !parent.isEmpty { try makeDirectories(parent) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw failure(path, "directory cannot be created") }
        guard isDirectory(path) else { throw failure(path, "exists and is not a directory") }
    }

    /// The folder part of a path ("" for a bare file name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The names in a folder (without "." and ".."); empty when it does not exist.
    static func list(_ path: String) throws -> [String] {
        guard isDirectory(path) else { return [] }
        guard let dir = opendir(path) else { throw failure(path, "cannot be listed") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file or a folder with everything in it; nothing when it does not exist.
    static func remove(_ path: String) throws {
        guard exists(path) else { return }
        if isDirectory(path) {
            for name in try list(path) { try remove(path + "/" + name) }
            guard rmdir(path) == 0 else { throw failure(path, "cannot be removed") }
        } else {
            guard unlink(path) == 0 else { throw failure(path, "cannot be removed") }
        }
    }

    private static func failure(_ path: String, _ what: String) -> KerasError {
        .fileError(path: path, message: "\(what) (\(String(cString: strerror(errno))))")
    }
}
