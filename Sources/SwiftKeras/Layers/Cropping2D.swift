/// Removes rows and columns at the edges of images (batch, height, width, channels)
/// (Keras's `Cropping2D`): ((top, bottom), (left, right)).
public final class Cropping2D: Layer {
    public let cropping: ((top: Int, bottom: Int), (left: Int, right: Int))

    public init(cropping: ((Int, Int), (Int, Int)), inputShape: [Int]? = nil, name: String? = nil) {
        self.cropping = ((cropping.0.0, cropping.0.1), (cropping.1.0, cropping.1.1))
        super.init(name: name, inputShape: inputShape)
    }

    /// The same cropping above and below (`height`) and left and right (`width`).
    public convenience init(cropping: (Int, Int), inputShape: [Int]? = nil, name: String? = nil) {
        self.init(cropping: ((cropping.0, cropping.0), (cropping.1, cropping.1)), inputShape: inputShape, name: name)
    }

    public convenience init(cropping: Int = 0, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(cropping: ((cropping, cropping), (cropping, cropping)), inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 4) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        let (vertical, horizontal) = (cropping.0.top + cropping.0.bottom, cropping.1.left + cropping.1.right)
        guard [cropping.0.top, cropping.0.bottom, cropping.1.left, cropping.1.right].allSatisfy({ $0 >= 0 }),
              inputShape[0] < 0 || inputShape[0] > vertical, inputShape[1] < 0 || inputShape[1] > horizontal else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": cropping \(cropping) must be non-negative and leave something of an input of shape \(shapeString([nil] + inputShape.map { $0 < 0 ? nil : $0 }))")
        }
        return [inputShape[0] < 0 ? -1 : inputShape[0] - vertical, inputShape[1] < 0 ? -1 : inputShape[1] - horizontal, inputShape[2]]
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        _ = try outputShape(for: Array(input.shape.dropFirst()))
        return try input.cropped([(0, 0), (cropping.0.top, cropping.0.bottom), (cropping.1.left, cropping.1.right)])
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["cropping": pairOfPairsConfig(((cropping.0.top, cropping.0.bottom), (cropping.1.left, cropping.1.right))),
                      "data_format": "channels_last"])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return Cropping2D(cropping: try config.pairOfPairs("cropping", default: ((0, 0), (0, 0))), name: config.name)
    }
}
