import Foundation

/// Weighted true/false positive and negative counts per threshold, accumulated as Keras's
/// `update_confusion_matrix_variables` counts them (not multi-label): a prediction above a
/// threshold is positive, a label other than 0 is positive.
struct ConfusionCounts {
    var truePositives: [Double]
    var falsePositives: [Double]
    var trueNegatives: [Double]
    var falseNegatives: [Double]

    init(thresholds: Int) {
        truePositives = Array(repeating: 0, count: thresholds)
        falsePositives = truePositives
        trueNegatives = truePositives
        falseNegatives = truePositives
    }

    var state: [Double] {
        get { truePositives + falsePositives + trueNegatives + falseNegatives }
        set {
            let n = truePositives.count
            truePositives = Array(newValue[0..<n])
            falsePositives = Array(newValue[n..<2 * n])
            trueNegatives = Array(newValue[2 * n..<3 * n])
            falseNegatives = Array(newValue[3 * n..<4 * n])
        }
    }

    /// Adds one batch. `evenly`: the thresholds are Keras's evenly spaced ones (i / (n - 1),
    /// the outer two moved out by epsilon when `withEpsilon`), counted by buckets as Keras's
    /// optimized path counts them; otherwise each prediction is compared with each threshold.
    mutating func add(metric: String, yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?, thresholds: [Float],
                      evenly: Bool, topK: Int?, classId: Int?) throws {
        guard yTrue.count == yPred.count, shapesPair(yTrue.shape, yPred.shape) else {
            throw metricShapeError(metric, expected: "labels of the shape of y_pred", yTrue: yTrue, yPred: yPred)
        }
        let rows = PredictionRows(yPred)
        let weights = try RowWeights(sampleWeight, rows: rows.rows, samples: rows.samples, metric: metric, yPred: yPred)
        if let classId, !(0..<rows.width).contains(classId) || yPred.rank < 2 {
            throw KerasError.invalidArgument(
                "metric \"\(metric)\": class_id=\(classId) needs y_pred of shape (samples, classes) with more than \(classId) classes; received y_pred of shape \(shapeString(yPred.shape))")
        }
        let t = yTrue.storage.pointer, p = yPred.storage.pointer
        let width = rows.width
        // Keras keeps each row's k largest predictions (the first of equal ones) and sets the
        // others to -1e10.
        var kept = [Float](repeating: 0, count: topK == nil ? 0 : width)
        let n = thresholds.count
        var tpBuckets = [Double](repeating: 0, count: evenly ? n : 0), fpBuckets = tpBuckets
        var totalTrue = 0.0, totalFalse = 0.0
        let withEpsilon = thresholds.first.map { $0 < 0 } ?? false || (thresholds.last.map { $0 > 1 } ?? false)
        for r in 0..<rows.rows {
            let w = weights[r]
            let rowStart = r * width
            if let topK {
                for j in 0..<width { kept[j] = p[rowStart + j] }
                let order = (0..<width).sorted { p[rowStart + $0] > p[rowStart + $1] || (p[rowStart + $0] == p[rowStart + $1] && $0 < $1) }
                for (rank, j) in order.enumerated() where rank >= topK { kept[j] = -1e10 }
            }
            let columns = classId.map { $0..<($0 + 1) } ?? 0..<width
            for j in columns {
                let prediction = topK == nil ? p[rowStart + j] : kept[j]
                let positive = t[rowStart + j] != 0
                if positive { totalTrue += w } else { totalFalse += w }
                if evenly {
                    guard !prediction.isNaN else { continue }
                    let clipped = Swift.min(Swift.max(prediction, 0), 1)
                    var bucket = Int((clipped * Float(n - 1)).rounded(.up)) - 1
                    if withEpsilon { bucket = Swift.max(bucket, 0) }
                    guard bucket >= 0 else { continue }
                    if positive { tpBuckets[bucket] += w } else { fpBuckets[bucket] += w }
                } else {
                    for (i, threshold) in thresholds.enumerated() {
                        let predictedPositive = prediction > threshold
                        switch (positive, predictedPositive) {
                        case (true, true): truePositives[i] += w
                        case (false, true): falsePositives[i] += w
                        case (true, false): falseNegatives[i] += w
                        case (false, false): trueNegatives[i] += w
                        }
                    }
                }
            }
        }
        guard evenly else { return }
        // A prediction in bucket b is above thresholds 0...b.
        var tp = 0.0, fp = 0.0
        for i in stride(from: n - 1, through: 0, by: -1) {
            tp += tpBuckets[i]
            fp += fpBuckets[i]
            truePositives[i] += tp
            falsePositives[i] += fp
            falseNegatives[i] += totalTrue - tp
            trueNegatives[i] += totalFalse - fp
        }
    }
}

