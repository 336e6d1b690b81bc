import Foundation
import Testing
@testable import SwiftKeras

/// Callback behaviour beyond the Keras fixtures: bad arguments, stopping, warnings, files.
@Suite struct CallbackTests {
    /// A tiny regression: y = x · w on 16 samples of 3 features.
    static func data() -> (Tensor, Tensor) {
        GlobalRandom.withSeed(3) {
            let x = Tensor.randomNormal([16, 3])
            let y = try! x.matmul(Tensor([0.5, -1, 2], shape: [3, 1]))
            return (x, y)
        }
    }

    static func model(learningRate: Float = 0.05, metrics: [Metric] = []) -> Sequential {
        GlobalRandom.withSeed(5) {
            let model = Sequential([Dense(1, inputShape: [3])])
            model.compile(loss: .meanSquaredError, optimizer: SGD(learningRate: learningRate), metrics: metrics)
            _ = model.weights
            return model
        }
    }

    static func expectMessage(_ expected: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error mentioning \(expected)", sourceLocation: sourceLocation)
        } catch {
            let message = "\(error)"
            for part in expected { #expect(message.contains(part), "\(message)", sourceLocation: sourceLocation) }
        }
    }

    @Test func badCallbackArgumentsThrowNamingCallbackAndArgument() throws {
        let (x, y) = Self.data()
        let cases: [(Callback, [String])] = [
            (EarlyStopping(patience: -1), ["EarlyStopping", "patience", "-1"]),
            (EarlyStopping(mode: "minimum"), ["EarlyStopping", "mode", "minimum"]),
            (EarlyStopping(startFromEpoch: -2), ["EarlyStopping", "start_from_epoch"]),
            (EarlyStopping(monitor: "val_precision"), ["EarlyStopping", "monitor=val_precision", "mode"]),
            (ReduceLROnPlateau(factor: 1.5), ["ReduceLROnPlateau", "factor"]),
            (ReduceLROnPlateau(mode: "up"), ["ReduceLROnPlateau", "mode", "up"]),
            (ReduceLROnPlateau(cooldown: -1), ["ReduceLROnPlateau", "cooldown"]),
            (CSVLogger(NSTemporaryDirectory() + "/x.csv", separator: ";;"), ["CSVLogger", "separator"]),
            (TensorBoard(logDir: NSTemporaryDirectory(), updateFreq: "sometimes"), ["TensorBoard", "update_freq"]),
            (LearningRateScheduler { _, _ in .nan }, ["LearningRateScheduler", "nan", "epoch 0"]),
        ]
        for (callback, words) in cases {
            Self.expectMessage(words) { try Self.model().fit(x, y, epochs: 2, verbose: 0, callbacks: [callback], validationSplit: 0.25) }
        }
        Self.expectMessage(["ExponentialDecay", "decay_steps", "0"]) {
            _ = try ExponentialDecay(initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5)
        }
        Self.expectMessage(["PiecewiseConstantDecay", "boundaries"]) { _ = try PiecewiseConstantDecay(boundaries: [1, 2], values: [1]) }
    }

    @Test func badFitArgumentsThrow() throws {
        let (x, y) = Self.data()
        let weights = Tensor(repeating: 1, shape: [16])
        let cases: [([String], (Sequential) throws -> Void)] = [
            (["class_weight", "sample_weight"], { try $0.fit(x, y, verbose: 0, classWeight: [0: 1], sampleWeight: weights) }),
            (["initial_epoch", "-1"], { try $0.fit(x, y, verbose: 0, initialEpoch: -1) }),
            (["steps_per_epoch", "0"], { try $0.fit(x, y, verbose: 0, stepsPerEpoch: 0) }),
            (["validation_batch_size"], { try $0.fit(x, y, verbose: 0, validationSplit: 0.5, validationBatchSize: -3) }),
            (["validation_freq", "0"], { try $0.fit(x, y, verbose: 0, validationFreq: 0) }),
            (["sample_weight", "(15,)", "16 samples"], { try $0.fit(x, y, verbose: 0, sampleWeight: Tensor(repeating: 1, shape: [15])) }),
            (["sample_weight", "non-finite"], {
                try $0.fit(x, y, verbose: 0, sampleWeight: try Tensor([Float](repeating: 1, count: 15) + [.nan], shape: [16]))
            }),
            (["evaluate", "steps"], { _ = try $0.evaluate(x, y, verbose: 0, steps: 0) }),
        ]
        for (words, body) in cases { Self.expectMessage(words) { try body(Self.model()) } }
    }

    @Test func aMissingMonitorWarnsAndTrainingGoesOn() throws {
        let (x, y) = Self.data()
        let stopper = EarlyStopping(monitor: "val_loss", patience: 0)
        let history = try Self.model().fit(x, y, epochs: 4, verbose: 0, callbacks: [stopper, ReduceLROnPlateau(patience: 0)])
        #expect(history.epoch == [0, 1, 2, 3])
        #expect(stopper.stoppedEpoch == 0)
    }

