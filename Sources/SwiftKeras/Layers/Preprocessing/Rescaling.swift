/// Multiplies inputs by `scale` and adds `offset` (Keras's `Rescaling`): `Rescaling(scale: 1 / 255)`
/// maps pixels to [0, 1], `Rescaling(scale: 1 / 127.5, offset: -1)` to [-1, 1].
public final class Rescaling: Layer {
    public let scale: Float
    public let offset: Float
    private var numbers = RecordedNumbers()

    public init(scale: Float, offset: Float = 0, inputShape: [Int]? = nil, name: String? = nil) {
        self.scale = scale
        self.offset = offset
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        offset == 0 ? input * scale : input * scale + offset
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["scale": numbers.value("scale", scale), "offset": numbers.value("offset", offset)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let layer = Rescaling(scale: try config.float("scale"), offset: try config.float("offset", default: 0), name: config.name)
        layer.numbers.record("scale", config)
        layer.numbers.record("offset", config)
        return layer
    }
}
