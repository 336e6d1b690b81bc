/// Normalizes each channel with the batch's mean and variance in training and with moving
/// averages of them in inference (Keras's `BatchNormalization`).
///
/// Weights, in Keras's order: `gamma` (if `scale`), `beta` (if `center`), then the
/// non-trainable `moving_mean` and `moving_variance`, which a training forward pass updates
/// as moving = moving · momentum + batch · (1 − momentum) through `updateState` (off the
/// tape). As in Keras 3, a layer that is not trainable is frozen: it normalizes with its
/// moving statistics even in training and leaves them unchanged.
///
/// `axis` counts the batch axis, as in Keras: -1 (the default) is the channels of a
/// channels-last input. With `renorm`, batch renormalization (Ioffe 2017) corrects the batch
/// statistics towards moving ones during training, and three more non-trainable weights
/// (`moving_stddev`, `renorm_mean`, `renorm_stddev`) follow.
public final class BatchNormalization: Layer {
    /// Bounds of batch renormalization's corrections r (to [rmin, rmax]) and d (to [-dmax, dmax]);
    /// nil is unbounded (rmin 0 in effect).
    public struct RenormClipping: Sendable, Hashable {
        public var rmax: Float?, rmin: Float?, dmax: Float?
        public init(rmax: Float? = nil, rmin: Float? = nil, dmax: Float? = nil) {
            self.rmax = rmax; self.rmin = rmin; self.dmax = dmax
        }
    }

    public let axis: Int
    public let momentum: Float
    public let epsilon: Float
    public let center: Bool
    public let scale: Bool
    public let betaInitializer: Initializer
    public let gammaInitializer: Initializer
    public let movingMeanInitializer: Initializer
    public let movingVarianceInitializer: Initializer
    public let betaRegularizer: Regularizer?
    public let gammaRegularizer: Regularizer?
    public let betaConstraint: Constraint?
    public let gammaConstraint: Constraint?
    public let renorm: Bool
    public let renormClipping: RenormClipping
    public let renormMomentum: Float

    public private(set) var gamma: Variable?
    public private(set) var beta: Variable?
    public private(set) var movingMean: Variable?
    public private(set) var movingVariance: Variable?
    public private(set) var movingStddev: Variable?
    public private(set) var renormMean: Variable?
    public private(set) var renormStddev: Variable?

