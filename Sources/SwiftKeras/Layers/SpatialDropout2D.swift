/// Dropout of whole feature maps of images (batch, height, width, channels) (Keras's
/// `SpatialDropout2D`): in training each channel of each sample is zeroed with probability
/// `rate` everywhere, and kept channels are scaled by 1 / (1 − rate); in inference it is the
/// identity.
public final class SpatialDropout2D: Layer {
    public let rate: Float

    public init(_ rate: Float, inputShape: [Int]? = nil, name: String? = nil) {
        self.rate = rate
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }
    public override func inputSpec() -> InputSpec { InputSpec(ndim: 4) }

    public override func build(inputShape: [Int]) throws { try checkDropoutRate(rate, layer: name) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        guard training, rate > 0 else { return input }
        return try input * dropoutMask([input.shape[0], 1, 1, input.shape[3]], rate: rate)
    }

    public override var buildConfig: ConfigObject? { nil }

    /// Keras's spatial dropout config has no "trainable" entry.
    public override func getConfig() -> ConfigObject {
        var config: ConfigObject = ["rate": .float(rate), "seed": nil, "name": .string(name), "dtype": "float32"]
        config.merge(["data_format": "channels_last"])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        config.ignore("seed", "noise_shape")
        return SpatialDropout2D(try config.float("rate"), name: config.name)
    }
}

/// Keras's dropout-rate check: rate in [0, 1) (a rate of 1 would divide by zero).
func checkDropoutRate(_ rate: Float, layer: String) throws {
    guard rate >= 0, rate < 1 else {
        throw KerasError.invalidArgument("Layer \"\(layer)\": rate must be in [0, 1), received \(rate)")
    }
}
