import Foundation
import Testing
@testable import SwiftKeras

/// Callbacks, schedules and fit arguments against real Keras (Fixtures/callbacks.json).
@Suite struct CallbackParityTests {
    static func section(_ name: String) throws -> [String: Any] {
        try #require(try Fixtures.loadObject("callbacks")[name] as? [String: Any])
    }

    /// Dense(3, softmax) on 4 features with the fixture's weights, as the generator builds it.
    static func classifier(_ weights: Any?, learningRate: Float = 0.1) throws -> Sequential {
        let model = Sequential([Dense(3, activation: .softmax, inputShape: [4])])
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: SGD(learningRate: learningRate), metrics: [.accuracy])
        if let weights { try model.setWeights(try tensors(weights)) }
        return model
    }

    /// Dense(1) from zeros on 8 features, mean squared error.
    static func regression(learningRate: Float) throws -> Sequential {
        let model = Sequential([Dense(1, inputShape: [8])])
        model.compile(loss: .meanSquaredError, optimizer: SGD(learningRate: learningRate))
        try model.setWeights([Tensor(repeating: 0, shape: [8, 1]), Tensor(repeating: 0, shape: [1])])
        return model
    }

    static func expectHistory(_ history: History, _ expected: Any?, tolerance: Float = 1e-5, _ what: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let want = try #require(expected as? [String: [Double]])
        #expect(Set(history.history.keys) == Set(want.keys), "\(what): keys \(history.history.keys.sorted()) vs \(want.keys.sorted())", sourceLocation: sourceLocation)
        for (key, values) in want {
            let got = history.history[key] ?? []
            #expect(got.count == values.count, "\(what) \(key): \(got.count) epochs vs \(values.count)", sourceLocation: sourceLocation)
            for (a, b) in zip(got, values) {
                #expect(Swift.abs(a - Float(b)) <= tolerance * Swift.max(1, Float(Swift.abs(b))), "\(what) \(key): \(got) vs \(values)", sourceLocation: sourceLocation)
            }
        }
    }

    static func expectWeights(_ model: Model, _ expected: Any?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (i, (actual, want)) in zip(model.getWeights(), try tensors(expected)).enumerated() {
            expectClose(actual, want, tolerance: 1e-4, "\(what) weight \(i)", sourceLocation: sourceLocation)
        }
    }

    @Test func hooksFireInKerasOrder() throws {
        let fixture = try Self.section("hook_order")
        let x = try tensor(fixture["x"]), y = try tensor(fixture["y"])
        let calls = try #require(fixture["calls"] as? [[String: Any]])
        let model = try Self.classifier(nil)
        let recorder = HookRecorder()
        try model.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, callbacks: [recorder],
                      validationData: (try x.slice(rows: 0..<5), try y.slice(rows: 0..<5)), shuffle: false,
                      validationBatchSize: 3, validationFreq: 2)
        var runs = [recorder.take()]
        try model.fit(x, y, batchSize: 2, epochs: 3, verbose: 0, callbacks: [recorder], shuffle: false,
                      initialEpoch: 1, stepsPerEpoch: 2)
        runs.append(recorder.take())
        _ = try model.evaluate(x, y, batchSize: 6, verbose: 0, callbacks: [recorder])
        runs.append(recorder.take())
        _ = try model.predict(x, batchSize: 6, verbose: 0, callbacks: [recorder])
        runs.append(recorder.take())
        for (call, events) in zip(calls, runs) {
            let expected = try #require(call["events"] as? [[Any]]).map(HookRecorder.describe)
            #expect(events == expected, "\(call["call"] ?? "")")
        }
    }

    @Test func earlyStoppingStopsAndRestoresAsKeras() throws {
        let fixture = try Self.section("early_stopping")
        let model = try Self.regression(learningRate: 0.1)
        let stopper = EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true)
        let history = try model.fit(try tensor(fixture["x"]), try tensor(fixture["y"]), batchSize: 5, epochs: 30, verbose: 0,
                                    callbacks: [stopper], validationData: (try tensor(fixture["x_val"]), try tensor(fixture["y_val"])),
                                    shuffle: false)
        #expect(history.epoch == fixture["epochs_run"] as? [Int])
        #expect(stopper.stoppedEpoch == fixture["stopped_epoch"] as? Int)
        #expect(stopper.bestEpoch == fixture["best_epoch"] as? Int)
        try Self.expectHistory(history, fixture["history"], tolerance: 1e-4, "EarlyStopping")
        try Self.expectWeights(model, fixture["weights_after"], "EarlyStopping restored")
    }

    @Test func reduceLROnPlateauLowersTheRateAsKeras() throws {
        let fixture = try Self.section("reduce_lr_on_plateau")
        let model = try Self.regression(learningRate: 0.1)
        let reducer = ReduceLROnPlateau(monitor: "val_loss", factor: 0.5, patience: 1, minDelta: 1e-4, cooldown: 1, minLr: 0.01)
        let history = try model.fit(try tensor(fixture["x"]), try tensor(fixture["y"]), batchSize: 5, epochs: 14, verbose: 0,
                                    callbacks: [reducer], validationData: (try tensor(fixture["x_val"]), try tensor(fixture["y_val"])),
                                    shuffle: false)
        try Self.expectHistory(history, fixture["history"], tolerance: 1e-4, "ReduceLROnPlateau")
        let rates = try #require((fixture["history"] as? [String: [Double]])?["learning_rate"])
        #expect(history.history["learning_rate"] == rates.map { Float($0) }, "learning rates are exact")
        try Self.expectWeights(model, fixture["weights_after"], "ReduceLROnPlateau")
    }

    @Test func csvLoggerWritesKerasFiles() throws {
        let fixture = try Self.section("csv_logger")
        let files = try #require(fixture["files"] as? [String: String])
        let x = try tensor(fixture["x"]), y = try tensor(fixture["y"])
        let validation = (try x.slice(rows: 0..<6), try y.slice(rows: 0..<6))
        let folder = try TemporaryFolder()
        func run(_ logger: CSVLogger, before: [Callback] = [], epochs: Int, initialEpoch: Int = 0,
                 validate: Bool = true) throws -> String {
            let model = try Self.classifier(fixture["weights"])
            try model.fit(x, y, batchSize: 4, epochs: epochs, verbose: 0, callbacks: before + [logger],
                          validationData: validate ? validation : nil, shuffle: false, initialEpoch: initialEpoch)
            return String(decoding: try #require(try Files.read(logger.filename)), as: UTF8.self)
        }
        let path = folder.path + "/log.csv"
        expectSameCSV(try run(CSVLogger(path), epochs: 3), try #require(files["validation"]), "validation")
        expectSameCSV(try run(CSVLogger(path, append: true), epochs: 5, initialEpoch: 3), try #require(files["appended"]), "appended")
        expectSameCSV(try run(CSVLogger(folder.path + "/b.csv", separator: ";"), epochs: 2, validate: false),
                      try #require(files["no_validation_semicolon"]), "no validation, ';'")
        let halve = LearningRateScheduler { _, rate in rate * 0.5 }
        expectSameCSV(try run(CSVLogger(folder.path + "/c.csv"), before: [halve], epochs: 3),
                      try #require(files["with_learning_rate"]), "with learning_rate")
    }

    /// The same header, epochs, "NA"s and line ends; numbers equal within 1e-5 and written
    /// as Python writes them (the shortest text that reads back).
    func expectSameCSV(_ actual: String, _ expected: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let a = actual.split(separator: "\r\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\r\n", omittingEmptySubsequences: false)
        #expect(a.count == e.count && a.first == e.first, "\(what): \(actual.debugDescription) vs \(expected.debugDescription)", sourceLocation: sourceLocation)
        let separator: Character = e.first?.contains(";") == true ? ";" : ","
        for (rowA, rowE) in zip(a.dropFirst(), e.dropFirst()) {
            let fa = rowA.split(separator: separator, omittingEmptySubsequences: false), fe = rowE.split(separator: separator, omittingEmptySubsequences: false)
            #expect(fa.count == fe.count && fa.first == fe.first, "\(what): row \(rowA) vs \(rowE)", sourceLocation: sourceLocation)
            for (va, ve) in zip(fa.dropFirst(), fe.dropFirst()) {
                if let x = Double(va), let y = Double(ve) {
                    #expect(Swift.abs(x - y) <= 1e-5 * Swift.max(1, Swift.abs(y)), "\(what): \(va) vs \(ve)", sourceLocation: sourceLocation)
                    #expect(pythonFloat(Double(Float(x))) == String(va), "\(what): \(va) is not Python's repr", sourceLocation: sourceLocation)
                } else {
                    #expect(va == ve, "\(what): \(va) vs \(ve)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    static func makeSchedule(_ className: String, _ config: [String: Any]) throws -> any LearningRateSchedule {
        func float(_ key: String) -> Float? { (config[key] as? Double).map { Float($0) } }
        func int(_ key: String) throws -> Int { try #require(config[key] as? Int) }
        let initial = float("initial_learning_rate") ?? 0
        switch className {
        case "ExponentialDecay":
            return try ExponentialDecay(initialLearningRate: initial, decaySteps: int("decay_steps"), decayRate: float("decay_rate")!,
                                        staircase: config["staircase"] as? Bool ?? false)
        case "PiecewiseConstantDecay":
            return try PiecewiseConstantDecay(boundaries: try #require(config["boundaries"] as? [Int]),
                                              values: try #require(config["values"] as? [Double]).map { Float($0) })
        case "PolynomialDecay":
            return try PolynomialDecay(initialLearningRate: initial, decaySteps: int("decay_steps"), endLearningRate: float("end_learning_rate")!,
                                       power: float("power")!, cycle: config["cycle"] as? Bool ?? false)
        case "InverseTimeDecay":
            return try InverseTimeDecay(initialLearningRate: initial, decaySteps: int("decay_steps"), decayRate: float("decay_rate")!,
                                        staircase: config["staircase"] as? Bool ?? false)
        case "CosineDecay":
            return try CosineDecay(initialLearningRate: initial, decaySteps: int("decay_steps"), alpha: float("alpha") ?? 0,
                                   warmupTarget: float("warmup_target"), warmupSteps: config["warmup_steps"] as? Int ?? 0)
        case "CosineDecayRestarts":
            return try CosineDecayRestarts(initialLearningRate: initial, firstDecaySteps: int("first_decay_steps"), tMul: float("t_mul")!,
                                           mMul: float("m_mul")!, alpha: float("alpha") ?? 0)
        default:
            throw KerasError.invalidArgument("no schedule \(className)")
        }
    }

    @Test func schedulesEqualKeras() throws {
        let cases = try #require(try Fixtures.loadObject("callbacks")["schedules"] as? [[String: Any]])
        #expect(cases.count >= 11)
        for fixture in cases {
            let className = try #require(fixture["class"] as? String)
            let config = try #require(fixture["config"] as? [String: Any])
            let schedule = try Self.makeSchedule(className, config)
            let steps = try #require(fixture["steps"] as? [Int]), values = try #require(fixture["values"] as? [Double])
            for (step, value) in zip(steps, values) {
                let got = schedule(step)
                #expect(Swift.abs(got - Float(value)) <= 1e-6 * Swift.max(1e-3, Float(Swift.abs(value))) * 10,
                        "\(className) \(config) at step \(step): \(got) vs \(value)")
            }
        }
    }

    @Test func anOptimizerFollowsItsSchedule() throws {
        let fixture = try Self.section("schedule_training")
        let model = Sequential([Dense(3, activation: .softmax, inputShape: [4])])
        let optimizer = SGD(learningRate: try ExponentialDecay(initialLearningRate: 0.5, decaySteps: 1, decayRate: 0.5), momentum: 0.9)
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: optimizer)
        try model.setWeights(try tensors(fixture["weights_before"]))
        let x = try tensor(fixture["x"]), y = try tensor(fixture["y"])
        for _ in 0..<3 { try model.trainOnBatch(x, y) }
        try Self.expectWeights(model, fixture["weights_after"], "SGD with ExponentialDecay")
        #expect(optimizer.learningRate == Float(try #require(fixture["learning_rate_after"] as? Double)))
        #expect(throws: KerasError.self) { try optimizer.setLearningRate(0.1, by: "LearningRateScheduler") }
    }

    @Test func classAndSampleWeightsAsKeras() throws {
        let fixture = try Self.section("weighted")
        let x = try tensor(fixture["x"]), y = try tensor(fixture["y"]), sampleWeight = try tensor(fixture["per_sample"])
        let byClass = try #require(fixture["class_weight"] as? [String: Any])
        let classWeight = Dictionary(uniqueKeysWithValues: try #require(byClass["class_weight"] as? [String: Double]).map { (Int($0.key)!, Float($0.value)) })
        var model = try Self.classifier(fixture["weights"], learningRate: 0.2)
        var history = try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, shuffle: false, classWeight: classWeight)
        try Self.expectHistory(history, byClass["history"], "class_weight")
        try Self.expectWeights(model, byClass["weights_after"], "class_weight")

        let bySample = try #require(fixture["sample_weight"] as? [String: Any])
        model = try Self.classifier(fixture["weights"], learningRate: 0.2)
        history = try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, validationSplit: 0.25, shuffle: false, sampleWeight: sampleWeight)
        try Self.expectHistory(history, bySample["history"], "sample_weight")
        try Self.expectWeights(model, bySample["weights_after"], "sample_weight")

        model = try Self.classifier(fixture["weights"], learningRate: 0.2)
        let results = try model.evaluate(x, y, batchSize: 5, verbose: 0, sampleWeight: sampleWeight)
        let expected = try #require(fixture["evaluate_sample_weight"] as? [Double])
        for (a, b) in zip(results, expected) { #expect(Swift.abs(a - Float(b)) <= 1e-5, "evaluate: \(results) vs \(expected)") }
    }

    @Test func stepsInitialEpochAndValidationFrequencyAsKeras() throws {
        let fixture = try Self.section("epochs_and_steps")
        let x = try tensor(fixture["x"]), y = try tensor(fixture["y"])
        let validation = (try x.slice(rows: 0..<4), try y.slice(rows: 0..<4))
        for run in try #require(fixture["runs"] as? [[String: Any]]) {
            let args = try #require(run["args"] as? [String: Any])
            let model = try Self.classifier(fixture["weights"])
            let frequency: ValidationFrequency = (args["validation_freq"] as? [Int]).map { .epochs($0) }
                ?? .every(args["validation_freq"] as? Int ?? 1)
            let history = try model.fit(x, y, batchSize: try #require(args["batch_size"] as? Int), epochs: try #require(args["epochs"] as? Int),
                                        verbose: 0, validationData: run["validation_samples"] as? Int == 0 ? nil : validation,
                                        shuffle: false, initialEpoch: args["initial_epoch"] as? Int ?? 0,
                                        stepsPerEpoch: args["steps_per_epoch"] as? Int,
                                        validationBatchSize: args["validation_batch_size"] as? Int, validationFreq: frequency)
            #expect(history.epoch == run["epochs_run"] as? [Int], "\(args)")
            try Self.expectHistory(history, run["history"], "\(args)")
            try Self.expectWeights(model, run["weights_after"], "\(args)")
        }
    }
}

extension CallbackParityTests {
    @Test func fileNameTemplatesFormatAsPython() throws {
        let cases = try #require(try Fixtures.loadObject("callbacks")["file_name_templates"] as? [[String: Any]])
        for fixture in cases {
            let template = try FileNameTemplate(try #require(fixture["template"] as? String), owner: "ModelCheckpoint")
            var logs = Logs()
            for (key, value) in try #require(fixture["logs"] as? [String: Double]).sorted(by: { $0.key < $1.key }) { logs[key] = Float(value) }
            let path = try template.format(integers: ["epoch": try #require(fixture["epoch"] as? Int), "batch": try #require(fixture["batch"] as? Int)],
                                           logs: logs, owner: "ModelCheckpoint")
            #expect(path == fixture["path"] as? String)
        }
        #expect(throws: KerasError.self) { try FileNameTemplate("w.{epoch:02q}.keras", owner: "ModelCheckpoint") }
        #expect(throws: KerasError.self) { try FileNameTemplate("w.{epoch.keras", owner: "ModelCheckpoint") }
        let missing = try FileNameTemplate("w.{val_los:.2f}.keras", owner: "ModelCheckpoint")
        #expect(throws: KerasError.self) { try missing.format(integers: ["epoch": 1], logs: ["val_loss": 1], owner: "ModelCheckpoint") }
    }
}

/// Records every hook as Keras's recorder in the generator does: "name index [keys]".
final class HookRecorder: Callback {
    private(set) var events: [String] = []

    func take() -> [String] { defer { events = [] }; return events }

    static func describe(_ event: [Any]) -> String {
        let name = event[0] as? String ?? "?"
        let index = (event[1] as? Int).map { " \($0)" } ?? ""
        let keys = (event[2] as? [String]).map { " [" + $0.joined(separator: ",") + "]" } ?? ""
        return name + index + keys
    }

    private func record(_ name: String, _ index: Int? = nil, _ keys: [String]? = nil) {
        events.append(Self.describe([name, index as Any, (keys?.isEmpty ?? true ? nil : keys?.sorted()) as Any]))
    }

    override func onTrainBegin() throws { record("train_begin") }
    override func onTrainEnd(logs: Logs) throws { record("train_end", nil, logs.keys) }
    override func onEpochBegin(_ epoch: Int) throws { record("epoch_begin", epoch) }
    override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws { record("epoch_end", epoch, logs.keys) }
    override func onTrainBatchBegin(_ batch: Int) throws { record("train_batch_begin", batch) }
    override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { record("train_batch_end", batch, logs.keys) }
    override func onTestBegin() throws { record("test_begin") }
    override func onTestEnd(logs: Logs) throws { record("test_end", nil, logs.keys) }
    override func onTestBatchBegin(_ batch: Int) throws { record("test_batch_begin", batch) }
    override func onTestBatchEnd(_ batch: Int, logs: Logs) throws { record("test_batch_end", batch, logs.keys) }
    override func onPredictBegin() throws { record("predict_begin") }
    override func onPredictEnd() throws { record("predict_end") }
    override func onPredictBatchBegin(_ batch: Int) throws { record("predict_batch_begin", batch) }
    override func onPredictBatchEnd(_ batch: Int, outputs: [Tensor]) throws {
        record("predict_batch_end", batch, outputs.isEmpty ? nil : ["outputs"])
    }
}

/// A fresh folder under the system's temporary directory, removed when released.
final class TemporaryFolder {
    let path: String
    init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftkeras-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
