/// Optimizers to and from Keras's config, and their state in Keras's order: `iterations`,
/// `learning_rate`, then the per-variable slots as Keras's `build` creates them.

/// Keras's optimizer config: the shared keys, then the optimizer's own.
func optimizerConfig(_ optimizer: Optimizer) -> ConfigValue {
    var config: ConfigObject = [
        "name": .string(LayerNames.snakeCase(optimizer.name)),
        // Keras keeps the learning rate in a float32 variable and writes its widened value.
        "learning_rate": .double(Double(optimizer.learningRate)),
        "weight_decay": optimizer.weightDecay.map(ConfigValue.float) ?? nil, "clipnorm": optimizer.clipnorm.map(ConfigValue.float) ?? nil,
        "global_clipnorm": optimizer.globalClipnorm.map(ConfigValue.float) ?? nil,
        "clipvalue": optimizer.clipvalue.map(ConfigValue.float) ?? nil,
        "use_ema": .bool(optimizer.useEma), "ema_momentum": .float(optimizer.emaMomentum),
        "ema_overwrite_frequency": optimizer.emaOverwriteFrequency.map(ConfigValue.int) ?? nil, "loss_scale_factor": nil,
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
    case let nadam as Nadam:
        config.merge(["beta_1": .float(nadam.beta1), "beta_2": .float(nadam.beta2), "epsilon": .float(nadam.epsilon)])
    case let adamax as Adamax:
        config.merge(["beta_1": .float(adamax.beta1), "beta_2": .float(adamax.beta2), "epsilon": .float(adamax.epsilon)])
    case let adadelta as Adadelta:
        config.merge(["rho": .float(adadelta.rho), "epsilon": .float(adadelta.epsilon)])
    case let lion as Lion:
        config.merge(["beta_1": .float(lion.beta1), "beta_2": .float(lion.beta2)])
    default: break
    }
    return kerasObject(module: "keras.optimizers", className: optimizer.name, config: .object(config))
}

