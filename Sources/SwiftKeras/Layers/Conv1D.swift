/// Padding of a 1-D convolution: Keras's "valid", "same", and "causal" (zeros only before
/// the sequence, so output step t sees input steps up to t).
public enum Conv1DPadding: String, Sendable {
    case valid, same, causal
}

/// 1-D convolution over sequences (batch, steps, channels) (Keras's `Conv1D`). Kernel shape
/// (kernel_size, in_channels, filters), as Keras stores it. It runs as a 2-D convolution of
/// height 1, so it shares conv2d's kernels (and its fused ReLU).
public final class Conv1D: Layer {
    public let filters: Int
    public let kernelSize: Int
    public let strides: Int
    public let padding: Conv1DPadding
    public let dilationRate: Int
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

    public init(filters: Int, kernelSize: Int, strides: Int = 1, padding: Conv1DPadding = .valid, dilationRate: Int = 1,
                activation: Activation = .linear, useBias: Bool = true,
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

    /// Keras's positional form: `Conv1D(128, 5, activation: .relu)`.
    public convenience init(_ filters: Int, _ kernelSize: Int, strides: Int = 1, padding: Conv1DPadding = .valid,
                            dilationRate: Int = 1, activation: Activation = .linear, useBias: Bool = true,
                            kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                            kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                            activityRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil,
                            biasConstraint: Constraint? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, dilationRate: dilationRate,
                  activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
                  biasInitializer: biasInitializer, kernelRegularizer: kernelRegularizer, biasRegularizer: biasRegularizer,
                  activityRegularizer: activityRegularizer, kernelConstraint: kernelConstraint,
                  biasConstraint: biasConstraint, inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec {
        if let channels = builtInputShape?.last { return InputSpec(ndim: 3, axes: [-1: channels]) }
        return InputSpec(ndim: 3)
    }

    private func checkArguments() throws {
        guard filters > 0, kernelSize > 0, strides > 0, dilationRate > 0 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": filters, kernel_size, strides and dilation_rate must be positive, received filters=\(filters), kernel_size=\(kernelSize), strides=\(strides), dilation_rate=\(dilationRate)")
        }
        guard strides == 1 || dilationRate == 1 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": strides > 1 not supported in conjunction with dilation_rate > 1, received strides=\(strides) and dilation_rate=\(dilationRate)")
        }
    }

    public override func build(inputShape: [Int]) throws {
        try checkArguments()
        try activation.validate(layer: name)
        _ = try outputShape(for: inputShape)
        kernel = try addWeight(name: "kernel", shape: [kernelSize, inputShape[1], filters], initializer: kernelInitializer,
                               regularizer: kernelRegularizer, constraint: kernelConstraint)
        if useBias {
            bias = try addWeight(name: "bias", shape: [filters], initializer: biasInitializer,
                                 regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    /// The receptive field of the dilated kernel.
    private var window: Int { WindowGeometry.span(kernelSize, dilation: dilationRate) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        try checkArguments()
        let steps = inputShape[0]
        guard steps >= 0 else { return [-1, filters] }
        let out = padding == .valid ? (steps - window) / strides + 1 : (steps - 1) / strides + 1
        guard steps >= (padding == .valid ? window : 1), out > 0 else {
            throw KerasError.incompatibleInput(
                layer: name,
                message: "a kernel of size \(kernelSize) (dilation \(dilationRate)) with \(padding.rawValue) padding does not fit an input of shape \(shapeString([nil] + inputShape.map { Optional($0) }))")
        }
        return [out, filters]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        var x = input
        if padding == .causal { x = try x.zeroPadded([(0, 0), (window - 1, 0)]) }
        let (batch, steps, channels) = (x.shape[0], x.shape[1], x.shape[2])
        let image = try x.reshaped([batch, 1, steps, channels])
        let kernel2d = try kernel!.value.reshaped([1, kernelSize, channels, filters])
        let fusedReLU = activation == .relu
        let y = try conv2d(image, kernel: kernel2d, bias: bias?.value, strides: (1, strides),
                           padding: padding == .same ? .same : .valid, dilations: (1, dilationRate), relu: fusedReLU)
        let output = try y.reshaped([batch, y.shape[2], filters])
        return fusedReLU ? output : activation(output)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "filters": .int(filters), "kernel_size": [.int(kernelSize)], "strides": [.int(strides)],
            "padding": .string(padding.rawValue), "data_format": "channels_last", "dilation_rate": [.int(dilationRate)],
            "groups": 1, "activation": .string(activation.name), "use_bias": .bool(useBias),
            "kernel_initializer": kernelInitializer.config, "bias_initializer": biasInitializer.config,
            "kernel_regularizer": kernelRegularizer.config, "bias_regularizer": biasRegularizer.config,
            "activity_regularizer": activityRegularizer.config,
            "kernel_constraint": kernelConstraint.config, "bias_constraint": biasConstraint.config,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        try config.require("groups", 1)
        try config.requireNull("lora_rank")
        config.ignore("lora_alpha")
        let paddingName = try config.string("padding", default: "valid").lowercased()
        guard let padding = Conv1DPadding(rawValue: paddingName) else {
            throw SavingError("\(config.what): 'padding' must be \"valid\", \"same\" or \"causal\", found \"\(paddingName)\"")
        }
        return Conv1D(filters: try config.int("filters"), kernelSize: try config.single("kernel_size"),
                      strides: try config.single("strides", default: 1), padding: padding,
                      dilationRate: try config.single("dilation_rate", default: 1),
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
