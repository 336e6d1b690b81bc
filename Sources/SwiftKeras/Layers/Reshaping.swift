/// Flattens each sample to one axis: (batch, ...) → (batch, product).
public final class Flatten: Layer {
    public init(inputShape: [Int]? = nil, name: String? = nil) { super.init(name: name, inputShape: inputShape) }

    public override func inputSpec() -> InputSpec { InputSpec(minNdim: 1) }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        [try perSampleCount(inputShape, layer: name) ?? -1]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.reshaped([input.shape[0], input.shape.dropFirst().reduce(1, *)])
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["data_format"] = "channels_last"
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.require("data_format", "channels_last")
        return Flatten(name: config.name)
    }
}

/// Reshapes each sample to `targetShape` (one entry may be -1).
public final class Reshape: Layer {
    public let targetShape: [Int]

    public init(_ targetShape: [Int], inputShape: [Int]? = nil, name: String? = nil) {
        self.targetShape = targetShape
        super.init(name: name, inputShape: inputShape)
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        let unknown = targetShape.filter { $0 == -1 }.count
        guard unknown <= 1, targetShape.allSatisfy({ $0 > 0 || $0 == -1 }) else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": target_shape \(shapeString(targetShape)) must have positive sizes and at most one -1")
        }
        let known = try perSampleCount(targetShape.filter { $0 != -1 }, layer: name) ?? 0
        // An input of unknown size leaves the inferred dimension unknown, as in Keras.
        guard let total = try perSampleCount(inputShape, layer: name) else { return targetShape }
        var result = targetShape
        if unknown == 1, total % known == 0, let i = targetShape.firstIndex(of: -1) {
            result[i] = total / known
        }
        guard result.allSatisfy({ $0 > 0 }), (unknown == 1 ? total % known == 0 : known == total) else {
            throw KerasError.incompatibleInput(
                layer: name,
                message: "total size of the new array must be unchanged, input_shape = \(shapeString(inputShape)), output_shape = \(shapeString(targetShape))")
        }
        return result
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.reshaped([input.shape[0]] + outputShape(for: Array(input.shape.dropFirst())))
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["target_shape"] = .array(targetShape.map { .int($0) })
        return config
    }

    public override var buildConfig: ConfigObject? { nil }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        Reshape(try config.ints("target_shape"), name: config.name)
    }
}

/// Applies an activation function as a layer.
public final class ActivationLayer: Layer {
    public let activation: Activation

    public init(_ activation: Activation, inputShape: [Int]? = nil, name: String? = nil) {
        self.activation = activation
        super.init(name: name ?? LayerNames.unique("Activation"), inputShape: inputShape)
    }

    public override var className: String { "Activation" }
    public override var supportsMasking: Bool { true }

    public override func build(inputShape: [Int]) throws { try activation.validate(layer: name) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor { activation(input) }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["activation"] = .string(activation.name)
        return config
    }

    public override var buildConfig: ConfigObject? { nil }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        ActivationLayer(try config.activation("activation"), name: config.name)
    }
}

/// Inverted dropout: in training, zeroes each value with probability `rate` and scales the
/// rest by 1 / (1 - rate); at inference it is the identity.
public final class Dropout: Layer {
    public let rate: Float

    public init(_ rate: Float, inputShape: [Int]? = nil, name: String? = nil) {
        self.rate = rate
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    public override func build(inputShape: [Int]) throws {
        guard rate >= 0, rate < 1 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": rate must be in [0, 1), received \(rate)")
        }
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        guard training, rate > 0 else { return input }
        return try input * dropoutMask(input.shape, rate: rate)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["rate": .float(rate), "seed": nil, "noise_shape": nil])
        return config
    }

    public override var buildConfig: ConfigObject? { nil }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireNull("noise_shape")
        config.ignore("seed")
        return Dropout(try config.float("rate"), name: config.name)
    }
}

/// A mask of 0 and 1 / (1 - rate) (inverted dropout), drawn from the global generator.
func dropoutMask(_ shape: [Int], rate: Float) -> Tensor {
    var rng = GlobalRandom.makeGenerator()
    let mask = Tensor(uninitializedShape: shape)
    let keep = 1 - rate, scale = 1 / keep
    // `rng.nextUniform() < keep` without a branch (a quarter of them mispredicted made this
    // loop 4x slower): nextUniform is (next() >> 40) / 2^24, so the test is an integer compare
    // against keep * 2^24 rounded up, and its borrow bit is the keep flag. Same draws, same masks.
    let threshold = UInt64((keep * 16_777_216).rounded(.up))
    let values = mask.storage.pointer
    for i in 0..<mask.count { values[i] = scale * Float(((rng.next() >> 40) &- threshold) >> 63) }
    return mask
}