/// An optimizer from Keras's config (or its name: "adam"). Settings SwiftKeras does not
/// have (learning-rate schedules, loss scaling, gradient accumulation) must be off;
/// otherwise training would silently differ.
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
    try unsupported("loss_scale_factor", allowed: nil)
    try unsupported("gradient_accumulation_steps", allowed: nil)
    config.ignore("name", "is_legacy_optimizer", "decay", "jit_compile")
    let clipnorm = try config.optionalFloat("clipnorm"), clipvalue = try config.optionalFloat("clipvalue")
    let globalClipnorm = try config.optionalFloat("global_clipnorm")
    let weightDecay = try config.optionalFloat("weight_decay"), useEma = try config.bool("use_ema", default: false)
    let emaMomentum = try config.float("ema_momentum", default: 0.99)
    let emaOverwriteFrequency = config.value("ema_overwrite_frequency") == nil ? nil : try config.int("ema_overwrite_frequency")
    let result: Optimizer
    do {
        switch className {
        case "SGD":
            result = SGD(learningRate: try config.float("learning_rate", default: 0.01), momentum: try config.float("momentum", default: 0),
                         nesterov: try config.bool("nesterov", default: false), clipnorm: clipnorm, clipvalue: clipvalue,
                         globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma,
                             emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
        case "Adam":
            result = Adam(learningRate: try config.float("learning_rate", default: 0.001), beta1: try config.float("beta_1", default: 0.9),
                          beta2: try config.float("beta_2", default: 0.999), epsilon: try config.float("epsilon", default: 1e-7),
                          amsgrad: try config.bool("amsgrad", default: false), clipnorm: clipnorm, clipvalue: clipvalue,
                          globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma,
                             emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
        case "RMSprop":
            result = RMSprop(learningRate: try config.float("learning_rate", default: 0.001), rho: try config.float("rho", default: 0.9),
                             momentum: try config.float("momentum", default: 0), epsilon: try config.float("epsilon", default: 1e-7),
                             centered: try config.bool("centered", default: false), clipnorm: clipnorm, clipvalue: clipvalue,
                             globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma,
                             emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
        case "Adagrad":
            result = Adagrad(learningRate: try config.float("learning_rate", default: 0.001),
                             initialAccumulatorValue: try config.float("initial_accumulator_value", default: 0.1),
                             epsilon: try config.float("epsilon", default: 1e-7), clipnorm: clipnorm, clipvalue: clipvalue,
                             globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma,
                             emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
        case "AdamW":
            result = AdamW(learningRate: try config.float("learning_rate", default: 0.001), weightDecay: weightDecay ?? 0.004,
                           beta1: try config.float("beta_1", default: 0.9), beta2: try config.float("beta_2", default: 0.999),
                           epsilon: try config.float("epsilon", default: 1e-7), amsgrad: try config.bool("amsgrad", default: false),
                           clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm, useEma: useEma,
                           emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
        case "Nadam", "Adamax":
            let (beta1, beta2) = (try config.float("beta_1", default: 0.9), try config.float("beta_2", default: 0.999))
            let epsilon = try config.float("epsilon", default: 1e-7), rate = try config.float("learning_rate", default: 0.001)
            result = className == "Nadam"
                ? Nadam(learningRate: rate, beta1: beta1, beta2: beta2, epsilon: epsilon, clipnorm: clipnorm, clipvalue: clipvalue,
                        globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum,
                        emaOverwriteFrequency: emaOverwriteFrequency)
                : Adamax(learningRate: rate, beta1: beta1, beta2: beta2, epsilon: epsilon, clipnorm: clipnorm, clipvalue: clipvalue,
                         globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum,
                         emaOverwriteFrequency: emaOverwriteFrequency)
        case "Adadelta":
            result = Adadelta(learningRate: try config.float("learning_rate", default: 0.001), rho: try config.float("rho", default: 0.95),
                              epsilon: try config.float("epsilon", default: 1e-7), clipnorm: clipnorm, clipvalue: clipvalue,
                              globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum,
                              emaOverwriteFrequency: emaOverwriteFrequency)
        case "Lion":
            result = Lion(learningRate: try config.float("learning_rate", default: 0.001), beta1: try config.float("beta_1", default: 0.9),
                          beta2: try config.float("beta_2", default: 0.99), clipnorm: clipnorm, clipvalue: clipvalue,
                          globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum,
                          emaOverwriteFrequency: emaOverwriteFrequency)
        default:
            throw SavingError("compile_config: unknown optimizer class '\(className)' (SwiftKeras has SGD, Adam, AdamW, Nadam, Adamax, Adadelta, Lion, RMSprop, Adagrad)")
        }
        try config.checkAllRead()
        try result.checkArguments()
    } catch let error as SavingError {
        throw error.message.hasPrefix("compile_config") ? error : SavingError("compile_config: optimizer \(error.message)")
    } catch let error as KerasError {
        throw SavingError("compile_config: optimizer \(error)")
    }
    return result
}

extension Optimizer {
    /// Which slots Keras keeps, in its order: each group lists slot indices stored
    /// interleaved per variable (Adam: momentum and velocity of each variable, then the
    /// velocity maxima of each for amsgrad; RMSprop: velocities, momentum buffers,
    /// average gradients).
    /// With EMA, the moving averages (slot `slotCount`) come first, as Keras's base `build`
    /// creates them before the update rule's.
    var kerasSlotGroups: [[Int]] {
        let rule: [[Int]]
        switch self {
        case let sgd as SGD: rule = sgd.momentum != 0 ? [[0]] : []
        case let adam as Adam: rule = adam.amsgrad ? [[0, 1], [2]] : [[0, 1]]
        case let rms as RMSprop: rule = [[0]] + (rms.momentum > 0 ? [[1]] : []) + (rms.centered ? [[2]] : [])
        case is Adagrad: rule = [[0]]
        default: rule = slotCount > 0 ? [Array(0..<slotCount)] : []
        }
        return (useEma ? [[slotCount]] : []) + rule
    }

    /// The number of values in the optimizer's variables as Keras counts them in `summary()`
    /// (its step counter, its learning rate unless a schedule gives it, the slots Keras
    /// keeps, scalars such as Nadam's u_product), or nil before the optimizer is built by a
    /// first step or by loading its state.
    var stateParameterCount: Int? {
        guard iterations > 0 || !slots.isEmpty else { return nil }
        let kept = kerasSlotGroups.joined().count
        let slotValues = slots.values.reduce(0) { total, state in total + kept * (state.tensors.first?.count ?? 0) }
        return 1 + (learningRateSchedule == nil ? 1 : 0) + slotValues + scalarState.count
    }

    /// The optimizer's state for `variables` (the model's trainable weights) in Keras's
    /// `optimizer.variables` order, after iterations and learning rate.
    func kerasSlots(for variables: [Variable]) -> [(variable: Variable, slot: Int)] {
        kerasSlotGroups.flatMap { group in variables.flatMap { v in group.map { (v, $0) } } }
    }
}
