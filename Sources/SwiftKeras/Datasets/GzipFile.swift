import CZlib
import Glibc

/// The most bytes `readPossiblyGzippedFile` gives by default (1 GiB): beyond the bundled
/// datasets' largest by far, short of what would exhaust a small machine's memory.
let defaultMaximumFileBytes = 1 << 30

/// Deflate's largest expansion: 1032 output bytes per input byte (a run of one byte coded
/// in 258-byte matches of one bit each, rounded up); plus a margin for gzip headers.
private func inflatedBound(compressedBytes: Int) -> Int {
    let (bound, overflow) = compressedBytes.multipliedReportingOverflow(by: 1032)
    return overflow ? Int.max : bound + (1 << 16)
}

/// Reads a whole file, gunzipping it when it is gzip (zlib passes plain files through).
/// Errors name the file and say what went wrong. The result is capped at `maximumBytes`
/// and at what the compressed size can inflate to, so a crafted file (a "gzip bomb")
/// gives an error instead of exhausting memory.
func readPossiblyGzippedFile(_ path: String, maximumBytes: Int = defaultMaximumFileBytes) throws -> [UInt8] {
    guard access(path, R_OK) == 0 else {
        throw KerasError.fileError(path: path, message: "file not found or not readable")
    }
    var status = stat()
    guard stat(path, &status) == 0 else {
        throw KerasError.fileError(path: path, message: "cannot read the file's size")
    }
    let cap = Swift.min(maximumBytes, inflatedBound(compressedBytes: Int(status.st_size)))
    guard let file = gzopen(path, "rb") else {
        throw KerasError.fileError(path: path, message: "cannot open file")
    }
    defer { gzclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
        if n < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
            throw KerasError.fileError(path: path, message: "corrupt or truncated gzip data (\(message))")
        }
        if n == 0 {
            // End of input: zlib reports a stream cut short only through gzerror.
            var code: Int32 = 0
            _ = gzerror(file, &code)
            if code == Z_BUF_ERROR {
                throw KerasError.fileError(path: path, message: "truncated gzip data (the compressed stream ends early)")
            }
            break
        }
        guard Int(n) <= cap - bytes.count else {
            throw KerasError.fileError(
                path: path, message: "decompresses to more than \(cap) bytes (the most this reader takes from a file of \(status.st_size) bytes)")
        }
        bytes.append(contentsOf: chunk[0..<Int(n)])
    }
    return bytes
}
