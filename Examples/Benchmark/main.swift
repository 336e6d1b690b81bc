// Side-by-side benchmark workloads, the same ones as Scripts/benchmark/keras_bench.py:
// seconds per training epoch (after one untimed warm-up epoch) or predict throughput, on
// random data of the lecture models' shapes. One workload per process, so the peak
// resident memory (VmHWM) belongs to that workload alone. The last stdout line is a JSON
// object; progress goes to stderr. Scripts/benchmark/run.sh runs both sides.
import ArgumentParser
import Glibc
import SwiftKeras

/// What one workload measures and how.
struct Workload {
    enum Kind {
        /// Time one epoch of fit() after a warm-up epoch.
        case train(batchSize: Int)
        /// Images per second of predict() at this batch size, after a warm-up call on 512 images
        /// (or one batch, if larger), the same as the Keras side.
        case predict(batchSize: Int)
    }

    let name: String
    let kind: Kind
    /// Samples at full size; --reduced divides by 10.
    let samples: Int
    let summary: String
    /// Model, compiled, and its data for `samples` samples.
    let make: (_ samples: Int, _ rng: inout RandomGenerator) throws -> (Model, Tensor, Tensor)
}

// MARK: Models, written as in Examples/LeNet and Examples/Sentiment

func lenet() -> Sequential {
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
    return model
}

func mnistCNN() -> Sequential {
    let model = Sequential()
    model.add(Conv2D(filters: 32, kernelSize: (3, 3), activation: .relu, inputShape: [28, 28, 1]))
    model.add(Conv2D(filters: 64, kernelSize: (3, 3), activation: .relu))
    model.add(MaxPooling2D(poolSize: (2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation: .relu))
    model.add(Dropout(0.25))
    model.add(Dense(10, activation: .softmax))
    return model
}

enum IMDBCell { case simpleRNN, lstm, gru, stacked }

func imdbModel(_ cell: IMDBCell) -> Sequential {
    let model = Sequential()
    model.add(Embedding(10000, 32, inputLength: 200))
    switch cell {
    case .simpleRNN: model.add(SimpleRNN(32))
    case .lstm: model.add(LSTM(64))
    case .gru: model.add(GRU(64))
    case .stacked:
        model.add(LSTM(64, returnSequences: true))
        model.add(LSTM(64))
    }
    model.add(Dense(1, activation: .sigmoid))
    return model
}

func charModel() -> Sequential {
    let model = Sequential()
    model.add(Embedding(65, 32, inputLength: 100))
    model.add(LSTM(128, returnSequences: true))
    model.add(TimeDistributed(Dense(65, activation: .softmax)))
    return model
}

// MARK: Random data (timing does not depend on the values)

/// Uniform pixels in [0, 1), shape (n, 28, 28, 1).
func images(_ n: Int, _ rng: inout RandomGenerator) -> Tensor {
    Tensor.randomUniform([n, 28, 28, 1], using: &rng)
}

/// Integers in [low, high) stored as Float (class labels, token ids).
func integers(_ shape: [Int], in range: Range<Int>, _ rng: inout RandomGenerator) -> Tensor {
    var out = Tensor(uninitializedShape: shape)
    let count = out.count
    out.withMutableData { p in
        for i in 0..<count { p[i] = Float(Int.random(in: range, using: &rng)) }
    }
    return out
}

func compiled(_ model: Model, loss: Loss, optimizer: Optimizer) -> Model {
    model.compile(loss: loss, optimizer: optimizer, metrics: [.accuracy])
    return model
}

func lenetTraining(_ name: String, batchSize: Int, optimizer: @escaping () -> Optimizer, label: String) -> Workload {
    Workload(name: name, kind: .train(batchSize: batchSize), samples: 60_000,
             summary: "LeNet, 60,000 x 28x28x1, batch \(batchSize), \(label), sparse categorical crossentropy") { n, rng in
        (compiled(lenet(), loss: .sparseCategoricalCrossentropy, optimizer: optimizer()),
         images(n, &rng), integers([n], in: 0..<10, &rng))
    }
}

func imdbTraining(_ name: String, _ cell: IMDBCell, label: String) -> Workload {
    Workload(name: name, kind: .train(batchSize: 64), samples: 25_000,
             summary: "Embedding(10000,32) -> \(label) -> Dense(1, sigmoid), 25,000 x 200, batch 64, Adam") { n, rng in
        (compiled(imdbModel(cell), loss: .binaryCrossentropy, optimizer: Adam()),
         integers([n, 200], in: 1..<10000, &rng), integers([n, 1], in: 0..<2, &rng))
    }
}

func lenetPredict(_ name: String, batchSize: Int, samples: Int) -> Workload {
    Workload(name: name, kind: .predict(batchSize: batchSize), samples: samples,
             summary: "LeNet predict, \(samples) images, batch \(batchSize)") { n, rng in
        (compiled(lenet(), loss: .sparseCategoricalCrossentropy, optimizer: SGD()), images(n, &rng), Tensor.zeros([n]))
    }
}

/// Every workload, in report order.
func allWorkloads() -> [Workload] { [
    lenetTraining("lenet_sgd128", batchSize: 128, optimizer: { SGD() }, label: "SGD"),
    lenetTraining("lenet_adam128", batchSize: 128, optimizer: { Adam() }, label: "Adam"),
    lenetTraining("lenet_sgd32", batchSize: 32, optimizer: { SGD() }, label: "SGD"),
    Workload(name: "cnn_sgd128", kind: .train(batchSize: 128), samples: 60_000,
             summary: "Keras MNIST CNN, 60,000 x 28x28x1, batch 128, SGD, categorical crossentropy (one-hot)") { n, rng in
        (compiled(mnistCNN(), loss: .categoricalCrossentropy, optimizer: SGD()),
         images(n, &rng), try toCategorical(integers([n], in: 0..<10, &rng), numClasses: 10))
    },
    imdbTraining("imdb_simplernn", .simpleRNN, label: "SimpleRNN(32)"),
    imdbTraining("imdb_lstm", .lstm, label: "LSTM(64)"),
    imdbTraining("imdb_gru", .gru, label: "GRU(64)"),
    imdbTraining("imdb_stacked_lstm", .stacked, label: "LSTM(64, return_sequences) -> LSTM(64)"),
    Workload(name: "char_lstm", kind: .train(batchSize: 64), samples: 10_000,
             summary: "Embedding(65,32) -> LSTM(128, return_sequences) -> TimeDistributed(Dense(65, softmax)), 10,000 x 100, batch 64, Adam") { n, rng in
        (compiled(charModel(), loss: .sparseCategoricalCrossentropy, optimizer: Adam()),
         integers([n, 100], in: 0..<65, &rng), integers([n, 100], in: 0..<65, &rng))
    },
    lenetPredict("lenet_predict1", batchSize: 1, samples: 10_000),
    lenetPredict("lenet_predict256", batchSize: 256, samples: 10_240),
] }

// MARK: Measurement helpers

func log(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// VmHWM from /proc/self/status, in MiB (nil when unavailable).
func peakRSSMegabytes() -> Double? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 512)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard line.hasPrefix("VmHWM:") else { continue }
        let kib = line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Double($0) }
        return kib.map { $0 / 1024 }
    }
    return nil
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

