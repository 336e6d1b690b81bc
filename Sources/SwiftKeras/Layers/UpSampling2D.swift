/// Enlarges images (batch, height, width, channels) by integer factors (Keras's
/// `UpSampling2D`): "nearest" repeats each pixel, "bilinear" interpolates with
/// TensorFlow's half-pixel centres, as Keras does.
public final class UpSampling2D: Layer {
    public let size: (Int, Int)
    public let interpolation: Interpolation

    public init(size: (Int, Int) = (2, 2), interpolation: Interpolation = .nearest, inputShape: [Int]? = nil, name: String? = nil) {
        self.size = size
        self.interpolation = interpolation
        super.init(name: name, inputShape: inputShape)
    }

    public convenience init(size: Int, interpolation: Interpolation = .nearest, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(size: (size, size), interpolation: interpolation, inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 4) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        guard size.0 > 0, size.1 > 0 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": size must be positive, received \(size)")
        }
        return [inputShape[0] < 0 ? -1 : inputShape[0] * size.0, inputShape[1] < 0 ? -1 : inputShape[1] * size.1, inputShape[2]]
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try resizeImages(input, height: input.shape[1] * size.0, width: input.shape[2] * size.1, interpolation: interpolation)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["size": [.int(size.0), .int(size.1)], "data_format": "channels_last",
                      "interpolation": .string(interpolation.rawValue)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        let name = try config.string("interpolation", default: "nearest").lowercased()
        guard let interpolation = Interpolation(rawValue: name) else {
            throw SavingError("\(config.what): 'interpolation' must be \"nearest\" or \"bilinear\" in SwiftKeras, found \"\(name)\"")
        }
        return UpSampling2D(size: try config.optionalPair("size") ?? (2, 2), interpolation: interpolation, name: config.name)
    }
}
