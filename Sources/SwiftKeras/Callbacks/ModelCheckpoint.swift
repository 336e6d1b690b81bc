/// Saves the model (or only its weights) as training goes (Keras's `ModelCheckpoint`).
///
/// `filepath` may hold fields filled at each save: `{epoch}` (1-based), `{batch}` (1-based,
/// when saving every N batches) and any log entry, with Python's format specs:
/// `"checkpoints/weights.{epoch:02d}-{val_loss:.2f}.keras"`. A field naming an entry the
/// logs do not have throws, naming the template and the entries there are.
///
/// With `saveBestOnly`, a file is written only when `monitor` improves on the best value so
/// far (starting from `initialValueThreshold`, when given); with a fixed file name the file
/// then always holds the best model. Without it, every save writes. The file is a `.keras`
/// model (`model.save`), or with `saveWeightsOnly` a `.weights.h5` file (`saveWeights`),
/// both with the optimizer's state, written atomically: a run killed mid-save leaves the
/// previous checkpoint whole. Missing folders are created.
///
/// `verbose: 1` prints Keras's messages ("Epoch 3: val_loss improved from 0.41230 to
/// 0.39120, saving model to best.keras").
public final class ModelCheckpoint: MonitorCallback {
    public let filepath: String
    public let verbose: Int
    public let saveBestOnly: Bool
    public let saveWeightsOnly: Bool
    public let saveFreq: SaveFrequency
    public let initialValueThreshold: Double?
    private var template: FileNameTemplate?
    private var currentEpoch = 0
    private var batches = BatchSaveCounter()
    private var warnedMissing = false

    public init(_ filepath: String, monitor: String = "val_loss", verbose: Int = 0, saveBestOnly: Bool = false,
                saveWeightsOnly: Bool = false, mode: MonitorMode = .auto, saveFreq: SaveFrequency = .epoch,
                initialValueThreshold: Double? = nil) {
        self.filepath = filepath
        self.verbose = verbose
        self.saveBestOnly = saveBestOnly
        self.saveWeightsOnly = saveWeightsOnly
        self.saveFreq = saveFreq
        self.initialValueThreshold = initialValueThreshold
        super.init(monitor: monitor, mode: mode, minDelta: 0, best: initialValueThreshold)
    }

    public override func onTrainBegin() throws {
        try saveFreq.check("ModelCheckpoint")
        if saveWeightsOnly {
            guard filepath.hasSuffix(".weights.h5") else {
                throw KerasError.invalidArgument(
                    "ModelCheckpoint: when using saveWeightsOnly, the filepath provided must end in `.weights.h5` (Keras weights format). Received: filepath=\(filepath)")
            }
        } else {
            guard filepath.hasSuffix(".keras") else {
                throw KerasError.invalidArgument(
                    "ModelCheckpoint: the filepath provided must end in `.keras` (Keras model format). Received: filepath=\(filepath)")
            }
        }
        template = try FileNameTemplate(filepath, owner: "ModelCheckpoint")
        try checkMonitor()
    }

    public override func onEpochBegin(_ epoch: Int) throws { currentEpoch = epoch }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        if batches.countBatch(saveFreq) { try save(epoch: currentEpoch, batch: batch, logs: logs) }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        if saveFreq == .epoch { try save(epoch: epoch, batch: nil, logs: logs) }
    }

    /// The file name for this save: the template filled from the epoch, batch and logs.
    func path(epoch: Int, batch: Int?, logs: Logs) throws -> String {
        let template = try self.template ?? FileNameTemplate(filepath, owner: "ModelCheckpoint")
        var integers = ["epoch": epoch + 1]
        if let batch, logs["batch"] == nil { integers["batch"] = batch + 1 }
        return try template.format(integers: integers, logs: logs, owner: "ModelCheckpoint")
    }

    private func save(epoch: Int, batch: Int?, logs: Logs) throws {
        let path = try path(epoch: epoch, batch: batch, logs: logs)
        guard shouldSave(epoch: epoch, logs: logs, path: path), let model else { return }
        if Files.isDirectory(path) {
            throw KerasError.fileError(
                path: path, message: "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing directory")
        }
        try Files.makeDirectories(Files.directory(of: path))
        if saveWeightsOnly { try model.saveWeights(path) } else { try model.save(path) }
        if verbose > 0 { print("\nEpoch \(epoch + 1): finished saving model to \(path)") }
    }

    /// Keras's `_should_save_model`, with its messages.
    private func shouldSave(epoch: Int, logs: Logs, path: String) -> Bool {
        guard saveBestOnly else {
            if verbose > 0 { print("\nEpoch \(epoch + 1): saving model to \(path)") }
            return true
        }
        guard let value = logs[monitor] else {
            if !warnedMissing {
                warnedMissing = true
                printWarning("Can save best model only with \(monitor) available.")
            }
            return true
        }
        let current = Double(value)
        let bestText = best.map { formatFixed($0, decimals: 5) } ?? "None"
        guard isImprovement(current, over: best) else {
            if verbose > 0 { print("\nEpoch \(epoch + 1): \(monitor) did not improve from \(bestText)") }
            return false
        }
        if verbose > 0 {
            print("\nEpoch \(epoch + 1): \(monitor) improved from \(bestText) to \(formatFixed(current, decimals: 5)), saving model to \(path)")
        }
        best = current
        return true
    }
}
