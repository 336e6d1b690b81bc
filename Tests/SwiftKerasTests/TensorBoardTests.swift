import Foundation
import Testing
@testable import SwiftKeras

/// TensorBoard event files: the bytes TensorFlow writes, and the tags Keras's callback writes.
@Suite struct TensorBoardTests {
    static func fixture() throws -> [String: Any] { try CallbackParityTests.section("tensorboard") }

    @Test func scalarEventsAreTheBytesTensorFlowWrites() throws {
        let fixture = try Self.fixture()
        for scalar in try #require(fixture["scalars"] as? [[String: Any]]) {
            let event = EventFile.scalarEvent(try #require(scalar["tag"] as? String), Float(try #require(scalar["value"] as? Double)),
                                              step: try #require(scalar["step"] as? Int), wallTime: try #require(scalar["wall_time"] as? Double))
            #expect(event.map { String(format: "%02x", $0) }.joined() == scalar["event_hex"] as? String, "\(scalar["tag"] ?? "")")
        }
        let header = try EventReader.fields(EventFile.fileVersionEvent(wallTime: 1))
        #expect(header[3]?.first.map { String(decoding: $0, as: UTF8.self) } == fixture["file_version"] as? String)
        // The CRC32C check value of "123456789" is 0xE3069283.
        #expect(crc32c(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func fitWritesTheTagsAndStepsKerasWrites() throws {
        let fixture = try Self.fixture()
        let expected = try #require(fixture["keras_tags"] as? [String: [String: [Int]]])
        let folder = try TemporaryFolder()
        let x = GlobalRandom.withSeed(11) { Tensor.randomNormal([8, 4]) }
        let y = try Tensor([0, 1, 2, 0, 1, 2, 0, 1], shape: [8])
        let model = try CallbackParityTests.classifier(nil)
        try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, callbacks: [TensorBoard(logDir: folder.path, updateFreq: .batch)],
                      validationData: (try x.slice(rows: 0..<4), try y.slice(rows: 0..<4)), shuffle: false)
        for run in ["train", "validation"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/" + run)
            #expect(files.count == 1 && files[0].hasPrefix("events.out.tfevents.") && files[0].hasSuffix(".v2"), "\(files)")
            let events = try EventReader.read(folder.path + "/" + run + "/" + files[0])
            #expect(events.first?.fileVersion == "brain.Event:2")
            var tags: [String: [Int]] = [:]
            for event in events.dropFirst() { for (tag, _) in event.scalars { tags[tag, default: []].append(event.step) } }
            #expect(tags == expected[run], "\(run)")
        }
    }
}

/// Reads TFRecord event files back, checking both CRCs of every record.
enum EventReader {
    struct Event {
        var step = 0
        var fileVersion: String?
        var scalars: [(String, Float)] = []
    }

    static func read(_ path: String) throws -> [Event] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var events: [Event] = [], i = 0
        func uint32(_ at: Int) -> UInt32 { data[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        while i < data.count {
            let length = Int(data[i..<i + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            #expect(uint32(i + 8) == maskedCRC32C(Array(data[i..<i + 8])), "length CRC")
            let body = Array(data[(i + 12)..<(i + 12 + length)])
            #expect(uint32(i + 12 + length) == maskedCRC32C(body), "data CRC")
            i += 12 + length + 4
            let fields = try Self.fields(body)
            var event = Event()
            let stepBytes: [UInt8] = fields[2]?.first ?? []
            event.step = stepBytes.reversed().reduce(0) { $0 << 8 | Int($1) }
            event.fileVersion = fields[3]?.first.map { String(decoding: $0, as: UTF8.self) }
            for summary in fields[5] ?? [] {
                for value in try Self.fields(summary)[1] ?? [] {
                    let parts = try Self.fields(value)
                    let tag = String(decoding: parts[1]?.first ?? [], as: UTF8.self)
                    let content = try Self.fields(parts[8]?.first ?? [])[4]?.first ?? []
                    let bits = content.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    event.scalars.append((tag, Float(bitPattern: bits)))
                }
            }
            events.append(event)
        }
        return events
    }

    /// Field number → raw values: length-delimited bytes, 8 bytes of a fixed64, a varint's 8 little-endian bytes.
    static func fields(_ bytes: [UInt8]) throws -> [Int: [[UInt8]]] {
        var out: [Int: [[UInt8]]] = [:], i = 0
        func varint() -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = bytes[i]; i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
        }
        while i < bytes.count {
            let key = varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0:
                let v = varint()
                out[field, default: []].append(withUnsafeBytes(of: v.littleEndian) { Array($0) })
            case 1: out[field, default: []].append(Array(bytes[i..<i + 8])); i += 8
            case 2:
                let n = Int(varint())
                out[field, default: []].append(Array(bytes[i..<i + n])); i += n
            default: throw KerasError.invalidData("unexpected wire type \(key & 7)")
            }
        }
        return out
    }
}
