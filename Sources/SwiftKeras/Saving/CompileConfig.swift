/// Keras's `compile_config`: the optimizer, the losses, their weights and the metrics, so
/// that a loaded model is compiled again as it was saved.

func compileConfig(_ settings: CompiledSettings) -> ConfigObject {
    let losses: ConfigValue = settings.sharedLoss ? lossConfig(settings.losses[0]) : .array(settings.losses.map(lossConfig))
    let weights: ConfigValue = settings.lossWeightsGiven ? .array(settings.lossWeights.map { .float($0) }) : nil
    let listed = settings.metrics.map { $0.map(\.serialized) }
    let metrics: ConfigValue
    if settings.metricsPerOutput {
        metrics = .array(listed.map { .array($0) })
    } else if let first = listed.first, !first.isEmpty {
        metrics = .array(first)
    } else {
        metrics = nil
    }
    return ["optimizer": optimizerConfig(settings.optimizer), "loss": losses, "loss_weights": weights, "metrics": metrics,
            "weighted_metrics": nil, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false]
}

private func lossConfig(_ loss: Loss) -> ConfigValue { loss.serialized }

private func lossFromConfig(_ value: ConfigValue) throws -> Loss {
    if let name = value.stringValue {
        let loss = Loss(stringLiteral: name)
        guard loss.kind != nil else { throw SavingError("compile_config: unknown loss '\(name)'") }
        return loss
    }
    guard let object = value.objectValue, let className = object["class_name"]?.stringValue else {
        throw SavingError("compile_config: expected a loss name or object, found \(value.excerpt)")
    }
    do {
        return try Loss.fromConfig(className: className, object["config"]?.objectValue ?? [:])
    } catch let error as SavingError {
        throw SavingError("compile_config: \(error.message)")
    }
}

private func metricList(_ value: ConfigValue, what: String) throws -> [Metric] {
    guard let items = value.arrayValue else { throw SavingError("compile_config: \(what) must be a list of names, found \(value.excerpt)") }
    return try items.map { item in
        do {
            return try metricFromConfig(item)
        } catch let error as SavingError {
            throw SavingError("compile_config: \(error.message)")
        } catch {
            throw SavingError("compile_config: unsupported metric \(item.excerpt): \(error)")
        }
    }
}

/// Compiles `model` as its saved compile config says (Keras's `compile_from_config`).
func compileFromConfig(_ model: Model, _ config: ConfigObject) throws {
    guard let optimizerValue = config["optimizer"] else { throw SavingError("compile_config has no optimizer") }
    let optimizer = try optimizerFromConfig(optimizerValue)
    let outputs = model.outputNames.count
    var losses: [Loss]
    var shared = false
    switch config["loss"] {
    case .some(.array(let items)): losses = try items.map(lossFromConfig)
    case .some(.object(let object)) where object["class_name"] == nil:
        // Keras's dict form: a loss per output name.
        losses = try model.outputNames.map { name in
            guard let value = object[name] else { throw SavingError("compile_config: no loss for output '\(name)'") }
            return try lossFromConfig(value)
        }
    case .some(let value) where !value.isNull: losses = [try lossFromConfig(value)]; shared = true
    default: throw SavingError("compile_config has no loss (a model compiled without one cannot be compiled here)")
    }
    var lossWeights: [Float]?
    if let weights = config["loss_weights"], !weights.isNull {
        guard let items = weights.arrayValue, items.allSatisfy({ $0.doubleValue != nil }) else {
            throw SavingError("compile_config: loss_weights must be a list of numbers, found \(weights.excerpt)")
        }
        lossWeights = items.map { Float($0.doubleValue!) }
    }
    for key in ["weighted_metrics"] where !(config[key]?.isNull ?? true) {
        throw SavingError("compile_config: \(key) is not supported, found \(config[key]!.excerpt)")
    }
    var perOutput: [[Metric]]?
    var metrics: [Metric] = []
    if let value = config["metrics"], !value.isNull {
        if let items = value.arrayValue, items.contains(where: { $0.arrayValue != nil }) {
            perOutput = try items.map { try metricList($0, what: "metrics per output") }
        } else {
            metrics = try metricList(value, what: "metrics")
        }
    }
    if shared && lossWeights == nil && perOutput == nil {
        model.compile(loss: losses[0], optimizer: optimizer, metrics: metrics)
    } else {
        if shared { losses = Array(repeating: losses[0], count: outputs) }
        if let perOutput {
            model.compile(loss: losses, lossWeights: lossWeights, optimizer: optimizer, metrics: perOutput)
        } else {
            model.compile(loss: losses, lossWeights: lossWeights, optimizer: optimizer, metrics: metrics)
        }
    }
    if let error = model.compileError { throw SavingError("compile_config: \(error)") }
}
