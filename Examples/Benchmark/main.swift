// Side-by-side benchmark workloads, the same ones as Scripts/benchmark/keras_bench.py and
// torch_bench.py: seconds per training epoch or predict throughput, on random data of the
// lecture models' shapes. One workload per process, so the peak resident memory (VmHWM)
// belongs to that workload alone.
//
// The process speaks the driver's protocol (Scripts/benchmark/driver.py), one JSON object
// per stdout line: it builds the model and data, runs the untimed warm-up and prints
// {"ready": true, ...}; then each "run" line on stdin times one epoch (or one predict over
// all images) and prints {"seconds": ...}; "finish" (or the end of stdin) prints the final
// record (peak memory, threads, versions) and exits. The driver interleaves the frameworks'
// processes this way, so each side's timed epochs alternate with the others'. Progress goes
// to stderr.
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
    var kind: Kind
    /// Samples at full size; --reduced divides by 10.
    let samples: Int
    /// Timesteps per sequence (recurrent workloads), which --sequence-length may change.
    var sequenceLength: Int? = nil
    let summary: String
    /// Model, compiled, and its data for `samples` samples (of `length` steps, if recurrent).
    let make: (_ samples: Int, _ length: Int, _ rng: inout RandomGenerator) throws -> (Model, Tensor, Tensor)

    var batchSize: Int {
        switch kind {
        case .train(let b), .predict(let b): return b
        }
    }

    func with(batchSize: Int) -> Workload {
        var copy = self
        switch kind {
        case .train: copy.kind = .train(batchSize: batchSize)
        case .predict: copy.kind = .predict(batchSize: batchSize)
        }
        return copy
    }
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

