import Foundation
import Testing
import SwiftKeras

/// Long runs keep their memory flat: resident memory (VmRSS) sampled after every epoch of a
/// long fit, and through a loop of fresh models, grows less than 2 % past the warm-up.
/// Minutes in release mode, so only when SWIFTKERAS_LONG_RUN is set
/// (`bash Scripts/long-run.sh`, which prints the curves). When SWIFTKERAS_LONG_RUN_PLOT names
/// a directory, each curve is also drawn there as an SVG picture (History.plot), after its check.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SWIFTKERAS_LONG_RUN"] != nil))
struct LongRunMemoryTests {
    /// Allowed growth of the resident size over the sample after the warm-up.
    static let bound = 0.02

    /// This process's resident memory in KiB (VmRSS of /proc/self/status).
    static func residentKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ")[1]))
    }

    /// Checks a curve: every sample after `warmUp` within `bound` of the sample at `warmUp`.
    static func expectFlat(_ name: String, _ samples: [Int], warmUp: Int) {
        let base = samples[warmUp]
        let peak = samples[warmUp...].max()!
        let growth = Double(peak - base) / Double(base)
        print("\(name): RSS KiB \(samples.map(String.init).joined(separator: " "))")
        print("\(name): after sample \(warmUp): \(base) KiB, peak \(peak) KiB, growth \(String(format: "%.2f", 100 * growth)) %")
        #expect(growth < bound, "\(name): resident memory grew \(100 * growth) % after the warm-up (\(base) -> \(peak) KiB)")
    }

    /// When SWIFTKERAS_LONG_RUN_PLOT names a directory (created if missing), draws `samples`
    /// there as `file`: a History whose one key is the resident memory in MiB, one value per
    /// sample, drawn by History.plot. Each run gets its own picture, since their lengths differ
    /// (History.plot puts all panels on one epoch axis). The plot labels its x axis "epoch": for
    /// the fresh models each of those is 50 models, which the title says.
    static func plotCurve(_ samples: [Int], file: String, title: String) throws {
        guard let directory = ProcessInfo.processInfo.environment["SWIFTKERAS_LONG_RUN_PLOT"], !directory.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let history = History()
        for (i, kib) in samples.enumerated() {
            var logs: Logs = ["resident memory (MiB)": Float(kib) / 1024]
            try history.onEpochEnd(i, logs: &logs)
        }
        let path = directory + "/" + file
        try history.plot(to: path, title: title)
        print("\(title): picture \(path)")
    }

    /// Trains `epochs` epochs in one fit, sampling after each.
    static func epochCurve(_ model: Model, _ x: Tensor, _ y: Tensor, epochs: Int, batchSize: Int) throws -> [Int] {
        var samples: [Int] = []
        let sample = LambdaCallback(onEpochEnd: { _, _ in samples.append(try residentKiB()) })
        try model.fit(x, y, batchSize: batchSize, epochs: epochs, verbose: 0, callbacks: [sample])
        return samples
    }

    /// 50 epochs of the lecture's LeNet on 2,000 MNIST images.
    @Test func lenetFiftyEpochs() throws {
        let ((xTrain, yTrain), _) = try MNIST.loadData()
        let x = try (xTrain.slice(rows: 0..<2000) / 255).reshaped([2000, 28, 28, 1])
        let y = try yTrain.slice(rows: 0..<2000)
        try GlobalRandom.withSeed(1) {
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
            let samples = try Self.epochCurve(model, x, y, epochs: 50, batchSize: 128)
            Self.expectFlat("LeNet, 50 epochs", samples, warmUp: 1)
            try Self.plotCurve(samples, file: "long-run-lenet.svg", title: "LeNet: resident memory")
        }
    }

    /// 20 epochs of an IMDB LSTM (dropout and recurrent dropout) on 2,000 reviews of 80 words.
    @Test func imdbLSTMTwentyEpochs() throws {
        let ((train, labels), _) = try IMDB.loadData(numWords: 5000)
        let x = try padSequences(Array(train.prefix(2000)), maxlen: 80)
        let y = try labels.slice(rows: 0..<2000)
        try GlobalRandom.withSeed(2) {
            let model = Sequential()
            model.add(Embedding(5000, 32, inputLength: 80))
            model.add(LSTM(32, dropout: 0.2, recurrentDropout: 0.2))
            model.add(Dense(1, activation: .sigmoid))
            model.compile(loss: .binaryCrossentropy, optimizer: Adam(), metrics: [.accuracy])
            let samples = try Self.epochCurve(model, x, y, epochs: 20, batchSize: 64)
            Self.expectFlat("IMDB LSTM, 20 epochs", samples, warmUp: 1)
            try Self.plotCurve(samples, file: "long-run-imdb-lstm.svg", title: "IMDB LSTM: resident memory")
        }
    }

    /// 1,000 fresh small models, each built, fitted, evaluated and asked to predict, then
    /// dropped: sampled every 50 models.
    @Test func thousandFreshModels() throws {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomUniform([64, 20], using: &rng)
        let y = try Tensor((0..<64).map { _ in Float(rng.next() % 3) }, shape: [64])
        var samples: [Int] = []
        for i in 0..<1000 {
            do {
                let model = Sequential([Dense(32, activation: .relu, inputShape: [20]), Dropout(0.1), Dense(3, activation: .softmax)])
                model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(), metrics: [.accuracy])
                try model.fit(x, y, batchSize: 16, epochs: 1, verbose: 0)
                _ = try model.evaluate(x, y, verbose: 0)
                _ = try model.predict(x, batchSize: 32)
            }
            if i % 50 == 49 { samples.append(try Self.residentKiB()) }
        }
        Self.expectFlat("1,000 fresh models (every 50)", samples, warmUp: 1)
        try Self.plotCurve(samples, file: "long-run-fresh-models.svg", title: "Fresh models: 50 per epoch")
    }
}
