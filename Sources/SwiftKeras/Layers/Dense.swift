/// A fully connected layer: `activation(input · kernel + bias)` over the last axis.
/// Kernel shape (input_dim, units), as Keras stores it.
public final class Dense: Layer {
    public let units: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let biasConstraint: Constraint?
    public private(set) var kernel: Variable?
    public private(set) var bias: Variable?

    public init(_ units: Int, activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                activityRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name, inputShape: inputShape)
        self.activityRegularizer = activityRegularizer
    }

    public override var supportsMasking: Bool { true }

    public override func inputSpec() -> InputSpec {
        if let inputDim = builtInputShape?.last { return InputSpec(minNdim: 2, axes: [-1: inputDim]) }
        return InputSpec(minNdim: 2)
    }

    public override func build(inputShape: [Int]) throws {
        guard units > 0 else { throw KerasError.invalidArgument("Layer \"\(name)\": units must be positive, received \(units)") }
        try activation.validate(layer: name)
        kernel = try addWeight(name: "kernel", shape: [inputShape.last!, units], initializer: kernelInitializer,
                               regularizer: kernelRegularizer, constraint: kernelConstraint)
        if useBias {
            bias = try addWeight(name: "bias", shape: [units], initializer: biasInitializer,
                                 regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { Optional($0) }, layer: name)
        return Array(inputShape.dropLast()) + [units]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        activation(try affine(input, kernel!.value, bias: bias?.value))
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "units": .int(units), "activation": .string(activation.name), "use_bias": .bool(useBias),
            "kernel_initializer": kernelInitializer.config, "bias_initializer": biasInitializer.config,
            "kernel_regularizer": kernelRegularizer.config, "bias_regularizer": biasRegularizer.config,
            "kernel_constraint": kernelConstraint.config, "bias_constraint": biasConstraint.config,
            "quantization_config": nil,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireNull("quantization_config", "lora_rank")
        config.ignore("lora_alpha")
        return Dense(try config.int("units"), activation: try config.activation("activation"),
                     useBias: try config.bool("use_bias", default: true),
                     kernelInitializer: try config.initializer("kernel_initializer", default: .glorotUniform),
                     biasInitializer: try config.initializer("bias_initializer", default: .zeros),
                     kernelRegularizer: try config.regularizer("kernel_regularizer"),
                     biasRegularizer: try config.regularizer("bias_regularizer"),
                     activityRegularizer: try config.regularizer("activity_regularizer"),
                     kernelConstraint: try config.constraint("kernel_constraint"),
                     biasConstraint: try config.constraint("bias_constraint"), name: config.name)
    }
}
