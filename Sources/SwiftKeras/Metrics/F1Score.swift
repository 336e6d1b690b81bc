/// The harmonic mean of precision and recall per class (Keras's `F1Score`), for one-hot or
/// multi-label targets of shape (samples, classes). A prediction above `threshold` is
/// positive; without a threshold, the largest of each row is (unless it is 0). `average`:
/// nil gives one score per class; `.micro` counts over all classes, `.macro` averages the
/// classes' scores, `.weighted` weighs them by each class's count of positive labels.
public final class F1Score: KerasMetric {
    public enum Average: String, Sendable { case micro, macro, weighted }

    public let name: String
    public let direction: MetricDirection? = .up
    public let average: Average?
    public let threshold: Float?
    /// Per class (one entry for micro): true positives, false positives, false negatives and
    /// the weight of positive labels; empty until the first batch fixes the class count.
    private var truePositives: [Double] = [], falsePositives: [Double] = [], falseNegatives: [Double] = []
    private var labelWeights: [Double] = []

    public init(average: Average? = nil, threshold: Float? = nil, name: String = "f1_score") {
        self.average = average
        self.threshold = threshold
        self.name = name
    }

    func checkArguments() throws {
        if let threshold, !(threshold > 0 && threshold <= 1) {
            throw KerasError.invalidArgument("metric \"\(name)\": threshold must verify 0 < threshold <= 1, received \(threshold)")
        }
    }

    public func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try checkArguments()
        guard yPred.rank == 2, yTrue.shape == yPred.shape else {
            throw metricShapeError(name, expected: "2-D inputs of shape (batch_size, output_dim), y_true of the shape of y_pred", yTrue: yTrue, yPred: yPred)
        }
        let samples = yPred.shape[0], classes = yPred.shape[1]
        let slots = average == .micro ? 1 : classes
        if truePositives.isEmpty {
            truePositives = Array(repeating: 0, count: slots)
            falsePositives = truePositives
            falseNegatives = truePositives
            labelWeights = truePositives
        } else if truePositives.count != slots {
            throw metricShapeError(name, expected: "\(classes) classes, as in the batches before", yTrue: yTrue, yPred: yPred)
        }
        let weights = try RowWeights(sampleWeight, rows: samples, samples: samples, metric: name, yPred: yPred)
        let t = yTrue.storage.pointer, p = yPred.storage.pointer
        for r in 0..<samples {
            let w = weights[r]
            let row = p + r * classes
            let rowMax = threshold == nil ? (0..<classes).map { row[$0] }.max() ?? 0 : 0
            for c in 0..<classes {
                let predicted: Double
                if let threshold { predicted = row[c] > threshold ? 1 : 0 } else { predicted = row[c] >= rowMax && Swift.abs(row[c]) > 1e-9 ? 1 : 0 }
                let label = Double(t[r * classes + c])
                let slot = average == .micro ? 0 : c
                truePositives[slot] += w * predicted * label
                falsePositives[slot] += w * predicted * (1 - label)
                falseNegatives[slot] += w * (1 - predicted) * label
                labelWeights[slot] += w * label
            }
        }
    }

    public func result() -> Tensor {
        let epsilon = 1e-7
        let scores = truePositives.indices.map { i -> Double in
            let precision = truePositives[i] / (truePositives[i] + falsePositives[i] + epsilon)
            let recall = truePositives[i] / (truePositives[i] + falseNegatives[i] + epsilon)
            return 2 * precision * recall / (precision + recall + epsilon)
        }
        switch average {
        case nil: return Tensor(scores.map { Float($0) })
        case .micro, .macro: return Tensor(Float(scores.isEmpty ? 0 : scores.reduce(0, +) / Double(scores.count)))
        case .weighted:
            let total = labelWeights.reduce(0, +) + epsilon
            return Tensor(Float(zip(scores, labelWeights).reduce(0) { $0 + $1.0 * $1.1 / total }))
        }
    }

    public func resetState() {
        for i in truePositives.indices {
            truePositives[i] = 0
            falsePositives[i] = 0
            falseNegatives[i] = 0
            labelWeights[i] = 0
        }
    }

    public var state: [Double] {
        get { truePositives + falsePositives + falseNegatives + labelWeights }
        set {
            let n = newValue.count / 4
            truePositives = Array(newValue[0..<n])
            falsePositives = Array(newValue[n..<2 * n])
            falseNegatives = Array(newValue[2 * n..<3 * n])
            labelWeights = Array(newValue[3 * n..<4 * n])
        }
    }
}
