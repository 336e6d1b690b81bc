/// Writes the training curves as TensorBoard event files (Keras's `TensorBoard`):
/// `<logDir>/train` gets "epoch_<name>" for every training log and the learning rate after
/// each epoch, `<logDir>/validation` the validation logs (without "val_") and
/// "evaluation_<name>_vs_iterations" at the optimizer's step after each validation. With
/// `updateFreq` `.batch` (or every N batches), "batch_<name>" is written per batch too.
/// Run `tensorboard --logdir <logDir>` to see them.
///
/// Only scalar summaries are written: weight histograms, images, the graph, embeddings and
/// profiling (Keras's `histogram_freq`, `write_graph`, ...) are not.
public final class TensorBoard: Callback {
    /// When batch-level scalars are written.
    public enum UpdateFrequency: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case epoch
        /// Every batch (`"batch"`), or every N batches (an integer).
        case batches(Int)
        public static let batch = UpdateFrequency.batches(1)

        public init(stringLiteral value: String) { self = value == "batch" ? .batches(1) : value == "epoch" ? .epoch : .batches(0) }
        public init(integerLiteral value: Int) { self = .batches(value) }
    }

    public let logDir: String
    public let updateFreq: UpdateFrequency
    public let writeStepsPerSecond: Bool
    private var trainWriter: EventFile?
    private var validationWriter: EventFile?
    private var trainBatches = 0
    private var testBatches = 0
    private var batchStart = ContinuousClock.now
    private var epochStart = ContinuousClock.now
    private var epochStartIterations = 0

    public init(logDir: String = "logs", updateFreq: UpdateFrequency = .epoch, writeStepsPerSecond: Bool = false) {
        self.logDir = logDir
        self.updateFreq = updateFreq
        self.writeStepsPerSecond = writeStepsPerSecond
    }

    private var batchInterval: Int? {
        if case let .batches(n) = updateFreq { return n }
        return nil
    }

    /// Writers are made on first use, so a run that logs nothing leaves no files.
    private func train() throws -> EventFile {
        if let trainWriter { return trainWriter }
        let writer = try EventFile(directory: logDir + "/train")
        trainWriter = writer
        return writer
    }

    private func validation() throws -> EventFile {
        if let validationWriter { return validationWriter }
        let writer = try EventFile(directory: logDir + "/validation")
        validationWriter = writer
        return writer
    }

    public override func onTrainBegin() throws {
        if let interval = batchInterval, interval <= 0 {
            throw KerasError.invalidArgument("TensorBoard: update_freq must be \"epoch\", \"batch\" or a positive number of batches")
        }
        trainBatches = 0
    }

    public override func onTrainEnd(logs: Logs) throws {
        trainWriter?.flush()
        validationWriter?.flush()
        trainWriter = nil
        validationWriter = nil
    }

    public override func onEpochBegin(_ epoch: Int) throws {
        epochStart = ContinuousClock.now
        epochStartIterations = model?.optimizer?.iterations ?? 0
    }

    public override func onTrainBatchBegin(_ batch: Int) throws {
        trainBatches += 1
        if writeStepsPerSecond { batchStart = ContinuousClock.now }
    }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        guard let interval = batchInterval, trainBatches % interval == 0 else { return }
        let writer = try train()
        if writeStepsPerSecond {
            try writer.writeScalar("batch_steps_per_second", Float(1 / seconds(ContinuousClock.now - batchStart)), step: trainBatches)
        }
        for (name, value) in logs { try writer.writeScalar("batch_" + name, value, step: trainBatches) }
    }

    public override func onTestBatchBegin(_ batch: Int) throws { testBatches += 1 }

    public override func onTestEnd(logs: Logs) throws {
        guard let iterations = model?.optimizer?.iterations else { return }
        if let interval = batchInterval, testBatches % interval != 0 { return }
        let writer = try validation()
        for (name, value) in logs { try writer.writeScalar("evaluation_\(name)_vs_iterations", value, step: iterations) }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        guard !logs.isEmpty else { return }
        var trainLogs = Logs(), validationLogs = Logs()
        for (name, value) in logs {
            if name.hasPrefix("val_") { validationLogs[String(name.dropFirst(4))] = value } else { trainLogs[name] = value }
        }
        if let optimizer = model?.optimizer {
            trainLogs["learning_rate"] = optimizer.learningRate
            if writeStepsPerSecond {
                trainLogs["steps_per_second"] = Float(Double(optimizer.iterations - epochStartIterations) / seconds(ContinuousClock.now - epochStart))
            }
        }
        if !trainLogs.isEmpty {
            let writer = try train()
            for (name, value) in trainLogs { try writer.writeScalar("epoch_" + name, value, step: epoch) }
        }
        if !validationLogs.isEmpty {
            let writer = try validation()
            for (name, value) in validationLogs { try writer.writeScalar("epoch_" + name, value, step: epoch) }
        }
    }
}
