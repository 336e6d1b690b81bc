/// A metric for compile(metrics:): a Keras name ("accuracy", "precision", "mae") or a metric
/// object (`Metric(AUC(curve: .pr))`, or any `KerasMetric` of your own).
///
/// A name makes a fresh metric for every pass over the data, as Keras's `metrics.get(name)`
/// does, and logs under that name. "accuracy" (or "acc") becomes binary, sparse categorical
/// or categorical accuracy from the shapes of the first batch, as Keras resolves it: binary
/// when the prediction has one value per row, sparse when the labels have one axis less
/// than the predictions (or a last axis of 1), categorical otherwise. A metric object is
/// reset at the start of every pass and logs under its own `name`.
public struct Metric: ExpressibleByStringLiteral, CustomStringConvertible {
    /// The name as given, for a metric named by a string.
    let identifier: String?
    /// The metric object, for one given as an object.
    let object: (any KerasMetric)?
    /// The key in logs (unique among the metrics of an output once compiled).
    public let name: String

    public init(stringLiteral value: String) {
        identifier = value
        object = nil
        name = value
    }

    /// A metric object: updated by fit/evaluate, reset at the start of every pass.
    public init(_ metric: any KerasMetric) {
        identifier = nil
        object = metric
        name = metric.name
    }

    private init(identifier: String?, object: (any KerasMetric)?, name: String) {
        self.identifier = identifier
        self.object = object
        self.name = name
    }

    public static var accuracy: Metric { "accuracy" }
    public static var binaryAccuracy: Metric { "binary_accuracy" }
    public static var categoricalAccuracy: Metric { "categorical_accuracy" }
    public static var sparseCategoricalAccuracy: Metric { "sparse_categorical_accuracy" }
    public static var topKCategoricalAccuracy: Metric { "top_k_categorical_accuracy" }
    public static var sparseTopKCategoricalAccuracy: Metric { "sparse_top_k_categorical_accuracy" }
    public static var precision: Metric { "precision" }
    public static var recall: Metric { "recall" }
    public static var auc: Metric { "auc" }
    public static var meanAbsoluteError: Metric { "mae" }
    public static var meanSquaredError: Metric { "mse" }
    public static var rootMeanSquaredError: Metric { "root_mean_squared_error" }

    public var description: String { name }

    /// Whether the metric improves as it rises (monitors in mode auto read this).
    var direction: MetricDirection? {
        if let object { return object.direction }
        guard let identifier else { return nil }
        if isAccuracyIdentifier(identifier) { return .up }
        return metricRegistry[identifier]?.direction
    }

    /// The metric that a pass updates: the object (reset), or a new one for the name, resolved
    /// against the first batch's shapes for "accuracy".
    func instantiate(yTrue: Tensor, yPred: Tensor) throws -> any KerasMetric {
        if let object {
            object.resetState()
            return object
        }
        let identifier = identifier ?? name
        if isAccuracyIdentifier(identifier) {
            let predWidth = yPred.rank >= 2 ? yPred.shape[yPred.rank - 1] : 1
            let trueWidth = yTrue.rank >= 1 ? yTrue.shape[yTrue.rank - 1] : 1
            if predWidth == 1 { return BinaryAccuracy(name: identifier) }
            if yTrue.rank < yPred.rank || (trueWidth == 1 && predWidth > 1) { return SparseCategoricalAccuracy(name: identifier) }
            return CategoricalAccuracy(name: identifier)
        }
        guard let entry = metricRegistry[identifier] else { throw unknownMetricError(identifier) }
        return entry.make(identifier)
    }

    /// This metric logging under `name`.
    func named(_ name: String) -> Metric { Metric(identifier: identifier, object: object, name: name) }

    /// How compile_config lists it: the name as given, or the object as Keras serializes it.
    var serialized: ConfigValue {
        if let identifier { return .string(identifier) }
        return serializeMetric(object!)
    }
}

private func isAccuracyIdentifier(_ name: String) -> Bool { ["accuracy", "acc"].contains(name.lowercased()) }

func unknownMetricError(_ name: String) -> KerasError {
    .invalidArgument(
        "Could not interpret metric identifier: '\(name)' (expected \"accuracy\" or one of: "
            + metricRegistry.keys.sorted().joined(separator: ", ") + ")")
}

/// compile()'s metrics, checked: every name known, one object per output (an object holds
/// one output's state), and log names unique within an output (a second "auc" logs as
/// "auc_1", as a second `AUC()` is named in Keras).
func compiledMetrics(_ lists: [[Metric]]) throws -> [[Metric]] {
    var seenObjects = Set<ObjectIdentifier>()
    return try lists.map { list in
        var counts: [String: Int] = [:]
        var used = Set<String>()
        return try list.map { metric in
            if let identifier = metric.identifier, !isAccuracyIdentifier(identifier), metricRegistry[identifier] == nil {
                throw unknownMetricError(identifier)
            }
            try (metric.object as? any SerializableMetric)?.checkArguments()
            if let object = metric.object, !seenObjects.insert(ObjectIdentifier(object)).inserted {
                throw KerasError.invalidArgument(
                    "compile: the metric object \"\(object.name)\" is given twice (or for several outputs); each output needs its own metric object, or pass the metric's name")
            }
            var name = metric.name
            while used.contains(name) {
                let n = counts[metric.name, default: 0] + 1
                counts[metric.name] = n
                name = "\(metric.name)_\(n)"
            }
            used.insert(name)
            return metric.named(name)
        }
    }
}
