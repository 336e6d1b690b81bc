/// Removes steps at the start and end of sequences (batch, steps, channels) (Keras's
/// `Cropping1D`), one at each end by default.
public final class Cropping1D: Layer {
    public let cropping: (start: Int, end: Int)

    public init(cropping: (Int, Int) = (1, 1), inputShape: [Int]? = nil, name: String? = nil) {
        self.cropping = (cropping.0, cropping.1)
        super.init(name: name, inputShape: inputShape)
    }

    public convenience init(cropping: Int, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(cropping: (cropping, cropping), inputShape: inputShape, name: name)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 3) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        let removed = cropping.start + cropping.end
        guard cropping.start >= 0, cropping.end >= 0, inputShape[0] < 0 || inputShape[0] > removed else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": cropping \(cropping) must be non-negative and leave something of an input of shape \(shapeString([nil] + inputShape.map { $0 < 0 ? nil : $0 }))")
        }
        return [inputShape[0] < 0 ? -1 : inputShape[0] - removed, inputShape[1]]
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        _ = try outputShape(for: Array(input.shape.dropFirst()))
        return try input.cropped([(0, 0), (cropping.start, cropping.end)])
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["cropping"] = [.int(cropping.start), .int(cropping.end)]
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        Cropping1D(cropping: try config.optionalPair("cropping") ?? (1, 1), name: config.name)
    }
}
