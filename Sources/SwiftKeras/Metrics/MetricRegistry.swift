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
    /// Throws for arguments Keras rejects (compile calls it; so does each update).
    func checkArguments() throws
}

extension SerializableMetric {
    func checkArguments() throws {}
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
    entry(Precision.self, .up, { Precision(name: $0) }) { c in
        let thresholds = try c.thresholds()
        return Precision(thresholds?.values, asNumber: thresholds?.asNumber ?? false, topK: try c.optionalInt("top_k"), classId: try c.optionalInt("class_id"),
                  name: try c.name(default: "precision"))
    },
    entry(Recall.self, .up, { Recall(name: $0) }) { c in
        let thresholds = try c.thresholds()
        return Recall(thresholds?.values, asNumber: thresholds?.asNumber ?? false, topK: try c.optionalInt("top_k"), classId: try c.optionalInt("class_id"),
               name: try c.name(default: "recall"))
    },
    entry(AUC.self, .up, { AUC(name: $0) }) { c in
        for key in ["multi_label"] where c[key]?.boolValue == true {
            throw SavingError("metric config: AUC with \(key)=true is not supported")
        }
        if let weights = c["label_weights"], !weights.isNull { throw SavingError("metric config: AUC with label_weights is not supported") }
        guard let curve = AUC.Curve(rawValue: c["curve"]?.stringValue?.uppercased() ?? "ROC") else {
            throw SavingError("metric config: AUC curve must be ROC or PR, found \(c["curve"]!.excerpt)")
        }
        guard let summation = AUC.SummationMethod(rawValue: c["summation_method"]?.stringValue ?? "interpolation") else {
            throw SavingError("metric config: AUC summation_method must be interpolation, minoring or majoring, found \(c["summation_method"]!.excerpt)")
        }
        return AUC(numThresholds: try c.int("num_thresholds", default: 200), curve: curve, summationMethod: summation,
                   name: try c.name(default: "auc"), thresholds: try c.thresholds()?.values, fromLogits: c["from_logits"]?.boolValue ?? false)
    },
    entry(MeanAbsoluteError.self, .down, { MeanAbsoluteError(name: $0) }) { c in
        MeanAbsoluteError(name: try c.name(default: "mean_absolute_error"))
    },
    entry(MeanSquaredError.self, .down, { MeanSquaredError(name: $0) }) { c in
        MeanSquaredError(name: try c.name(default: "mean_squared_error"))
    },
    entry(RootMeanSquaredError.self, .down, { RootMeanSquaredError(name: $0) }) { c in
        RootMeanSquaredError(name: try c.name(default: "root_mean_squared_error"))
    },
    entry(F1Score.self, .up, { F1Score(name: $0) }) { c in
        var average: F1Score.Average?
        if let value = c["average"], !value.isNull {
            guard let parsed = value.stringValue.flatMap(F1Score.Average.init(rawValue:)) else {
                throw SavingError("metric config: F1Score average must be null, micro, macro or weighted, found \(value.excerpt)")
            }
            average = parsed
        }
        let threshold: Float? = c["threshold"]?.isNull ?? true ? nil : try c.float("threshold", default: 0)
        return F1Score(average: average, threshold: threshold, name: try c.name(default: "f1_score"))
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
private let metricAliases: [(String, String)] = [
    ("mae", "MeanAbsoluteError"), ("MAE", "MeanAbsoluteError"), ("mse", "MeanSquaredError"), ("MSE", "MeanSquaredError"),
]

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

    func optionalInt(_ key: String) throws -> Int? {
        guard let entry = self[key], !entry.isNull else { return nil }
        return try int(key, default: 0)
    }

    /// Keras's `thresholds`: null, one number or a list of numbers.
    func thresholds() throws -> (values: [Float], asNumber: Bool)? {
        guard let entry = self["thresholds"], !entry.isNull else { return nil }
        if let number = entry.doubleValue { return ([Float(number)], true) }
        guard let items = entry.arrayValue, items.allSatisfy({ $0.doubleValue != nil }) else {
            throw SavingError("metric config: thresholds must be a number or a list of numbers, found \(entry.excerpt)")
        }
        return (items.map { Float($0.doubleValue!) }, false)
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

/// Keras writes thresholds as given: one number or a list.
private func thresholdsConfig(_ thresholds: [Float]?, single: Bool) -> ConfigValue {
    guard let thresholds else { return nil }
    return single && thresholds.count == 1 ? .float(thresholds[0]) : .array(thresholds.map { .float($0) })
}

private func optional(_ value: Int?) -> ConfigValue { value.map { .int($0) } ?? nil }

extension Precision: SerializableMetric {
    static let className = "Precision"
    var configEntries: ConfigObject {
        ["thresholds": thresholdsConfig(thresholds, single: thresholdGivenAsNumber), "top_k": optional(topK), "class_id": optional(classId)]
    }
}

extension Recall: SerializableMetric {
    static let className = "Recall"
    var configEntries: ConfigObject {
        ["thresholds": thresholdsConfig(thresholds, single: thresholdGivenAsNumber), "top_k": optional(topK), "class_id": optional(classId)]
    }
}

extension AUC: SerializableMetric {
    static let className = "AUC"
    var configEntries: ConfigObject {
        var config: ConfigObject = ["num_thresholds": .int(numThresholds), "curve": .string(curve.rawValue),
                                    "summation_method": .string(summationMethod.rawValue), "multi_label": false,
                                    "num_labels": nil, "label_weights": nil, "from_logits": .bool(fromLogits)]
        if let thresholds { config["thresholds"] = .array(thresholds.map { .float($0) }) }
        return config
    }
}

extension MeanAbsoluteError: SerializableMetric {
    static let className = "MeanAbsoluteError"
    var configEntries: ConfigObject { [:] }
}

extension MeanSquaredError: SerializableMetric {
    static let className = "MeanSquaredError"
    var configEntries: ConfigObject { [:] }
}

extension RootMeanSquaredError: SerializableMetric {
    static let className = "RootMeanSquaredError"
    var configEntries: ConfigObject { [:] }
}

extension F1Score: SerializableMetric {
    static let className = "F1Score"
    var configEntries: ConfigObject {
        ["average": average.map { .string($0.rawValue) } ?? nil, "threshold": threshold.map { .float($0) } ?? nil]
    }
}
