import Foundation
import Testing
@testable import SwiftKeras

@Suite struct DatasetPipelineTests {
    static func numbers(_ n: Int) throws -> Dataset<Tensor> { try Dataset(tensorSlices: Tensor((0..<n).map(Float.init))) }

    static func values(_ dataset: Dataset<Tensor>) throws -> [Float] { try dataset.elements().flatMap(\.scalars) }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func mapFilterTakeSkipBatch() throws {
        let d = try Self.numbers(10)
        #expect(d.cardinality == 10)
        #expect(try Self.values(d.map { $0 * 2 }) == (0..<10).map { Float($0 * 2) })
        #expect(try Self.values(d.filter { $0.item.truncatingRemainder(dividingBy: 3) == 0 }) == [0, 3, 6, 9])
        #expect(try Self.values(d.skip(7)) == [7, 8, 9] && d.skip(7).cardinality == 3)
        #expect(try Self.values(d.take(2)) == [0, 1] && d.take(20).cardinality == 10)
        let batches = try d.batch(4).elements()
        #expect(batches.map(\.shape) == [[4], [4], [2]] && d.batch(4).cardinality == 3)
        #expect(try d.batch(4, dropRemainder: true).elements().count == 2 && d.batch(4, dropRemainder: true).cardinality == 2)
        let pairs = try Dataset(tensorSlices: (try Tensor((0..<12).map(Float.init), shape: [6, 2]), Tensor([0, 1, 0, 1, 0, 1])))
        let (x, y) = try #require(try pairs.batch(4).elements().first)
        #expect(x.shape == [4, 2] && y.shape == [4] && x.scalars == [0, 1, 2, 3, 4, 5, 6, 7])
        let zipped = try Self.numbers(3).zip(Self.numbers(5).map { $0 + 10 })
        #expect(try zipped.elements().map { [$0.0.item, $0.1.item] } == [[0, 10], [1, 11], [2, 12]] && zipped.cardinality == 3)
        #expect(try Dataset(generator: { () -> Tensor? in Tensor([1, 2]) }).take(3).elements().count == 3)
        let mixed = Dataset(generator: { () -> Tensor? in nil })
        #expect(try mixed.elements().isEmpty && mixed.cardinality == nil)
        let uneven = try Dataset(tensorSlices: Tensor([1, 2, 3])).map { $0.item == 2 ? Tensor([1, 2]) : $0 }.batch(3)
        #expect(Self.message { _ = try uneven.elements() }.contains("cannot batch tensors of different shapes"))
    }

    @Test func shuffleIsSeededBoundedAndReshufflesEachPass() throws {
        let d = try Self.numbers(50)
        let shuffled = d.shuffle(bufferSize: 100, seed: 3)
        let first = try Self.values(shuffled), second = try Self.values(shuffled)
        #expect(first.sorted() == (0..<50).map(Float.init) && second.sorted() == first.sorted())
        #expect(first != second && first != (0..<50).map(Float.init))
        #expect(try Self.values(d.shuffle(bufferSize: 100, seed: 3)) == first)
        #expect(try Self.values(d.shuffle(bufferSize: 100, seed: 3, reshuffleEachIteration: false)) == (try Self.values(d.shuffle(bufferSize: 100, seed: 3, reshuffleEachIteration: false))))
        // A buffer of 5: no element moves more than 4 places earlier.
        for (position, value) in try Self.values(d.shuffle(bufferSize: 5, seed: 1)).enumerated() {
            #expect(Int(value) <= position + 4)
        }
    }

    @Test func cacheReplaysTheFirstCompletePass() throws {
        let runs = Lock(0)
        let d = try Self.numbers(4).map { x -> Tensor in runs.withLock { $0 += 1 }; return x * 10 }.cache()
        #expect(try Self.values(d.take(2)) == [0, 10])
        #expect(try Self.values(d) == [0, 10, 20, 30])
        #expect(try Self.values(d) == [0, 10, 20, 30])
        #expect(runs.withLock { $0 } == 6)
    }

    @Test func prefetchRunsAheadOnAThreadThatEndsWithThePass() throws {
        let produced = Lock(0)
        let producerThread = Lock<Bool?>(nil)
        let d = try Self.numbers(100).map { x -> Tensor in
            produced.withLock { $0 += 1 }
            producerThread.withLock { $0 = Thread.isMainThread }
            return x
        }.prefetch(3)
        let iterator = try d.makeIterator()
        #expect(try iterator.next()?.item == 0)
        Thread.sleep(forTimeInterval: 0.05)
        // One element taken, up to three queued, one more possibly waiting to be queued.
        #expect((2...5).contains(produced.withLock { $0 }))
        #expect(producerThread.withLock { $0 } == false)
        iterator.close()
        let afterClose = produced.withLock { $0 }
        Thread.sleep(forTimeInterval: 0.02)
        #expect(produced.withLock { $0 } == afterClose)
        #expect(try Self.values(d) == (0..<100).map(Float.init))
        // An error in the background stages reaches the consumer at its element.
        let failing = try Self.numbers(10).map { x -> Tensor in
            if x.item == 6 { throw KerasError.invalidData("sample 6 is bad") }
            return x
        }.prefetch(2)
        var seen: [Float] = []
        let error = Self.message { try failing.forEach { seen.append($0.item) } }
        #expect(error == "sample 6 is bad" && seen == [0, 1, 2, 3, 4, 5])
        // Releasing an iterator mid-pass ends its thread too.
        for _ in 0..<20 { _ = try d.makeIterator().next() }
    }

