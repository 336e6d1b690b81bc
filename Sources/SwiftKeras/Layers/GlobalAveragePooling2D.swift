/// The mean over the height and width of (batch, height, width, channels) (Keras's
/// `GlobalAveragePooling2D`).
public final class GlobalAveragePooling2D: Layer {
    public let keepdims: Bool

    public init(keepdims: Bool = false, inputShape: [Int]? = nil, name: String? = nil) {
        self.keepdims = keepdims
        super.init(name: name, inputShape: inputShape)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 4) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        return keepdims ? [1, 1, inputShape[2]] : [inputShape[2]]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let (batch, channels) = (input.shape[0], input.shape[3])
        let pooled = try input.reshaped([batch, input.shape[1] * input.shape[2], channels]).mean(alongAxis: 1)
        return keepdims ? try pooled.reshaped([batch, 1, 1, channels]) : pooled
    }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["data_format": "channels_last", "keepdims": .bool(keepdims)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return GlobalAveragePooling2D(keepdims: try config.bool("keepdims", default: false), name: config.name)
    }
}

/// Keras's alias.
public typealias GlobalAvgPool2D = GlobalAveragePooling2D
