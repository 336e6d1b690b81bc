import Foundation
import Glibc
import Testing
@testable import SwiftKeras

/// Runs `body` with standard output going to a file; returns what was printed. Other tests
/// running at the same time may print too: callers pick out their own lines.
func capturingStandardOutput(_ body: () throws -> Void) throws -> String {
    let path = NSTemporaryDirectory() + "swiftkeras-stdout-" + UUID().uuidString
    defer { unlink(path) }
    fflush(nil)
    let saved = dup(STDOUT_FILENO)
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    try #require(saved >= 0 && fd >= 0)
    dup2(fd, STDOUT_FILENO)
    close(fd)
    defer {
        fflush(nil)
        dup2(saved, STDOUT_FILENO)
        close(saved)
    }
    try body()
    fflush(nil)
    return try String(contentsOfFile: path, encoding: .utf8)
}

/// ModelCheckpoint against Keras (Fixtures/callbacks.json, "model_checkpoint"), and its errors.
@Suite struct ModelCheckpointTests {
    /// The early-stopping regression (the generator trains ModelCheckpoint on the same data).
    static func fit(_ checkpoint: ModelCheckpoint, epochs: Int = 8) throws -> (Model, History) {
        let data = try CallbackParityTests.section("early_stopping")
        let model = try CallbackParityTests.regression(learningRate: 0.1)
        let history = try model.fit(try tensor(data["x"]), try tensor(data["y"]), batchSize: 5, epochs: epochs, verbose: 0,
                                    callbacks: [checkpoint],
                                    validationData: (try tensor(data["x_val"]), try tensor(data["y_val"])), shuffle: false)
        return (model, history)
    }

    static func files(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    @Test func writesTheFilesKerasWrites() throws {
        let fixture = try CallbackParityTests.section("model_checkpoint")
        try withTemporaryFolder { folder in
            // Missing folders are made, as Keras makes them.
            _ = try Self.fit(ModelCheckpoint(folder + "/best/w.{epoch:02d}.weights.h5", saveBestOnly: true, saveWeightsOnly: true))
            #expect(try Self.files(folder + "/best") == fixture["best"] as? [String])
            _ = try Self.fit(ModelCheckpoint(folder + "/batches/b.{epoch:02d}-{batch:02d}.weights.h5",
                                             saveWeightsOnly: true, saveFreq: 3))
            #expect(try Self.files(folder + "/batches") == fixture["every_3_batches"] as? [String])
        }
    }

    @Test func printsKerasMessagesAndKeepsTheBest() throws {
        let fixture = try CallbackParityTests.section("model_checkpoint")
        let threshold = try #require(fixture["initial_value_threshold"] as? Double)
        let valLoss = try #require(fixture["val_loss"] as? [Double])
        try withTemporaryFolder { folder in
            let checkpoint = ModelCheckpoint(folder + "/best.keras", verbose: 1, saveBestOnly: true, initialValueThreshold: threshold)
            var history: History?
            var model: Model?
            let printed = try capturingStandardOutput { (model, history) = try Self.fit(checkpoint) }
            func ours(_ text: String) -> [String] {
                text.split(separator: "\n").map(String.init).filter {
                    $0.hasPrefix("Epoch ") && ($0.contains(" val_loss ") || $0.contains(" saving model to "))
                }
            }
            let expected = try #require(fixture["verbose_messages"] as? String).replacingOccurrences(of: "FOLDER", with: folder)
            #expect(ours(printed) == ours(expected))
            #expect(printed.contains("\n\nEpoch 3: val_loss improved from 0.26500 to 0.26154, saving model to \(folder)/best.keras\n"))
            let losses = try #require(history?.history["val_loss"])
            for (a, b) in zip(losses, valLoss) { #expect(Swift.abs(Double(a) - b) <= 1e-4 * b) }
            // The file holds the best epoch's model: its val_loss is the best.
            let data = try CallbackParityTests.section("early_stopping")
            let best = try loadModel(folder + "/best.keras")
            let score = try best.evaluate(try tensor(data["x_val"]), try tensor(data["y_val"]), verbose: 0)
            #expect(Swift.abs(score[0] - losses.min()!) <= 1e-5)
            #expect(checkpoint.best == Double(losses.min()!))
            #expect(model != nil)
        }
    }

    @Test func everyEpochAndMissingMonitor() throws {
        try withTemporaryFolder { folder in
            // Without saveBestOnly every epoch writes; the last file is the final model.
            let (model, _) = try Self.fit(ModelCheckpoint(folder + "/m-{epoch}-{loss:.3f}.keras"), epochs: 3)
            let names = try Self.files(folder)
            #expect(names.count == 3 && names[0].hasPrefix("m-1-") && names[2].hasPrefix("m-3-"))
            let last = try loadModel(folder + "/" + names[2])
            #expect(last.getWeights().flatMap(\.scalars) == model.getWeights().flatMap(\.scalars))
            // A monitor not in the logs: Keras warns and saves anyway.
            _ = try Self.fit(ModelCheckpoint(folder + "/missing.keras", monitor: "val_los", saveBestOnly: true, mode: .min), epochs: 2)
            #expect(FileManager.default.fileExists(atPath: folder + "/missing.keras"))
        }
    }

    @Test func badArgumentsThrowNamingTheCallback() throws {
        try withTemporaryFolder { folder in
            func message(_ checkpoint: ModelCheckpoint) -> String {
                do { _ = try Self.fit(checkpoint, epochs: 1) } catch { return "\(error)" }
                return "no error"
            }
            #expect(message(ModelCheckpoint(folder + "/m.h5")).contains("ModelCheckpoint: the filepath provided must end in `.keras`"))
            #expect(message(ModelCheckpoint(folder + "/m.keras", saveWeightsOnly: true)).contains("must end in `.weights.h5`"))
            #expect(message(ModelCheckpoint(folder + "/m.keras", saveFreq: "batch")).contains("ModelCheckpoint: unrecognized save_freq: batch"))
            #expect(message(ModelCheckpoint(folder + "/m.keras", saveFreq: 0)).contains("save_freq"))
            #expect(message(ModelCheckpoint(folder + "/m.keras", mode: "maximum")).contains("ModelCheckpoint: mode"))
            #expect(message(ModelCheckpoint(folder + "/m.keras", monitor: "mape")).contains("monitor=mape"))
            #expect(message(ModelCheckpoint(folder + "/m-{val_los:.2f}.keras")).contains("'val_los', which is not in the logs"))
            // {batch} has no value when saving at epoch end, as in Keras.
            #expect(message(ModelCheckpoint(folder + "/m-{batch}.keras")).contains("'batch'"))
            try FileManager.default.createDirectory(atPath: folder + "/dir.keras", withIntermediateDirectories: false)
            #expect(message(ModelCheckpoint(folder + "/dir.keras")).contains("non-directory filepath"))
        }
    }
}
