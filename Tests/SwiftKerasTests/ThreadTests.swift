import Foundation
import Dispatch
import Synchronization
import Testing
@testable import SwiftKerasEngine
import SwiftKeras

// The thread pool seen from models: the same weights, bit for bit, for every thread count
// and when several models train at once.

/// A few training steps of a small model from its seed, and the weights they end with.
struct SeededTraining: Sendable {
    let name: String
    let seed: UInt64
    let make: @Sendable () -> (Model, Tensor, Tensor)
    let batchSize: Int

    /// Builds, trains one shuffled epoch (a few batches) and returns every weight's bits.
    func run() throws -> [[UInt32]] {
        try GlobalRandom.withSeed(seed) {
            let (model, x, y) = make()
            try model.fit(x, y, batchSize: batchSize, epochs: 1, verbose: 0)
            return model.getWeights().map { $0.scalars.map(\.bitPattern) }
        }
    }

    /// The lecture's LeNet (Adam), two batches of 16 random images.
    static let lenet = SeededTraining(name: "LeNet", seed: 11, make: {
        let model = Sequential()
        model.add(Conv2D(filters: 32, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu,
                         inputShape: [28, 28, 1]))
        model.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
        model.add(Conv2D(filters: 48, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu))
        model.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
        model.add(Flatten())
        model.add(Dense(256, activation: .relu))
        model.add(Dense(84, activation: .relu))
        model.add(Dense(10, activation: .softmax))
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(), metrics: [.accuracy])
        var rng = RandomGenerator(seed: 1)
        let x = Tensor.randomUniform([32, 28, 28, 1], using: &rng)
        let y = (try? Tensor((0..<32).map { _ in Float(rng.next() % 10) }, shape: [32]))!
        return (model, x, y)
    }, batchSize: 16)

    /// Embedding -> LSTM with dropout and recurrent dropout -> Dense, two batches of 64.
    static let lstm = SeededTraining(name: "LSTM", seed: 12, make: {
        let model = Sequential()
        model.add(Embedding(50, 16, inputLength: 12))
        model.add(LSTM(32, dropout: 0.2, recurrentDropout: 0.2))
        model.add(Dense(1, activation: .sigmoid))
        model.compile(loss: .binaryCrossentropy, optimizer: Adam(), metrics: [.accuracy])
        var rng = RandomGenerator(seed: 2)
        let x = (try? Tensor((0..<(128 * 12)).map { _ in Float(1 + rng.next() % 49) }, shape: [128, 12]))!
        let y = (try? Tensor((0..<128).map { _ in Float(rng.next() % 2) }, shape: [128, 1]))!
        return (model, x, y)
    }, batchSize: 64)
}

extension SeededTraining {
    /// Conv2D -> BatchNormalization -> ReLU twice, then Dense -> BatchNormalization (Adam), two
    /// batches of 64 images: the batch statistics span several chunks.
    static let batchNorm = SeededTraining(name: "BatchNormalization CNN", seed: 13, make: {
        let model = Sequential()
        model.add(Conv2D(8, (3, 3), padding: .same, useBias: false, inputShape: [28, 28, 1]))
        model.add(BatchNormalization())
        model.add(ActivationLayer(.relu))
        model.add(MaxPooling2D(poolSize: (2, 2)))
        model.add(Conv2D(12, (3, 3), padding: .same, useBias: false))
        model.add(BatchNormalization())
        model.add(ActivationLayer(.relu))
        model.add(Flatten())
        model.add(Dense(20, useBias: false))
        model.add(BatchNormalization())
        model.add(ActivationLayer(.relu))
        model.add(Dense(10, activation: .softmax))
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(), metrics: [.accuracy])
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomUniform([128, 28, 28, 1], using: &rng)
        let y = (try? Tensor((0..<128).map { _ in Float(rng.next() % 10) }, shape: [128]))!
        return (model, x, y)
    }, batchSize: 64)
}

/// Tests that set the process-wide thread count, one at a time (other suites may run
/// meanwhile: their results must not care).
@Suite(.serialized) struct ThreadCountTests {
    @Test func sameWeightsForEveryThreadCount() throws {
        defer { try? setNumThreads(0) }
        for training in [SeededTraining.lenet, SeededTraining.lstm, SeededTraining.batchNorm] {
            var reference: [[UInt32]]?
            for threads in [1, 2, 3, 4, 8] {
                try setNumThreads(threads)
                #expect(numThreads == threads)
                let weights = try training.run()
                if let reference {
                    #expect(weights == reference, "\(training.name) with \(threads) threads differs from 1 thread")
                } else {
                    reference = weights
                }
            }
        }
    }