/// Keras's `parse_init_thresholds` and `is_evenly_distributed_thresholds`.
private func confusionThresholds(_ given: [Float]?, topK: Int?) -> (thresholds: [Float], evenly: Bool) {
    let thresholds = given ?? [topK == nil ? 0.5 : -1e10]
    let n = thresholds.count
    let evenly = n >= 3 && thresholds.enumerated().allSatisfy { i, t in Swift.abs(t - Float(i) / Float(n - 1)) <= 1e-7 + 1e-5 * Float(i) / Float(n - 1) }
    return (thresholds, evenly)
}

private func checkConfusionArguments(_ metric: String, thresholds: [Float]?, topK: Int?, classId: Int?) throws {
    if let thresholds {
        guard !thresholds.isEmpty, thresholds.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw KerasError.invalidArgument("metric \"\(metric)\": thresholds must be in the range [0, 1], received \(thresholds)")
        }
    }
    if let topK, topK <= 0 { throw KerasError.invalidArgument("metric \"\(metric)\": top_k must be a positive integer, received \(topK)") }
    if let classId, classId < 0 { throw KerasError.invalidArgument("metric \"\(metric)\": class_id must be >= 0, received \(classId)") }
}

/// `a / b`, 0 where b is 0 (Keras's `divide_no_nan`).
func divideNoNaN(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }

/// The fraction of predicted positives that are positive (Keras's `Precision`): a prediction
/// above a threshold (default 0.5) is positive. `topK` counts only each row's k largest
/// predictions, `classId` only one class. Several thresholds give one value each.
public final class Precision: KerasMetric {
    public let name: String
    public let direction: MetricDirection? = .up
    /// As given (nil: the default).
    public let thresholds: [Float]?
    public let topK: Int?
    public let classId: Int?
    let thresholdGivenAsNumber: Bool
    private let resolved: (thresholds: [Float], evenly: Bool)
    private var counts: ConfusionCounts

    public convenience init(thresholds: [Float]? = nil, topK: Int? = nil, classId: Int? = nil, name: String = "precision") {
        self.init(thresholds, asNumber: false, topK: topK, classId: classId, name: name)
    }

    /// One threshold given as a number (Keras's `thresholds=0.4`, which its config keeps so).
    public convenience init(thresholds: Float, topK: Int? = nil, classId: Int? = nil, name: String = "precision") {
        self.init([thresholds], asNumber: true, topK: topK, classId: classId, name: name)
    }

    init(_ thresholds: [Float]?, asNumber: Bool, topK: Int?, classId: Int?, name: String) {
        self.name = name
        self.thresholds = thresholds
        thresholdGivenAsNumber = asNumber
        self.topK = topK
        self.classId = classId
        resolved = confusionThresholds(thresholds, topK: topK)
        counts = ConfusionCounts(thresholds: resolved.thresholds.count)
    }

