/// Whether a metric improves as it rises or as it falls (Keras's `_direction`): callbacks
/// that monitor a metric in mode `.auto` read it.
public enum MetricDirection: String, Sendable {
    case up, down
}

/// A metric accumulated over the batches of a pass (Keras's stateful `keras.metrics.Metric`).
///
/// fit and evaluate reset each compiled metric at the start of every epoch or evaluation,
/// update it with every batch and log its running `result()`. Its whole state is a few sums
/// (`state`), so the states of two parts of a pass add up: data-parallel training sums them
/// across processes before any logs are read. A metric of your own conforms to this protocol
/// (or is a `MeanMetricWrapper` around a function) and is passed as `Metric(myMetric)`.
public protocol KerasMetric: AnyObject {
    /// The key in logs ("precision"; "val_precision" for validation).
    var name: String { get }
    /// Up for accuracies, down for errors; nil when it is not known.
    var direction: MetricDirection? { get }
    /// Adds one batch. `sampleWeight` holds one weight per sample or per row of `yPred`
    /// (a row: the values along its last axis), or is nil when every row weighs 1.
    func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws
    /// The value over everything added since the last reset (a scalar for a metric that fit
    /// logs; Precision with several thresholds and F1Score without averaging give one value
    /// per threshold or class).
    func result() -> Tensor
    /// Forgets every batch added.
    func resetState()
    /// The metric's variables, flattened: sums that add up across parts of a pass.
    var state: [Double] { get set }
}

extension KerasMetric {
    public var direction: MetricDirection? { nil }

    public func updateState(yTrue: Tensor, yPred: Tensor) throws {
        try updateState(yTrue: yTrue, yPred: yPred, sampleWeight: nil)
    }
}

/// The mean of per-sample values (Keras's `MeanMetricWrapper`): `fn(yTrue, yPred)` gives one
/// value per sample (or more, averaged per sample), and the result is their mean weighted
/// by the sample weights. The accuracies and the regression metrics are built on it.
open class MeanMetricWrapper: KerasMetric {
    public let name: String
    public let direction: MetricDirection?
    private let fn: ((Tensor, Tensor) throws -> Tensor)?
    /// The weighted total of the values and the total weight (Keras's `total` and `count`).
    var mean = WeightedMean()

    public init(name: String, direction: MetricDirection? = nil, fn: @escaping (Tensor, Tensor) throws -> Tensor) {
        self.name = name
        self.direction = direction
        self.fn = fn
    }

    /// For a built-in metric, which overrides `updateState`.
    init(name: String, direction: MetricDirection?) {
        self.name = name
        self.direction = direction
        fn = nil
    }

    open func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        guard let fn else { return }
        let values = try fn(yTrue, yPred)
        let samples = values.rank == 0 ? 1 : values.shape[0]
        // One weight per value (the mask of a sequence's steps) weighs each value; one per
        // sample weighs the sample's mean, as Keras reduces them.
        let rows = sampleWeight?.count == values.count ? values.count : samples
        let perRow = values.count / Swift.max(rows, 1)
        let weights = try RowWeights(sampleWeight, rows: rows, samples: samples, metric: name, yPred: values)
        let p = values.storage.pointer
        mean.add(rows: rows, weights: weights) { r in
            var sum = 0.0
            for j in 0..<perRow { sum += Double(p[r * perRow + j]) }
            return sum / Double(Swift.max(perRow, 1))
        }
    }

    open func result() -> Tensor { Tensor(Float(mean.result)) }
    public func resetState() { mean = WeightedMean() }

    public var state: [Double] {
        get { [mean.total, mean.count] }
        set { mean = WeightedMean(total: newValue[0], count: newValue[1]) }
    }
}

/// Keras's `Mean`: a weighted total and the total weight; 0 before any weight (divide_no_nan).
struct WeightedMean {
    var total = 0.0
    var count = 0.0

    /// Adds `value(r)` for each of `rows` rows, weighted by `weights`.
    mutating func add(rows: Int, weights: RowWeights, _ value: (Int) -> Double) {
        for r in 0..<rows {
            let w = weights[r]
            total += w * value(r)
            count += w
        }
    }

    var result: Double { count != 0 ? total / count : 0 }
}

/// The weight of each row of a prediction (its values along the last axis; each value of a
/// rank-1 prediction is a row) from a sample weight with one weight per row or per sample.
struct RowWeights {
    private let weights: Tensor?

    init(_ sampleWeight: Tensor?, rows: Int, samples: Int, metric: String, yPred: Tensor) throws {
        guard let sampleWeight else { weights = nil; return }
        guard sampleWeight.count == rows || (sampleWeight.count == samples && samples > 0 && rows % samples == 0) else {
            throw KerasError.invalidData(
                "metric \"\(metric)\": sample_weight of shape \(shapeString(sampleWeight.shape)) does not fit y_pred of shape \(shapeString(yPred.shape)); give one weight per sample (\(samples)) or per row (\(rows))")
        }
        weights = try rowWeights(mask: nil, sampleWeight: sampleWeight, rows: rows)
    }

    subscript(row: Int) -> Double { weights.map { Double($0.storage.pointer[row]) } ?? 1 }
}

/// A prediction seen as rows along its last axis (a rank-1 prediction: rows of one value).
struct PredictionRows {
    let width: Int
    let rows: Int
    let samples: Int

    init(_ yPred: Tensor) {
        width = yPred.rank >= 2 ? yPred.shape[yPred.rank - 1] : 1
        rows = width > 0 ? yPred.count / width : 0
        samples = yPred.rank >= 1 ? yPred.shape[0] : 1
    }
}

/// Whether two shapes pair as Keras's `squeeze_or_expand_to_same_rank` pairs them: equal,
/// or equal once a trailing axis of 1 is dropped from the longer one.
func shapesPair(_ a: [Int], _ b: [Int]) -> Bool {
    if a == b { return true }
    if a.count == b.count + 1, a.last == 1 { return Array(a.dropLast()) == b }
    if b.count == a.count + 1, b.last == 1 { return Array(b.dropLast()) == a }
    return false
}

/// The error for labels that do not fit a metric: names the metric, what it expects and the
/// shapes it received.
func metricShapeError(_ metric: String, expected: String, yTrue: Tensor, yPred: Tensor) -> KerasError {
    .invalidData(
        "metric \"\(metric)\" expects \(expected); received y_true of shape \(shapeString(yTrue.shape)) and y_pred of shape \(shapeString(yPred.shape))")
}