    final class Squares: DatasetSource {
        let ends = Lock(0)
        var count: Int { 5 }
        func batch(at index: Int) throws -> (Tensor, Tensor) { (Tensor([Float(index)]), Tensor([Float(index * index)])) }
        func onEpochEnd() { ends.withLock { $0 += 1 } }
    }

    @Test func sourcesAndGenerators() throws {
        let source = Squares()
        let d = Dataset(source)
        #expect(d.cardinality == 5 && d.randomAccess != nil && d.map { $0 }.randomAccess != nil)
        #expect(try d.elements().map { $0.1.item } == [0, 1, 4, 9, 16])
        #expect(source.ends.withLock { $0 } == 1)
        var i = 0
        let generated = Dataset<Tensor> {
            defer { i += 1 }
            return i < 3 ? Tensor(Float(i)) : nil
        }
        #expect(try Self.values(generated) == [0, 1, 2])
    }

    @Test func streamsIDXAndNPYFilesRecordByRecord() throws {
        let folder = MNIST.bundledDirectory
        let labels = try Dataset(idxFile: folder + "/t10k-labels-idx1-ubyte.gz")
        #expect(labels.cardinality == 10000)
        #expect(try labels.take(10).elements().map(\.item) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        let images = try Dataset(idxFile: folder + "/t10k-images-idx3-ubyte.gz")
        let first = try #require(try images.take(1).elements().first)
        let reference = try MNIST.readImages(folder + "/t10k-images-idx3-ubyte.gz").row(0)
        #expect(first.shape == [28, 28] && first.scalars == reference.scalars)

        let dir = NSTemporaryDirectory() + "swiftkeras-stream-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let x = try Tensor((0..<24).map(Float.init), shape: [4, 3, 2])
        try x.save(npy: dir + "/x.npy", dtype: .int16)
        let rows = try Dataset(npyFile: dir + "/x.npy")
        #expect(rows.cardinality == 4)
        #expect(try rows.elements().map(\.shape) == [[3, 2], [3, 2], [3, 2], [3, 2]] && (try Self.values(rows)) == x.scalars)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/x.npy")))
        try Data(bytes.dropLast(5)).write(to: URL(fileURLWithPath: dir + "/cut.npy"))
        let cut = Self.message { _ = try Dataset(npyFile: dir + "/cut.npy").elements() }
        #expect(cut.contains("cut.npy: truncated: the file ends inside record 3 of 4"))
        try Data([0, 0, 0x42, 1, 0, 0, 0, 1]).write(to: URL(fileURLWithPath: dir + "/bad.idx"))
        #expect(Self.message { _ = try Dataset(idxFile: dir + "/bad.idx") }.contains("bad.idx: not an IDX file"))

        // Headers the fuzzer wrote: one 196608x131072 record in a 30-byte file (read as far as
        // the bytes go, not allocated up front), dimensions whose product passes Int, and
        // 2^32 - 1 empty records.
        try Data([0, 0, 8, 3, 0, 0, 0, 1, 0, 3, 0, 0, 0, 2, 0, 0] + [UInt8](repeating: 7, count: 14))
            .write(to: URL(fileURLWithPath: dir + "/huge.idx"))
        let huge = Self.message { _ = try Dataset(idxFile: dir + "/huge.idx").elements() }
        #expect(huge.contains("huge.idx: truncated: the file ends inside record 0 of 1"), "\(huge)")
        try Data([0, 0, 8, 4, 0, 0, 0, 1] + [UInt8](repeating: 0xFF, count: 12)).write(to: URL(fileURLWithPath: dir + "/overflow.idx"))
        #expect(Self.message { _ = try Dataset(idxFile: dir + "/overflow.idx") }.contains("overflow.idx: corrupt header: records of shape"))
        try Data([0, 0, 8, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: dir + "/empty.idx"))
        #expect(Self.message { _ = try Dataset(idxFile: dir + "/empty.idx") }.contains("hold no values"))
        // MNIST's reader: three dimensions of 2^32 - 1 multiply past Int.
        try Data([0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12)).write(to: URL(fileURLWithPath: dir + "/images.idx"))
        #expect(Self.message { _ = try MNIST.readImages(dir + "/images.idx") }.contains("more than a tensor can hold"))
    }
}
