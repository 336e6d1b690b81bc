import Foundation
import Testing
@testable import SwiftKeras

/// `.npy` / `.npz` files both ways, against files written and read by real NumPy
/// (Scripts/keras_fixtures/data.py).
@Suite struct NumPyFileTests {
    static let folder = Bundle.module.resourcePath! + "/Fixtures/data"

    static func facts(_ name: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/\(name).json"))) as? [String: Any])
    }

    static func floats(_ any: Any?) throws -> [Float] {
        try #require(any as? [Any]).map { value in
            if let s = value as? String { return s == "nan" ? .nan : (s == "inf" ? .infinity : -.infinity) }
            return Float(try #require(value as? Double))
        }
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "swiftkeras-npy-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The arrays SwiftKeras writes into the committed `from_swift` files.
    static func swiftArrays() throws -> [(String, Tensor, NumPyDType)] {
        [
            ("matrix_f4", try Tensor([0, 1.5, -2, 3.25, 1e-8, 65504], shape: [2, 3]), .float32),
            ("scalar_f4", Tensor(7), .float32),
            ("vector_f8", Tensor([0.1, -1e30, 2]), .float64),
            ("labels_i8", Tensor([3, 1, 4, 1, 5]), .int64),
            ("pixels_u1", try Tensor([0, 255, 17, 128], shape: [2, 2, 1]), .uint8),
            ("mask_b1", Tensor([1, 0, 1]), .bool),
            ("half_f2", Tensor([1, -0.5, 65504, 1e-7]), .float16),
        ]
    }

    @Test(arguments: try! facts("numpy").keys.filter { !$0.hasSuffix(".npz") && !$0.hasPrefix("bad_") }.sorted())
    func readsWhatNumPyWrote(_ name: String) throws {
        let fact = try #require(try Self.facts("numpy")[name] as? [String: Any])
        let x = try Tensor(npyFile: Self.folder + "/npy/\(name).npy")
        #expect(x.shape == (fact["shape"] as? [Int]), "\(name)")
        let expected = try Self.floats(fact["values"])
        #expect(x.scalars.count == expected.count)
        for (i, (a, e)) in zip(x.scalars, expected).enumerated() where !(a == e || (a.isNaN && e.isNaN)) {
            Issue.record("\(name)[\(i)]: \(a) vs \(e)")
            break
        }
    }

    @Test func readsArchivesStoredAndDeflated() throws {
        let facts = try Self.facts("numpy")
        for archive in ["named.npz", "positional.npz", "compressed.npz"] {
            let arrays = try loadNPZ(Self.folder + "/npy/" + archive)
            let expected = try #require(facts[archive] as? [String: Any])
            #expect(Set(arrays.keys) == Set(expected.keys), "\(archive)")
            for (key, values) in expected { #expect(arrays[key]?.scalars == (try Self.floats(values)), "\(archive) \(key)") }
        }
        #expect(try loadNPZ(Self.folder + "/npy/named.npz")["x_train"]?.shape == [4, 3])
    }

    /// C-order float32 arrays come out byte for byte as numpy.save writes them, and so do
    /// integer and bool arrays saved with their dtype.
    @Test func writesTheBytesNumPyWrites() throws {
        let dir = try Self.temporaryDirectory()
        let cases: [(String, NumPyDType)] = [
            ("f4_c", .float32), ("f4_scalar", .float32), ("f4_vector", .float32), ("f4_empty", .float32),
            ("f4_4d", .float32), ("f4_wide_first_axis", .float32), ("i1", .int8), ("i2", .int16), ("i4", .int32),
            ("i8", .int64), ("u1", .uint8), ("u2", .uint16), ("u4", .uint32), ("b1", .bool), ("f2", .float16),
        ]
        for (name, dtype) in cases {
            let original = Self.folder + "/npy/\(name).npy"
            try Tensor(npyFile: original).save(npy: dir + "/\(name).npy", dtype: dtype)
            let ours = try Data(contentsOf: URL(fileURLWithPath: dir + "/\(name).npy"))
            #expect(ours == (try Data(contentsOf: URL(fileURLWithPath: original))), "\(name)")
        }
    }

    /// The committed files SwiftKeras wrote are what numpy.load read (from_swift.json), and
    /// the writer still produces them.
    @Test func numPyReadsWhatSwiftKerasWrites() throws {
        let committed = Self.folder + "/from_swift"
        // Regenerating: SWIFTKERAS_WRITE_NUMPY_FIXTURES=<folder>, then run data.py.
        let target = ProcessInfo.processInfo.environment["SWIFTKERAS_WRITE_NUMPY_FIXTURES"]
        let dir = try target ?? Self.temporaryDirectory()
        let arrays = try Self.swiftArrays()
        let archives = arrays.prefix(3).map { ($0.0, $0.1) }
        for (name, tensor, dtype) in arrays { try tensor.save(npy: dir + "/\(name).npy", dtype: dtype) }
        for (file, compressed) in [("stored.npz", false), ("deflated.npz", true)] {
            try saveNPZ(dir + "/" + file, archives, compressed: compressed)
        }
        let read = try Self.facts("from_swift")
        for (name, tensor, dtype) in arrays {
            let fresh = try Data(contentsOf: URL(fileURLWithPath: dir + "/\(name).npy"))
            #expect(fresh == (try Data(contentsOf: URL(fileURLWithPath: committed + "/\(name).npy"))), "\(name)")
            let numpy = try #require(read["\(name).npy"] as? [String: Any], "\(name).npy")
            #expect(numpy["dtype"] as? String == dtype.descr)
            #expect(numpy["shape"] as? [Int] == tensor.shape)
            let roundTrip = try Tensor(npyFile: dir + "/\(name).npy").scalars
            #expect(try Self.floats(numpy["values"]) == roundTrip, "\(name)")
        }
        for file in ["stored.npz", "deflated.npz"] {
            let numpy = try #require(read[file] as? [String: [String: Any]], "\(file)")
            #expect(Set(numpy.keys) == Set(archives.map(\.0)))
            let fresh = try loadNPZ(dir + "/" + file), old = try loadNPZ(committed + "/" + file)
            for (name, tensor) in archives {
                #expect(try Self.floats(numpy[name]?["values"]) == tensor.scalars, "\(file) \(name)")
                #expect(fresh[name]?.scalars == tensor.scalars && old[name]?.scalars == tensor.scalars)
            }
        }
    }

    @Test func refusesWhatItCannotRepresentNamingTheFile() throws {
        let npy = Self.folder + "/npy/"
        let complex = Self.message { _ = try Tensor(npyFile: npy + "bad_complex.npy") }
        #expect(complex.contains("bad_complex.npy") && complex.contains("unsupported dtype '<c8' (complex)"))
        let strings = Self.message { _ = try Tensor(npyFile: npy + "bad_strings.npy") }
        #expect(strings.contains("unsupported dtype '<U2' (strings)"))
        let inexact = Self.message { _ = try Tensor(npyFile: npy + "bad_inexact_int.npy") }
        #expect(inexact.contains("value 16777217 at flat index 0") && inexact.contains("float32"))
        let missing = Self.message { _ = try Tensor(npyFile: npy + "nothing.npy") }
        #expect(missing.contains("nothing.npy: file not found"))
        let noArchive = Self.message { _ = try loadNPZ(npy + "f4_c.npy") }
        #expect(noArchive.contains("f4_c.npy") && noArchive.contains("not a readable .npz"))
        let wrongInt = Self.message { try Tensor([1.5]).save(npy: NSTemporaryDirectory() + "x.npy", dtype: .int32) }
        #expect(wrongInt.contains("value 1.5 at flat index 0 is not representable as <i4"))
    }

    @Test func corruptHeadersAndTruncatedDataNameTheFile() throws {
        let dir = try Self.temporaryDirectory()
        let good = Array(try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/npy/f4_c.npy")))
        func check(_ bytes: [UInt8], _ expected: String) throws {
            let path = dir + "/case.npy"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let text = Self.message { _ = try Tensor(npyFile: path) }
            #expect(text.contains(path) && text.contains(expected), "\(text)")
        }
        try check(Array(good.prefix(good.count - 4)), "truncated: shape (2, 3) of <f4 needs 24 bytes of data, the file has 20")
        try check(good + [0], "1 unexpected bytes")
        try check(Array(good.prefix(5)), "not a NumPy .npy file")
        var version = good; version[6] = 9
        try check(version, "unsupported .npy format version 9.0")
        let text = String(decoding: good[10..<128], as: UTF8.self)
        for (from, to, expected) in [("'<f4'", "'<f9'", "unsupported dtype '<f9'"), ("(2, 3)", "(2, x)", "corrupt .npy header"),
                                     ("False", "Maybe", "corrupt .npy header"), ("(2, 3)", "(-1, 3", "corrupt .npy header")] {
            var bytes = good
            let replaced = Array(text.replacingOccurrences(of: from, with: to).utf8)
            bytes.replaceSubrange(10..<(10 + replaced.count), with: replaced)
            try check(bytes, expected)
        }
        var huge = good
        let hugeHeader = Array(text.replacingOccurrences(of: "(2, 3), ", with: "(99999999999,99999999999)").utf8)
        huge.replaceSubrange(10..<(10 + hugeHeader.count), with: hugeHeader)
        try check(huge, "too large")
        // No elements, but dimensions after the 0 that no tensor could have.
        var empty = good
        let emptyHeader = Array(text.replacingOccurrences(of: "(2, 3), ", with: "(0,1099511627776,1099511627776)").utf8)
        empty.replaceSubrange(10..<(10 + emptyHeader.count), with: emptyHeader)
        try check(empty, "more than a tensor can hold")
    }

    /// Random byte damage to a .npy and an .npz file: every load throws or succeeds, none traps.
    @Test func damagedFilesNeverTrap() throws {
        let dir = try Self.temporaryDirectory()
        var rng = RandomGenerator(seed: 7)
        for (file, load) in [("f4_c.npy", { (p: String) in _ = try Tensor(npyFile: p) }),
                             ("compressed.npz", { (p: String) in _ = try loadNPZ(p) })] {
            let good = Array(try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/npy/" + file)))
            for trial in 0..<150 {
                var bytes = good
                for _ in 0...(trial % 4) {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 3 {
                    case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes.removeSubrange(at...)
                    default: bytes[at] ^= 1 << UInt8(rng.next() % 8)
                    }
                    if bytes.isEmpty { break }
                }
                let path = dir + "/\(trial)-" + file
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                _ = Self.message { try load(path) }
            }
        }
    }
}
