/// Losses to and from Keras's config (`get_config` / `from_config`), as compile_config
/// saves them.
extension Loss {
    /// The name Keras gives the loss object in its config ("huber_loss" for Huber).
    private var configName: String {
        guard let kind else { return name }
        return kind == .huber ? "huber_loss" : kind.rawValue
    }

    /// Keras's `get_config()`: name and reduction, then the loss's own arguments. Keras's
    /// Huber and CosineSimilarity leave out `delta` and `axis`; they are written when not
    /// the default, so that a round trip keeps them (Keras's from_config accepts them).
    public func getConfig() -> ConfigObject {
        var config: ConfigObject = ["name": .string(configName), "reduction": .string(reduction.rawValue)]
        switch kind {
        case .binaryCrossentropy, .categoricalCrossentropy:
            config.merge(["from_logits": .bool(fromLogits), "label_smoothing": .float(labelSmoothing), "axis": -1])
        case .sparseCategoricalCrossentropy:
            config.merge(["from_logits": .bool(fromLogits), "ignore_class": nil])
        case .categoricalFocalCrossentropy:
            config.merge(["from_logits": .bool(fromLogits), "label_smoothing": .float(labelSmoothing), "axis": -1,
                          "alpha": .float(alpha), "gamma": .float(gamma)])
        case .binaryFocalCrossentropy:
            config.merge(["from_logits": .bool(fromLogits), "label_smoothing": .float(labelSmoothing), "axis": -1,
                          "apply_class_balancing": .bool(applyClassBalancing), "alpha": .float(alpha), "gamma": .float(gamma)])
        case .huber where delta != 1: config.merge(["delta": .float(delta)])
        case .cosineSimilarity where axis != -1: config.merge(["axis": .int(axis)])
        default: break
        }
        return config
    }

    /// Whether every argument has its default, so that the loss is saved as its name.
    var hasDefaultArguments: Bool {
        self == Loss(stringLiteral: name)
    }

    /// Keras's serialized form: the name when every argument is the default (as compiled
    /// from a string), otherwise the class and its config.
    var serialized: ConfigValue {
        guard let kind, !hasDefaultArguments else { return .string(name) }
        return kerasObject(module: "keras.losses", className: kind.className, config: .object(getConfig()))
    }

    /// A loss from Keras's class name and config (Keras's `from_config`). Keys the loss does
    /// not have, or values it cannot take, throw naming the key.
    public static func fromConfig(className: String, _ values: ConfigObject) throws -> Loss {
        guard let kind = Kind.allCases.first(where: { $0.className == className }) else {
            throw SavingError("unknown loss class '\(className)' (SwiftKeras has "
                + Kind.allCases.map(\.className).joined(separator: ", ") + ")")
        }
        let config = LayerConfig(className: className, values: values)
        var loss = Loss(kind)
        config.ignore("name", "dtype")
        // Keras writes reduction=None as null.
        let reductionName = values["reduction"]?.isNull == true ? Reduction.none.rawValue
            : try config.string("reduction", default: Reduction.sumOverBatchSize.rawValue)
        config.ignore("reduction")
        guard let reduction = Reduction(rawValue: reductionName) else {
            throw SavingError("loss \(className): 'reduction' must be one of "
                + Reduction.allCases.map(\.rawValue).joined(separator: ", ") + ", found '\(reductionName)'")
        }
        loss.reduction = reduction
        switch kind {
        case .binaryCrossentropy, .categoricalCrossentropy, .sparseCategoricalCrossentropy,
             .categoricalFocalCrossentropy, .binaryFocalCrossentropy:
            loss.fromLogits = try config.bool("from_logits", default: false)
            if kind != .sparseCategoricalCrossentropy {
                loss.labelSmoothing = try config.float("label_smoothing", default: 0)
                let axis = try config.int("axis", default: -1)
                guard axis == -1 else { throw SavingError("loss \(className): 'axis' \(axis) is not supported (only -1)") }
            } else if let ignore = config.value("ignore_class") {
                throw SavingError("loss \(className): 'ignore_class' is not supported, found \(ignore.excerpt)")
            }
            if kind == .categoricalFocalCrossentropy || kind == .binaryFocalCrossentropy {
                loss.alpha = try config.float("alpha", default: 0.25)
                loss.gamma = try config.float("gamma", default: 2)
                loss.applyClassBalancing = try config.bool("apply_class_balancing", default: false)
            }
        case .huber: loss.delta = try config.float("delta", default: 1)
        case .cosineSimilarity: loss.axis = try config.int("axis", default: -1)
        default: break
        }
        try config.checkAllRead()
        do { _ = try loss.resolvedKind() } catch { throw SavingError("loss \(className): \(error)") }
        return loss
    }
}
