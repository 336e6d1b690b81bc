/// The built-in metrics by the names Keras's `metrics.get` takes (class name, snake-case
/// name, aliases such as "mae"), and by class name for saved configs.
struct MetricEntry: Sendable {
    let className: String
    let direction: MetricDirection
    /// A metric with its defaults, named `name`.
    let make: @Sendable (_ name: String) -> any KerasMetric
    /// A metric from Keras's serialized config.
    let fromConfig: @Sendable (_ config: ConfigObject) throws -> any KerasMetric
}

/// A built-in metric's Keras serialization: its class name and `get_config()`.
protocol SerializableMetric: KerasMetric {
    static var className: String { get }
    /// The entries after "name" and "dtype", in Keras's order.
    var configEntries: ConfigObject { get }
}

private let metricEntries: [MetricEntry] = [
    entry(BinaryAccuracy.self, .up, { BinaryAccuracy(name: $0) }) { c in
        BinaryAccuracy(name: try c.name(default: "binary_accuracy"), threshold: try c.float("threshold", default: 0.5))
    },
    entry(CategoricalAccuracy.self, .up, { CategoricalAccuracy(name: $0) }) { c in
        CategoricalAccuracy(name: try c.name(default: "categorical_accuracy"))
    },
    entry(SparseCategoricalAccuracy.self, .up, { SparseCategoricalAccuracy(name: $0) }) { c in
        SparseCategoricalAccuracy(name: try c.name(default: "sparse_categorical_accuracy"))
    },
    entry(TopKCategoricalAccuracy.self, .up, { TopKCategoricalAccuracy(name: $0) }) { c in
        TopKCategoricalAccuracy(k: try c.int("k", default: 5), name: try c.name(default: "top_k_categorical_accuracy"))
    },
    entry(SparseTopKCategoricalAccuracy.self, .up, { SparseTopKCategoricalAccuracy(name: $0) }) { c in
        SparseTopKCategoricalAccuracy(k: try c.int("k", default: 5), name: try c.name(default: "sparse_top_k_categorical_accuracy"))
    },
]

private func entry<M: SerializableMetric>(_ type: M.Type, _ direction: MetricDirection, _ make: @escaping @Sendable (String) -> M,
                                          fromConfig: @escaping @Sendable (ConfigObject) throws -> M) -> MetricEntry {
    MetricEntry(className: M.className, direction: direction, make: make, fromConfig: fromConfig)
}

/// Keras's `to_snake_case`: "TopKCategoricalAccuracy" → "top_k_categorical_accuracy", "AUC" → "auc".
func snakeCase(_ name: String) -> String {
    var out = ""
    let chars = Array(name)
    for (i, c) in chars.enumerated() {
        if c.isUppercase, i > 0 {
            let previous = chars[i - 1], next = i + 1 < chars.count ? chars[i + 1] : nil
            // A capital starts a word after a lower-case letter or digit, or before a lower-case
            // letter ("AUCCurve" → "auc_curve").
            if !previous.isUppercase || (next?.isLowercase ?? false) { out += "_" }
        }
        out += c.lowercased()
    }
    return out
}

/// Every name a metric can be given by: class names, their snake case, Keras's aliases.
let metricRegistry: [String: MetricEntry] = {
    var names: [String: MetricEntry] = [:]
    for entry in metricEntries {
        names[entry.className] = entry
        names[snakeCase(entry.className)] = entry
    }
    for (alias, className) in metricAliases {
        names[alias] = metricEntries.first { $0.className == className }
    }
    return names
}()

/// Keras's extra spellings (keras.metrics ALL_OBJECTS_DICT) of the metrics built in here.
private let metricAliases: [(String, String)] = []

/// Keras's serialized form of a metric object, as compile_config lists it.
func serializeMetric(_ metric: any KerasMetric) -> ConfigValue {
    var config: ConfigObject = ["name": .string(metric.name), "dtype": "float32"]
    guard let known = metric as? any SerializableMetric else {
        return ["module": nil, "class_name": .string(String(describing: type(of: metric))), "config": .object(config),
                "registered_name": .string(String(describing: type(of: metric)))]
    }
    config.merge(known.configEntries)
    return ["module": "keras.metrics", "class_name": .string(type(of: known).className), "config": .object(config),
            "registered_name": nil]
}

/// A metric from compile_config: a name, or a serialized built-in metric.
func metricFromConfig(_ value: ConfigValue) throws -> Metric {
    if let name = value.stringValue {
        _ = try compiledMetrics([[Metric(stringLiteral: name)]])
        return Metric(stringLiteral: name)
    }
    guard let object = value.objectValue, let className = object["class_name"]?.stringValue else {
        throw SavingError("expected a metric name or object, found \(value.excerpt)")
    }
    guard let entry = metricEntries.first(where: { $0.className == className }) else {
        throw SavingError("unknown metric class '\(className)' (a metric of your own is not saved with the model; compile the loaded model again)")
    }
    return Metric(try entry.fromConfig(object["config"]?.objectValue ?? [:]))
}

extension ConfigObject {
    func name(default name: String) throws -> String {
        guard let value = self["name"], !value.isNull else { return name }
        guard let string = value.stringValue else { throw SavingError("metric config: name must be a string, found \(value.excerpt)") }
        return string
    }

    func float(_ key: String, default value: Float) throws -> Float {
        guard let entry = self[key], !entry.isNull else { return value }
        guard let number = entry.doubleValue else { throw SavingError("metric config: \(key) must be a number, found \(entry.excerpt)") }
        return Float(number)
    }

    func int(_ key: String, default value: Int) throws -> Int {
        guard let entry = self[key], !entry.isNull else { return value }
        guard let number = entry.intValue else { throw SavingError("metric config: \(key) must be an integer, found \(entry.excerpt)") }
        return number
    }
}

extension BinaryAccuracy: SerializableMetric {
    static let className = "BinaryAccuracy"
    var configEntries: ConfigObject { ["threshold": .float(threshold)] }
}

extension CategoricalAccuracy: SerializableMetric {
    static let className = "CategoricalAccuracy"
    var configEntries: ConfigObject { [:] }
}

extension SparseCategoricalAccuracy: SerializableMetric {
    static let className = "SparseCategoricalAccuracy"
    var configEntries: ConfigObject { [:] }
}

extension TopKCategoricalAccuracy: SerializableMetric {
    static let className = "TopKCategoricalAccuracy"
    var configEntries: ConfigObject { ["k": .int(k)] }
}

extension SparseTopKCategoricalAccuracy: SerializableMetric {
    static let className = "SparseTopKCategoricalAccuracy"
    var configEntries: ConfigObject { ["k": .int(k)] }
}