    /// Batch normalization's moments, output and gradients over several chunks, channel counts
    /// not a multiple of the vector widths: the same bits with 1, 2 and 3 threads.
    @Test func batchNormalizationSameBitsForEveryThreadCount() throws {
        defer { try? setNumThreads(0) }
        for (shape, axis) in [([16, 28, 28, 17], 3), ([8, 20, 20, 70], 3), ([3000, 33], 1), ([4, 9, 30, 30], 1)] {
            var rng = RandomGenerator(seed: 61)
            let x = Tensor.randomNormal(shape, mean: 2, stddev: 3, using: &rng)
            let c = shape[axis]
            let gamma = Tensor.randomNormal([c], using: &rng), beta = Tensor.randomNormal([c], using: &rng)
            let weights = Tensor.randomNormal(shape, using: &rng)
            var reference: [[UInt32]]?
            for threads in [1, 2, 3] {
                try setNumThreads(threads)
                let xt = x.trackingGradients(), gt = gamma.trackingGradients(), bt = beta.trackingGradients()
                let (y, mean, variance) = try batchNormalization(training: xt, scale: gt, offset: bt, axis: axis, epsilon: 1e-3)
                let grads = try gradients(of: (y * weights).sum(), wrt: [xt, gt, bt])
                let bits = ([y, mean, variance] + grads).map { $0.scalars.map(\.bitPattern) }
                if let reference {
                    #expect(bits == reference, "\(shape) with \(threads) threads differs from 1 thread")
                } else {
                    reference = bits
                }
            }
        }
    }

    @Test func everyChunkRunsOnceForEveryThreadCount() throws {
        defer { try? setNumThreads(0) }
        for threads in [1, 2, 3, 8, 17] {
            try setNumThreads(threads)
            for count in [2, 5, 64, 333] {
                let runs = Lock([Int](repeating: 0, count: count))
                parallelFor(Chunking(items: count, size: 1)) { _, chunk in runs.withLock { $0[chunk] += 1 } }
                #expect(runs.withLock { $0.allSatisfy { $0 == 1 } }, "\(threads) threads, \(count) chunks")
            }
        }
    }

    @Test func threadCountChangesWhileLoopsRun() throws {
        defer { try? setNumThreads(0) }
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 3) { caller in
            for round in 0..<200 {
                if caller == 0 { try? setNumThreads(1 + round % 5) }
                parallelFor(Chunking(items: 40, size: 3)) { range, _ in total.add(range.count, ordering: .relaxed) }
            }
        }
        #expect(total.load(ordering: .relaxed) == 3 * 200 * 40)
    }

    @Test func setNumThreadsValidates() throws {
        defer { try? setNumThreads(0) }
        #expect(throws: TensorError.self) { try setNumThreads(-1) }
        #expect(throws: TensorError.self) { try setNumThreads(100_000) }
        try setNumThreads(3)
        #expect(numThreads == 3)
        try setNumThreads(0)
        #expect(numThreads == ThreadPool.shared.availableCPUs)
    }
}

/// A value handed to the threads of a test, which use it one at a time or read it only.
struct Shared<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Two models trained at once on two threads, and a predict on a third, each get exactly
/// what they get alone: the pool serves concurrent callers without cross-talk. Two rounds
/// by default; SWIFTKERAS_STRESS_ROUNDS sets more (Scripts/sanitize.sh runs it under
/// ThreadSanitizer that way).
@Suite struct ConcurrentModelTests {
    static let rounds = ProcessInfo.processInfo.environment["SWIFTKERAS_STRESS_ROUNDS"].flatMap { Int($0) } ?? 2

    @Test func twoModelsAndAPredictAtOnce() throws {
        let trainings = [SeededTraining.lenet, SeededTraining.lstm]
        let alone = try trainings.map { try $0.run() }
        let predictor = try GlobalRandom.withSeed(13) { () -> Shared<(Model, Tensor)> in
            let (model, x, _) = SeededTraining.lenet.make()
            return Shared((model, x))
        }
        let predictedAlone = try predictor.value.0.predict(predictor.value.1, batchSize: 8).scalars.map(\.bitPattern)

        for round in 0..<Self.rounds {
            let results = Lock<[Int: [[UInt32]]]>([:])
            let predicted = Lock<[UInt32]>([])
            let failures = Lock<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 3) { index in
                do {
                    if index < trainings.count {
                        let weights = try trainings[index].run()
                        results.withLock { $0[index] = weights }
                    } else {
                        let output = try predictor.value.0.predict(predictor.value.1, batchSize: 8).scalars.map(\.bitPattern)
                        predicted.withLock { $0 = output }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            for (index, training) in trainings.enumerated() {
                #expect(results.withLock { $0[index] } == alone[index], "\(training.name), round \(round)")
            }
            #expect(predicted.withLock { $0 } == predictedAlone, "predict, round \(round)")
        }
    }
}
