/// Depthwise separable 2-D convolution (Keras's `SeparableConv2D`): a depthwise convolution
/// (each channel with its own `depthMultiplier` filters) followed by a 1x1 convolution that
/// mixes the channels into `filters` outputs. Weights in Keras's order and shapes:
/// depthwise_kernel (kh, kw, in_channels, depth_multiplier), pointwise_kernel
/// (1, 1, in_channels · depth_multiplier, filters), bias (filters).
public final class SeparableConv2D: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let depthMultiplier: Int
    public let dilationRate: (Int, Int)
    public let activation: Activation
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let pointwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public let depthwiseRegularizer: Regularizer?
    public let pointwiseRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let depthwiseConstraint: Constraint?
    public let pointwiseConstraint: Constraint?
    public let biasConstraint: Constraint?
    public private(set) var depthwiseKernel: Variable?
    public private(set) var pointwiseKernel: Variable?
    public private(set) var bias: Variable?

    public init(filters: Int, kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                depthMultiplier: Int = 1, dilationRate: (Int, Int) = (1, 1), activation: Activation = .linear,
                useBias: Bool = true, depthwiseInitializer: Initializer = .glorotUniform,
                pointwiseInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                depthwiseRegularizer: Regularizer? = nil, pointwiseRegularizer: Regularizer? = nil,
                biasRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
                depthwiseConstraint: Constraint? = nil, pointwiseConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.pointwiseInitializer = pointwiseInitializer
        self.biasInitializer = biasInitializer
        self.depthwiseRegularizer = depthwiseRegularizer
        self.pointwiseRegularizer = pointwiseRegularizer
        self.biasRegularizer = biasRegularizer
        self.depthwiseConstraint = depthwiseConstraint
        self.pointwiseConstraint = pointwiseConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name, inputShape: inputShape)
        self.activityRegularizer = activityRegularizer
    }

    /// Keras's positional form: `SeparableConv2D(64, (3, 3), activation: .relu)`.
    public convenience init(_ filters: Int, _ kernelSize: (Int, Int), strides: (Int, Int) = (1, 1),
                            padding: Padding = .valid, depthMultiplier: Int = 1, dilationRate: (Int, Int) = (1, 1),
                            activation: Activation = .linear, useBias: Bool = true, inputShape: [Int]? = nil,
                            name: String? = nil) {
        self.init(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding,
                  depthMultiplier: depthMultiplier, dilationRate: dilationRate, activation: activation, useBias: useBias,
                  inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec {
        if let channels = builtInputShape?.last { return InputSpec(ndim: 4, axes: [-1: channels]) }
        return InputSpec(ndim: 4)
    }

    public override func build(inputShape: [Int]) throws {
        guard filters > 0 else { throw KerasError.invalidArgument("Layer \"\(name)\": filters must be positive, received \(filters)") }
        try checkDepthwiseArguments(layer: name, kernelSize: kernelSize, strides: strides, dilationRate: dilationRate,
                                    depthMultiplier: depthMultiplier)
        try activation.validate(layer: name)
        _ = try outputShape(for: inputShape)
        let channels = inputShape[2]
        depthwiseKernel = try addWeight(name: "depthwise_kernel", shape: [kernelSize.0, kernelSize.1, channels, depthMultiplier],
                                        initializer: depthwiseInitializer, regularizer: depthwiseRegularizer,
                                        constraint: depthwiseConstraint)
        pointwiseKernel = try addWeight(name: "pointwise_kernel", shape: [1, 1, channels * depthMultiplier, filters],
                                        initializer: pointwiseInitializer, regularizer: pointwiseRegularizer,
                                        constraint: pointwiseConstraint)
        if useBias {
            bias = try addWeight(name: "bias", shape: [filters], initializer: biasInitializer,
                                 regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        let (h, w) = try windowOutput(layer: name, inputShape: inputShape, kernelSize: kernelSize, strides: strides,
                                      dilationRate: dilationRate, padding: padding)
        return [h, w, filters]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let depthwise = try depthwiseConv2d(input, kernel: depthwiseKernel!.value, bias: nil, strides: strides,
                                            padding: padding, dilations: dilationRate)
        let width = depthwise.shape[3]
        let pointwise = try pointwiseKernel!.value.reshaped([width, filters])
        return activation(try affine(depthwise, pointwise, bias: bias?.value))
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "depth_multiplier": .int(depthMultiplier), "filters": .int(filters), "kernel_size": [.int(kernelSize.0), .int(kernelSize.1)],
            "strides": [.int(strides.0), .int(strides.1)], "padding": .string(padding.rawValue), "data_format": "channels_last",
            "dilation_rate": [.int(dilationRate.0), .int(dilationRate.1)], "activation": .string(activation.name), "use_bias": .bool(useBias),
            "depthwise_initializer": depthwiseInitializer.config, "pointwise_initializer": pointwiseInitializer.config,
            "bias_initializer": biasInitializer.config, "depthwise_regularizer": depthwiseRegularizer.config,
            "pointwise_regularizer": pointwiseRegularizer.config, "bias_regularizer": biasRegularizer.config,
            "activity_regularizer": activityRegularizer.config, "depthwise_constraint": depthwiseConstraint.config,
            "pointwise_constraint": pointwiseConstraint.config, "bias_constraint": biasConstraint.config,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return SeparableConv2D(
            filters: try config.int("filters"), kernelSize: try config.pair("kernel_size"),
            strides: try config.optionalPair("strides") ?? (1, 1), padding: try config.padding(),
            depthMultiplier: try config.int("depth_multiplier", default: 1),
            dilationRate: try config.optionalPair("dilation_rate") ?? (1, 1),
            activation: try config.activation("activation"), useBias: try config.bool("use_bias", default: true),
            depthwiseInitializer: try config.initializer("depthwise_initializer", default: .glorotUniform),
            pointwiseInitializer: try config.initializer("pointwise_initializer", default: .glorotUniform),
            biasInitializer: try config.initializer("bias_initializer", default: .zeros),
            depthwiseRegularizer: try config.regularizer("depthwise_regularizer"),
            pointwiseRegularizer: try config.regularizer("pointwise_regularizer"),
            biasRegularizer: try config.regularizer("bias_regularizer"),
            activityRegularizer: try config.regularizer("activity_regularizer"),
            depthwiseConstraint: try config.constraint("depthwise_constraint"),
            pointwiseConstraint: try config.constraint("pointwise_constraint"),
            biasConstraint: try config.constraint("bias_constraint"), name: config.name)
    }
}