func jsonNumber(_ x: Double?, digits: Double = 10_000) -> String {
    guard let x, x.isFinite else { return "null" }
    return String((x * digits).rounded() / digits)
}

func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

@main
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time one benchmark workload (one per process) and print a JSON result line.")

    @Option(help: "The workload to run (see --list).") var workload: String?
    @Flag(help: "Print the workload names and exit.") var list = false
    @Flag(help: "Scale every dataset down 10x, for quick checks.") var reduced = false
    @Option(help: "Random seed for the data and the initializers.") var seed: UInt64 = 42

    func run() throws {
        let workloads = allWorkloads()
        if list {
            for w in workloads { print(w.name) }
            return
        }
        guard let name = workload else { throw ValidationError("give --workload NAME (see --list)") }
        guard let w = workloads.first(where: { $0.name == name }) else {
            throw ValidationError("unknown workload '\(name)'; known: \(workloads.map(\.name).joined(separator: ", "))")
        }
        setRandomSeed(seed)
        var rng = RandomGenerator(seed: seed)
        let n = reduced ? w.samples / 10 : w.samples
        log("[swiftkeras] \(w.name): \(w.summary)\(reduced ? " (reduced: \(n) samples)" : "")")
        let (model, x, y) = try w.make(n, &rng)
        let clock = ContinuousClock()

        var fields: [(String, String)] = [
            ("framework", jsonString("swiftkeras")),
            ("workload", jsonString(w.name)),
        ]
        switch w.kind {
        case .train(let batchSize):
            var start = clock.now
            try model.fit(x, y, batchSize: batchSize, epochs: 1, verbose: 0)
            log("[swiftkeras] warm-up epoch: \(jsonNumber(seconds(clock.now - start), digits: 100)) s")
            start = clock.now
            try model.fit(x, y, batchSize: batchSize, epochs: 1, verbose: 0)
            let elapsed = seconds(clock.now - start)
            log("[swiftkeras] timed epoch: \(jsonNumber(elapsed, digits: 100)) s")
            fields += [("seconds_per_epoch", jsonNumber(elapsed)), ("batch_size", String(batchSize))]
        case .predict(let batchSize):
            let warmUp = try x.slice(rows: 0..<min(n, max(batchSize, 512)))
            _ = try model.predict(warmUp, batchSize: batchSize)
            let start = clock.now
            _ = try model.predict(x, batchSize: batchSize)
            let elapsed = seconds(clock.now - start)
            log("[swiftkeras] predict: \(n) images in \(jsonNumber(elapsed, digits: 100)) s")
            fields += [("images_per_second", jsonNumber(Double(n) / elapsed, digits: 10)),
                       ("seconds", jsonNumber(elapsed)), ("batch_size", String(batchSize))]
        }
        fields += [
            ("samples", String(n)),
            ("peak_rss_mb", jsonNumber(peakRSSMegabytes(), digits: 10)),
            ("threads", String(numThreads)),
            ("reduced", reduced ? "true" : "false"),
            ("openblas_coretype", environment("OPENBLAS_CORETYPE").map(jsonString) ?? "null"),
            ("openblas_num_threads", environment("OPENBLAS_NUM_THREADS").map(jsonString) ?? "null"),
        ]
        print("{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}")
    }
}
