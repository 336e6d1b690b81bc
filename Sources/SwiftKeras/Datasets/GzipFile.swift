import CZlib
import Glibc

/// Reads a whole file, gunzipping it when it is gzip (zlib passes plain files through).
/// Errors name the file and say what went wrong.
func readPossiblyGzippedFile(_ path: String) throws -> [UInt8] {
    guard access(path, R_OK) == 0 else {
        throw KerasError.fileError(path: path, message: "file not found or not readable")
    }
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
        bytes.append(contentsOf: chunk[0..<Int(n)])
    }
    return bytes
}
