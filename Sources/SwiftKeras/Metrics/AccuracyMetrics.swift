/// How often predictions match binary labels (Keras's `BinaryAccuracy`): a prediction above
/// `threshold` counts as 1, and matches a label equal to it; each row's matches are averaged.
public final class BinaryAccuracy: MeanMetricWrapper {
    public let threshold: Float

    public init(name: String = "binary_accuracy", threshold: Float = 0.5) {
        self.threshold = threshold
        super.init(name: name, direction: .up)
    }

    public override func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        guard yTrue.count == yPred.count, shapesPair(yTrue.shape, yPred.shape) else {
            throw metricShapeError(name, expected: "one binary label per prediction (y_true of the shape of y_pred)", yTrue: yTrue, yPred: yPred)
        }
        let rows = PredictionRows(yPred)
        let weights = try RowWeights(sampleWeight, rows: rows.rows, samples: rows.samples, metric: name, yPred: yPred)
        let t = yTrue.storage.pointer, p = yPred.storage.pointer
        let width = rows.width, threshold = threshold
        mean.add(rows: rows.rows, weights: weights) { r in
            var matches = 0
            for i in r * width..<(r + 1) * width where t[i] == (p[i] > threshold ? 1 : 0) { matches += 1 }
            return Double(matches) / Double(width)
        }
    }
}

/// How often the largest prediction is the one-hot label's class (Keras's `CategoricalAccuracy`).
public final class CategoricalAccuracy: MeanMetricWrapper {
    public init(name: String = "categorical_accuracy") {
        super.init(name: name, direction: .up)
    }

    public override func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        guard yPred.rank >= 2, yTrue.shape == yPred.shape else {
            throw metricShapeError(name, expected: "one-hot labels of the shape of y_pred (rank 2 or more); for class ids use sparse_categorical_accuracy", yTrue: yTrue, yPred: yPred)
        }
        let rows = PredictionRows(yPred)
        let weights = try RowWeights(sampleWeight, rows: rows.rows, samples: rows.samples, metric: name, yPred: yPred)
        let t = yTrue.storage.pointer, p = yPred.storage.pointer
        let width = rows.width
        mean.add(rows: rows.rows, weights: weights) { r in
            argmax(t + r * width, width) == argmax(p + r * width, width) ? 1 : 0
        }
    }
}

/// How often the largest prediction is the class id of the label (Keras's `SparseCategoricalAccuracy`).
public final class SparseCategoricalAccuracy: MeanMetricWrapper {
    public init(name: String = "sparse_categorical_accuracy") {
        super.init(name: name, direction: .up)
    }

    public override func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try checkSparseLabels(name, yTrue: yTrue, yPred: yPred)
        let rows = PredictionRows(yPred)
        let weights = try RowWeights(sampleWeight, rows: rows.rows, samples: rows.samples, metric: name, yPred: yPred)
        let t = yTrue.storage.pointer, p = yPred.storage.pointer
        let width = rows.width
        // Keras compares the predicted index, as a float, with the label: 2.5 matches nothing.
        mean.add(rows: rows.rows, weights: weights) { r in Float(argmax(p + r * width, width)) == t[r] ? 1 : 0 }
    }
}

/// How often the one-hot label's class is among the `k` largest predictions (Keras's
/// `TopKCategoricalAccuracy`). Ties at the k-th place count as in, as TensorFlow's `in_top_k`.
public final class TopKCategoricalAccuracy: MeanMetricWrapper {
    public let k: Int

    public init(k: Int = 5, name: String = "top_k_categorical_accuracy") {
        self.k = k
        super.init(name: name, direction: .up)
    }

    public override func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        guard yPred.rank >= 2, yTrue.shape == yPred.shape else {
            throw metricShapeError(name, expected: "one-hot labels of the shape of y_pred (rank 2 or more); for class ids use sparse_top_k_categorical_accuracy", yTrue: yTrue, yPred: yPred)
        }
        let rows = PredictionRows(yPred)
        let weights = try RowWeights(sampleWeight, rows: rows.rows, samples: rows.samples, metric: name, yPred: yPred)
        let t = yTrue.storage.pointer, p = yPred.storage.pointer
        let width = rows.width, k = k
        mean.add(rows: rows.rows, weights: weights) { r in
            inTopK(p + r * width, width, target: argmax(t + r * width, width), k: k) ? 1 : 0
        }
    }
}

/// How often the class id of the label is among the `k` largest predictions (Keras's
/// `SparseTopKCategoricalAccuracy`). A label outside the classes is never among them.
public final class SparseTopKCategoricalAccuracy: MeanMetricWrapper {
    public let k: Int

    public init(k: Int = 5, name: String = "sparse_top_k_categorical_accuracy") {
        self.k = k
        super.init(name: name, direction: .up)
    }

    public override func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try checkSparseLabels(name, yTrue: yTrue, yPred: yPred)
        let rows = PredictionRows(yPred)
        let weights = try RowWeights(sampleWeight, rows: rows.rows, samples: rows.samples, metric: name, yPred: yPred)
        let t = yTrue.storage.pointer, p = yPred.storage.pointer
        let width = rows.width, k = k
        mean.add(rows: rows.rows, weights: weights) { r in
            // Keras casts the label to int32, which truncates toward zero.
            let label = t[r]
            guard label > -1, label < Float(width) else { return 0 }
            return inTopK(p + r * width, width, target: Int(label), k: k) ? 1 : 0
        }
    }
}

/// Sparse labels pair with predictions that have one axis more: (N) or (N, 1) labels for
/// (N, classes) predictions, (N, T) or (N, T, 1) for (N, T, classes).
private func checkSparseLabels(_ metric: String, yTrue: Tensor, yPred: Tensor) throws {
    guard yPred.rank >= 2, shapesPair(yTrue.shape, Array(yPred.shape.dropLast())) else {
        throw metricShapeError(metric, expected: "one class id per row of y_pred (y_true of shape y_pred.shape[:-1]); for one-hot labels use categorical_accuracy", yTrue: yTrue, yPred: yPred)
    }
}

/// The index of the first largest of `count` values.
func argmax(_ values: UnsafePointer<Float>, _ count: Int) -> Int {
    var best = 0
    for j in 1..<Swift.max(count, 1) where values[j] > values[best] { best = j }
    return best
}

/// TensorFlow's `in_top_k`: fewer than `k` values are larger than the target's; false when
/// any value is not finite.
func inTopK(_ values: UnsafePointer<Float>, _ count: Int, target: Int, k: Int) -> Bool {
    let targetValue = values[target]
    guard targetValue.isFinite else { return false }
    var larger = 0
    for j in 0..<count {
        guard values[j].isFinite else { return false }
        if values[j] > targetValue { larger += 1 }
    }
    return larger < k
}
