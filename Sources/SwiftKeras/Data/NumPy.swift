import Foundation
import ZIPFoundation

/// The NumPy element types SwiftKeras reads from `.npy` files and can write to them.
///
/// Tensors hold Float32, so reading converts: float64 rounds to the nearest float32, as
/// Keras's own `float32` cast does; integers must be exactly representable (|v| <= 2^24 or
/// a multiple of a power of two that fits), otherwise reading throws rather than round.
public enum NumPyDType: String, Sendable, CaseIterable {
    case bool = "b1"
    case int8 = "i1", int16 = "i2", int32 = "i4", int64 = "i8"
    case uint8 = "u1", uint16 = "u2", uint32 = "u4", uint64 = "u8"
    case float16 = "f2", float32 = "f4", float64 = "f8"

    var size: Int { Int(rawValue.dropFirst())! }
    var isInteger: Bool { rawValue.first == "i" || rawValue.first == "u" }

    /// NumPy's `descr` for this type in little-endian order ("<f4", "|u1", "|b1").
    var descr: String { (size == 1 ? "|" : "<") + rawValue }
}

/// The parsed header of a `.npy` file.
struct NumPyHeader {
    let dtype: NumPyDType
    let bigEndian: Bool
    let fortranOrder: Bool
    let shape: [Int]
    /// Where the array data starts.
    let dataOffset: Int
    var count: Int { shape.reduce(1, *) }
    var byteCount: Int { count * dtype.size }

    /// Reads and checks the header at the start of `bytes`; `source` names the file in errors.
    init(_ bytes: UnsafeRawBufferPointer, source: String) throws {
        func fail(_ message: String) -> KerasError { .fileError(path: source, message: message) }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a NumPy .npy file (missing the \\x93NUMPY magic string)")
        }
        let major = bytes[6]
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: throw fail("unsupported .npy format version \(major).\(bytes[7]) (SwiftKeras reads versions 1, 2 and 3)")
        }
        guard bytes.count >= 6 + 2 + lengthSize else { throw fail("truncated .npy header") }
        var headerLength = 0
        for i in 0..<lengthSize { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let start = 8 + lengthSize
        guard headerLength <= bytes.count - start else {
            throw fail("truncated .npy header: it promises \(headerLength) bytes, the file has \(bytes.count - start) after the prefix")
        }
        guard let text = String(bytes: bytes[start..<(start + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("corrupt .npy header (not text)")
        }
        let dictionary: [String: PythonLiteral]
        do {
            var parser = PythonLiteralParser(text)
            guard case let .dictionary(entries) = try parser.parseValue() else { throw PythonLiteralParser.Failure(reason: "not a dictionary") }
            dictionary = entries
        } catch let failure as PythonLiteralParser.Failure {
            throw fail("corrupt .npy header (\(failure.reason)): \(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))")
        }
        guard case let .string(descr)? = dictionary["descr"] else {
            if dictionary["descr"] != nil {
                throw fail("unsupported dtype \(dictionary["descr"]!) (structured arrays are not supported; SwiftKeras reads bool, integer and float arrays)")
            }
            throw fail("corrupt .npy header: no 'descr' entry")
        }
        guard case let .bool(fortran)? = dictionary["fortran_order"] else { throw fail("corrupt .npy header: no boolean 'fortran_order' entry") }
        guard case let .tuple(dims)? = dictionary["shape"] else { throw fail("corrupt .npy header: no 'shape' tuple") }
        var shape: [Int] = []
        for dim in dims {
            guard case let .integer(n) = dim, n >= 0 else { throw fail("corrupt .npy header: invalid shape \(dims)") }
            shape.append(n)
        }
        let order = descr.first ?? " "
        let code = String(descr.dropFirst())
        guard "<>|=".contains(order), let dtype = NumPyDType(rawValue: code) else {
            throw fail("unsupported dtype '\(descr)'\(Self.describe(descr)); SwiftKeras reads bool, int8-64, uint8-64, float16, float32 and float64")
        }
        // Every dimension counts, even after a 0: a tensor of this shape must be possible.
        guard (try? Tensor.elementCount(of: shape, op: "npy")) != nil else {
            throw fail("corrupt .npy header: shape \(shapeString(shape)) is too large: more than a tensor can hold")
        }
        var total = dtype.size
        for n in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail("corrupt .npy header: shape \(shapeString(shape)) is too large") }
            total = product
        }
        self.dtype = dtype
        bigEndian = order == ">"
        fortranOrder = fortran
        self.shape = shape
        dataOffset = start + headerLength
    }

    private static func describe(_ descr: String) -> String {
        switch descr.dropFirst().first {
        case "c": " (complex)"
        case "U", "S": " (strings)"
        case "O": " (Python objects)"
        case "M", "m": " (dates or times)"
        case "V": " (raw bytes)"
        default: ""
        }
    }

    /// numpy.save's header for a C-order array: the dict with sorted keys, room for the first
    /// axis to grow, spaces to a 64-byte boundary, then a newline.
    static func encode(shape: [Int], dtype: NumPyDType) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dictionary = "{'descr': '\(dtype.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        if let first = shape.first { dictionary += String(repeating: " ", count: Swift.max(0, 21 - String(first).count)) }
        var header = Array(dictionary.utf8)
        var lengthSize = 2
        var padding = 64 - (8 + lengthSize + header.count + 1) % 64
        if header.count + 1 + padding > 65535 {
            lengthSize = 4
            padding = 64 - (8 + lengthSize + header.count + 1) % 64
        }
        header += [UInt8](repeating: UInt8(ascii: " "), count: padding) + [UInt8(ascii: "\n")]
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [lengthSize == 2 ? 1 : 2, 0]
        for i in 0..<lengthSize { out.append(UInt8(truncatingIfNeeded: header.count >> (8 * i))) }
        return out + header
    }
}

