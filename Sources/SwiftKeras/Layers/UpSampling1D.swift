/// Repeats each step of sequences (batch, steps, channels) `size` times (Keras's
/// `UpSampling1D`).
public final class UpSampling1D: Layer {
    public let size: Int

    public init(size: Int = 2, inputShape: [Int]? = nil, name: String? = nil) {
        self.size = size
        super.init(name: name, inputShape: inputShape)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 3) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        guard size > 0 else { throw KerasError.invalidArgument("Layer \"\(name)\": size must be positive, received \(size)") }
        return [inputShape[0] < 0 ? -1 : inputShape[0] * size, inputShape[1]]
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let (batch, steps, channels) = (input.shape[0], input.shape[1], input.shape[2])
        let y = try resizeImages(try input.reshaped([batch, steps, 1, channels]), height: steps * size, width: 1,
                                 interpolation: .nearest)
        return try y.reshaped([batch, steps * size, channels])
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["size"] = .int(size)
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        UpSampling1D(size: try config.single("size", default: 2), name: config.name)
    }
}
