/// Backs training up as it goes and resumes it after an interruption (Keras's
/// `BackupAndRestore`): a `fit` killed mid-run and started again with the same callback
/// (and the same model, data and seed) continues from the last backup and ends with the
/// weights a run never interrupted would have, bit for bit.
///
/// Each backup, after every epoch (`saveFreq: .epoch`, the default) or every N training
/// batches, writes into `backupDir`:
/// - the weights and the optimizer's state as a `.weights.h5` file (`saveWeights`), under
///   a new name each time;
/// - `training_metadata.json`, Keras's file: `epoch` (the one to resume at) and `batch`,
///   plus where the data stood (batches done in the epoch and in the current pass over the
///   data), the running losses and metrics of the epoch, and the random generator's
///   position now and when the pass began, so that the pass's shuffle is drawn again and
///   the batches already trained on are skipped.
///
/// Both files are written atomically, the metadata last, naming the weights file it goes
/// with; older weights files are removed after it. A run killed at any moment leaves a
/// backup that is whole. When training ends normally the folder is removed, unless
/// `deleteCheckpoint` is false. The model must be built before `fit` (as in Keras).
///
/// What a backup does not hold: other callbacks' state (EarlyStopping's patience count, a
/// ReduceLROnPlateau's wait), and the position of a generator dataset's own state.
public final class BackupAndRestore: Callback {
    public let backupDir: String
    public let saveFreq: SaveFrequency
    public let deleteCheckpoint: Bool
    private var currentEpoch = 0
    private var batches = BatchSaveCounter()
    private var saves = 0

    static let metadataName = "training_metadata.json"

    public init(backupDir: String, saveFreq: SaveFrequency = .epoch, deleteCheckpoint: Bool = true) {
        self.backupDir = backupDir
        self.saveFreq = saveFreq
        self.deleteCheckpoint = deleteCheckpoint
    }

    private var metadataPath: String { backupDir + "/" + Self.metadataName }

    public override func onTrainBegin() throws {
        guard !backupDir.isEmpty else { throw KerasError.invalidArgument("BackupAndRestore: empty `backup_dir` argument passed") }
        try saveFreq.check("BackupAndRestore")
        guard let model else { return }
        model.buildFromDeclaredShape()
        guard model.isBuilt else {
            throw KerasError.notReady("BackupAndRestore: to use the BackupAndRestore callback, your model must be built before you call `fit()`. Model \"\(model.name)\" is unbuilt.")
        }
        batches.reset()
        saves = 0
        guard let bytes = try Files.read(metadataPath) else { return }
        let backup = try TrainingBackup(json: bytes, path: metadataPath)
        try model.loadWeights(backupDir + "/" + backup.weightsFile)
        model.resumePosition = backup.position
        saves = backup.saves
        try removeWeightFiles(except: backup.weightsFile)
    }

    public override func onEpochBegin(_ epoch: Int) throws { currentEpoch = epoch }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        if batches.countBatch(saveFreq) { try save(atEpochEnd: false) }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        if saveFreq == .epoch { try save(atEpochEnd: true) }
    }

    public override func onTrainEnd(logs: Logs) throws {
        if deleteCheckpoint { try Files.remove(backupDir) }
    }

    private func save(atEpochEnd: Bool) throws {
        guard let model, let progress = model.fitProgress else { return }
        try Files.makeDirectories(backupDir)
        saves += 1
        let weightsFile = "backup-\(saves).weights.h5"
        try model.saveWeights(backupDir + "/" + weightsFile)
        let position = progress.position(atEpochEnd: atEpochEnd, randomState: GlobalRandom.generator)
        let backup = TrainingBackup(weightsFile: weightsFile, saves: saves, position: position)
        try AtomicFile.write(backup.json(), to: metadataPath)
        try removeWeightFiles(except: weightsFile)
    }

    /// Weights files of earlier backups (or of a save that a kill left without metadata).
    private func removeWeightFiles(except kept: String) throws {
        for name in try Files.list(backupDir) where name != kept && name.hasPrefix("backup-") && name.hasSuffix(".weights.h5") {
            try Files.remove(backupDir + "/" + name)
        }
    }
}

/// The contents of `training_metadata.json`.
struct TrainingBackup {
    let weightsFile: String
    let saves: Int
    let position: TrainingPosition

    init(weightsFile: String, saves: Int, position: TrainingPosition) {
        self.weightsFile = weightsFile
        self.saves = saves
        self.position = position
    }

    func json() -> String {
        func words(_ generator: RandomGenerator) -> ConfigValue { .array(generator.state.map { .string(String($0, radix: 16)) }) }
        var object: ConfigObject = [
            // Keras's two fields.
            "epoch": .int(position.epoch), "batch": .int(position.step),
            "weights_file": .string(weightsFile), "saves": .int(saves),
            "metrics_state": .array(position.metrics.map { .string(String($0.bitPattern, radix: 16)) }),
            "random_state": words(position.randomState),
        ]
        if let pass = position.pass {
            object["pass"] = ["number": .int(pass.number), "batches": .int(pass.batches), "random_state": words(pass.randomState)]
        }
        return ConfigValue.object(object).json()
    }

    init(json bytes: [UInt8], path: String) throws {
        func bad(_ what: String) -> KerasError {
            .fileError(path: path, message: "not a BackupAndRestore backup: \(what); remove the folder to start training afresh")
        }
        let value: ConfigValue
        do { value = try ConfigValue.parse(json: bytes) } catch { throw bad("\(error)") }
        guard let object = value.objectValue else { throw bad("expected a JSON object") }
        func int(_ key: String, in object: ConfigObject) throws -> Int {
            guard let n = object[key]?.intValue, n >= 0 else { throw bad("'\(key)' must be a non-negative integer") }
            return n
        }
        func generator(_ value: ConfigValue?, _ key: String) throws -> RandomGenerator {
            let words = value?.arrayValue?.compactMap { $0.stringValue.flatMap { UInt64($0, radix: 16) } } ?? []
            guard let generator = RandomGenerator(state: words), words.count == value?.arrayValue?.count else {
                throw bad("'\(key)' must be four hexadecimal words")
            }
            return generator
        }
        guard let weightsFile = object["weights_file"]?.stringValue, !weightsFile.contains("/"), weightsFile.hasSuffix(".weights.h5") else {
            throw bad("'weights_file' must name a .weights.h5 file in the folder")
        }
        let metricWords = object["metrics_state"]?.arrayValue ?? []
        let metrics = metricWords.compactMap { $0.stringValue.flatMap { UInt64($0, radix: 16) }.map(Double.init(bitPattern:)) }
        guard metrics.count == metricWords.count else { throw bad("'metrics_state' must be hexadecimal words") }
        var pass: PassPosition?
        if let passValue = object["pass"] {
            guard let passObject = passValue.objectValue else { throw bad("'pass' must be an object") }
            pass = PassPosition(number: try int("number", in: passObject), batches: try int("batches", in: passObject),
                                randomState: try generator(passObject["random_state"], "pass.random_state"))
        }
        self.weightsFile = weightsFile
        saves = try int("saves", in: object)
        position = TrainingPosition(epoch: try int("epoch", in: object), step: try int("batch", in: object), metrics: metrics,
                                    randomState: try generator(object["random_state"], "random_state"), pass: pass)
    }
}
