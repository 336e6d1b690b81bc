import Foundation
import Glibc
import Testing
@testable import SwiftKeras

/// BackupAndRestore: a fit interrupted and started again ends with the weights of a fit
/// never interrupted, bit for bit.
@Suite struct BackupAndRestoreTests {
    static func folder() -> String { NSTemporaryDirectory() + "swiftkeras-backup-\(UInt64.random(in: 0...UInt64.max))" }

    /// 3-class classification of 6 features, 90 samples.
    static func data() -> (Tensor, Tensor) {
        GlobalRandom.withSeed(31) { (Tensor.randomNormal([90, 6]), Tensor((0..<90).map { Float($0 % 3) })) }
    }

    /// Dropout and Adam, so the random draws and the optimizer's slots both matter.
    static func model() -> Sequential {
        let model = Sequential([Dense(12, activation: .relu, inputShape: [6]), Dropout(0.25), Dense(3, activation: .softmax)])
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.01), metrics: [.accuracy])
        _ = model.weights
        return model
    }

    struct Interrupted: Error {}

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    /// Throws after training batch `step` of `epoch`, as a kill would end the run there.
    final class Interrupt: Callback {
        let epoch: Int, step: Int
        private var current = 0
        init(epoch: Int, step: Int) { self.epoch = epoch; self.step = step }
        override func onEpochBegin(_ epoch: Int) throws { current = epoch }
        override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
            if current == epoch && batch == step { throw Interrupted() }
        }
    }

    static func bits(_ model: Model) -> [[UInt32]] { model.getWeights().map { $0.scalars.map(\.bitPattern) } }

    /// Runs `train` uninterrupted, then interrupted at (epoch, step) and again to the end
    /// with the same backup folder, each in a fresh random stream as a new process would be.
    static func expectResumeMatches(saveFreq: SaveFrequency, interruptAt: (epoch: Int, step: Int),
                                    sourceLocation: SourceLocation = #_sourceLocation,
                                    _ train: (Model, [Callback]) throws -> History) throws {
        let (reference, referenceHistory) = try GlobalRandom.withSeed(5) {
            let model = Self.model()
            let history = try train(model, [])
            return (Self.bits(model), history)
        }
        let dir = Self.folder()
        #expect(throws: Interrupted.self) {
            try GlobalRandom.withSeed(5) {
                _ = try train(Self.model(), [BackupAndRestore(backupDir: dir, saveFreq: saveFreq),
                                             Interrupt(epoch: interruptAt.epoch, step: interruptAt.step)])
            }
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/training_metadata.json"), sourceLocation: sourceLocation)
        let (resumed, history) = try GlobalRandom.withSeed(5) {
            let model = Self.model()
            let history = try train(model, [BackupAndRestore(backupDir: dir, saveFreq: saveFreq)])
            return (Self.bits(model), history)
        }
        #expect(resumed == reference, "weights differ from the uninterrupted run", sourceLocation: sourceLocation)
        // The epochs after the interruption log what the uninterrupted run logged.
        let last = referenceHistory.history["loss"]?.last
        #expect(history.history["loss"]?.last == last, sourceLocation: sourceLocation)
        #expect(history.history["accuracy"]?.last == referenceHistory.history["accuracy"]?.last, sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: dir), "deleteCheckpoint removes the folder", sourceLocation: sourceLocation)
    }

    @Test func resumesAfterAnEpochBackupWithShuffledTensors() throws {
        let (x, y) = Self.data()
        try Self.expectResumeMatches(saveFreq: .epoch, interruptAt: (2, 1)) { model, callbacks in
            try model.fit(x, y, batchSize: 16, epochs: 4, verbose: 0, callbacks: callbacks, validationSplit: 0.2)
        }
    }

    @Test func resumesMidEpochFromABatchBackup() throws {
        let (x, y) = Self.data()
        try Self.expectResumeMatches(saveFreq: 4, interruptAt: (1, 3)) { model, callbacks in
            try model.fit(x, y, batchSize: 16, epochs: 3, verbose: 0, callbacks: callbacks)
        }
        // Epochs that end part-way through a pass (stepsPerEpoch), backed up mid-epoch.
        try Self.expectResumeMatches(saveFreq: 3, interruptAt: (1, 3)) { model, callbacks in
            try model.fit(x, y, batchSize: 8, epochs: 4, verbose: 0, callbacks: callbacks, stepsPerEpoch: 5)
        }
    }

    @Test func resumesADatasetThatReshufflesEachPass() throws {
        let (x, y) = Self.data()
        try Self.expectResumeMatches(saveFreq: 2, interruptAt: (1, 4)) { model, callbacks in
            let dataset = try Dataset(tensorSlices: (x, y)).shuffle(bufferSize: 32).batch(10).prefetch()
            return try model.fit(dataset, epochs: 3, verbose: 0, callbacks: callbacks)
        }
    }

    @Test func keepsTheBackupWhenAskedAndRefusesBadArguments() throws {
        let (x, y) = Self.data()
        let dir = Self.folder()
        try GlobalRandom.withSeed(1) {
            try Self.model().fit(x, y, epochs: 1, verbose: 0, callbacks: [BackupAndRestore(backupDir: dir, deleteCheckpoint: false)])
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names == ["backup-1.weights.h5", "training_metadata.json"])
        let metadata = try ConfigValue.parse(json: String(contentsOfFile: dir + "/training_metadata.json", encoding: .utf8))
        #expect(metadata.objectValue?["epoch"]?.intValue == 1 && metadata.objectValue?["batch"]?.intValue == 0)
        // Starting again after the last epoch trains no more and keeps the weights.
        let model = GlobalRandom.withSeed(2) { Self.model() }
        let history = try model.fit(x, y, epochs: 1, verbose: 0, callbacks: [BackupAndRestore(backupDir: dir, deleteCheckpoint: false)])
        #expect(history.epoch.isEmpty)

        try "{\"epoch\": 1}".write(toFile: dir + "/training_metadata.json", atomically: true, encoding: .utf8)
        let corrupt = Self.message { try model.fit(x, y, verbose: 0, callbacks: [BackupAndRestore(backupDir: dir)]) }
        #expect(corrupt.contains(dir + "/training_metadata.json") && corrupt.contains("weights_file"), "\(corrupt)")
        let unbuilt = Sequential([Dense(3)])
        unbuilt.compile(loss: .meanSquaredError, optimizer: "sgd")
        let notBuilt = Self.message {
            try unbuilt.fit(try Dataset(tensorSlices: (x, x)).batch(8), verbose: 0, callbacks: [BackupAndRestore(backupDir: Self.folder())])
        }
        #expect(notBuilt.contains("BackupAndRestore") && notBuilt.contains("must be built"), "\(notBuilt)")
        let frequency = Self.message { try model.fit(x, y, verbose: 0, callbacks: [BackupAndRestore(backupDir: dir, saveFreq: "batch")]) }
        #expect(frequency.contains("BackupAndRestore") && frequency.contains("save_freq"), "\(frequency)")
    }

    /// The LeNet example, built beside the test bundle.
    static func lenetExecutable() throws -> String {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [folder.appendingPathComponent("LeNet").path]
        // swift-testing's runner may sit inside the .xctest bundle.
        candidates.append(folder.deletingLastPathComponent().appendingPathComponent("LeNet").path)
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw KerasError.notReady("the LeNet example is not built next to the tests (\(candidates)); run `swift build --build-tests` first")
        }
        return path
    }

    /// Runs LeNet on a few images; returns its output. With `killWhen`, the process is sent
    /// SIGKILL as soon as that file exists.
    static func runLeNet(_ arguments: [String], killWhen file: String? = nil) throws -> (output: String, killed: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try lenetExecutable())
        process.arguments = ["--samples", "96", "--epochs", "2", "--batch-size", "32", "--verbose", "0", "--seed", "7"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        if let file {
            while process.isRunning && !FileManager.default.fileExists(atPath: file) { usleep(2_000) }
            kill(process.processIdentifier, SIGKILL)
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (output, process.terminationReason == .uncaughtSignal)
    }

    @Test func aProcessKilledMidRunResumesToTheWeightsOfARunNeverKilled() throws {
        let dir = Self.folder()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let reference = try Self.runLeNet(["--save", dir + "/reference.keras"])
        #expect(!reference.killed, "\(reference.output)")
        let backup = dir + "/backup"
        let killed = try Self.runLeNet(["--backup", backup, "--backup-freq", "2", "--save", dir + "/resumed.keras"],
                                       killWhen: backup + "/training_metadata.json")
        #expect(killed.killed, "the run ended before it could be killed: \(killed.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/resumed.keras"))
        let resumed = try Self.runLeNet(["--backup", backup, "--backup-freq", "2", "--save", dir + "/resumed.keras"])
        #expect(resumed.output.contains("Resuming from the backup"), "\(resumed.output)")
        #expect(!FileManager.default.fileExists(atPath: backup))
        let a = try loadModel(dir + "/reference.keras"), b = try loadModel(dir + "/resumed.keras")
        #expect(Self.bits(a) == Self.bits(b))
    }
}
