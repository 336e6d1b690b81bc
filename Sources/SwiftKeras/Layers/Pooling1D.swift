/// What MaxPooling1D and AveragePooling1D share: window, strides (default: the pool size,
/// as in Keras), padding and the output-shape rule, over (batch, steps, channels). Both run
/// as 2-D pooling of height 1.
public class Pooling1D: Layer {
    public let poolSize: Int
    public let strides: Int
    public let padding: Padding

    init(poolSize: Int, strides: Int?, padding: Padding, name: String?, inputShape: [Int]?) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        super.init(name: name, inputShape: inputShape)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 3) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        guard poolSize > 0, strides > 0 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": pool_size and strides must be positive, received pool_size=\(poolSize), strides=\(strides)")
        }
        guard inputShape[0] >= 0 else { return [-1, inputShape[1]] }
        let (steps, _) = WindowGeometry.outputSize(inputShape[0], poolSize, strides, padding)
        guard steps > 0 else {
            throw KerasError.incompatibleInput(
                layer: name, message: "pool size \(poolSize) does not fit an input of shape \(shapeString([nil] + inputShape.map { Optional($0) }))")
        }
        return [steps, inputShape[1]]
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    /// Pools `input` with the 2-D op `pool` over a height-1 view.
    func pool1d(_ input: Tensor, _ pool: (Tensor, (Int, Int), (Int, Int), Padding) throws -> Tensor) throws -> Tensor {
        let (batch, steps, channels) = (input.shape[0], input.shape[1], input.shape[2])
        let y = try pool(try input.reshaped([batch, 1, steps, channels]), (1, poolSize), (1, strides), padding)
        return try y.reshaped([batch, y.shape[2], channels])
    }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["pool_size": [.int(poolSize)], "padding": .string(padding.rawValue), "strides": [.int(strides)],
                      "data_format": "channels_last"])
        return config
    }

    /// The arguments a 1-D pooling config holds: pool size, strides (default: the pool size), padding.
    static func arguments(_ config: LayerConfig, defaultPoolSize: Int?) throws -> (Int, Int?, Padding) {
        try config.requireChannelsLast()
        let poolSize = try defaultPoolSize.map { try config.single("pool_size", default: $0) } ?? config.single("pool_size")
        let strides = config.value("strides") == nil ? nil : try config.single("strides")
        return (poolSize, strides, try config.padding())
    }
}
