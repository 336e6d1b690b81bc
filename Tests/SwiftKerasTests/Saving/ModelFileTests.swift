import Foundation
import Testing
@testable import SwiftKeras

@Suite struct ModelFileTests {
    @Test func sequentialRoundTrips() throws {
        try withTemporaryFolder { folder in
            try GlobalRandom.withSeed(7) {
                let model = Sequential([Dense(4, activation: .relu, inputShape: [3]), Dropout(0.5), Dense(2, activation: .softmax)])
                model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(), metrics: [.accuracy])
                let x = Tensor.randomNormal([8, 3]), y = try Tensor([0, 1, 1, 0, 1, 0, 0, 1], shape: [8])
                try model.fit(x, y, epochs: 1, verbose: 0)
                let path = folder + "/small.keras"
                try model.save(path)
                if let keep = ProcessInfo.processInfo.environment["SWIFTKERAS_KEEP"] { try? FileManager.default.copyItem(atPath: path, toPath: keep) }
                let loaded = try loadModel(path)
                #expect(try loaded.predict(x).scalars == model.predict(x).scalars)
                #expect(loaded.compiled?.optimizer.iterations == 1)
            }
        }
    }
}

/// Missing, foreign, truncated, corrupt and mismatched files: a thrown error that names
/// the file and the problem, never a trap and never a half-loaded model.
@Suite struct BadFileTests {
    static func small(units: Int = 4) -> Sequential {
        Sequential([Dense(units, activation: .relu, inputShape: [3]), Dense(2)])
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func missingAndForeignFiles() throws {
        try withTemporaryFolder { folder in
            #expect(message { _ = try loadModel(folder + "/none.keras") } == "\(folder)/none.keras: cannot open the file: No such file or directory")
            try AtomicFile.write("hello", to: folder + "/text.keras")
            #expect(message { _ = try loadModel(folder + "/text.keras") } == "\(folder)/text.keras: not a zip archive (a .keras file is one)")
            try AtomicFile.write("hello", to: folder + "/text.weights.h5")
            let model = Self.small()
            #expect(message { try model.loadWeights(folder + "/text.weights.h5") }
                == "\(folder)/text.weights.h5: not an HDF5 file (it does not start with the HDF5 signature)")
            #expect(message { try model.save(folder + "/model.h5") }.hasPrefix("save: expected a path ending in .keras"))
            #expect(message { try model.saveWeights(folder + "/model.h5") }.hasPrefix("saveWeights: the file name must end in .weights.h5"))
            let zip = try zipArchive([("config.json", Array("{}".utf8))], date: Date())
            try AtomicFile.write(zip, to: folder + "/empty.keras")
            #expect(message { _ = try loadModel(folder + "/empty.keras") }
                == "\(folder)/empty.keras: the archive has no model.weights.h5 (is it a Keras 3 .keras file?)")
        }
    }

    @Test func truncatedAndCorruptFiles() throws {
        try withTemporaryFolder { folder in
            let model = Self.small()
            let path = folder + "/model.keras"
            try model.save(path)
            let bytes = try readFile(path)
            // Every truncation throws (none traps), whatever piece it cuts.
            for length in stride(from: 0, to: bytes.count, by: Swift.max(1, bytes.count / 41)) {
                try AtomicFile.write(Array(bytes.prefix(length)), to: folder + "/cut.keras")
                #expect(throws: KerasError.self) { _ = try loadModel(folder + "/cut.keras") }
            }
            // A flipped byte inside the weights is caught by the zip's checksum.
            var flipped = bytes
            let weightsStart = try #require(bytes.indices.first { bytes[$0...].starts(with: [0x89, 0x48, 0x44, 0x46]) })
            flipped[weightsStart + 3000] ^= 0xFF
            try AtomicFile.write(flipped, to: folder + "/flipped.keras")
            #expect(message { _ = try loadModel(folder + "/flipped.keras") }.hasPrefix("\(folder)/flipped.keras: model.weights.h5 is damaged in the archive"))
            // Truncated .weights.h5
            try model.saveWeights(folder + "/model.weights.h5")
            let weights = try readFile(folder + "/model.weights.h5")
            for length in [0, 8, 100, weights.count / 2, weights.count - 1] {
                try AtomicFile.write(Array(weights.prefix(length)), to: folder + "/cut.weights.h5")
                #expect(throws: KerasError.self) { try model.loadWeights(folder + "/cut.weights.h5") }
            }
        }
    }

    /// A group's local heap whose free list points back at itself: libhdf5 1.10 would follow it
    /// without end, allocating as it goes; the reading driver refuses the heap instead.
    @Test func localHeapWhoseFreeListLoopsIsRefused() throws {
        try withTemporaryFolder { folder in
            let model = Self.small()
            try model.saveWeights(folder + "/model.weights.h5")
            var bytes = try readFile(folder + "/model.weights.h5")
            func field(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
            // Local heap header: "HEAP", version and 3 reserved bytes, then the data segment's
            // size, the offset of its first free block (1 for none), the segment's address.
            let heap = try #require(bytes.indices.dropLast(32).first { i in
                bytes[i...].starts(with: Array("HEAP".utf8)) && field(i + 16) != 1
            })
            let firstFree = field(heap + 16), data = field(heap + 24)
            for k in 0..<8 { bytes[data + firstFree + k] = UInt8(truncatingIfNeeded: firstFree >> (8 * k)) }
            try AtomicFile.write(bytes, to: folder + "/looped.weights.h5")
            #expect(message { try model.loadWeights(folder + "/looped.weights.h5") }
                == "\(folder)/looped.weights.h5: cannot look up vars (local heap at byte \(heap): its free list loops back on itself (more blocks than its \(field(heap + 8))-byte data segment holds))")
        }
    }

    @Test func mismatchedWeightsNameTheLayerAndShapes() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/model.weights.h5"
            let saved = LayerNames.withFreshNames { Self.small(units: 80) }
            try saved.saveWeights(path)
            let other = LayerNames.withFreshNames { Self.small(units: 84) }
            let before = other.getWeights().map(\.scalars)
            #expect(message { try other.loadWeights(path) }
                == "\(path): layer 'dense' expects kernel (3, 84), the file holds (3, 80) at layers/dense/vars/0")
            #expect(other.getWeights().map(\.scalars) == before, "a failed load changes nothing")
            let deeper = LayerNames.withFreshNames { Sequential([Dense(80, activation: .relu, inputShape: [3]), Dense(2), Dense(1)]) }
            #expect(message { try deeper.loadWeights(path) }
                == "\(path): layer 'dense_2' expects 2 variable(s) (kernel, bias), the file holds nothing at layers/dense_2/vars")
            let shallower = LayerNames.withFreshNames { Sequential([Dense(80, activation: .relu, inputShape: [3])]) }
            #expect(message { try shallower.loadWeights(path) }.hasSuffix("the file holds 2 variable(s) at layers/dense_1/vars, which this model has no place for (a different model's weights?)"))
        }
    }

    @Test func unknownClassesAndClosuresNameThemselves() throws {
        try withTemporaryFolder { folder in
            let model = Sequential([Dense(2, inputShape: [3]), Lambda({ $0 * 3 }, name: "triple")])
            #expect(message { try model.save(folder + "/lambda.keras") }.hasPrefix("Layer \"triple\" is a Lambda over a closure, which cannot be saved"))
            #expect(!FileManager.default.fileExists(atPath: folder + "/lambda.keras"))
            // A config naming a class nobody registered.
            let good = Self.small()
            try good.save(folder + "/good.keras")
            let archive = try KerasArchive(path: folder + "/good.keras")
            let config = String(decoding: try archive.entry("config.json"), as: UTF8.self).replacingOccurrences(of: "\"Dense\"", with: "\"Foo\"")
            let zip = try zipArchive([("metadata.json", try archive.entry("metadata.json")), ("config.json", Array(config.utf8)),
                                      ("model.weights.h5", try archive.entry("model.weights.h5"))], date: Date())
            try AtomicFile.write(zip, to: folder + "/foo.keras")
            #expect(message { _ = try loadModel(folder + "/foo.keras") }.hasPrefix(
                "\(folder)/foo.keras: config.json: unknown layer class 'Foo' (register it with registerKerasSerializable(Foo.self, package: \"Custom\"))"))
        }
    }

    @Test func weightsFilesRoundTripWithOptimizerState() throws {
        try withTemporaryFolder { folder in
            try GlobalRandom.withSeed(4) {
                let (x, y) = ProcessTests.data()
                let model = ProcessTests.classifier()
                model.compile(loss: .sparseCategoricalCrossentropy, optimizer: RMSprop(momentum: 0.5, centered: true))
                try model.fit(x, y, batchSize: 16, epochs: 1, verbose: 0)
                try model.saveWeights(folder + "/m.weights.h5")
                let copy = ProcessTests.classifier()
                copy.compile(loss: .sparseCategoricalCrossentropy, optimizer: RMSprop(momentum: 0.5, centered: true))
                try copy.loadWeights(folder + "/m.weights.h5")
                #expect(copy.getWeights().map(\.scalars) == model.getWeights().map(\.scalars))
                #expect(copy.compiled?.optimizer.iterations == 4)
                // The same next step from the same state.
                // (The same dropout masks too: each step under the same seed.)
                let a = try GlobalRandom.withSeed(9) { try model.trainOnBatch(x, y) }
                let b = try GlobalRandom.withSeed(9) { try copy.trainOnBatch(x, y) }
                #expect(a == b)
                #expect(copy.getWeights().map(\.scalars) == model.getWeights().map(\.scalars))
                // .keras files serve loadWeights too.
                try model.save(folder + "/m.keras")
                let third = ProcessTests.classifier()
                try third.loadWeights(folder + "/m.keras")
                #expect(third.getWeights().map(\.scalars) == model.getWeights().map(\.scalars))
            }
        }
    }
}
