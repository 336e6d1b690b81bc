/// Adds rows and columns of zeros around images (batch, height, width, channels) (Keras's
/// `ZeroPadding2D`): ((top, bottom), (left, right)), default one on every side.
public final class ZeroPadding2D: Layer {
    public let padding: ((top: Int, bottom: Int), (left: Int, right: Int))

    public init(padding: ((Int, Int), (Int, Int)), inputShape: [Int]? = nil, name: String? = nil) {
        self.padding = ((padding.0.0, padding.0.1), (padding.1.0, padding.1.1))
        super.init(name: name, inputShape: inputShape)
    }

    /// The same padding above and below (`height`) and left and right (`width`).
    public convenience init(padding: (Int, Int), inputShape: [Int]? = nil, name: String? = nil) {
        self.init(padding: ((padding.0, padding.0), (padding.1, padding.1)), inputShape: inputShape, name: name)
    }

    public convenience init(padding: Int = 1, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(padding: ((padding, padding), (padding, padding)), inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 4) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        let all = [padding.0.top, padding.0.bottom, padding.1.left, padding.1.right]
        guard all.allSatisfy({ $0 >= 0 }) else {
            throw KerasError.invalidArgument("Layer \"\(name)\": padding must be non-negative, received \(padding)")
        }
        func grown(_ size: Int, _ extra: Int) -> Int { size < 0 ? -1 : size + extra }
        return [grown(inputShape[0], padding.0.top + padding.0.bottom), grown(inputShape[1], padding.1.left + padding.1.right), inputShape[2]]
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.zeroPadded([(0, 0), (padding.0.top, padding.0.bottom), (padding.1.left, padding.1.right)])
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["padding": pairOfPairsConfig(((padding.0.top, padding.0.bottom), (padding.1.left, padding.1.right))),
                      "data_format": "channels_last"])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return ZeroPadding2D(padding: try config.pairOfPairs("padding", default: ((1, 1), (1, 1))), name: config.name)
    }
}