    public init(axis: Int = -1, momentum: Float = 0.99, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
                betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
                movingMeanInitializer: Initializer = .zeros, movingVarianceInitializer: Initializer = .ones,
                betaRegularizer: Regularizer? = nil, gammaRegularizer: Regularizer? = nil,
                betaConstraint: Constraint? = nil, gammaConstraint: Constraint? = nil,
                renorm: Bool = false, renormClipping: RenormClipping = RenormClipping(), renormMomentum: Float = 0.99,
                inputShape: [Int]? = nil, name: String? = nil) {
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.movingMeanInitializer = movingMeanInitializer
        self.movingVarianceInitializer = movingVarianceInitializer
        self.betaRegularizer = betaRegularizer
        self.gammaRegularizer = gammaRegularizer
        self.betaConstraint = betaConstraint
        self.gammaConstraint = gammaConstraint
        self.renorm = renorm
        self.renormClipping = renormClipping
        self.renormMomentum = renormMomentum
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    /// The normalized axis of a per-sample shape of `rank` axes (Keras's axis minus the batch).
    private func sampleAxis(rank: Int) throws -> Int {
        let full = axis < 0 ? axis + rank + 1 : axis
        guard full >= 1, full <= rank else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": axis \(axis) is out of bounds for input shape \(shapeString([nil] + Array(repeating: nil, count: rank) as [Int?])) (axis 0 is the batch)")
        }
        return full - 1
    }

    public override func inputSpec() -> InputSpec {
        guard let shape = builtInputShape, let a = try? sampleAxis(rank: shape.count) else { return InputSpec(minNdim: 2) }
        return InputSpec(ndim: shape.count + 1, axes: [a + 1: shape[a]])
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        _ = try sampleAxis(rank: inputShape.count)
        return inputShape
    }

    public override func build(inputShape: [Int]) throws {
        let a = try sampleAxis(rank: inputShape.count)
        guard epsilon > 0, epsilon.isFinite else {
            throw KerasError.invalidArgument("Layer \"\(name)\": epsilon must be positive, received \(epsilon)")
        }
        guard momentum >= 0, momentum <= 1, renormMomentum >= 0, renormMomentum <= 1 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": momentum and renorm_momentum must be in [0, 1], received momentum=\(momentum), renorm_momentum=\(renormMomentum)")
        }
        if let rmax = renormClipping.rmax, let rmin = renormClipping.rmin, rmax < rmin {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": rmax should be greater than rmin in the renorm_clipping argument, received rmax=\(rmax), rmin=\(rmin)")
        }
        if let dmax = renormClipping.dmax, dmax < 0 {
            throw KerasError.invalidArgument("Layer \"\(name)\": dmax should be non-negative in the renorm_clipping argument, received dmax=\(dmax)")
        }
        let shape = [inputShape[a]]
        if scale {
            gamma = try addWeight(name: "gamma", shape: shape, initializer: gammaInitializer,
                                  regularizer: gammaRegularizer, constraint: gammaConstraint)
        }
        if center {
            beta = try addWeight(name: "beta", shape: shape, initializer: betaInitializer,
                                 regularizer: betaRegularizer, constraint: betaConstraint)
        }
        movingMean = try addWeight(name: "moving_mean", shape: shape, initializer: movingMeanInitializer, trainable: false)
        movingVariance = try addWeight(name: "moving_variance", shape: shape, initializer: movingVarianceInitializer, trainable: false)
        if renorm {
            // The moving standard deviations start at the square root of the variance initializer.
            let initialStddev = withoutGradients { movingVariance!.value }.mapDetached { $0.squareRoot() }
            movingStddev = try addWeight(name: "moving_stddev", shape: shape, initializer: .zeros, trainable: false)
            renormMean = try addWeight(name: "renorm_mean", shape: shape, initializer: movingMeanInitializer, trainable: false)
            renormStddev = try addWeight(name: "renorm_stddev", shape: shape, initializer: .zeros, trainable: false)
            try movingStddev!.assign(initialStddev)
            try renormStddev!.assign(initialStddev)
        }
    }

    /// Whether a training call normalizes with batch statistics and updates the moving ones:
    /// not when the layer is frozen (Keras 3).
    private var updatesInTraining: Bool { trainable }

    public override func call(_ input: Tensor, mask: Tensor?, training: Bool) throws -> Tensor {
        let (movingMean, movingVariance) = (movingMean!, movingVariance!)
        if let mask, mask.rank != input.rank - 1 {
            throw KerasError.incompatibleInput(
                layer: name,
                message: "the mask should have one dimension less than the inputs, received mask shape \(shapeString(mask.shape)) and inputs shape \(shapeString(input.shape))")
        }
        guard training && updatesInTraining else {
            return try batchNormalization(input, mean: movingMean.value, variance: movingVariance.value,
                                          scale: gamma?.value, offset: beta?.value, axis: axis, epsilon: epsilon)
        }
        var scale = gamma?.value, offset = beta?.value
        let output: Tensor, mean: Tensor, variance: Tensor
        if let mask {
            // Masked moments stay on the tape, as Keras's `_moments` with a mask.
            (mean, variance) = try maskedMoments(input, mask: mask)
            if renorm { (scale, offset) = try renormTransform(mean: mean.detached, variance: variance.detached) }
            output = try batchNormalization(input, mean: mean, variance: variance, scale: scale, offset: offset,
                                            axis: axis, epsilon: epsilon)
        } else {
            if renorm {
                let moments = try channelMoments(input, axis: axis)
                (scale, offset) = try renormTransform(mean: moments.mean, variance: moments.variance)
            }
            (output, mean, variance) = try batchNormalization(training: input, scale: scale, offset: offset,
                                                              axis: axis, epsilon: epsilon)
        }
        try withoutGradients {
            let (mean, variance) = (mean.detached, variance.detached)
            if renorm {
                try updateRenormStatistics(mean: mean, variance: variance)
            } else {
                try updateState(movingMean, to: movingMean.value * momentum + mean * (1 - momentum))
                try updateState(movingVariance, to: movingVariance.value * momentum + variance * (1 - momentum))
            }
        }
        return output
    }

    /// Keras's masked moments: steps where the (batch, time) mask is 0 are left out.
    private func maskedMoments(_ x: Tensor, mask: Tensor) throws -> (Tensor, Tensor) {
        let rank = x.rank, a = axis < 0 ? axis + rank : axis
        let reduce = (0..<rank).filter { $0 != a }
        let weights = try Tensor.ones(x.shape) * (try mask.detached.reshaped(mask.shape + [1]))
        let count = try weights.sum(axes: reduce, keepDims: true) + 1e-7
        let mean = try (x * weights).sum(axes: reduce, keepDims: true) / count
        let variance = try ((x - mean).squared() * weights).sum(axes: reduce, keepDims: true) / count
        let channels = x.shape[a]
        return (try mean.reshaped([channels]), try variance.reshaped([channels]))
    }

    /// Batch renormalization: scale r·gamma and offset d·gamma + beta, with the corrections r
    /// and d held constant (no gradient), clipped as configured.
    private func renormTransform(mean: Tensor, variance: Tensor) throws -> (Tensor, Tensor) {
        let (r, d) = try withoutGradients {
            let stddev = (variance + epsilon).sqrt()
            let renormStddev = renormStddev!.value.mapDetached { Swift.max($0, epsilon.squareRoot()) }
            var r = try stddev / renormStddev
            var d = try (mean - renormMean!.value) / renormStddev
            if let rmin = renormClipping.rmin { r = r.mapDetached { Swift.max($0, rmin) } }
            if let rmax = renormClipping.rmax { r = r.mapDetached { Swift.min($0, rmax) } }
            if let dmax = renormClipping.dmax { d = d.clipped(min: -dmax, max: dmax) }
            return (r.detached, d.detached)
        }
        var scaleOut = r, offsetOut = d
        if let gamma {
            scaleOut = try r * gamma.value
            offsetOut = try d * gamma.value
        }
        if let beta { offsetOut = try offsetOut + beta.value }
        return (scaleOut, offsetOut)
    }

    private func updateRenormStatistics(mean: Tensor, variance: Tensor) throws {
        let stddev = (variance + epsilon).sqrt()
        try updateState(renormMean!, to: renormMean!.value * renormMomentum + mean * (1 - renormMomentum))
        try updateState(renormStddev!, to: renormStddev!.value * renormMomentum + stddev * (1 - renormMomentum))
        try updateState(movingMean!, to: movingMean!.value * momentum + mean * (1 - momentum))
        let newStddev = try movingStddev!.value * momentum + stddev * (1 - momentum)
        try updateState(movingStddev!, to: newStddev)
        try updateState(movingVariance!, to: (try newStddev * newStddev - epsilon).relu())
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        let clipping: ConfigValue = renorm
            ? .object(ConfigObject([("rmax", renormClipping.rmax), ("rmin", renormClipping.rmin), ("dmax", renormClipping.dmax)]
                .compactMap { key, value in value.map { (key, ConfigValue.float($0)) } }))
            : nil
        config.merge([
            "axis": .int(axis), "momentum": .float(momentum), "epsilon": .float(epsilon), "center": .bool(center),
            "scale": .bool(scale), "beta_initializer": betaInitializer.config, "gamma_initializer": gammaInitializer.config,
            "moving_mean_initializer": movingMeanInitializer.config,
            "moving_variance_initializer": movingVarianceInitializer.config,
            "beta_regularizer": betaRegularizer.config, "gamma_regularizer": gammaRegularizer.config,
            "beta_constraint": betaConstraint.config, "gamma_constraint": gammaConstraint.config,
            "synchronized": false, "renorm": .bool(renorm), "renorm_clipping": clipping,
            "renorm_momentum": .float(renormMomentum),
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        // Synchronized statistics across replicas: one process has one replica, so it is the same.
        config.ignore("synchronized")
        var clipping = RenormClipping()
        if let value = config.value("renorm_clipping") {
            guard let object = value.objectValue else {
                throw SavingError("\(config.what): 'renorm_clipping' must be an object, found \(value.excerpt)")
            }
            for (key, entry) in object {
                guard ["rmax", "rmin", "dmax"].contains(key), entry.isNull || entry.doubleValue != nil else {
                    throw SavingError("\(config.what): 'renorm_clipping' accepts numbers for rmax, rmin and dmax, found \(value.excerpt)")
                }
            }
            func bound(_ key: String) -> Float? { object[key]?.doubleValue.map { Float($0) } }
            clipping = RenormClipping(rmax: bound("rmax"), rmin: bound("rmin"), dmax: bound("dmax"))
        }
        return BatchNormalization(
            axis: try config.int("axis", default: -1), momentum: try config.float("momentum", default: 0.99),
            epsilon: try config.float("epsilon", default: 1e-3), center: try config.bool("center", default: true),
            scale: try config.bool("scale", default: true),
            betaInitializer: try config.initializer("beta_initializer", default: .zeros),
            gammaInitializer: try config.initializer("gamma_initializer", default: .ones),
            movingMeanInitializer: try config.initializer("moving_mean_initializer", default: .zeros),
            movingVarianceInitializer: try config.initializer("moving_variance_initializer", default: .ones),
            betaRegularizer: try config.regularizer("beta_regularizer"), gammaRegularizer: try config.regularizer("gamma_regularizer"),
            betaConstraint: try config.constraint("beta_constraint"), gammaConstraint: try config.constraint("gamma_constraint"),
            renorm: try config.bool("renorm", default: false), renormClipping: clipping,
            renormMomentum: try config.float("renorm_momentum", default: 0.99), name: config.name)
    }
}
