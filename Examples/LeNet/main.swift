// Lecture 10's LeNet on the bundled MNIST, line for line with the Keras script.
import ArgumentParser
import Foundation
import SwiftKeras

@main
struct LeNet: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train the lecture's LeNet on MNIST and print its test accuracy.")

    @Option(help: "Training epochs.") var epochs = 5
    @Option(name: .customLong("batch-size"), help: "Samples per gradient step.") var batchSize = 128
    @Option(help: "sgd, adam, rmsprop or adagrad.") var optimizer = "adam"
    @Option(help: "Progress output: 0 silent, 1 progress bar, 2 one line per epoch.") var verbose = 1
    @Option(help: "Random seed for initializers and shuffling.") var seed: UInt64 = 42
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy (0 disables).")
    var minAccuracy: Float = 0
    @Flag(name: .customLong("early-stopping"), help: "Stop when val_loss has not improved for 2 epochs; keep the best weights.")
    var earlyStopping = false
    @Option(help: "Save the model with the best val_loss so far to this .keras file after each epoch (ModelCheckpoint; a template such as 'lenet.{epoch:02d}-{val_loss:.2f}.keras' works).")
    var checkpoint: String?
    @Option(name: .customLong("csv-log"), help: "Write each epoch's logs to this CSV file.") var csvLog: String?
    @Option(help: "Write TensorBoard event files into this folder.") var tensorboard: String?
    @Option(help: "Load the model from this .keras file (saved here or by Keras) instead of building it; --epochs more are trained.")
    var load: String?
    @Option(help: "Save the trained model to this .keras file.") var save: String?
    @Option(name: .customLong("expect-accuracy"), help: "Exit with failure unless the test accuracy is within 0.0002 of this.")
    var expectAccuracy: Float?
    @Flag(name: .customLong("data-parallel"),
          help: "Train over the processes of an MPI job (mpirun -np 2 LeNet --data-parallel); --batch-size is the global batch.")
    var dataParallel = false
    @Flag(help: "Stream the training images from the IDX files on disk (a Dataset, shuffled through a 10000-image buffer) instead of loading them into memory.")
    var stream = false
    @Option(help: "Back training up into this folder (BackupAndRestore): a run killed and started again resumes from it.")
    var backup: String?
    @Option(name: .customLong("backup-freq"), help: "With --backup: back up every N batches instead of after every epoch.")
    var backupFreq: Int?
    @Option(help: "Use only the first N training and N test images (quick runs).") var samples: Int?

    func run() throws {
        if dataParallel { try Distributed.initialize() }
        setRandomSeed(seed)
        let training: TrainingData
        let xTest: Tensor, yTest: Tensor
        if stream {
            let folder = MNIST.bundledDirectory
            let images = try Dataset(idxFile: folder + "/train-images-idx3-ubyte.gz")
            let labels = try Dataset(idxFile: folder + "/train-labels-idx1-ubyte.gz")
            let pairs = images.zip(labels)
            training = .stream((samples.map { pairs.take($0) } ?? pairs).map { x, y in (x / 255.0, y) }
                .shuffle(bufferSize: 10_000).batch(batchSize).prefetch(2))
            xTest = try first(try MNIST.readImages(folder + "/t10k-images-idx3-ubyte.gz")) / 255.0
            yTest = try first(try MNIST.readLabels(folder + "/t10k-labels-idx1-ubyte.gz"))
        } else {
            let ((xTrain, yTrain), (images, labels)) = try MNIST.loadData()
            training = .tensors(try first(xTrain) / 255.0, try first(yTrain))
            xTest = try first(images) / 255.0
            yTest = try first(labels)
        }

        if let load {
            let started = ContinuousClock.now
            let model = try loadModel(load)
            print("Loaded \(load) in \(ContinuousClock.now - started)")
            model.summary()
            try finish(model, training, xTest, yTest)
            return
        }
        let modelLeNet = Sequential()
        modelLeNet.add(Conv2D(filters: 32, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu,
                              inputShape: [28, 28, 1]))
        modelLeNet.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
        modelLeNet.add(Conv2D(filters: 48, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu))
        modelLeNet.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
        modelLeNet.add(Flatten())
        modelLeNet.add(Dense(256, activation: .relu))
        modelLeNet.add(Dense(84, activation: .relu))
        modelLeNet.add(Dense(10, activation: .softmax))
        if Distributed.rank == 0 { modelLeNet.summary() }

        modelLeNet.compile(loss: .sparseCategoricalCrossentropy, optimizer: optimizer, metrics: [.accuracy],
                           distribution: dataParallel ? .dataParallel : nil)
        try finish(modelLeNet, training, xTest, yTest)
    }

    /// The first `--samples` rows, or all of them.
    func first(_ t: Tensor) throws -> Tensor {
        guard let samples, samples < t.shape[0] else { return t }
        return try t.slice(rows: 0..<samples)
    }

    /// Trains `--epochs`, evaluates, saves if asked and checks the accuracy.
    func finish(_ model: Model, _ training: TrainingData, _ xTest: Tensor, _ yTest: Tensor) throws {
        var callbacks: [Callback] = []
        if earlyStopping { callbacks.append(EarlyStopping(monitor: "val_loss", patience: 2, verbose: 1, restoreBestWeights: true)) }
        if let checkpoint { callbacks.append(ModelCheckpoint(checkpoint, monitor: "val_loss", verbose: 1, saveBestOnly: true)) }
        if let csvLog { callbacks.append(CSVLogger(csvLog)) }
        if let tensorboard { callbacks.append(TensorBoard(logDir: tensorboard)) }
        if let backup {
            if FileManager.default.fileExists(atPath: backup + "/training_metadata.json") { print("Resuming from the backup in \(backup)") }
            callbacks.append(BackupAndRestore(backupDir: backup, saveFreq: backupFreq.map(SaveFrequency.batches) ?? .epoch))
        }
        let communication = CommunicationLog()
        if dataParallel { callbacks.append(communication.callback) }
        let start = ContinuousClock.now
        switch training {
        case let .tensors(xTrain, yTrain):
            try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: epochs, verbose: verbose, callbacks: callbacks,
                          validationData: (xTest, yTest))
        case let .stream(dataset):
            try model.fit(dataset, epochs: epochs, verbose: verbose, callbacks: callbacks,
                          validationData: try Dataset(tensorSlices: (xTest, yTest)).batch(batchSize))
        }
        let elapsed = (ContinuousClock.now - start).components
        let trainSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        let score = try model.evaluate(xTest, yTest, verbose: 0)
        guard Distributed.rank == 0 else { return }
        print("Test loss: \(score[0])")
        print("Test accuracy: \(score[1])")
        print("Training time: \(String(format: "%.2f", trainSeconds)) s for \(epochs) epoch(s)")
        if dataParallel {
            print("Data parallel over \(Distributed.size) process(es): \(String(format: "%.2f", trainSeconds / Double(Swift.max(epochs, 1)))) s per epoch")
            print("Run: " + CommunicationLog.describe(communication.total, seconds: communication.trainingSeconds))
        }
        if let save {
            let started = ContinuousClock.now
            try model.save(save)
            print("Saved to \(save) in \(ContinuousClock.now - started)")
        }
        if minAccuracy > 0 && score[1] < minAccuracy {
            throw ValidationError("test accuracy \(score[1]) is below the required \(minAccuracy)")
        }
        if let expectAccuracy, Swift.abs(score[1] - expectAccuracy) > 0.0002 {
            throw ValidationError("test accuracy \(score[1]) differs from the expected \(expectAccuracy)")
        }
    }
}

