/// The mean over the steps of (batch, steps, channels) (Keras's `GlobalAveragePooling1D`).
/// With a mask (an Embedding with maskZero before it), only the unmasked steps are
/// averaged, as in Keras; a sequence masked entirely gives zeros (Keras divides by zero).
public final class GlobalAveragePooling1D: Layer {
    public let keepdims: Bool

    public init(keepdims: Bool = false, inputShape: [Int]? = nil, name: String? = nil) {
        self.keepdims = keepdims
        super.init(name: name, inputShape: inputShape)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 3) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        return keepdims ? [1, inputShape[1]] : [inputShape[1]]
    }

    /// The mask is consumed here (Keras's compute_mask returns None).
    public override func computeMask(_ input: Tensor, mask: Tensor?) -> Tensor? { nil }

    public override func call(_ input: Tensor, mask: Tensor?, training: Bool) throws -> Tensor {
        if let mask, mask.shape != Array(input.shape.prefix(2)) {
            throw KerasError.incompatibleInput(
                layer: name, message: "the mask must be (batch, steps) = \(shapeString(Array(input.shape.prefix(2)))), received \(shapeString(mask.shape))")
        }
        return try input.mean(alongAxis: 1, weights: mask, keepDims: keepdims)
    }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["data_format": "channels_last", "keepdims": .bool(keepdims)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return GlobalAveragePooling1D(keepdims: try config.bool("keepdims", default: false), name: config.name)
    }
}

/// Keras's alias.
public typealias GlobalAvgPool1D = GlobalAveragePooling1D
