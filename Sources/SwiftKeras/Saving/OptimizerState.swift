/// Optimizers to and from Keras's config, and their state in Keras's order: `iterations`,
/// `learning_rate`, then the per-variable slots as Keras's `build` creates them.

/// Keras's optimizer config: the shared keys, then the optimizer's own.
func optimizerConfig(_ optimizer: Optimizer) -> ConfigValue {
    var config: ConfigObject = [
        "name": .string(LayerNames.snakeCase(optimizer.name)),
        // Keras keeps the learning rate in a float32 variable and writes its widened value.
        "learning_rate": .double(Double(optimizer.learningRate)),
        "weight_decay": nil, "clipnorm": optimizer.clipnorm.map(ConfigValue.float) ?? nil,
        "global_clipnorm": optimizer.globalClipnorm.map(ConfigValue.float) ?? nil,
        "clipvalue": optimizer.clipvalue.map(ConfigValue.float) ?? nil,
        "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": nil, "loss_scale_factor": nil,
        "gradient_accumulation_steps": nil,
    ]
    switch optimizer {
    case let sgd as SGD: config.merge(["momentum": .float(sgd.momentum), "nesterov": .bool(sgd.nesterov)])
    case let adam as Adam:
        config.merge(["beta_1": .float(adam.beta1), "beta_2": .float(adam.beta2), "epsilon": .float(adam.epsilon),
                      "amsgrad": .bool(adam.amsgrad)])
    case let rms as RMSprop:
        config.merge(["rho": .float(rms.rho), "momentum": .float(rms.momentum), "epsilon": .float(rms.epsilon),
                      "centered": .bool(rms.centered)])
    case let adagrad as Adagrad:
        config.merge(["initial_accumulator_value": .float(adagrad.initialAccumulatorValue), "epsilon": .float(adagrad.epsilon)])
    default: break
    }
    return kerasObject(module: "keras.optimizers", className: optimizer.name, config: .object(config))
}

/// An optimizer from Keras's config (or its name: "adam"). Settings SwiftKeras does not
/// have (weight decay, EMA, learning-rate schedules, loss scaling, gradient accumulation)
/// must be off; otherwise training would silently differ.
func optimizerFromConfig(_ value: ConfigValue) throws -> Optimizer {
    if let name = value.stringValue {
        do { return try optimizer(named: name) } catch { throw SavingError("compile_config: \(error)") }
    }
    guard let object = value.objectValue, let className = object["class_name"]?.stringValue else {
        throw SavingError("compile_config: expected an optimizer object, found \(value.excerpt)")
    }
    let config = LayerConfig(className: className, values: object["config"]?.objectValue ?? [:])
    func unsupported(_ key: String, allowed: ConfigValue) throws {
        if let value = config.value(key), value != allowed {
            throw SavingError("compile_config: optimizer \(className) with '\(key)' = \(value.excerpt) is not supported (load with compile: false and compile again)")
        }
    }
    if let rate = config.values["learning_rate"], rate.doubleValue == nil {
        throw SavingError("compile_config: optimizer \(className): a learning-rate schedule (\(rate.excerpt)) is not supported (load with compile: false and compile again)")
    }
    try unsupported("weight_decay", allowed: nil)
    try unsupported("use_ema", allowed: false)
    try unsupported("ema_overwrite_frequency", allowed: nil)
    try unsupported("loss_scale_factor", allowed: nil)
    try unsupported("gradient_accumulation_steps", allowed: nil)
    config.ignore("name", "ema_momentum", "is_legacy_optimizer", "decay", "jit_compile")
    let clipnorm = try config.optionalFloat("clipnorm"), clipvalue = try config.optionalFloat("clipvalue")
    let globalClipnorm = try config.optionalFloat("global_clipnorm")
    let result: Optimizer
    do {
        switch className {
        case "SGD":
            result = SGD(learningRate: try config.float("learning_rate", default: 0.01), momentum: try config.float("momentum", default: 0),
                         nesterov: try config.bool("nesterov", default: false), clipnorm: clipnorm, clipvalue: clipvalue,
                         globalClipnorm: globalClipnorm)
        case "Adam":
            result = Adam(learningRate: try config.float("learning_rate", default: 0.001), beta1: try config.float("beta_1", default: 0.9),
                          beta2: try config.float("beta_2", default: 0.999), epsilon: try config.float("epsilon", default: 1e-7),
                          amsgrad: try config.bool("amsgrad", default: false), clipnorm: clipnorm, clipvalue: clipvalue,
                          globalClipnorm: globalClipnorm)
        case "RMSprop":
            result = RMSprop(learningRate: try config.float("learning_rate", default: 0.001), rho: try config.float("rho", default: 0.9),
                             momentum: try config.float("momentum", default: 0), epsilon: try config.float("epsilon", default: 1e-7),
                             centered: try config.bool("centered", default: false), clipnorm: clipnorm, clipvalue: clipvalue,
                             globalClipnorm: globalClipnorm)
        case "Adagrad":
            result = Adagrad(learningRate: try config.float("learning_rate", default: 0.001),
                             initialAccumulatorValue: try config.float("initial_accumulator_value", default: 0.1),
                             epsilon: try config.float("epsilon", default: 1e-7), clipnorm: clipnorm, clipvalue: clipvalue,
                             globalClipnorm: globalClipnorm)
        default:
            throw SavingError("compile_config: unknown optimizer class '\(className)' (SwiftKeras has SGD, Adam, RMSprop, Adagrad)")
        }
        try config.checkAllRead()
    } catch let error as SavingError {
        throw error.message.hasPrefix("compile_config") ? error : SavingError("compile_config: optimizer \(error.message)")
    }
    return result
}

