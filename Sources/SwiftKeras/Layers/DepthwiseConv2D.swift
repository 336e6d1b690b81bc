/// Depthwise 2-D convolution (Keras's `DepthwiseConv2D`): each input channel is convolved
/// with its own `depthMultiplier` filters, giving channels · depthMultiplier outputs.
/// Kernel shape (kernel_height, kernel_width, in_channels, depth_multiplier), named
/// "kernel" as in Keras 3; bias (in_channels · depth_multiplier).
public final class DepthwiseConv2D: Layer {
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let depthMultiplier: Int
    public let dilationRate: (Int, Int)
    public let activation: Activation
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public let depthwiseRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let depthwiseConstraint: Constraint?
    public let biasConstraint: Constraint?
    public private(set) var kernel: Variable?
    public private(set) var bias: Variable?

    public init(kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid, depthMultiplier: Int = 1,
                dilationRate: (Int, Int) = (1, 1), activation: Activation = .linear, useBias: Bool = true,
                depthwiseInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                depthwiseRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                activityRegularizer: Regularizer? = nil, depthwiseConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.biasInitializer = biasInitializer
        self.depthwiseRegularizer = depthwiseRegularizer
        self.biasRegularizer = biasRegularizer
        self.depthwiseConstraint = depthwiseConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name, inputShape: inputShape)
        self.activityRegularizer = activityRegularizer
    }

    /// Keras's positional form: `DepthwiseConv2D((3, 3))`.
    public convenience init(_ kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                            depthMultiplier: Int = 1, dilationRate: (Int, Int) = (1, 1), activation: Activation = .linear,
                            useBias: Bool = true, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(kernelSize: kernelSize, strides: strides, padding: padding, depthMultiplier: depthMultiplier,
                  dilationRate: dilationRate, activation: activation, useBias: useBias, inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec {
        if let channels = builtInputShape?.last { return InputSpec(ndim: 4, axes: [-1: channels]) }
        return InputSpec(ndim: 4)
    }

    public override func build(inputShape: [Int]) throws {
        try checkDepthwiseArguments(layer: name, kernelSize: kernelSize, strides: strides, dilationRate: dilationRate,
                                    depthMultiplier: depthMultiplier)
        try activation.validate(layer: name)
        _ = try outputShape(for: inputShape)
        kernel = try addWeight(name: "kernel", shape: [kernelSize.0, kernelSize.1, inputShape[2], depthMultiplier],
                               initializer: depthwiseInitializer, regularizer: depthwiseRegularizer,
                               constraint: depthwiseConstraint)
        if useBias {
            bias = try addWeight(name: "bias", shape: [inputShape[2] * depthMultiplier], initializer: biasInitializer,
                                 regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        let (h, w) = try windowOutput(layer: name, inputShape: inputShape, kernelSize: kernelSize, strides: strides,
                                      dilationRate: dilationRate, padding: padding)
        return [h, w, inputShape[2] < 0 ? -1 : inputShape[2] * depthMultiplier]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        activation(try depthwiseConv2d(input, kernel: kernel!.value, bias: bias?.value, strides: strides, padding: padding,
                                       dilations: dilationRate))
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "depth_multiplier": .int(depthMultiplier), "kernel_size": [.int(kernelSize.0), .int(kernelSize.1)], "strides": [.int(strides.0), .int(strides.1)],
            "padding": .string(padding.rawValue), "data_format": "channels_last", "dilation_rate": [.int(dilationRate.0), .int(dilationRate.1)],
            "activation": .string(activation.name), "use_bias": .bool(useBias),
            "depthwise_initializer": depthwiseInitializer.config, "bias_initializer": biasInitializer.config,
            "depthwise_regularizer": depthwiseRegularizer.config, "bias_regularizer": biasRegularizer.config,
            "activity_regularizer": activityRegularizer.config,
            "depthwise_constraint": depthwiseConstraint.config, "bias_constraint": biasConstraint.config,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return DepthwiseConv2D(
            kernelSize: try config.pair("kernel_size"), strides: try config.optionalPair("strides") ?? (1, 1),
            padding: try config.padding(), depthMultiplier: try config.int("depth_multiplier", default: 1),
            dilationRate: try config.optionalPair("dilation_rate") ?? (1, 1),
            activation: try config.activation("activation"), useBias: try config.bool("use_bias", default: true),
            depthwiseInitializer: try config.initializer("depthwise_initializer", default: .glorotUniform),
            biasInitializer: try config.initializer("bias_initializer", default: .zeros),
            depthwiseRegularizer: try config.regularizer("depthwise_regularizer"),
            biasRegularizer: try config.regularizer("bias_regularizer"),
            activityRegularizer: try config.regularizer("activity_regularizer"),
            depthwiseConstraint: try config.constraint("depthwise_constraint"),
            biasConstraint: try config.constraint("bias_constraint"), name: config.name)
    }
}

/// The checks DepthwiseConv2D and SeparableConv2D share (Keras's, and TensorFlow's rule that
/// a dilated depthwise convolution has stride 1).
func checkDepthwiseArguments(layer: String, kernelSize: (Int, Int), strides: (Int, Int), dilationRate: (Int, Int),
                             depthMultiplier: Int) throws {
    guard [kernelSize.0, kernelSize.1, strides.0, strides.1, dilationRate.0, dilationRate.1, depthMultiplier].allSatisfy({ $0 > 0 }) else {
        throw KerasError.invalidArgument(
            "Layer \"\(layer)\": kernel_size, strides, dilation_rate and depth_multiplier must be positive, received kernel_size=\(kernelSize), strides=\(strides), dilation_rate=\(dilationRate), depth_multiplier=\(depthMultiplier)")
    }
    guard Swift.max(strides.0, strides.1) == 1 || Swift.max(dilationRate.0, dilationRate.1) == 1 else {
        throw KerasError.invalidArgument(
            "Layer \"\(layer)\": strides > 1 not supported in conjunction with dilation_rate > 1, received strides=\(strides) and dilation_rate=\(dilationRate)")
    }
}

/// The output height and width of a (dilated) window over a per-sample input shape; throws
/// naming the layer when the window does not fit.
func windowOutput(layer: String, inputShape: [Int], kernelSize: (Int, Int), strides: (Int, Int), dilationRate: (Int, Int),
                  padding: Padding) throws -> (Int, Int) {
    let (h, _) = WindowGeometry.outputSize(inputShape[0], WindowGeometry.span(kernelSize.0, dilation: dilationRate.0), strides.0, padding)
    let (w, _) = WindowGeometry.outputSize(inputShape[1], WindowGeometry.span(kernelSize.1, dilation: dilationRate.1), strides.1, padding)
    guard h != 0, w != 0 else {  // -1: unknown input size, unknown output size
        throw KerasError.incompatibleInput(
            layer: layer,
            message: "a \(kernelSize.0)x\(kernelSize.1) kernel (dilation \(dilationRate)) with \(padding.rawValue) padding does not fit an input of shape \(shapeString([nil] + inputShape.map { $0 < 0 ? nil : $0 }))")
    }
    return (h, w)
}
