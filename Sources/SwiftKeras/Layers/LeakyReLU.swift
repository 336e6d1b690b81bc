/// x for x > 0, else negativeSlope · x (Keras's `LeakyReLU` layer; its default slope is 0.3,
/// the `"leaky_relu"` activation's 0.2).
public final class LeakyReLU: Layer {
    public let negativeSlope: Float

    public init(negativeSlope: Float = 0.3, inputShape: [Int]? = nil, name: String? = nil) {
        self.negativeSlope = negativeSlope
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    public override func build(inputShape: [Int]) throws {
        guard negativeSlope >= 0 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": the negative_slope value of a Leaky ReLU layer cannot be negative, received negative_slope=\(negativeSlope)")
        }
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["negative_slope"] = .float(negativeSlope)
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        // Keras 2 called the slope alpha.
        let slope = try config.optionalFloat("alpha") ?? config.float("negative_slope", default: 0.3)
        return LeakyReLU(negativeSlope: slope, name: config.name)
    }
}