enum NumPy {
    /// The array in a whole `.npy` file's bytes.
    static func decode(_ bytes: [UInt8], source: String) throws -> Tensor {
        try bytes.withUnsafeBytes { raw in
            let header = try NumPyHeader(raw, source: source)
            let available = raw.count - header.dataOffset
            guard available == header.byteCount else {
                throw KerasError.fileError(
                    path: source,
                    message: available < header.byteCount
                        ? "truncated: shape \(shapeString(header.shape)) of \(header.dtype.descr) needs \(header.byteCount) bytes of data, the file has \(available)"
                        : "corrupt: \(available - header.byteCount) unexpected bytes after the \(header.byteCount) bytes of data that shape \(shapeString(header.shape)) of \(header.dtype.descr) needs")
            }
            let data = UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...])
            if header.fortranOrder && header.shape.count > 1 {
                // Column-major data is the row-major array of the reversed shape, transposed.
                let reversed = Array(header.shape.reversed())
                let stored = try convert(data, dtype: header.dtype, bigEndian: header.bigEndian, shape: reversed, source: source)
                return try withoutGradients { try stored.transposed(Array((0..<reversed.count).reversed())) }
            }
            return try convert(data, dtype: header.dtype, bigEndian: header.bigEndian, shape: header.shape, source: source)
        }
    }

    /// Converts raw elements (as many as `shape` holds) to Float32.
    static func convert(_ data: UnsafeRawBufferPointer, dtype: NumPyDType, bigEndian: Bool, shape: [Int], source: String,
                        firstIndex: Int = 0) throws -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = out.storage.pointer
        let count = out.count
        let swap = bigEndian
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            let v = data.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return swap ? v.byteSwapped : v.littleEndian
        }
        func exact<T: BinaryInteger>(_ v: T, _ i: Int) throws -> Float {
            let f = Float(v)
            guard f.isFinite, T(exactly: f) == v else {
                throw KerasError.fileError(
                    path: source, message: "value \(v) at flat index \(firstIndex + i) of this \(dtype.descr) array cannot be represented exactly as float32")
            }
            return f
        }
        switch dtype {
        case .bool:
            for i in 0..<count {
                let b = data[i]
                guard b <= 1 else { throw KerasError.fileError(path: source, message: "corrupt bool array: byte \(b) at flat index \(firstIndex + i)") }
                p[i] = Float(b)
            }
        case .uint8: for i in 0..<count { p[i] = Float(data[i]) }
        case .int8: for i in 0..<count { p[i] = Float(Int8(bitPattern: data[i])) }
        case .int16: for i in 0..<count { p[i] = Float(load(Int16.self, i)) }
        case .uint16: for i in 0..<count { p[i] = Float(load(UInt16.self, i)) }
        case .int32: for i in 0..<count { p[i] = try exact(load(Int32.self, i), i) }
        case .uint32: for i in 0..<count { p[i] = try exact(load(UInt32.self, i), i) }
        case .int64: for i in 0..<count { p[i] = try exact(load(Int64.self, i), i) }
        case .uint64: for i in 0..<count { p[i] = try exact(load(UInt64.self, i), i) }
        case .float16: for i in 0..<count { p[i] = halfToFloat(load(UInt16.self, i)) }
        case .float32: for i in 0..<count { p[i] = Float(bitPattern: load(UInt32.self, i)) }
        case .float64: for i in 0..<count { p[i] = Float(Double(bitPattern: load(UInt64.self, i))) }
        }
        return out
    }

    /// IEEE 754 half precision to single, subnormals, infinities and NaN included.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | mantissa << 13)
    }

    /// A whole `.npy` file for the tensor, as numpy.save writes it (C order).
    static func encode(_ tensor: Tensor, dtype: NumPyDType, source: String) throws -> [UInt8] {
        var out = NumPyHeader.encode(shape: tensor.shape, dtype: dtype)
        let headerSize = out.count
        out += [UInt8](repeating: 0, count: tensor.count * dtype.size)
        let p = tensor.storage.pointer
        try out.withUnsafeMutableBytes { raw in
            let data = UnsafeMutableRawBufferPointer(rebasing: raw[headerSize...])
            func store<T: FixedWidthInteger>(_ v: T, _ i: Int) {
                data.storeBytes(of: v.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
            }
            func integer<T: FixedWidthInteger>(_: T.Type, _ i: Int) throws -> T {
                guard let v = T(exactly: p[i]) else {
                    throw KerasError.invalidArgument(
                        "save(npy: \(source)): value \(p[i]) at flat index \(i) is not representable as \(dtype.descr); choose a float dtype")
                }
                return v
            }
            for i in 0..<tensor.count {
                switch dtype {
                case .bool:
                    guard p[i] == 0 || p[i] == 1 else {
                        throw KerasError.invalidArgument("save(npy: \(source)): value \(p[i]) at flat index \(i) is not 0 or 1, as a bool array needs")
                    }
                    data[i] = p[i] == 1 ? 1 : 0
                case .int8: store(try integer(Int8.self, i), i)
                case .int16: store(try integer(Int16.self, i), i)
                case .int32: store(try integer(Int32.self, i), i)
                case .int64: store(try integer(Int64.self, i), i)
                case .uint8: store(try integer(UInt8.self, i), i)
                case .uint16: store(try integer(UInt16.self, i), i)
                case .uint32: store(try integer(UInt32.self, i), i)
                case .uint64: store(try integer(UInt64.self, i), i)
                case .float16: store(floatToHalf(p[i]), i)
                case .float32: store(p[i].bitPattern, i)
                case .float64: store(Double(p[i]).bitPattern, i)
                }
            }
        }
        return out
    }

    /// Single to half precision, rounding to nearest even (as NumPy's astype does).
    static func floatToHalf(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16(bits >> 16) & 0x8000
        let exponent = Int(bits >> 23) & 0xFF
        var mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0) }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            guard e >= -10 else { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - e)
            var half = mantissa >> shift
            let rest = mantissa & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
            if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | mantissa >> 13
        let rest = mantissa & 0x1FFF
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }
}