    public func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try checkArguments()
        try counts.add(metric: name, yTrue: yTrue, yPred: yPred, sampleWeight: sampleWeight, thresholds: resolved.thresholds,
                       evenly: resolved.evenly, topK: topK, classId: classId)
    }

    func checkArguments() throws { try checkConfusionArguments(name, thresholds: thresholds, topK: topK, classId: classId) }

    public func result() -> Tensor {
        let values = zip(counts.truePositives, counts.falsePositives).map { Float(divideNoNaN($0, $0 + $1)) }
        return values.count == 1 ? Tensor(values[0]) : Tensor(values)
    }

    public func resetState() { counts = ConfusionCounts(thresholds: resolved.thresholds.count) }

    public var state: [Double] {
        get { counts.state }
        set { counts.state = newValue }
    }
}

/// The fraction of positives predicted positive (Keras's `Recall`); arguments as `Precision`.
public final class Recall: KerasMetric {
    public let name: String
    public let direction: MetricDirection? = .up
    public let thresholds: [Float]?
    public let topK: Int?
    public let classId: Int?
    let thresholdGivenAsNumber: Bool
    private let resolved: (thresholds: [Float], evenly: Bool)
    private var counts: ConfusionCounts

    public convenience init(thresholds: [Float]? = nil, topK: Int? = nil, classId: Int? = nil, name: String = "recall") {
        self.init(thresholds, asNumber: false, topK: topK, classId: classId, name: name)
    }

    /// One threshold given as a number (Keras's `thresholds=0.4`, which its config keeps so).
    public convenience init(thresholds: Float, topK: Int? = nil, classId: Int? = nil, name: String = "recall") {
        self.init([thresholds], asNumber: true, topK: topK, classId: classId, name: name)
    }

    init(_ thresholds: [Float]?, asNumber: Bool, topK: Int?, classId: Int?, name: String) {
        self.name = name
        self.thresholds = thresholds
        thresholdGivenAsNumber = asNumber
        self.topK = topK
        self.classId = classId
        resolved = confusionThresholds(thresholds, topK: topK)
        counts = ConfusionCounts(thresholds: resolved.thresholds.count)
    }

    public func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try checkArguments()
        try counts.add(metric: name, yTrue: yTrue, yPred: yPred, sampleWeight: sampleWeight, thresholds: resolved.thresholds,
                       evenly: resolved.evenly, topK: topK, classId: classId)
    }

    func checkArguments() throws { try checkConfusionArguments(name, thresholds: thresholds, topK: topK, classId: classId) }

    public func result() -> Tensor {
        let values = zip(counts.truePositives, counts.falseNegatives).map { Float(divideNoNaN($0, $0 + $1)) }
        return values.count == 1 ? Tensor(values[0]) : Tensor(values)
    }

    public func resetState() { counts = ConfusionCounts(thresholds: resolved.thresholds.count) }

    public var state: [Double] {
        get { counts.state }
        set { counts.state = newValue }
    }
}

/// The area under the ROC or precision-recall curve (Keras's `AUC`), from confusion counts
/// at `numThresholds` thresholds (0 - ε, 1/(n-1), ..., 1 + ε) or at the given `thresholds`
/// (with 0 - ε and 1 + ε added). Summation as Keras: trapezoids ("interpolation"; for PR,
/// Davis & Goadrich's interpolation), or the smaller ("minoring") or larger ("majoring")
/// height of each step. `fromLogits` passes the predictions through a sigmoid first.
/// Single-label only (Keras's multi_label and label_weights are not offered).
public final class AUC: KerasMetric {
    public enum Curve: String, Sendable { case roc = "ROC", pr = "PR" }
    public enum SummationMethod: String, Sendable { case interpolation, minoring, majoring }

    public let name: String
    public let direction: MetricDirection? = .up
    public let numThresholds: Int
    public let curve: Curve
    public let summationMethod: SummationMethod
    /// As given (nil: evenly spaced).
    public let thresholds: [Float]?
    public let fromLogits: Bool
    private let allThresholds: [Float]
    private let evenly: Bool
    private var counts: ConfusionCounts

