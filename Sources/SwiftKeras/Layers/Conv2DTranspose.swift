/// Transposed 2-D convolution ("deconvolution") over channels-last images (Keras's
/// `Conv2DTranspose`): the adjoint of Conv2D, which upsamples by its strides. Kernel shape
/// (kernel_height, kernel_width, filters, in_channels), as Keras stores it. Output sizes
/// follow TensorFlow's rules (see `convTransposeOutputLength`), with `outputPadding`
/// choosing among the sizes a strided convolution maps to the same input size.
public final class Conv2DTranspose: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let outputPadding: (Int, Int)?
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
                outputPadding: (Int, Int)? = nil, dilationRate: (Int, Int) = (1, 1),
                activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                activityRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.outputPadding = outputPadding
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

    /// Keras's positional form: `Conv2DTranspose(32, (3, 3), strides: (2, 2))`.
    public convenience init(_ filters: Int, _ kernelSize: (Int, Int), strides: (Int, Int) = (1, 1),
                            padding: Padding = .valid, outputPadding: (Int, Int)? = nil,
                            dilationRate: (Int, Int) = (1, 1), activation: Activation = .linear, useBias: Bool = true,
                            inputShape: [Int]? = nil, name: String? = nil) {
        self.init(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, outputPadding: outputPadding,
                  dilationRate: dilationRate, activation: activation, useBias: useBias, inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec {
        if let channels = builtInputShape?.last { return InputSpec(ndim: 4, axes: [-1: channels]) }
        return InputSpec(ndim: 4)
    }

    private func checkArguments() throws {
        let positive = [filters, kernelSize.0, kernelSize.1, strides.0, strides.1, dilationRate.0, dilationRate.1]
        guard positive.allSatisfy({ $0 > 0 }) else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": filters, kernel_size, strides and dilation_rate must be positive, received filters=\(filters), kernel_size=\(kernelSize), strides=\(strides), dilation_rate=\(dilationRate)")
        }
        if let outputPadding, !(0..<strides.0).contains(outputPadding.0) || !(0..<strides.1).contains(outputPadding.1) {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": output_padding must be non-negative and strictly less than strides in every dimension, received output_padding=\(outputPadding), strides=\(strides)")
        }
        guard Swift.max(strides.0, strides.1) == 1 || Swift.max(dilationRate.0, dilationRate.1) == 1 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": strides > 1 not supported in conjunction with dilation_rate > 1, received strides=\(strides) and dilation_rate=\(dilationRate)")
        }
    }

    public override func build(inputShape: [Int]) throws {
        try checkArguments()
        try activation.validate(layer: name)
        _ = try outputShape(for: inputShape)
        kernel = try addWeight(name: "kernel", shape: [kernelSize.0, kernelSize.1, filters, inputShape[2]],
                               initializer: kernelInitializer, regularizer: kernelRegularizer, constraint: kernelConstraint)
        if useBias {
            bias = try addWeight(name: "bias", shape: [filters], initializer: biasInitializer,
                                 regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        try checkArguments()
        func length(_ size: Int, _ axis: Int) throws -> Int {
            guard size >= 0 else { return -1 }
            let k = axis == 0 ? kernelSize.0 : kernelSize.1, d = axis == 0 ? dilationRate.0 : dilationRate.1
            do {
                return try convTransposeOutputLength(size, window: WindowGeometry.span(k, dilation: d), stride: axis == 0 ? strides.0 : strides.1,
                                                     padding: padding, outputPadding: outputPadding.map { axis == 0 ? $0.0 : $0.1 })
            } catch {
                throw KerasError.incompatibleInput(layer: name, message: "\(error)")
            }
        }
        return [try length(inputShape[0], 0), try length(inputShape[1], 1), filters]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        activation(try conv2dTranspose(input, kernel: kernel!.value, bias: bias?.value, strides: strides, padding: padding,
                                       outputPadding: outputPadding, dilations: dilationRate))
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "filters": .int(filters), "kernel_size": [.int(kernelSize.0), .int(kernelSize.1)], "strides": [.int(strides.0), .int(strides.1)],
            "padding": .string(padding.rawValue), "output_padding": outputPadding.map { [.int($0.0), .int($0.1)] } ?? nil,
            "data_format": "channels_last", "dilation_rate": [.int(dilationRate.0), .int(dilationRate.1)],
            "activation": .string(activation.name), "use_bias": .bool(useBias),
            "kernel_initializer": kernelInitializer.config, "bias_initializer": biasInitializer.config,
            "kernel_regularizer": kernelRegularizer.config, "bias_regularizer": biasRegularizer.config,
            "activity_regularizer": activityRegularizer.config,
            "kernel_constraint": kernelConstraint.config, "bias_constraint": biasConstraint.config,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return Conv2DTranspose(
            filters: try config.int("filters"), kernelSize: try config.pair("kernel_size"),
            strides: try config.optionalPair("strides") ?? (1, 1), padding: try config.padding(),
            outputPadding: try config.optionalPair("output_padding"),
            dilationRate: try config.optionalPair("dilation_rate") ?? (1, 1),
            activation: try config.activation("activation"), useBias: try config.bool("use_bias", default: true),
            kernelInitializer: try config.initializer("kernel_initializer", default: .glorotUniform),
            biasInitializer: try config.initializer("bias_initializer", default: .zeros),
            kernelRegularizer: try config.regularizer("kernel_regularizer"), biasRegularizer: try config.regularizer("bias_regularizer"),
            activityRegularizer: try config.regularizer("activity_regularizer"),
            kernelConstraint: try config.constraint("kernel_constraint"), biasConstraint: try config.constraint("bias_constraint"),
            name: config.name)
    }
}
