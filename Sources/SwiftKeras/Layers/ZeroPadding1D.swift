/// Adds zero steps before and after sequences (batch, steps, channels) (Keras's
/// `ZeroPadding1D`), one on each side by default.
public final class ZeroPadding1D: Layer {
    public let padding: (left: Int, right: Int)

    public init(padding: (Int, Int), inputShape: [Int]? = nil, name: String? = nil) {
        self.padding = (padding.0, padding.1)
        super.init(name: name, inputShape: inputShape)
    }

    public convenience init(padding: Int = 1, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(padding: (padding, padding), inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 3) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        guard padding.left >= 0, padding.right >= 0 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": padding must be non-negative, received \(padding)")
        }
        return [inputShape[0] < 0 ? -1 : inputShape[0] + padding.left + padding.right, inputShape[1]]
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.zeroPadded([(0, 0), (padding.left, padding.right)])
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["padding": [.int(padding.left), .int(padding.right)], "data_format": "channels_last"])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return ZeroPadding1D(padding: try config.optionalPair("padding") ?? (1, 1), name: config.name)
    }
}
