/// Leaky ReLU whose negative slope `alpha` is learned per value (Keras's `PReLU`):
/// max(x, 0) − alpha · max(−x, 0). `alpha` has the per-sample input shape, with size 1 on
/// `sharedAxes` (axes counted with the batch as 0, as in Keras: [1, 2] shares one slope per
/// channel over an image's height and width).
public final class PReLU: Layer {
    public let alphaInitializer: Initializer
    public let alphaRegularizer: Regularizer?
    public let alphaConstraint: Constraint?
    public let sharedAxes: [Int]
    public private(set) var alpha: Variable?

    public init(alphaInitializer: Initializer = .zeros, alphaRegularizer: Regularizer? = nil,
                alphaConstraint: Constraint? = nil, sharedAxes: [Int] = [], inputShape: [Int]? = nil, name: String? = nil) {
        self.alphaInitializer = alphaInitializer
        self.alphaRegularizer = alphaRegularizer
        self.alphaConstraint = alphaConstraint
        self.sharedAxes = sharedAxes
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    public override func inputSpec() -> InputSpec {
        guard let shape = builtInputShape else { return InputSpec(minNdim: 2) }
        var axes: [Int: Int] = [:]
        for (i, size) in shape.enumerated() where !sharedAxes.contains(i + 1) { axes[i + 1] = size }
        return InputSpec(ndim: shape.count + 1, axes: axes)
    }

    public override func build(inputShape: [Int]) throws {
        var shape = inputShape
        for axis in sharedAxes {
            guard axis >= 1, axis <= inputShape.count else {
                throw KerasError.invalidArgument(
                    "Layer \"\(name)\": shared_axes entry \(axis) is out of range for input shape \(shapeString([nil] + inputShape.map { Optional($0) })) (axes count from 1; 0 is the batch)")
            }
            shape[axis - 1] = 1
        }
        alpha = try addWeight(name: "alpha", shape: shape, initializer: alphaInitializer,
                              regularizer: alphaRegularizer, constraint: alphaConstraint)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.relu() - alpha!.value * (-input).relu()
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "alpha_initializer": alphaInitializer.config, "alpha_regularizer": alphaRegularizer.config,
            "alpha_constraint": alphaConstraint.config,
            "shared_axes": sharedAxes.isEmpty ? nil : .array(sharedAxes.map { .int($0) }),
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        PReLU(alphaInitializer: try config.initializer("alpha_initializer", default: .zeros),
              alphaRegularizer: try config.regularizer("alpha_regularizer"),
              alphaConstraint: try config.constraint("alpha_constraint"),
              sharedAxes: try config.axes("shared_axes") ?? [], name: config.name)
    }
}
