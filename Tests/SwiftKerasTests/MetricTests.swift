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
        // Its direction drives a monitor in mode auto: a falling error improves.
        let stopper = EarlyStopping(monitor: "max_error", patience: 0)
        try model.fit(x, y, epochs: 1, verbose: 0, callbacks: [stopper])
    }
}
