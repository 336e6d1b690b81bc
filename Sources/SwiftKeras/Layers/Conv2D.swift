/// 2-D convolution over channels-last images (batch, height, width, channels).
/// Kernel shape (kernel_height, kernel_width, in_channels, filters), as Keras stores it.
public final class Conv2D: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    /// Spacing of the kernel's taps (atrous convolution); 1 for a plain convolution.
    public let dilationRate: (Int, Int)
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

    public init(filters: Int, kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                dilationRate: (Int, Int) = (1, 1), activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                activityRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.dilationRate = dilationRate
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

    /// Keras's positional form: `Conv2D(32, (3, 3), activation: .relu)`.
    public convenience init(_ filters: Int, _ kernelSize: (Int, Int), strides: (Int, Int) = (1, 1),
                            padding: Padding = .valid, dilationRate: (Int, Int) = (1, 1),
                            activation: Activation = .linear, useBias: Bool = true,
                            kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                            kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                            activityRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil,
                            biasConstraint: Constraint? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding,
                  dilationRate: dilationRate, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
                  biasInitializer: biasInitializer, kernelRegularizer: kernelRegularizer,
                  biasRegularizer: biasRegularizer, activityRegularizer: activityRegularizer,
                  kernelConstraint: kernelConstraint, biasConstraint: biasConstraint, inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec {
        if let channels = builtInputShape?.last { return InputSpec(ndim: 4, axes: [-1: channels]) }
        return InputSpec(ndim: 4)
    }

    public override func build(inputShape: [Int]) throws {
        guard filters > 0, kernelSize.0 > 0, kernelSize.1 > 0, strides.0 > 0, strides.1 > 0,
              dilationRate.0 > 0, dilationRate.1 > 0 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": filters, kernel_size, strides and dilation_rate must be positive, received filters=\(filters), kernel_size=\(kernelSize), strides=\(strides), dilation_rate=\(dilationRate)")
        }
        guard Swift.max(strides.0, strides.1) == 1 || Swift.max(dilationRate.0, dilationRate.1) == 1 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": strides > 1 not supported in conjunction with dilation_rate > 1, received strides=\(strides) and dilation_rate=\(dilationRate)")
        }
        try activation.validate(layer: name)
        _ = try outputShape(for: inputShape)
        kernel = try addWeight(name: "kernel", shape: [kernelSize.0, kernelSize.1, inputShape[2], filters],
                               initializer: kernelInitializer, regularizer: kernelRegularizer, constraint: kernelConstraint)
        if useBias {
            bias = try addWeight(name: "bias", shape: [filters], initializer: biasInitializer,
                                 regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { Optional($0) }, layer: name)
        let (h, _) = WindowGeometry.outputSize(inputShape[0], WindowGeometry.span(kernelSize.0, dilation: dilationRate.0), strides.0, padding)
        let (w, _) = WindowGeometry.outputSize(inputShape[1], WindowGeometry.span(kernelSize.1, dilation: dilationRate.1), strides.1, padding)
        guard h != 0, w != 0 else {  // -1: unknown input size, unknown output size
            throw KerasError.incompatibleInput(
                layer: name,
                message: "a \(kernelSize.0)x\(kernelSize.1) kernel with \(padding.rawValue) padding does not fit an input of shape \(shapeString([nil] + inputShape.map { Optional($0) }))")
        }
        return [h, w, filters]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        // ReLU, the usual case, is fused into the convolution (same values, one pass fewer).
        if activation == .relu {
            return try conv2d(input, kernel: kernel!.value, bias: bias?.value, strides: strides, padding: padding,
                              dilations: dilationRate, relu: true)
        }
        return activation(try conv2d(input, kernel: kernel!.value, bias: bias?.value, strides: strides, padding: padding,
                                     dilations: dilationRate))
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "filters": .int(filters), "kernel_size": [.int(kernelSize.0), .int(kernelSize.1)],
            "strides": [.int(strides.0), .int(strides.1)], "padding": .string(padding.rawValue),
            "data_format": "channels_last", "dilation_rate": [.int(dilationRate.0), .int(dilationRate.1)], "groups": 1,
            "activation": .string(activation.name), "use_bias": .bool(useBias),
            "kernel_initializer": kernelInitializer.config, "bias_initializer": biasInitializer.config,
            "kernel_regularizer": kernelRegularizer.config, "bias_regularizer": biasRegularizer.config,
            "activity_regularizer": activityRegularizer.config,
            "kernel_constraint": kernelConstraint.config, "bias_constraint": biasConstraint.config,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireNull("lora_rank")
        try config.require("data_format", "channels_last")
        try config.require("groups", 1)
        config.ignore("lora_alpha")
        return Conv2D(filters: try config.int("filters"), kernelSize: try config.pair("kernel_size"),
                      strides: try config.optionalPair("strides") ?? (1, 1), padding: try config.padding(),
                      dilationRate: try config.optionalPair("dilation_rate") ?? (1, 1),
                      activation: try config.activation("activation"), useBias: try config.bool("use_bias", default: true),
                      kernelInitializer: try config.initializer("kernel_initializer", default: .glorotUniform),
                      biasInitializer: try config.initializer("bias_initializer", default: .zeros),
                      kernelRegularizer: try config.regularizer("kernel_regularizer"),
                      biasRegularizer: try config.regularizer("bias_regularizer"),
                      activityRegularizer: try config.regularizer("activity_regularizer"),
                      kernelConstraint: try config.constraint("kernel_constraint"),
                      biasConstraint: try config.constraint("bias_constraint"), name: config.name)
    }
}
