/// Exponential linear unit: x for x > 0, else alpha · (exp(x) − 1) (Keras's `ELU` layer).
public final class ELU: Layer {
    public let alpha: Float

    public init(alpha: Float = 1, inputShape: [Int]? = nil, name: String? = nil) {
        self.alpha = alpha
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor { input.elu(alpha: alpha) }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["alpha"] = .float(alpha)
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        ELU(alpha: try config.float("alpha", default: 1), name: config.name)
    }
}