extension Tensor {
    /// Reads an array written by `numpy.save` (Keras's `np.load`): bool, integer and float
    /// dtypes of either byte order, C or Fortran order, format versions 1 to 3.
    public init(npyFile path: String) throws {
        self = try NumPy.decode(readWholeFile(path), source: path)
    }

    /// Writes the tensor as `numpy.save` does (C order; float32 unless `dtype` says
    /// otherwise, integer and bool dtypes need values they can hold exactly). The file is
    /// written to a temporary file, synced and renamed, so it is never left half-written.
    public func save(npy path: String, dtype: NumPyDType = .float32) throws {
        try AtomicFile.write(NumPy.encode(self, dtype: dtype, source: path), to: path)
    }
}

/// The arrays in an `.npz` archive written by `numpy.savez` or `numpy.savez_compressed`,
/// by name ("x_train" for the entry "x_train.npy"; "arr_0", ... for unnamed arrays).
/// Entries that are not `.npy` files are skipped.
public func loadNPZ(_ path: String) throws -> [String: Tensor] {
    let archive: Archive
    do {
        archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
    } catch {
        let exists = FileManager.default.fileExists(atPath: path)
        throw KerasError.fileError(path: path, message: exists ? "not a readable .npz (zip) archive (\(error))" : "file not found")
    }
    var info = stat()
    let fileSize = stat(path, &info) == 0 ? UInt64(info.st_size) : 0
    var arrays: [String: Tensor] = [:]
    for entry in archive where entry.type == .file && entry.path.hasSuffix(".npy") {
        let source = "\(path) (entry \(entry.path))"
        guard entry.uncompressedSize >= 0, entry.uncompressedSize < Int64(Int32.max) * 64 else {
            throw KerasError.fileError(path: source, message: "corrupt entry size \(entry.uncompressedSize)")
        }
        // ZIPFoundation reads a stored entry until it has the size its header claims: past the
        // end of the file it would wait forever. Sizes the file cannot hold are refused first.
        guard entry.compressedSize <= fileSize, entry.isCompressed || entry.compressedSize == entry.uncompressedSize else {
            throw KerasError.fileError(
                path: source, message: "corrupt entry: it claims \(entry.compressedSize) stored bytes (\(entry.uncompressedSize) uncompressed) in a file of \(fileSize) bytes")
        }
        var bytes: [UInt8] = []
        // The header's size is a claim: reserve no more than the stored bytes can hold.
        bytes.reserveCapacity(Int(Swift.min(entry.uncompressedSize, entry.compressedSize * 1032 + 64, 1 << 26)))
        do {
            _ = try archive.extract(entry) { chunk in bytes.append(contentsOf: chunk) }
        } catch {
            throw KerasError.fileError(path: source, message: "corrupt or truncated entry (\(error))")
        }
        arrays[String(entry.path.dropLast(4))] = try NumPy.decode(bytes, source: source)
    }
    return arrays
}

