import CZlib
import Glibc

/// A file of fixed-size records after a header, read one record at a time (gzip'd or not),
/// so a dataset of it never holds more than the records in flight.
private final class RecordReader {
    let path: String
    private let file: gzFile
    /// Holds the last record read, until the next read.
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int

    init(path: String, skipping headerSize: Int, recordSize: Int) throws {
        self.path = path
        guard access(path, R_OK) == 0, let file = gzopen(path, "rb") else {
            throw KerasError.fileError(path: path, message: "file not found or not readable")
        }
        self.file = file
        // The buffer grows as bytes arrive (`read`), so a header claiming huge records costs
        // no more memory than the file holds.
        capacity = Swift.min(Swift.max(headerSize, recordSize, 1), Self.initialCapacity)
        buffer = .allocate(byteCount: capacity, alignment: 16)
        if headerSize > 0 { _ = try read(headerSize, what: "the header") }
    }

    /// The next `count` bytes (valid until the next read); throws when the file ends first.
    func read(_ count: Int, what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        var done = 0
        while done < count {
            if done == capacity { grow(to: Swift.min(count, 2 * capacity), keeping: done) }
            let n = gzread(file, buffer + done, UInt32(Swift.min(Swift.min(count, capacity) - done, 1 << 30)))
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                throw KerasError.fileError(path: path, message: "corrupt or truncated gzip data while reading \(what()) (\(message))")
            }
            guard n > 0 else {
                throw KerasError.fileError(path: path, message: "truncated: the file ends inside \(what()) (\(done) of \(count) bytes)")
            }
            done += Int(n)
        }
        return UnsafeRawBufferPointer(start: buffer, count: count)
    }

    private static let initialCapacity = 1 << 16

    private func grow(to newCapacity: Int, keeping bytes: Int) {
        let larger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        larger.copyMemory(from: buffer, byteCount: bytes)
        buffer.deallocate()
        buffer = larger
        capacity = newCapacity
    }

    deinit {
        gzclose(file)
        buffer.deallocate()
    }
}

/// The element types of IDX files (the MNIST format): the third byte of the magic number.
private enum IDXType: UInt8 {
    case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

    var size: Int {
        switch self {
        case .uint8, .int8: 1
        case .int16: 2
        case .int32, .float32: 4
        case .float64: 8
        }
    }

    var numpy: NumPyDType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .int16: .int16
        case .int32: .int32
        case .float32: .float32
        case .float64: .float64
        }
    }
}

/// Header, record shape and element conversion of a record file.
private struct RecordLayout {
    let headerSize: Int
    let count: Int
    let recordShape: [Int]
    let dtype: NumPyDType
    let bigEndian: Bool
    /// Bytes per record: a header's dimensions may multiply past Int.
    func recordSize(path: String) throws -> Int {
        var size = dtype.size
        for n in recordShape {
            let (product, overflow) = size.multipliedReportingOverflow(by: n)
            guard !overflow else {
                throw KerasError.fileError(path: path, message: "corrupt header: records of shape \(shapeString(recordShape)) are too large")
            }
            size = product
        }
        // Empty records would make a pass of `count` (up to 2^32) empty tensors from no bytes.
        guard size > 0 || count == 0 else {
            throw KerasError.fileError(path: path, message: "corrupt header: \(count) records of shape \(shapeString(recordShape)) hold no values")
        }
        return size
    }
}

extension Dataset where Element == Tensor {
    /// The records of an IDX file (the format of the MNIST files: `train-images-idx3-ubyte`,
    /// gzip'd or not), one element per entry along its first dimension, read from disk as the
    /// pass reaches them: an image file gives (rows, cols) tensors, a label file scalars.
    /// Values keep their stored numbers (0...255 for MNIST pixels).
    public convenience init(idxFile path: String) throws {
        let layout = try Self.idxLayout(path)
        try self.init(layout: layout, path: path)
    }

    /// The rows of a `.npy` file (C order), read from disk as the pass reaches them, like
    /// NumPy's `np.load(path, mmap_mode="r")` for arrays larger than memory.
    public convenience init(npyFile path: String) throws {
        let header = try Self.npyHeader(path)
        guard header.shape.count >= 1 else {
            throw KerasError.fileError(path: path, message: "a 0-d array has no rows to stream; load it with Tensor(npyFile:)")
        }
        guard !header.fortranOrder || header.shape.count == 1 else {
            throw KerasError.fileError(path: path, message: "a Fortran-order array cannot be streamed by rows; load it with Tensor(npyFile:)")
        }
        try self.init(layout: RecordLayout(headerSize: header.dataOffset, count: header.shape[0], recordShape: Array(header.shape.dropFirst()),
                                       dtype: header.dtype, bigEndian: header.bigEndian), path: path)
    }

    private convenience init(layout: RecordLayout, path: String) throws {
        let recordSize = try layout.recordSize(path: path)
        let perRecord = recordSize / layout.dtype.size
        self.init(cardinality: layout.count) { _ in
            let reader = try RecordReader(path: path, skipping: layout.headerSize, recordSize: recordSize)
            var index = 0
            return DatasetIterator(next: {
                guard index < layout.count else { return nil }
                let bytes = try reader.read(recordSize, what: "record \(index) of \(layout.count)")
                defer { index += 1 }
                return try NumPy.convert(bytes, dtype: layout.dtype, bigEndian: layout.bigEndian, shape: layout.recordShape,
                                         source: path, firstIndex: index * perRecord)
            })
        }
    }

    private static func idxLayout(_ path: String) throws -> RecordLayout {
        let reader = try RecordReader(path: path, skipping: 0, recordSize: 4)
        let magic = Array(try reader.read(4, what: "the IDX magic number"))
        guard magic[0] == 0, magic[1] == 0, let type = IDXType(rawValue: magic[2]), (1...8).contains(magic[3]) else {
            throw KerasError.fileError(
                path: path, message: "not an IDX file: magic bytes \(magic.map { String($0, radix: 16) }) (expected 00 00, a type code 08-0E, and 1-8 dimensions)")
        }
        let dimensions = try reader.read(4 * Int(magic[3]), what: "the IDX dimensions")
        let shape = (0..<Int(magic[3])).map { d in (0..<4).reduce(0) { $0 << 8 | Int(dimensions[4 * d + $1]) } }
        return RecordLayout(headerSize: 4 + 4 * shape.count, count: shape[0], recordShape: Array(shape.dropFirst()),
                            dtype: type.numpy, bigEndian: true)
    }

    private static func npyHeader(_ path: String) throws -> NumPyHeader {
        // Enough for every header numpy writes below 64 KiB (version 1) and most of version 2.
        let reader = try RecordReader(path: path, skipping: 0, recordSize: 10)
        let prefix = Array(try reader.read(10, what: "the .npy prefix"))
        let lengthSize = prefix[6] == 1 ? 2 : 4
        var total = 8 + lengthSize
        let extra: [UInt8]
        if lengthSize == 2 {
            total += Int(prefix[8]) | Int(prefix[9]) << 8
            extra = []
        } else {
            extra = Array(try reader.read(2, what: "the .npy header length"))
            total += Int(prefix[8]) | Int(prefix[9]) << 8 | Int(extra[0]) << 16 | Int(extra[1]) << 24
        }
        guard total <= 1 << 24 else { throw KerasError.fileError(path: path, message: "corrupt .npy header length") }
        let rest = Array(try reader.read(total - prefix.count - extra.count, what: "the .npy header"))
        return try (prefix + extra + rest).withUnsafeBytes { try NumPyHeader($0, source: path) }
    }
}