extension Optimizer {
    /// Which slots Keras keeps, in its order: each group lists slot indices stored
    /// interleaved per variable (Adam: momentum and velocity of each variable, then the
    /// velocity maxima of each for amsgrad; RMSprop: velocities, momentum buffers,
    /// average gradients).
    var kerasSlotGroups: [[Int]] {
        switch self {
        case let sgd as SGD: return sgd.momentum != 0 ? [[0]] : []
        case let adam as Adam: return adam.amsgrad ? [[0, 1], [2]] : [[0, 1]]
        case let rms as RMSprop: return [[0]] + (rms.momentum > 0 ? [[1]] : []) + (rms.centered ? [[2]] : [])
        case is Adagrad: return [[0]]
        default: return slotCount > 0 ? [Array(0..<slotCount)] : []
        }
    }

    /// The number of values in the optimizer's variables as Keras counts them in `summary()`
    /// (its step counter, its learning rate unless a schedule gives it, the slots Keras
    /// keeps), or nil before the optimizer is built by a first step or by loading its state.
    var stateParameterCount: Int? {
        guard iterations > 0 || !slots.isEmpty else { return nil }
        let kept = kerasSlotGroups.joined().count
        let slotValues = slots.values.reduce(0) { total, state in total + kept * (state.first?.count ?? 0) }
        return 1 + (learningRateSchedule == nil ? 1 : 0) + slotValues
    }

    /// A variable's slots, created as the first update would create them.
    func slots(for variable: Variable) -> [Tensor] {
        let id = ObjectIdentifier(variable)
        if let existing = slots[id] { return existing }
        let fresh = (0..<slotCount).map { _ in Tensor(repeating: initialSlotValue, shape: variable.shape) }
        slots[id] = fresh
        return fresh
    }

    /// The optimizer's state for `variables` (the model's trainable weights) in Keras's
    /// `optimizer.variables` order, after iterations and learning rate.
    func kerasSlots(for variables: [Variable]) -> [(variable: Variable, slot: Int)] {
        kerasSlotGroups.flatMap { group in variables.flatMap { v in group.map { (v, $0) } } }
    }
}
