import Foundation
import Testing
@testable import SwiftKeras

/// fit, evaluate and predict on a `Dataset`: the same results as on tensors, batches
/// produced on demand, errors naming the batch.
@Suite struct DatasetTrainingTests {
    /// 3-class classification of 8 features, 100 training and 40 validation samples.
    static func data() -> (x: Tensor, y: Tensor, xVal: Tensor, yVal: Tensor) {
        GlobalRandom.withSeed(11) {
            let x = Tensor.randomNormal([140, 8])
            let labels = (0..<140).map { i in Float(i % 3) }
            let y = Tensor(labels)
            return (try! x.slice(rows: 0..<100), try! y.slice(rows: 0..<100), try! x.slice(rows: 100..<140), try! y.slice(rows: 100..<140))
        }
    }

    /// A small classifier with dropout, so the random draws of training count too.
    static func model() -> Sequential {
        let model = Sequential([Dense(16, activation: .relu, inputShape: [8]), Dropout(0.3), Dense(3, activation: .softmax)])
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.01), metrics: [.accuracy])
        return model
    }

    static func bits(_ tensors: [Tensor]) -> [[UInt32]] { tensors.map { $0.scalars.map(\.bitPattern) } }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func fitOnADatasetGivesTheWeightsOfFitOnTensorsBitForBit() throws {
        let (x, y, xVal, yVal) = Self.data()
        let (tensorWeights, tensorHistory) = try GlobalRandom.withSeed(7) {
            let model = Self.model()
            let history = try model.fit(x, y, batchSize: 32, epochs: 3, verbose: 0, validationData: (xVal, yVal), shuffle: false)
            return (model.getWeights(), history)
        }
        let (datasetWeights, datasetHistory) = try GlobalRandom.withSeed(7) {
            let model = Self.model()
            let history = try model.fit(try Dataset(tensorSlices: (x, y)).batch(32).prefetch(), epochs: 3, verbose: 0,
                                        validationData: try Dataset(tensorSlices: (xVal, yVal)).batch(32))
            return (model.getWeights(), history)
        }
        #expect(Self.bits(tensorWeights) == Self.bits(datasetWeights))
        #expect(tensorHistory.history == datasetHistory.history)
        #expect(Set(datasetHistory.history.keys) == ["loss", "accuracy", "val_loss", "val_accuracy"])
    }

    @Test func sampleWeightsAndClassWeightsFromADatasetWeighAsOnTensors() throws {
        let (x, y, _, _) = Self.data()
        let w = Tensor((0..<100).map { Float($0 % 4) * 0.5 })
        let (expected, expectedClass) = try GlobalRandom.withSeed(8) {
            let a = Self.model()
            try a.fit(x, y, batchSize: 25, epochs: 2, verbose: 0, shuffle: false, sampleWeight: w)
            let b = Self.model()
            try b.fit(x, y, batchSize: 25, epochs: 2, verbose: 0, shuffle: false, classWeight: [0: 1, 1: 3, 2: 0.5])
            return (a.getWeights(), b.getWeights())
        }
        let (weighted, classWeighted) = try GlobalRandom.withSeed(8) {
            let a = Self.model()
            let triples = try Dataset(tensorSlices: (x, y)).zip(try Dataset(tensorSlices: w)).map { pair, weight in (pair.0, pair.1, weight) }
            let batches = triples.grouped(25, dropRemainder: false) { items in
                (try Tensor.batch(items.map(\.0)), try Tensor.batch(items.map(\.1)), try Tensor.batch(items.map(\.2)))
            }
            try a.fit(batches, epochs: 2, verbose: 0)
            let b = Self.model()
            try b.fit(try Dataset(tensorSlices: (x, y)).batch(25), epochs: 2, verbose: 0, classWeight: [0: 1, 1: 3, 2: 0.5])
            return (a.getWeights(), b.getWeights())
        }
        #expect(Self.bits(expected) == Self.bits(weighted))
        #expect(Self.bits(expectedClass) == Self.bits(classWeighted))
    }

    @Test func predictAndEvaluateOnADatasetEqualTheTensorPath() throws {
        let (x, y, _, _) = Self.data()
        let model = GlobalRandom.withSeed(9) { Self.model() }
        let fromTensor = try model.predict(x, batchSize: 16)
        let fromDataset = try model.predict(try Dataset(tensorSlices: x).batch(16))
        #expect(fromDataset.shape == [100, 3])
        #expect(fromTensor.scalars.map(\.bitPattern) == fromDataset.scalars.map(\.bitPattern))
        let ignoringTargets = try model.predict(try Dataset(tensorSlices: (x, y)).batch(40))
        #expect(ignoringTargets.scalars.map(\.bitPattern) == fromTensor.scalars.map(\.bitPattern))
        let scores = try model.evaluate(x, y, batchSize: 16, verbose: 0)
        let datasetScores = try model.evaluate(try Dataset(tensorSlices: (x, y)).batch(16), verbose: 0)
        #expect(scores == datasetScores)
        let firstTwo = try model.evaluate(x, y, batchSize: 16, verbose: 0, steps: 2)
        #expect(try model.evaluate(try Dataset(tensorSlices: (x, y)).batch(16), verbose: 0, steps: 2) == firstTwo)
        #expect(Self.message { _ = try model.predict(try Dataset(tensorSlices: x).take(0).batch(16)) }.contains("no batches"))
    }

    @Test func aBatchThatDoesNotFitIsNamed() throws {
        let model = GlobalRandom.withSeed(10) { Self.model() }
        func generator(_ bad: Int, _ make: @escaping () -> (Tensor, Tensor)) -> Dataset<(Tensor, Tensor)> {
            var i = 0
            return Dataset {
                defer { i += 1 }
                guard i < 4 else { return nil }
                return i == bad ? make() : (Tensor.zeros([5, 8]), Tensor.zeros([5]))
            }
        }
        let sizes = Self.message { try model.fit(generator(2) { (Tensor.zeros([5, 8]), Tensor.zeros([4])) }, verbose: 0) }
        #expect(sizes.contains("batch 2 of the dataset") && sizes.contains("x has 5 samples"), "\(sizes)")
        let shape = Self.message { try model.fit(generator(1) { (Tensor.zeros([5, 7]), Tensor.zeros([5])) }, verbose: 0) }
        #expect(shape.contains("batch 1 of the dataset") && shape.contains("found shape=(5, 7)"), "\(shape)")
        let label = Self.message { try model.fit(generator(3) { (Tensor.zeros([5, 8]), Tensor(repeating: 7, shape: [5])) }, verbose: 0) }
        #expect(label.contains("batch 3 of the dataset") && label.contains("7"), "\(label)")
        let nan = Self.message { _ = try model.evaluate(generator(0) { (Tensor(repeating: .nan, shape: [5, 8]), Tensor.zeros([5])) }, verbose: 0) }
        #expect(nan.contains("evaluate, batch 0 of the dataset") && nan.contains("non-finite"), "\(nan)")
        let validation = Self.message {
            try model.fit(generator(9) { (Tensor.zeros([1, 8]), Tensor.zeros([1])) }, verbose: 0,
                          validationData: generator(1) { (Tensor.zeros([5, 8]), Tensor.zeros([2])) })
        }
        #expect(validation.contains("fit (validation_data), batch 1 of the dataset"), "\(validation)")
    }

    /// Counts batches and remembers the steps fit announced.
    final class Counter: Callback {
        var batches = 0
        var announcedSteps: [Int?] = []
        override func onTrainBegin() throws { announcedSteps.append(params.steps) }
        override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { batches += 1 }
    }

    @Test func stepsPerEpochTakesThatManyBatchesFromAnEndlessGenerator() throws {
        let model = GlobalRandom.withSeed(12) { Self.model() }
        let made = Lock(0)
        let endless = Dataset<(Tensor, Tensor)> {
            made.withLock { $0 += 1 }
            return (Tensor.zeros([4, 8]), Tensor.zeros([4]))
        }
        let counter = Counter()
        let history = try model.fit(endless, epochs: 3, verbose: 0, callbacks: [counter], stepsPerEpoch: 5)
        #expect(counter.batches == 15 && made.withLock { $0 } == 15)
        #expect(history.history["loss"]?.count == 3)
        #expect(counter.announcedSteps == [5])
        // Unknown cardinality without stepsPerEpoch: each epoch is one pass, steps unknown.
        var i = 0
        let finite = Dataset<(Tensor, Tensor)> {
            defer { i += 1 }
            return i % 4 == 3 ? nil : (Tensor.zeros([4, 8]), Tensor.zeros([4]))
        }
        let second = Counter()
        try model.fit(finite, epochs: 2, verbose: 0, callbacks: [second])
        #expect(second.batches == 6 && second.announcedSteps == [nil])
    }

    /// A PyDataset-like source that records which batches were asked for.
    final class Recorded: DatasetSource, @unchecked Sendable {
        let x: Tensor, y: Tensor
        var asked: [Int] = []
        var epochEnds = 0
        init(_ x: Tensor, _ y: Tensor) { self.x = x; self.y = y }
        var count: Int { 5 }
        func batch(at index: Int) throws -> (Tensor, Tensor) {
            asked.append(index)
            return (try x.slice(rows: index * 20..<index * 20 + 20), try y.slice(rows: index * 20..<index * 20 + 20))
        }
        func onEpochEnd() { epochEnds += 1 }
    }

    @Test func aDatasetSourcesBatchesAreShuffledEachEpoch() throws {
        let (x, y, _, _) = Self.data()
        let model = GlobalRandom.withSeed(13) { Self.model() }
        let source = Recorded(x, y)
        try GlobalRandom.withSeed(1) { try model.fit(Dataset(source), epochs: 2, verbose: 0) }
        let first = Array(source.asked.prefix(5)), second = Array(source.asked.suffix(5))
        #expect(source.asked.count == 10 && first.sorted() == [0, 1, 2, 3, 4] && second.sorted() == [0, 1, 2, 3, 4])
        #expect(first != [0, 1, 2, 3, 4] || second != [0, 1, 2, 3, 4])
        #expect(source.epochEnds == 2)
        source.asked = []
        try model.fit(Dataset(source), epochs: 1, verbose: 0, shuffle: false)
        #expect(source.asked == [0, 1, 2, 3, 4])
    }

    /// LeNet trained from the test images streamed off disk (IDX, gzip'd) ends with the
    /// weights of LeNet trained on the same images loaded into memory.
    @Test func lenetTrainsFromAStreamingIDXDatasetAsFromMemory() throws {
        let folder = MNIST.bundledDirectory
        let samples = 128
        func lenet() -> Sequential {
            let model = Sequential([
                Conv2D(filters: 32, kernelSize: (5, 5), padding: .same, activation: .relu, inputShape: [28, 28, 1]),
                MaxPool2D(poolSize: (2, 2)),
                Conv2D(filters: 48, kernelSize: (5, 5), padding: .same, activation: .relu),
                MaxPool2D(poolSize: (2, 2)),
                Flatten(), Dense(256, activation: .relu), Dense(84, activation: .relu), Dense(10, activation: .softmax),
            ])
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: "adam", metrics: [.accuracy])
            return model
        }
        let images = try Dataset(idxFile: folder + "/t10k-images-idx3-ubyte.gz")
        let labels = try Dataset(idxFile: folder + "/t10k-labels-idx1-ubyte.gz")
        let stream = images.zip(labels).take(samples).map { x, y in (x / 255, y) }.batch(64).prefetch(2)
        let (streamed, history) = try GlobalRandom.withSeed(21) {
            let model = lenet()
            let history = try model.fit(stream, epochs: 2, verbose: 0)
            return (model.getWeights(), history)
        }
        let x = try MNIST.readImages(folder + "/t10k-images-idx3-ubyte.gz").slice(rows: 0..<samples) / 255
        let y = try MNIST.readLabels(folder + "/t10k-labels-idx1-ubyte.gz").slice(rows: 0..<samples)
        let inMemory = try GlobalRandom.withSeed(21) {
            let model = lenet()
            try model.fit(x, y, batchSize: 64, epochs: 2, verbose: 0, shuffle: false)
            return model.getWeights()
        }
        #expect(Self.bits(streamed) == Self.bits(inMemory))
        let losses = try #require(history.history["loss"])
        #expect(losses[1] < losses[0])
    }
}
