import Foundation
import Testing
@testable import SwiftKeras

/// The stateful metrics: streaming over a pass, their pairing with the labels, names in logs,
/// metrics of one's own.
@Suite struct MetricTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    /// A (8, 4) → (8, classes) softmax classifier compiled with `metrics`.
    func classifier(classes: Int = 10, loss: Loss = .sparseCategoricalCrossentropy, metrics: [Metric]) -> Sequential {
        let model = Sequential([Dense(classes, activation: .softmax, inputShape: [4])])
        model.compile(loss: loss, optimizer: SGD(), metrics: metrics)
        return model
    }

    // MARK: Pairing of a metric with the labels

    @Test func sparseLabelsWithBinaryOrCategoricalAccuracyThrowNamingTheMetricAndShapes() throws {
        // Used to read 10 values per label from a y_true of one value per sample.
        let x = Tensor.zeros([8, 4])
        let y = Tensor((0..<8).map { Float($0) })
        for metric in [Metric.binaryAccuracy, .categoricalAccuracy] {
            let model = classifier(metrics: [metric])
            for text in [message { try model.fit(x, y, verbose: 0) }, message { _ = try model.evaluate(x, y, verbose: 0) }] {
                #expect(text.contains("metric \"\(metric.name)\"") && text.contains("(8,)") && text.contains("(8, 10)"), "\(metric): \(text)")
            }
        }
    }

    @Test func oneHotLabelsWithSparseMetricsThrow() throws {
        let x = Tensor.zeros([8, 4])
        let y = Tensor.zeros([8, 10])
        for metric: Metric in ["sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"] {
            let model = classifier(loss: .categoricalCrossentropy, metrics: [metric])
            let text = message { _ = try model.evaluate(x, y, verbose: 0) }
            #expect(text.contains("metric \"\(metric.name)\"") && text.contains("(8, 10)"), "\(metric): \(text)")
        }
    }

    @Test func aMetricCalledDirectlyChecksItsInputs() throws {
        let binary = BinaryAccuracy()
        #expect(message { try binary.updateState(yTrue: Tensor([1, 0]), yPred: try Tensor([[0.9, 0.1, 0.3], [0.2, 0.2, 0.6]])) }
            .contains("binary_accuracy"))
        let categorical = CategoricalAccuracy()
        #expect(throws: KerasError.self) { try categorical.updateState(yTrue: Tensor([1, 0]), yPred: try Tensor([[0.9, 0.1], [0.2, 0.8]])) }
        // A sample weight that fits neither the samples nor the rows.
        let text = message {
            try categorical.updateState(yTrue: try Tensor([[0, 1], [1, 0]]), yPred: try Tensor([[0.9, 0.1], [0.2, 0.8]]),
                                        sampleWeight: Tensor([1, 1, 1]))
        }
        #expect(text.contains("categorical_accuracy") && text.contains("sample_weight"), "\(text)")
        // Labels outside the classes (or not finite) are never in the top k, as TensorFlow's in_top_k.
        let topK = SparseTopKCategoricalAccuracy(k: 2)
        try topK.updateState(yTrue: Tensor([7, -3, .nan, 1]), yPred: try Tensor([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2]]))
        #expect(topK.result().item == 0.25)
    }

    // MARK: "accuracy" resolved as Keras resolves it

    @Test func accuracyResolvesFromTheShapesOfTheFirstBatch() throws {
        func resolved(_ yTrue: [Int], _ yPred: [Int]) throws -> String {
            let metric = try Metric.accuracy.instantiate(yTrue: Tensor.zeros(yTrue), yPred: Tensor.zeros(yPred))
            #expect(metric.name == "accuracy")
            return String(describing: type(of: metric))
        }
        #expect(try resolved([8], [8, 1]) == "BinaryAccuracy")
        #expect(try resolved([8, 1], [8, 1]) == "BinaryAccuracy")
        #expect(try resolved([8], [8, 10]) == "SparseCategoricalAccuracy")
        #expect(try resolved([8, 1], [8, 10]) == "SparseCategoricalAccuracy")
        #expect(try resolved([8, 5], [8, 5, 10]) == "SparseCategoricalAccuracy")
        #expect(try resolved([8, 10], [8, 10]) == "CategoricalAccuracy")
        // A regression loss with one output: binary accuracy, as Keras (not argmax of one value).
        let model = Sequential([Dense(1, inputShape: [2])])
        model.compile(loss: .meanSquaredError, optimizer: SGD(), metrics: ["acc"])
        let result = try model.evaluate(try Tensor([[0, 0], [0, 0]]), Tensor([0, 1]), verbose: 0)
        #expect(result[1] == 0.5)
    }

    // MARK: Streaming over a pass

    @Test func fitLogsTheRunningValueOfEachBatchAndResetsEachEpoch() throws {
        let model = classifier(classes: 3, metrics: ["accuracy"])
        // Weights that predict class 0 for every sample: batches of labels 0,0 / 1,1 / 0,1.
        try model.setWeights([Tensor.zeros([4, 3]), Tensor([1, 0, 0])])
        let x = Tensor.zeros([6, 4])
        let y = Tensor([0, 0, 1, 1, 0, 1])
        final class Recorder: Callback {
            var batches: [Float] = []
            var epochs: [Float] = []
            override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { batches.append(logs["accuracy"]!) }
            override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws { epochs.append(logs["accuracy"]!) }
        }
        let recorder = Recorder()
        // A learning rate of 0 keeps the predictions fixed.
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: SGD(learningRate: 0), metrics: ["accuracy"])
        try model.fit(x, y, batchSize: 2, epochs: 2, verbose: 0, callbacks: [recorder], shuffle: false)
        #expect(recorder.batches == [1, 0.5, 0.5, 1, 0.5, 0.5])
        #expect(recorder.epochs == [0.5, 0.5])
    }

    // MARK: Names in logs

    @Test func namesAreUniquePerOutputAndKeepTheirSpelling() throws {
        let model = Sequential([Dense(1, activation: .sigmoid, inputShape: [2])])
        model.compile(loss: .binaryCrossentropy, optimizer: SGD(),
                      metrics: ["acc", "binary_accuracy", "binary_accuracy", Metric(BinaryAccuracy(name: "strict", threshold: 0.9))])
        let x = try Tensor([[0, 0], [1, 1]]), y = try Tensor([[0], [1]])
        let history = try model.fit(x, y, epochs: 1, verbose: 0, validationData: (x, y))
        #expect(history.history.keys.sorted() == ["acc", "binary_accuracy", "binary_accuracy_1", "loss", "strict",
                                                   "val_acc", "val_binary_accuracy", "val_binary_accuracy_1", "val_loss", "val_strict"])
        model.compile(loss: .binaryCrossentropy, optimizer: SGD(), metrics: ["no_such_metric"])
        #expect(message { try model.fit(x, y, verbose: 0) }.contains("Could not interpret metric identifier: 'no_such_metric'"))
        let shared = BinaryAccuracy()
        model.compile(loss: .binaryCrossentropy, optimizer: SGD(), metrics: [Metric(shared), Metric(shared)])
        #expect(message { try model.fit(x, y, verbose: 0) }.contains("given twice"))
    }

    // MARK: Metrics of one's own

    /// The largest absolute error seen (a metric whose state is not a mean).
    final class MaxError: KerasMetric {
        let name = "max_error"
        let direction: MetricDirection? = .down
        var largest = 0.0
        func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
            for (t, p) in zip(yTrue.scalars, yPred.scalars) { largest = Swift.max(largest, Double(Swift.abs(t - p))) }
        }
        func result() -> Tensor { Tensor(Float(largest)) }
        func resetState() { largest = 0 }
        var state: [Double] { get { [largest] } set { largest = newValue[0] } }
    }

    @Test func userMetricsThroughTheProtocolAndMeanMetricWrapper() throws {
        let model = Sequential([Dense(1, kernelInitializer: .ones, biasInitializer: .zeros, inputShape: [1])])
        let maxError = MaxError()
        let absolute = MeanMetricWrapper(name: "abs_error", direction: .down) { yTrue, yPred in
            try (yPred - yTrue.reshaped(yPred.shape)).abs()
        }
        model.compile(loss: .meanSquaredError, optimizer: SGD(learningRate: 0), metrics: [Metric(maxError), Metric(absolute)])
        let x = try Tensor([1, 2, 3, 4], shape: [4, 1]), y = Tensor([1, 2, 0, 4])
        let result = try model.evaluate(x, y, batchSize: 2, verbose: 0)
        #expect(result.count == 3)
        #expect(result[1] == 3)
        #expect(result[2] == 0.75)
        // Each pass starts from a reset state.
        let again = try model.evaluate(try x.slice(rows: 0..<2), try y.slice(rows: 0..<2), verbose: 0)
        #expect(again[1] == 0 && again[2] == 0)
        // Weights per sample weigh each sample's mean; weights per value (a mask of steps) each value.
        let wrapper = MeanMetricWrapper(name: "value") { _, yPred in yPred }
        let values = try Tensor([[1, 2, 3], [4, 5, 9]])
        try wrapper.updateState(yTrue: values, yPred: values, sampleWeight: Tensor([1, 3]))
        #expect(Swift.abs(wrapper.result().item - (2 + 3 * 6) / 4) < 1e-6)
        wrapper.resetState()
        try wrapper.updateState(yTrue: values, yPred: values, sampleWeight: Tensor([1, 1, 0, 0, 1, 0]))
        #expect(Swift.abs(wrapper.result().item - 8 / 3) < 1e-6)
        // Its direction drives a monitor in mode auto: a falling error improves.
        let stopper = EarlyStopping(monitor: "max_error", patience: 0)
        try model.fit(x, y, epochs: 1, verbose: 0, callbacks: [stopper])
    }

    // MARK: Keras parity (Fixtures/metrics.json, from Scripts/keras_fixtures/metrics.py)

    static func section(_ key: String) throws -> Any? { try Fixtures.loadObject("metrics")[key] }

    static func cases() throws -> [[String: Any]] { try #require(try section("cases") as? [[String: Any]]) }

    static var caseNames: [String] { ((try? cases()) ?? []).compactMap { $0["name"] as? String } }

    static func configValue(_ any: Any?) throws -> ConfigValue {
        let json = try JSONSerialization.data(withJSONObject: any ?? NSNull(), options: [.sortedKeys, .fragmentsAllowed])
        return try ConfigValue.parse(json: Array(json))
    }

    /// |actual - expected| <= 1e-5 |expected| (1e-7 near 0), shapes equal.
    func expectRelative(_ actual: Tensor, _ expected: Tensor, _ what: String) {
        #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)")
        guard actual.shape == expected.shape else { return }
        for (a, e) in zip(actual.scalars, expected.scalars) {
            #expect(Swift.abs(a - e) <= Swift.max(1e-5 * Swift.abs(e), 1e-7), "\(what): \(actual.scalars) vs \(expected.scalars)")
        }
    }

    @Test(arguments: caseNames)
    func kerasParityOverBatches(_ name: String) throws {
        let fixture = try #require(try Self.cases().first { $0["name"] as? String == name })
        let className = try #require(fixture["class_name"] as? String)
        let serialized: ConfigValue = ["class_name": .string(className), "config": try Self.configValue(fixture["config"])]
        let metric = try #require(try metricFromConfig(serialized).object)
        let batches = try #require(fixture["batches"] as? [[String: Any]])
        let results = try tensors(fixture["results"])
        for (i, batch) in batches.enumerated() {
            try metric.updateState(yTrue: try tensor(batch["y_true"]), yPred: try tensor(batch["y_pred"]),
                                   sampleWeight: try batch["sample_weight"].map { try tensor($0) })
            expectRelative(metric.result(), results[i], "\(name) after batch \(i + 1)")
        }
        // The state adds up: the batches split over two copies, their states summed, give the same result.
        let state = metric.state
        metric.resetState()
        #expect(metric.state.allSatisfy { $0 == 0 }, "\(name): reset")
        metric.state = state
        expectRelative(metric.result(), results[results.count - 1], "\(name) from its state")
    }

    @Test func configsAreWrittenAndReadAsKerasWritesThem() throws {
        let configs = try #require(try Self.section("configs") as? [String: Any])
        for (key, value) in configs {
            let expected = try Self.configValue(value)
            let metric = try #require(try metricFromConfig(expected).object, "\(key)")
            #expect(serializeMetric(metric) == expected, "\(key): \(serializeMetric(metric)) vs \(expected)")
        }
    }

    @Test func stringNamesResolveAsKerasResolvesThem() throws {
        let names = try #require(try Self.section("names") as? [String: [String: Any]])
        for (name, expected) in names {
            if expected["error"] as? Bool == true {
                #expect(message { _ = try compiledMetrics([[Metric(stringLiteral: name)]]) }.contains("Could not interpret metric identifier"), "\(name)")
                continue
            }
            _ = try compiledMetrics([[Metric(stringLiteral: name)]])
            guard let className = expected["class_name"] as? String else { continue }
            let metric = try Metric(stringLiteral: name).instantiate(yTrue: Tensor.zeros([2, 3]), yPred: Tensor.zeros([2, 3]))
            #expect(String(describing: type(of: metric)) == className, "\(name)")
            // A name logs as it is written, as in Keras ("mae", not "mean_absolute_error").
            #expect(metric.name == name)
        }
    }

    static var fitNames: [String] { ((try? section("fits") as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String } }

    @Test(arguments: fitNames)
    func aShortFitLogsWhatKerasLogs(_ name: String) throws {
        let fits = try #require(try Self.section("fits") as? [[String: Any]])
        let fixture = try #require(fits.first { $0["name"] as? String == name })
        let model = Sequential([Dense(1, activation: .sigmoid, inputShape: [3])])
        try model.setWeights([try tensor(fixture["kernel"]), try tensor(fixture["bias"])])
        let metrics = try #require(fixture["metrics"] as? [String]).map { Metric(stringLiteral: $0) }
        model.compile(loss: .binaryCrossentropy, optimizer: SGD(learningRate: 0.5), metrics: metrics)
        let history = try model.fit(try tensor(fixture["x"]), try tensor(fixture["y"]), batchSize: 4, epochs: 2, verbose: 0,
                                    validationData: (try tensor(fixture["x_val"]), try tensor(fixture["y_val"])), shuffle: false)
        let expected = try #require(fixture["history"] as? [String: [Double]])
        #expect(history.history.keys.sorted() == expected.keys.sorted())
        for (key, values) in expected {
            let actual = history.history[key] ?? []
            #expect(actual.count == values.count, "\(key)")
            for (a, e) in zip(actual, values) { #expect(Swift.abs(Double(a) - e) <= 1e-4 * Swift.max(1, Swift.abs(e)), "\(key): \(actual) vs \(values)") }
        }
        let settings = try #require(model.compiled)
        let configMetrics = try #require(compileConfig(settings)["metrics"])
        #expect(configMetrics == (try Self.configValue(fixture["compile_config_metrics"])))
    }

    // MARK: Saving

    @Test func compiledMetricsRoundTripThroughAKerasFile() throws {
        let model = Sequential([Dense(1, activation: .sigmoid, inputShape: [3])])
        model.compile(loss: .binaryCrossentropy, optimizer: SGD(),
                      metrics: ["accuracy", "auc", Metric(AUC(curve: .pr, summationMethod: .minoring, name: "pr")),
                                Metric(Precision(thresholds: 0.4, name: "p")), Metric(F1Score(average: .macro, threshold: 0.5)), "mse"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("metric-tests-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("m.keras").path
        try model.save(path)
        let loaded = try loadModel(path)
        let saved = try #require(model.compiled).metrics[0].map(\.serialized)
        #expect(try #require(loaded.compiled).metrics[0].map(\.serialized) == saved)
        #expect(try #require(loaded.compiled).metrics[0].map(\.name) == ["accuracy", "auc", "pr", "p", "f1_score", "mse"])
        let x = try Tensor([[0.1, 0.2, 0.3], [1, -1, 0.5], [0.3, 0.3, -2], [2, 1, 0]]), y = try Tensor([[0], [1], [0], [1]])
        #expect(try loaded.evaluate(x, y, verbose: 0) == (try model.evaluate(x, y, verbose: 0)))
    }

    // MARK: Bad arguments and results that logs cannot hold

    @Test func badArgumentsThrowNamingTheMetricAndTheArgument() throws {
        let model = Sequential([Dense(3, activation: .sigmoid, inputShape: [2])])
        let x = Tensor.zeros([4, 2]), y = Tensor.zeros([4, 3])
        let cases: [(Metric, String)] = [
            (Metric(AUC(numThresholds: 1)), "num_thresholds"), (Metric(Precision(thresholds: [1.5])), "thresholds"),
            (Metric(Recall(topK: 0)), "top_k"), (Metric(Precision(classId: -1)), "class_id"),
            (Metric(Recall(classId: 3)), "class_id"), (Metric(F1Score(threshold: 0)), "threshold"),
        ]
        for (metric, argument) in cases {
            model.compile(loss: .binaryCrossentropy, optimizer: SGD(), metrics: [metric])
            let text = message { try model.fit(x, y, verbose: 0) }
            #expect(text.contains("metric \"\(metric.name)\"") && text.contains(argument), "\(metric.name): \(text)")
        }
        // One value per class or per threshold does not fit in logs.
        for metric in [Metric(F1Score()), Metric(Precision(thresholds: [0.3, 0.6]))] {
            model.compile(loss: .binaryCrossentropy, optimizer: SGD(), metrics: [metric])
            let text = message { _ = try model.evaluate(x, y, verbose: 0) }
            #expect(text.contains("metric \"\(metric.name)\"") && text.contains("3 values") || text.contains("2 values"), "\(text)")
        }
    }

    @Test func monitorsInModeAutoFollowTheMetricsDirection() throws {
        let model = Sequential([Dense(1, activation: .sigmoid, inputShape: [2])])
        model.compile(loss: .binaryCrossentropy, optimizer: SGD(), metrics: ["auc", "mae", Metric(RootMeanSquaredError(name: "rmse"))])
        for (monitor, lowerIsBetter) in [("val_auc", false), ("mae", true), ("val_rmse", true), ("loss", true)] {
            let stopper = EarlyStopping(monitor: monitor)
            stopper.model = model
            try stopper.checkMonitor()
            #expect(stopper.isImprovement(1, over: 2) == lowerIsBetter, "\(monitor)")
        }
    }
}
