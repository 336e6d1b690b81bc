/// The maximum over the steps of (batch, steps, channels) (Keras's `GlobalMaxPooling1D`).
/// As in Keras 3, a mask reaching it is ignored (masked steps take part in the maximum).
public final class GlobalMaxPooling1D: Layer {
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

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.max(alongAxis: 1, keepDims: keepdims)
    }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["data_format": "channels_last", "keepdims": .bool(keepdims)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireChannelsLast()
        return GlobalMaxPooling1D(keepdims: try config.bool("keepdims", default: false), name: config.name)
    }
}

/// Keras's alias.
public typealias GlobalMaxPool1D = GlobalMaxPooling1D