    public init(numThresholds: Int = 200, curve: Curve = .roc, summationMethod: SummationMethod = .interpolation,
                name: String = "auc", thresholds: [Float]? = nil, fromLogits: Bool = false) {
        self.name = name
        self.curve = curve
        self.summationMethod = summationMethod
        self.fromLogits = fromLogits
        let epsilon: Float = 1e-7
        if let thresholds {
            self.thresholds = thresholds.sorted()
            self.numThresholds = thresholds.count + 2
            allThresholds = [0 - epsilon] + thresholds.sorted() + [1 + epsilon]
            let inner = [0] + thresholds.sorted() + [1]
            evenly = confusionThresholds(inner, topK: nil).evenly
        } else {
            self.thresholds = nil
            self.numThresholds = numThresholds
            let inner = (0..<Swift.max(numThresholds - 2, 0)).map { Float(Double($0 + 1) / Double(numThresholds - 1)) }
            allThresholds = [0 - epsilon] + inner + [1 + epsilon]
            evenly = true
        }
        counts = ConfusionCounts(thresholds: allThresholds.count)
    }

    func checkArguments() throws {
        if thresholds == nil, numThresholds <= 1 {
            throw KerasError.invalidArgument("metric \"\(name)\": num_thresholds must be an integer > 1, received \(numThresholds)")
        }
    }

    public func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try checkArguments()
        let predictions = fromLogits ? yPred.detached.sigmoid() : yPred
        try counts.add(metric: name, yTrue: yTrue, yPred: predictions, sampleWeight: sampleWeight, thresholds: allThresholds,
                       evenly: evenly, topK: nil, classId: nil)
    }

    public func result() -> Tensor { Tensor(Float(area)) }

    private var area: Double {
        let tp = counts.truePositives, fp = counts.falsePositives, tn = counts.trueNegatives, fn = counts.falseNegatives
        let n = tp.count
        guard n > 1 else { return 0 }
        if curve == .pr, summationMethod == .interpolation { return interpolatedPRArea }
        let recall = (0..<n).map { divideNoNaN(tp[$0], tp[$0] + fn[$0]) }
        let x: [Double], y: [Double]
        switch curve {
        case .roc:
            x = (0..<n).map { divideNoNaN(fp[$0], fp[$0] + tn[$0]) }
            y = recall
        case .pr:
            x = recall
            y = (0..<n).map { divideNoNaN(tp[$0], tp[$0] + fp[$0]) }
        }
        var sum = 0.0
        for i in 0..<(n - 1) {
            let height: Double
            switch summationMethod {
            case .interpolation: height = (y[i] + y[i + 1]) / 2
            case .minoring: height = Swift.min(y[i], y[i + 1])
            case .majoring: height = Swift.max(y[i], y[i + 1])
            }
            sum += (x[i] - x[i + 1]) * height
        }
        return sum
    }

    /// Keras's `interpolate_pr_auc` (Davis & Goadrich 2006): precision interpolated between
    /// thresholds along the true positives.
    private var interpolatedPRArea: Double {
        let tp = counts.truePositives, fp = counts.falsePositives, fn = counts.falseNegatives
        let n = tp.count
        var sum = 0.0
        for i in 0..<(n - 1) {
            let dtp = tp[i] - tp[i + 1]
            let p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1]
            let dp = p0 - p1
            let slope = divideNoNaN(dtp, Swift.max(dp, 0))
            let intercept = tp[i + 1] - slope * p1
            let ratio = p0 > 0 && p1 > 0 ? divideNoNaN(p0, Swift.max(p1, 0)) : 1
            sum += divideNoNaN(slope * (dtp + intercept * Foundation.log(ratio)), Swift.max(tp[i + 1] + fn[i + 1], 0))
        }
        return sum
    }

    public func resetState() { counts = ConfusionCounts(thresholds: allThresholds.count) }

    public var state: [Double] {
        get { counts.state }
        set { counts.state = newValue }
    }
}