/// The BatchNormalization CNN of Examples/Scripts/mnist_batchnorm_cnn.swift.
func batchNormCNN() -> Sequential {
    let model = Sequential()
    func block(_ filters: Int, inputShape: [Int]? = nil) {
        model.add(Conv2D(filters, (3, 3), padding: .same, useBias: false, inputShape: inputShape))
        model.add(BatchNormalization())
        model.add(ActivationLayer(.relu))
    }
    block(32, inputShape: [28, 28, 1])
    block(32)
    model.add(MaxPooling2D(poolSize: (2, 2)))
    model.add(Dropout(0.25))
    block(64)
    block(64)
    model.add(MaxPooling2D(poolSize: (2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(256, useBias: false))
    model.add(BatchNormalization())
    model.add(ActivationLayer(.relu))
    model.add(Dropout(0.4))
    model.add(Dense(10, activation: .softmax))
    return model
}

/// Keras's IMDB Conv1D classifier, as Examples/Scripts/imdb_conv1d.swift.
func textCNN(length: Int) -> Sequential {
    let model = Sequential()
    model.add(Embedding(10000, 50, inputLength: length))
    model.add(Dropout(0.2))
    model.add(Conv1D(250, 3, activation: .relu))
    model.add(GlobalMaxPooling1D())
    model.add(Dense(250))
    model.add(Dropout(0.2))
    model.add(ActivationLayer(.relu))
    model.add(Dense(1, activation: .sigmoid))
    return model
}

enum IMDBCell { case simpleRNN, lstm, gru, stacked }

func imdbModel(_ cell: IMDBCell, length: Int) -> Sequential {
    let model = Sequential()
    model.add(Embedding(10000, 32, inputLength: length))
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

func charModel(length: Int) -> Sequential {
    let model = Sequential()
    model.add(Embedding(65, 32, inputLength: length))
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
             summary: "LeNet, 28x28x1 images, \(label), sparse categorical crossentropy") { n, _, rng in
        (compiled(lenet(), loss: .sparseCategoricalCrossentropy, optimizer: optimizer()),
         images(n, &rng), integers([n], in: 0..<10, &rng))
    }
}

func imdbTraining(_ name: String, _ cell: IMDBCell, label: String) -> Workload {
    Workload(name: name, kind: .train(batchSize: 64), samples: 25_000, sequenceLength: 200,
             summary: "Embedding(10000,32) -> \(label) -> Dense(1, sigmoid), Adam") { n, length, rng in
        (compiled(imdbModel(cell, length: length), loss: .binaryCrossentropy, optimizer: Adam()),
         integers([n, length], in: 1..<10000, &rng), integers([n, 1], in: 0..<2, &rng))
    }
}

func lenetPredict(_ name: String, batchSize: Int, samples: Int) -> Workload {
    Workload(name: name, kind: .predict(batchSize: batchSize), samples: samples,
             summary: "LeNet predict") { n, _, rng in
        (compiled(lenet(), loss: .sparseCategoricalCrossentropy, optimizer: SGD()), images(n, &rng), Tensor.zeros([n]))
    }
}

/// Every workload, in report order.
func allWorkloads() -> [Workload] { [
    lenetTraining("lenet_sgd128", batchSize: 128, optimizer: { SGD() }, label: "SGD"),
    lenetTraining("lenet_adam128", batchSize: 128, optimizer: { Adam() }, label: "Adam"),
    lenetTraining("lenet_sgd32", batchSize: 32, optimizer: { SGD() }, label: "SGD"),
    Workload(name: "cnn_sgd128", kind: .train(batchSize: 128), samples: 60_000,
             summary: "Keras MNIST CNN, 28x28x1 images, SGD, categorical crossentropy (one-hot)") { n, _, rng in
        (compiled(mnistCNN(), loss: .categoricalCrossentropy, optimizer: SGD()),
         images(n, &rng), try toCategorical(integers([n], in: 0..<10, &rng), numClasses: 10))
    },
    Workload(name: "bncnn_adam128", kind: .train(batchSize: 128), samples: 60_000,
             summary: "BatchNormalization CNN, 28x28x1 images, Adam, sparse categorical crossentropy") { n, _, rng in
        (compiled(batchNormCNN(), loss: .sparseCategoricalCrossentropy, optimizer: Adam()),
         images(n, &rng), integers([n], in: 0..<10, &rng))
    },
    imdbTraining("imdb_simplernn", .simpleRNN, label: "SimpleRNN(32)"),
    imdbTraining("imdb_lstm", .lstm, label: "LSTM(64)"),
    imdbTraining("imdb_gru", .gru, label: "GRU(64)"),
    imdbTraining("imdb_stacked_lstm", .stacked, label: "LSTM(64, return_sequences) -> LSTM(64)"),
    Workload(name: "imdb_conv1d", kind: .train(batchSize: 32), samples: 25_000, sequenceLength: 200,
             summary: "Embedding(10000,50) -> Conv1D(250, 3) -> GlobalMaxPooling1D -> Dense(250) -> Dense(1, sigmoid), Adam") { n, length, rng in
        (compiled(textCNN(length: length), loss: .binaryCrossentropy, optimizer: Adam()),
         integers([n, length], in: 1..<10000, &rng), integers([n, 1], in: 0..<2, &rng))
    },
    Workload(name: "char_lstm", kind: .train(batchSize: 64), samples: 10_000, sequenceLength: 100,
             summary: "Embedding(65,32) -> LSTM(128, return_sequences) -> TimeDistributed(Dense(65, softmax)), Adam") { n, length, rng in
        (compiled(charModel(length: length), loss: .sparseCategoricalCrossentropy, optimizer: Adam()),
         integers([n, length], in: 0..<65, &rng), integers([n, length], in: 0..<65, &rng))
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

/// Reads one line from stdin (nil at its end).
func readCommand() -> String? { readLine(strippingNewline: true) }

func emit(_ fields: [(String, String)]) {
    print("{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}")
    fflush(nil)
}

@main
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One benchmark workload per process, driven over stdin/stdout by Scripts/benchmark/driver.py.")

    @Option(help: "The workload to run (see --list).") var workload: String?
    @Flag(help: "Print the workload names and exit.") var list = false
    @Flag(help: "Scale every dataset down 10x, for quick checks.") var reduced = false
    @Option(help: "Random seed for the data and the initializers.") var seed: UInt64 = 42
    @Option(help: "Threads to compute on (default: SwiftKeras's own default).") var threads: Int?
    @Option(help: "Samples instead of the workload's own count (before --reduced).") var samples: Int?
    @Option(help: "Batch size instead of the workload's own.") var batchSize: Int?
    @Option(help: "Timesteps per sequence instead of the workload's own (recurrent workloads).") var sequenceLength: Int?

    func run() throws {
        let workloads = allWorkloads()
        if list {
            for w in workloads { print(w.name) }
            return
        }
        guard let name = workload else { throw ValidationError("give --workload NAME (see --list)") }
        guard var w = workloads.first(where: { $0.name == name }) else {
            throw ValidationError("unknown workload '\(name)'; known: \(workloads.map(\.name).joined(separator: ", "))")
        }
        if let batchSize {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            w = w.with(batchSize: batchSize)
        }
        if sequenceLength != nil && w.sequenceLength == nil {
            throw ValidationError("--sequence-length: \(w.name) has no sequences")
        }
        let length = sequenceLength ?? w.sequenceLength ?? 0
        if let threads { try setNumThreads(threads) }
        setRandomSeed(seed)
        var rng = RandomGenerator(seed: seed)
        let fullSize = samples ?? w.samples
        let n = reduced ? max(1, fullSize / 10) : fullSize
        let batch = w.batchSize
        log("[swiftkeras] \(w.name): \(w.summary), \(n) samples, batch \(batch)\(length > 0 ? ", \(length) steps" : "")")
        let (model, x, y) = try w.make(n, length, &rng)
        let clock = ContinuousClock()

        // One timed unit: an epoch of fit, or one predict over all images.
        let timed: () throws -> Void
        switch w.kind {
        case .train:
            timed = { try model.fit(x, y, batchSize: batch, epochs: 1, verbose: 0) }
            let start = clock.now
            try timed()
            log("[swiftkeras] warm-up epoch: \(jsonNumber(seconds(clock.now - start), digits: 100)) s")
        case .predict:
            timed = { _ = try model.predict(x, batchSize: batch) }
            let warmUp = try x.slice(rows: 0..<min(n, max(batch, 512)))
            _ = try model.predict(warmUp, batchSize: batch)
        }
        emit([("ready", "true"), ("framework", jsonString("swiftkeras")), ("workload", jsonString(w.name))])

        while let command = readCommand(), command != "finish" {
            guard command == "run" else {
                emit([("error", jsonString("unknown command '\(command)' (expected run or finish)"))])
                continue
            }
            let start = clock.now
            try timed()
            let elapsed = seconds(clock.now - start)
            log("[swiftkeras] timed: \(jsonNumber(elapsed, digits: 1000)) s")
            emit([("seconds", jsonNumber(elapsed, digits: 1_000_000))])
        }
        emit([
            ("framework", jsonString("swiftkeras")),
            ("workload", jsonString(w.name)),
            ("kind", jsonString({ if case .train = w.kind { return "train" } else { return "predict" } }())),
            ("batch_size", String(batch)),
            ("samples", String(n)),
            ("sequence_length", length > 0 ? String(length) : "null"),
            ("peak_rss_mb", jsonNumber(peakRSSMegabytes(), digits: 10)),
            ("threads", String(numThreads)),
            ("kernel_path", jsonString(KernelPath.current.rawValue)),
            ("caches", "{\"l1d\": \(CacheSizes.current.l1Data), \"l2\": \(CacheSizes.current.l2), \"l3\": \(CacheSizes.current.l3), \"l3_shared_by\": \(CacheSizes.current.l3SharedBy), \"source\": \(jsonString(CacheSizes.current.source))}"),
            ("reduced", reduced ? "true" : "false"),
            ("openblas_coretype", environment("OPENBLAS_CORETYPE").map(jsonString) ?? "null"),
            ("openblas_num_threads", environment("OPENBLAS_NUM_THREADS").map(jsonString) ?? "null"),
        ])
    }
}