/// The training images in memory, or streamed from disk.
enum TrainingData {
    case tensors(Tensor, Tensor)
    case stream(Dataset<(Tensor, Tensor)>)
}

/// Rank 0 prints each epoch's allreduce traffic per training step (`Distributed.statistics`)
/// beside the epoch's training time per step (validation left out); `total` sums the epochs.
final class CommunicationLog {
    private(set) var total = AllreduceStatistics()
    private(set) var trainingSeconds = 0.0
    private var epochStart = ContinuousClock.now
    private var lastStepEnd = ContinuousClock.now

    var callback: Callback {
        LambdaCallback(onEpochBegin: { [self] _ in
            Distributed.resetStatistics()
            epochStart = ContinuousClock.now
            lastStepEnd = epochStart
        }, onEpochEnd: { [self] epoch, _ in
            let seconds = (lastStepEnd - epochStart) / .seconds(1)
            let statistics = Distributed.statistics
            total = total + statistics
            trainingSeconds += seconds
            if Distributed.rank == 0 { print("Epoch \(epoch + 1): " + Self.describe(statistics, seconds: seconds)) }
        }, onTrainBatchEnd: { [self] _, _ in lastStepEnd = ContinuousClock.now })
    }

    /// "N steps; allreduce per step: B bytes (gradients G, ...), S ms (...) of T ms per training step".
    static func describe(_ s: AllreduceStatistics, seconds: Double) -> String {
        let steps = Double(Swift.max(s.steps, 1))
        func perStep(_ bytes: Int) -> Int { Int((Double(bytes) / steps).rounded()) }
        func ms(_ seconds: Double) -> String { String(format: "%.3f", 1000 * seconds / steps) }
        return "\(s.steps) steps; allreduce per step: \(perStep(s.allreduceBytes)) bytes (gradients \(perStep(s.gradientBytes)), "
            + "moving statistics \(perStep(s.movingStatisticsBytes)), metrics \(perStep(s.metricBytes)), status \(perStep(s.statusBytes))), "
            + "\(ms(s.allreduceSeconds)) ms (gradient buckets \(ms(s.gradientSeconds)) ms) of \(ms(seconds)) ms per training step"
    }
}