    @Test func earlyStoppingRestoresTheBestWeightsEvenWithoutStopping() throws {
        let (x, y) = Self.data()
        let model = Self.model(learningRate: 0.02)
        var snapshots: [[Tensor]] = []
        let recorder = LambdaCallback(onEpochEnd: { _, _ in snapshots.append(model.getWeights()) })
        // Training loss falls every epoch, so monitoring it in max mode makes epoch 0 the best.
        let stopper = EarlyStopping(monitor: "loss", patience: 50, mode: .max, restoreBestWeights: true)
        let history = try model.fit(x, y, batchSize: 4, epochs: 4, verbose: 0, callbacks: [recorder, stopper], shuffle: false)
        #expect(history.epoch.count == 4)
        #expect(stopper.stoppedEpoch == 0 && stopper.bestEpoch == 0)
        #expect(model.getWeights().map(\.scalars) == snapshots[0].map(\.scalars))
    }

    @Test func terminateOnNaNStopsOrThrows() throws {
        let (x, y) = Self.data()
        var batches = 0
        let counter = LambdaCallback(onTrainBatchEnd: { _, _ in batches += 1 })
        let history = try Self.model(learningRate: 1e6).fit(x, y, batchSize: 2, epochs: 5, verbose: 0,
                                                            callbacks: [TerminateOnNaN(), counter], shuffle: false)
        #expect(history.epoch == [0])
        #expect(batches < 8)
        #expect(history.history["loss"].map { !$0[0].isFinite } == true)
        Self.expectMessage(["TerminateOnNaN", "batch"]) {
            try Self.model(learningRate: 1e6).fit(x, y, batchSize: 2, epochs: 5, verbose: 0, callbacks: [TerminateOnNaN(raiseError: true)])
        }
    }

    @Test func stopTrainingFromABatchEndsTheEpochThere() throws {
        let (x, y) = Self.data()
        let model = Self.model()
        var batches: [Int] = []
        let stopper = LambdaCallback(onTrainBatchEnd: { batch, _ in
            batches.append(batch)
            if batch == 1 { model.stopTraining = true }
        })
        let history = try model.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, callbacks: [stopper])
        #expect(batches == [0, 1])
        #expect(history.epoch == [0])
    }

    @Test func entriesAddedAtEpochEndReachLaterCallbacksAndHistory() throws {
        final class AddsScore: Callback {
            override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws { logs["val_score"] = Float(10 - epoch) }
        }
        let (x, y) = Self.data()
        let stopper = EarlyStopping(monitor: "val_score", patience: 1, mode: .max)
        let history = try Self.model().fit(x, y, epochs: 10, verbose: 0, callbacks: [AddsScore(), stopper])
        #expect(history.history["val_score"] == [10, 9])
        #expect(history.epoch == [0, 1] && stopper.stoppedEpoch == 1)
    }

    @Test func learningRateCallbacksSetTheRateAndLogIt() throws {
        let (x, y) = Self.data()
        let model = Self.model(learningRate: 0.1)
        let history = try model.fit(x, y, epochs: 3, verbose: 0, callbacks: [LearningRateScheduler { epoch, rate in epoch == 0 ? rate : rate / 2 }])
        #expect(history.history["learning_rate"] == [0.1, 0.05, 0.025])
        #expect(model.optimizer?.learningRate == 0.025)

        let scheduled = Sequential([Dense(1, inputShape: [3])])
        scheduled.compile(loss: .mse, optimizer: Adam(learningRate: try CosineDecay(initialLearningRate: 0.1, decaySteps: 10)))
        Self.expectMessage(["LearningRateScheduler", "schedule", "not settable"]) {
            try scheduled.fit(x, y, epochs: 2, verbose: 0, callbacks: [LearningRateScheduler { _, rate in rate }])
        }
    }

    @Test func predictHandsEachBatchItsOutputs() throws {
        let (x, _) = Self.data()
        let model = Self.model()
        var rows: [Int] = []
        let outputs = try model.predict(x, batchSize: 6, callbacks: [LambdaCallback(onPredictBatchEnd: { _, outputs in rows.append(outputs[0].shape[0]) })])
        #expect(rows == [6, 6, 4])
        #expect(try model.predict(x, batchSize: 6, steps: 2).shape == [12, 1])
        #expect(outputs.shape == [16, 1])
    }

    @Test func aHistoryPassedInRecordsAndIsReturned() throws {
        let (x, y) = Self.data()
        let history = History()
        let returned = try Self.model().fit(x, y, epochs: 2, verbose: 0, callbacks: [history])
        #expect(returned === history)
        #expect(history.history["loss"]?.count == 2)
    }
}
