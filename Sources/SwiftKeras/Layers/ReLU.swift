/// Rectified linear unit with Keras's options (Keras's `ReLU` layer): x above `threshold`
/// (else 0), capped at `maxValue`, with slope `negativeSlope` below the threshold.
public final class ReLU: Layer {
    public let maxValue: Float?
    public let negativeSlope: Float
    public let threshold: Float

    public init(maxValue: Float? = nil, negativeSlope: Float = 0, threshold: Float = 0,
                inputShape: [Int]? = nil, name: String? = nil) {
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    public override func build(inputShape: [Int]) throws {
        if let maxValue, !(maxValue >= 0) {
            throw KerasError.invalidArgument("Layer \"\(name)\": max_value of a ReLU layer cannot be a negative value, received max_value=\(maxValue)")
        }
        guard negativeSlope >= 0 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": negative_slope of a ReLU layer cannot be a negative value, received negative_slope=\(negativeSlope)")
        }
        guard threshold >= 0 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": threshold of a ReLU layer cannot be a negative value, received threshold=\(threshold)")
        }
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        if maxValue == nil && negativeSlope == 0 && threshold == 0 { return input.relu() }
        return input.relu(negativeSlope: negativeSlope, maxValue: maxValue, threshold: threshold)
    }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["max_value": maxValue.map { ConfigValue.float($0) } ?? nil, "negative_slope": .float(negativeSlope),
                      "threshold": .float(threshold)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        ReLU(maxValue: try config.optionalFloat("max_value"), negativeSlope: try config.float("negative_slope", default: 0),
             threshold: try config.float("threshold", default: 0), name: config.name)
    }
}
