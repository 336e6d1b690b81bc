/// Normalizes each sample over `axis` with its own mean and variance, then scales by `gamma`
/// and shifts by `beta` (Keras's `LayerNormalization`, epsilon 1e-3).
///
/// `axis` counts the batch axis, as in Keras (-1: the features). Several axes normalize over
/// all of them together; `gamma` and `beta` then have the shape of those axes.
public final class LayerNormalization: Layer {
    /// The normalized axes as given (batch counted; negative counts from the end).
    public let axes: [Int]
    public let epsilon: Float
    public let center: Bool
    public let scale: Bool
    public let betaInitializer: Initializer
    public let gammaInitializer: Initializer
    public let betaRegularizer: Regularizer?
    public let gammaRegularizer: Regularizer?
    public let betaConstraint: Constraint?
    public let gammaConstraint: Constraint?
    public private(set) var gamma: Variable?
    public private(set) var beta: Variable?

    public init(axes: [Int], epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
                betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
                betaRegularizer: Regularizer? = nil, gammaRegularizer: Regularizer? = nil,
                betaConstraint: Constraint? = nil, gammaConstraint: Constraint? = nil,
                inputShape: [Int]? = nil, name: String? = nil) {
        self.axes = axes
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.betaRegularizer = betaRegularizer
        self.gammaRegularizer = gammaRegularizer
        self.betaConstraint = betaConstraint
        self.gammaConstraint = gammaConstraint
        super.init(name: name, inputShape: inputShape)
    }

    public convenience init(axis: Int = -1, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
                            betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
                            betaRegularizer: Regularizer? = nil, gammaRegularizer: Regularizer? = nil,
                            betaConstraint: Constraint? = nil, gammaConstraint: Constraint? = nil,
                            inputShape: [Int]? = nil, name: String? = nil) {
        self.init(axes: [axis], epsilon: epsilon, center: center, scale: scale, betaInitializer: betaInitializer,
                  gammaInitializer: gammaInitializer, betaRegularizer: betaRegularizer, gammaRegularizer: gammaRegularizer,
                  betaConstraint: betaConstraint, gammaConstraint: gammaConstraint, inputShape: inputShape, name: name)
    }

    public override var supportsMasking: Bool { true }

    /// The normalized axes of a full input of `rank` axes (batch included), sorted.
    private func fullAxes(rank: Int) throws -> [Int] {
        var result: [Int] = []
        for axis in axes {
            let a = axis < 0 ? axis + rank : axis
            guard a >= 1, a < rank else {
                throw KerasError.invalidArgument(
                    "Layer \"\(name)\": axis \(axis) is out of bounds for an input of rank \(rank) (axis 0 is the batch)")
            }
            if !result.contains(a) { result.append(a) }
        }
        guard !result.isEmpty else { throw KerasError.invalidArgument("Layer \"\(name)\": axis must name at least one axis") }
        return result.sorted()
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        _ = try fullAxes(rank: inputShape.count + 1)
        return inputShape
    }

    public override func inputSpec() -> InputSpec {
        guard let shape = builtInputShape else { return InputSpec(minNdim: 2) }
        return InputSpec(ndim: shape.count + 1)
    }

    public override func build(inputShape: [Int]) throws {
        let full = try fullAxes(rank: inputShape.count + 1)
        guard epsilon > 0, epsilon.isFinite else {
            throw KerasError.invalidArgument("Layer \"\(name)\": epsilon must be positive, received \(epsilon)")
        }
        let shape = full.map { inputShape[$0 - 1] }
        if scale {
            gamma = try addWeight(name: "gamma", shape: shape, initializer: gammaInitializer,
                                  regularizer: gammaRegularizer, constraint: gammaConstraint)
        }
        if center {
            beta = try addWeight(name: "beta", shape: shape, initializer: betaInitializer,
                                 regularizer: betaRegularizer, constraint: betaConstraint)
        }
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let full = try fullAxes(rank: input.rank)
        let trailing = Array((input.rank - full.count)..<input.rank)
        if full == trailing {
            return try layerNormalization(input, scale: gamma?.value, offset: beta?.value,
                                          normalizedRank: full.count, epsilon: epsilon)
        }
        // Move the normalized axes to the end (in order), normalize there, move them back.
        let kept = (0..<input.rank).filter { !full.contains($0) }
        let permutation = kept + full
        var inverse = [Int](repeating: 0, count: input.rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        let moved = try input.transposed(permutation)
        let normalized = try layerNormalization(moved, scale: gamma?.value, offset: beta?.value,
                                                normalizedRank: full.count, epsilon: epsilon)
        return try normalized.transposed(inverse)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "axis": .array(axes.map { .int($0) }), "epsilon": .float(epsilon), "center": .bool(center), "scale": .bool(scale),
            "rms_scaling": false, "beta_initializer": betaInitializer.config, "gamma_initializer": gammaInitializer.config,
            "beta_regularizer": betaRegularizer.config, "gamma_regularizer": gammaRegularizer.config,
            "beta_constraint": betaConstraint.config, "gamma_constraint": gammaConstraint.config,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        // rms_scaling is deprecated in Keras (it scales by the variance): not supported.
        try config.require("rms_scaling", false)
        return LayerNormalization(
            axes: try config.axes("axis") ?? [-1], epsilon: try config.float("epsilon", default: 1e-3),
            center: try config.bool("center", default: true), scale: try config.bool("scale", default: true),
            betaInitializer: try config.initializer("beta_initializer", default: .zeros),
            gammaInitializer: try config.initializer("gamma_initializer", default: .ones),
            betaRegularizer: try config.regularizer("beta_regularizer"), gammaRegularizer: try config.regularizer("gamma_regularizer"),
            betaConstraint: try config.constraint("beta_constraint"), gammaConstraint: try config.constraint("gamma_constraint"),
            name: config.name)
    }
}
