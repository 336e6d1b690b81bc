/// What MaxPooling2D and AveragePooling2D share: window, strides (default: the pool
/// size, as in Keras), padding and the output-shape rule.
public class Pooling2D: Layer {
    public let poolSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding

    init(poolSize: (Int, Int), strides: (Int, Int)?, padding: Padding, name: String?, inputShape: [Int]?) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        super.init(name: name, inputShape: inputShape)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 4) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { Optional($0) }, layer: name)
        guard poolSize.0 > 0, poolSize.1 > 0, strides.0 > 0, strides.1 > 0 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": pool_size and strides must be positive, received \(poolSize) and \(strides)")
        }
        let (h, _) = WindowGeometry.outputSize(inputShape[0], poolSize.0, strides.0, padding)
        let (w, _) = WindowGeometry.outputSize(inputShape[1], poolSize.1, strides.1, padding)
        guard h != 0, w != 0 else {  // -1: unknown input size, unknown output size
            throw KerasError.incompatibleInput(
                layer: name, message: "pool size \(poolSize) does not fit an input of shape \(shapeString([nil] + inputShape.map { Optional($0) }))")
        }
        return [h, w, inputShape[2]]
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "pool_size": [.int(poolSize.0), .int(poolSize.1)], "padding": .string(padding.rawValue),
            "strides": [.int(strides.0), .int(strides.1)], "data_format": "channels_last",
        ])
        return config
    }

    /// Keras builds pooling layers when they are made, so their configs carry no build_config.
    public override var buildConfig: ConfigObject? { nil }

    /// The arguments both pooling layers read from a config.
    static func poolingArguments(_ config: LayerConfig) throws -> (poolSize: (Int, Int), strides: (Int, Int)?, padding: Padding) {
        try config.require("data_format", "channels_last")
        return (try config.optionalPair("pool_size") ?? (2, 2), try config.optionalPair("strides"), try config.padding())
    }
}

/// Max over each pooling window.
public final class MaxPooling2D: Pooling2D {
    public init(poolSize: (Int, Int) = (2, 2), strides: (Int, Int)? = nil, padding: Padding = .valid,
                inputShape: [Int]? = nil, name: String? = nil) {
        super.init(poolSize: poolSize, strides: strides, padding: padding, name: name, inputShape: inputShape)
    }

    /// Keras's positional form: `MaxPooling2D((2, 2))`.
    public convenience init(_ poolSize: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid) {
        self.init(poolSize: poolSize, strides: strides, padding: padding)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try maxPool2d(input, poolSize: poolSize, strides: strides, padding: padding)
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let (poolSize, strides, padding) = try poolingArguments(config)
        return MaxPooling2D(poolSize: poolSize, strides: strides, padding: padding, name: config.name)
    }
}

/// Mean over each pooling window (padded cells excluded, as in Keras).
public final class AveragePooling2D: Pooling2D {
    public init(poolSize: (Int, Int) = (2, 2), strides: (Int, Int)? = nil, padding: Padding = .valid,
                inputShape: [Int]? = nil, name: String? = nil) {
        super.init(poolSize: poolSize, strides: strides, padding: padding, name: name, inputShape: inputShape)
    }

    public convenience init(_ poolSize: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid) {
        self.init(poolSize: poolSize, strides: strides, padding: padding)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try averagePool2d(input, poolSize: poolSize, strides: strides, padding: padding)
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let (poolSize, strides, padding) = try poolingArguments(config)
        return AveragePooling2D(poolSize: poolSize, strides: strides, padding: padding, name: config.name)
    }
}

/// Keras's aliases.
public typealias MaxPool2D = MaxPooling2D
public typealias AvgPool2D = AveragePooling2D
