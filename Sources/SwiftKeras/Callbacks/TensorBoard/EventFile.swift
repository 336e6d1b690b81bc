import Glibc
import Synchronization

/// A TensorBoard event file: TFRecord records (length, masked CRC32C of the length, data,
/// masked CRC32C of the data) around serialized `tensorflow.Event` protobufs, named
/// `events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2` as TensorFlow names them.
///
/// The few protobuf fields a scalar summary needs are encoded by hand (`ProtobufWriter`),
/// byte for byte as TensorFlow writes them, rather than through a protobuf library.
final class EventFile {
    let path: String
    private let fd: Int32

    private static let filesOpened = Atomic<Int>(0)

    /// Creates the folder and the file, and writes the file-version event.
    init(directory: String) throws {
        try Files.makeDirectories(directory)
        let now = wallTime()
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let counter = EventFile.filesOpened.add(1, ordering: .relaxed).oldValue
        path = directory + "/events.out.tfevents.\(Int(now)).\(hostName).\(getpid()).\(counter).v2"
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw KerasError.fileError(path: path, message: "cannot be created (\(String(cString: strerror(errno))))")
        }
        try append(EventFile.fileVersionEvent(wallTime: now.rounded(.down)))
    }

    deinit { close(fd) }

    /// Appends one scalar summary (TensorFlow 2's form: a float tensor tagged for the
    /// "scalars" plugin).
    func writeScalar(_ tag: String, _ value: Float, step: Int, wallTime time: Double = wallTime()) throws {
        try append(EventFile.scalarEvent(tag, value, step: step, wallTime: time))
    }

    /// Forces what was written to disk.
    func flush() { fsync(fd) }

    private func append(_ event: [UInt8]) throws {
        let record = EventFile.record(event)
        var written = 0
        while written < record.count {
            let n = record.withUnsafeBytes { write(fd, $0.baseAddress! + written, record.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw KerasError.fileError(path: path, message: "write failed (\(String(cString: strerror(errno))))") }
            written += n
        }
    }

    // MARK: Encoding

    /// Event { wall_time = 1; file_version = 3 }.
    static func fileVersionEvent(wallTime: Double) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.string(3, "brain.Event:2")
        return event.bytes
    }

    /// Event { wall_time = 1; step = 2; summary = 5 { value = 1 { tag = 1; tensor = 8 {
    /// dtype = 1 (DT_FLOAT); tensor_shape = 2 {}; tensor_content = 4 }; metadata = 9 {
    /// plugin_data = 1 { plugin_name = 1: "scalars" } } } } }.
    static func scalarEvent(_ tag: String, _ value: Float, step: Int, wallTime: Double) -> [UInt8] {
        var tensor = ProtobufWriter()
        tensor.varint(1, 1)
        tensor.message(2, ProtobufWriter())
        withUnsafeBytes(of: value.bitPattern.littleEndian) { tensor.bytes(4, Array($0)) }
        var plugin = ProtobufWriter()
        plugin.string(1, "scalars")
        var metadata = ProtobufWriter()
        metadata.message(1, plugin)
        var summaryValue = ProtobufWriter()
        summaryValue.string(1, tag)
        summaryValue.message(8, tensor)
        summaryValue.message(9, metadata)
        var summary = ProtobufWriter()
        summary.message(1, summaryValue)
        var event = ProtobufWriter()
        event.double(1, wallTime)
        if step != 0 { event.varint(2, UInt64(bitPattern: Int64(step))) }
        event.message(5, summary)
        return event.bytes
    }

    /// TFRecord framing: uint64 length, masked CRC of it, the data, masked CRC of the data.
    static func record(_ data: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { length = Array($0) }
        var out = length
        appendLittleEndian(maskedCRC32C(length), to: &out)
        out += data
        appendLittleEndian(maskedCRC32C(data), to: &out)
        return out
    }

    private static func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// Seconds since 1970, as TensorFlow's `wall_time`.
func wallTime() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

/// TFRecord's masked CRC32C (Castagnoli): rotated right by 15 bits plus a constant.
func maskedCRC32C(_ data: [UInt8]) -> UInt32 {
    let crc = crc32c(data)
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
}

private let crc32cTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
    return c
}

func crc32c(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data { crc = crc32cTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// The protobuf wire format for the field kinds an event needs.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { rawVarint(UInt64(field) << 3 | wireType) }

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        rawVarint(value)
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        rawVarint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufWriter) { bytes(field, value.bytes) }
}