/// Writes arrays to an `.npz` archive that `numpy.load` reads, one `<name>.npy` entry each,
/// in the order given: stored as `numpy.savez` does, or deflated as `numpy.savez_compressed`
/// does when `compressed`. Written to a temporary file, synced and renamed.
public func saveNPZ(_ path: String, _ arrays: KeyValuePairs<String, Tensor>, compressed: Bool = false,
                    dtype: NumPyDType = .float32) throws {
    try saveNPZ(path, arrays.map { ($0.key, $0.value) }, compressed: compressed, dtype: dtype)
}

public func saveNPZ(_ path: String, _ arrays: [(String, Tensor)], compressed: Bool = false,
                    dtype: NumPyDType = .float32) throws {
    var seen = Set<String>()
    for (name, _) in arrays where !seen.insert(name).inserted || name.isEmpty {
        throw KerasError.invalidArgument("saveNPZ(\(path)): array name \"\(name)\" is \(name.isEmpty ? "empty" : "used twice")")
    }
    let encoded = try arrays.map { ($0.0 + ".npy", try NumPy.encode($0.1, dtype: dtype, source: path)) }
    try AtomicFile.write(to: path) { temporary in
        do {
            // ZIPFoundation creates the archive file itself and refuses an existing one.
            unlink(temporary)
            let archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create)
            for (entryName, bytes) in encoded {
                let data = Data(bytes)
                try archive.addEntry(with: entryName, type: .file, uncompressedSize: Int64(data.count),
                                     compressionMethod: compressed ? .deflate : .none) { position, size in
                    data.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
        } catch let error as KerasError {
            throw error
        } catch {
            throw KerasError.fileError(path: path, message: "cannot write the archive (\(error))")
        }
    }
}

// MARK: - The Python literals of a .npy header

enum PythonLiteral: Equatable, CustomStringConvertible {
    case string(String), integer(Int), bool(Bool), none
    case tuple([PythonLiteral]), list([PythonLiteral]), dictionary([String: PythonLiteral])

    var description: String {
        switch self {
        case let .string(s): "'\(s)'"
        case let .integer(n): "\(n)"
        case let .bool(b): b ? "True" : "False"
        case .none: "None"
        case let .tuple(items): "(" + items.map(\.description).joined(separator: ", ") + ")"
        case let .list(items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case let .dictionary(entries): "{" + entries.map { "'\($0.key)': \($0.value)" }.sorted().joined(separator: ", ") + "}"
        }
    }
}

/// Parses the subset of Python literal syntax numpy writes into headers: dicts, tuples,
/// lists, quoted strings, integers, True/False/None.
struct PythonLiteralParser {
    struct Failure: Error { let reason: String }
    private let scalars: [Unicode.Scalar]
    private var i = 0
    private var depth = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    private mutating func skipSpace() {
        while i < scalars.count, scalars[i].properties.isWhitespace { i += 1 }
    }

    private mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard i < scalars.count, scalars[i] == c else { throw Failure(reason: "expected '\(c)' at offset \(i)") }
        i += 1
    }

    mutating func parseValue() throws -> PythonLiteral {
        skipSpace()
        guard i < scalars.count else { throw Failure(reason: "unexpected end") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw Failure(reason: "nested too deeply") }
        switch scalars[i] {
        case "{":
            i += 1
            var entries: [String: PythonLiteral] = [:]
            while true {
                skipSpace()
                if i < scalars.count, scalars[i] == "}" { i += 1; return .dictionary(entries) }
                guard case let .string(key) = try parseValue() else { throw Failure(reason: "dictionary keys must be strings") }
                try expect(":")
                entries[key] = try parseValue()
                skipSpace()
                if i < scalars.count, scalars[i] == "," { i += 1 } else { try expect("}"); return .dictionary(entries) }
            }
        case "(", "[":
            let close: Unicode.Scalar = scalars[i] == "(" ? ")" : "]"
            let isTuple = close == ")"
            i += 1
            var items: [PythonLiteral] = []
            while true {
                skipSpace()
                if i < scalars.count, scalars[i] == close { i += 1; break }
                items.append(try parseValue())
                skipSpace()
                if i < scalars.count, scalars[i] == "," { i += 1 } else { try expect(close); break }
            }
            return isTuple ? .tuple(items) : .list(items)
        case "'", "\"":
            let quote = scalars[i]
            i += 1
            var text = String.UnicodeScalarView()
            while i < scalars.count, scalars[i] != quote {
                if scalars[i] == "\\", i + 1 < scalars.count { i += 1 }
                text.append(scalars[i])
                i += 1
            }
            try expect(quote)
            return .string(String(text))
        default:
            let start = i
            while i < scalars.count, scalars[i].properties.isAlphabetic || ("0"..."9").contains(scalars[i]) || scalars[i] == "-" || scalars[i] == "_" {
                i += 1
            }
            let word = String(String.UnicodeScalarView(scalars[start..<i]))
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                // Python 2 wrote long integers as "3L".
                let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                guard let n = Int(digits) else { throw Failure(reason: "unexpected '\(word.isEmpty ? String(scalars[i]) : word)' at offset \(start)") }
                return .integer(n)
            }
        }
    }
}
