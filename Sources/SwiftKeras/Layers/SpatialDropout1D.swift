/// Dropout of whole channels of sequences (batch, steps, channels) (Keras's
/// `SpatialDropout1D`): in training each channel of each sample is zeroed with probability
/// `rate` at every step, and kept channels are scaled by 1 / (1 − rate); in inference it is
/// the identity.
public final class SpatialDropout1D: Layer {
    public let rate: Float

    public init(_ rate: Float, inputShape: [Int]? = nil, name: String? = nil) {
        self.rate = rate
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }
    public override func inputSpec() -> InputSpec { InputSpec(ndim: 3) }

    public override func build(inputShape: [Int]) throws { try checkDropoutRate(rate, layer: name) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        guard training, rate > 0 else { return input }
        return try input * dropoutMask([input.shape[0], 1, input.shape[2]], rate: rate)
    }

    public override var buildConfig: ConfigObject? { nil }

    /// Keras's spatial dropout config has no "trainable" entry.
    public override func getConfig() -> ConfigObject {
        var config: ConfigObject = ["rate": .float(rate), "seed": nil, "name": .string(name), "dtype": "float32"]
        config.merge([:])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        config.ignore("seed", "noise_shape")
        return SpatialDropout1D(try config.float("rate"), name: config.name)
    }
}
