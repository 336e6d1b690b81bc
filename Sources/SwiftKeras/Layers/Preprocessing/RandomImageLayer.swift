import Foundation

/// The shared part of the random augmentation layers (RandomFlip, RandomRotation, RandomZoom,
/// RandomTranslation): active only in training, identity otherwise, as Keras's; each draws
/// from its own generator, seeded by `seed` or, without one, from the global generator when
/// the layer is made (so `setRandomSeed` fixes the draws).
///
/// Input (batch, height, width, channels); one random transformation per image.
open class RandomImageLayer: Layer {
    public let seed: UInt64?
    var generator: RandomGenerator
    var numbers = RecordedNumbers()

    init(seed: UInt64?, inputShape: [Int]?, name: String?) {
        self.seed = seed
        var global = GlobalRandom.makeGenerator()
        generator = RandomGenerator(seed: seed ?? global.next())
        super.init(name: name, inputShape: inputShape)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 4) }

    /// Uniform in [low, high).
    func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * generator.nextUniform() }

    /// A `(lower, upper)` range from Keras's factor argument: a number f means (-|f|, |f|),
    /// a pair is sorted; every bound must lie in `bounds`.
    static func factorRange(_ factor: (Float, Float), bounds: ClosedRange<Float>, excludingLower: Bool = false,
                            argument: String, layer: String) throws -> (Float, Float) {
        let (low, high) = (Swift.min(factor.0, factor.1), Swift.max(factor.0, factor.1))
        let inside = { (v: Float) in bounds.contains(v) && !(excludingLower && v == bounds.lowerBound) }
        guard inside(low), inside(high) else {
            throw KerasError.invalidArgument(
                "Layer \"\(layer)\": the \(argument) argument should be a number (or a list of two numbers) in the range \(excludingLower ? "(" : "[")\(bounds.lowerBound), \(bounds.upperBound)]. Received: \(argument)=(\(factor.0), \(factor.1))")
        }
        return (low, high)
    }
}

/// Randomly flips each image during training (Keras's `RandomFlip`). With
/// `.horizontalAndVertical` one draw per image decides both flips, as in Keras 3.
public final class RandomFlip: RandomImageLayer {
    public enum Mode: String, Sendable { case horizontal, vertical, horizontalAndVertical = "horizontal_and_vertical" }
    public let mode: Mode

    public init(_ mode: Mode = .horizontalAndVertical, seed: UInt64? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.mode = mode
        super.init(seed: seed, inputShape: inputShape, name: name)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        guard training else { return input }
        // Keras flips when a uniform draw is at most 0.5.
        let flips = (0..<input.shape[0]).map { _ in generator.nextUniform() <= 0.5 }
        return flipImages(input, flips: flips, horizontal: mode != .vertical, vertical: mode != .horizontal)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["data_format": "channels_last", "seed": seedConfig(seed), "mode": .string(mode.rawValue)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.require("data_format", "channels_last")
        let name = try config.string("mode", default: Mode.horizontalAndVertical.rawValue)
        guard let mode = Mode(rawValue: name) else {
            throw config.problem("mode", "\"horizontal\", \"vertical\" or \"horizontal_and_vertical\"", found: .string(name))
        }
        return RandomFlip(mode, seed: try config.seed(), name: config.name)
    }
}

/// Randomly rotates each image during training by an angle drawn uniformly from
/// factor × 360° (a number f: [-f, f]; a pair: [lower, upper]), about the image centre
/// (Keras's `RandomRotation`).
public final class RandomRotation: RandomImageLayer {
    public let factor: (Float, Float)
    public let fillMode: FillMode
    public let interpolation: Interpolation
    public let fillValue: Float
    private let range: (Float, Float)?

    public convenience init(_ factor: Float, fillMode: FillMode = .reflect, interpolation: Interpolation = .bilinear,
                            seed: UInt64? = nil, fillValue: Float = 0, inputShape: [Int]? = nil, name: String? = nil) {
        self.init((-Swift.abs(factor), Swift.abs(factor)), fillMode: fillMode, interpolation: interpolation, seed: seed,
                  fillValue: fillValue, inputShape: inputShape, name: name)
    }

    public init(_ factor: (Float, Float), fillMode: FillMode = .reflect, interpolation: Interpolation = .bilinear,
                seed: UInt64? = nil, fillValue: Float = 0, inputShape: [Int]? = nil, name: String? = nil) {
        self.factor = factor
        self.fillMode = fillMode
        self.interpolation = interpolation
        self.fillValue = fillValue
        range = try? Self.factorRange(factor, bounds: -1...1, argument: "factor", layer: "")
        super.init(seed: seed, inputShape: inputShape, name: name)
    }

    public override func build(inputShape: [Int]) throws {
        _ = try Self.factorRange(factor, bounds: -1...1, argument: "factor", layer: name)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        guard training, let (low, high) = range else { return input }
        let (h, w) = (Float(input.shape[1]), Float(input.shape[2]))
        let (cx, cy) = (0.5 * (w - 1), 0.5 * (h - 1))
        let transforms = (0..<input.shape[0]).map { _ -> [Float] in
            let angle = uniform(low * 360, high * 360) * .pi / 180
            let (c, s) = (Float(Foundation.cos(Double(angle))), Float(Foundation.sin(Double(angle))))
            return [c, -s, cx - cx * c + cy * s, s, c, cy - cx * s - cy * c, 0, 0]
        }
        return try affineTransform(input, transforms: transforms, interpolation: interpolation, fillMode: fillMode, fillValue: fillValue)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "data_format": "channels_last", "factor": [numbers.value("factor0", factor.0), numbers.value("factor1", factor.1)],
            "fill_mode": .string(fillMode.rawValue), "fill_value": numbers.value("fill_value", fillValue),
            "interpolation": .string(interpolation.rawValue), "seed": seedConfig(seed),
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.require("data_format", "channels_last")
        guard let (range, value) = try config.factor("factor") else { throw SavingError("\(config.what): the config has no 'factor'") }
        let layer = RandomRotation(value.arrayValue == nil ? (range.0, range.1) : range, fillMode: try config.fillMode(default: .reflect),
                                   interpolation: try config.interpolation(), seed: try config.seed(),
                                   fillValue: try config.float("fill_value", default: 0), name: config.name)
        let pair = value.arrayValue?.compactMap(\.doubleValue) ?? [-Swift.abs(value.doubleValue ?? 0), Swift.abs(value.doubleValue ?? 0)]
        layer.numbers.record("factor0", LayerConfig(className: "", values: ["factor0": .double(pair[0])]))
        layer.numbers.record("factor1", LayerConfig(className: "", values: ["factor1": .double(pair[1])]))
        layer.numbers.record("fill_value", config)
        return layer
    }
}

/// Randomly zooms each image during training (Keras's `RandomZoom`): the height is scaled by
/// 1 + a draw from heightFactor's range (negative zooms in, positive out), the width likewise
/// (or by the height's draw when `widthFactor` is nil), about the centre.
public final class RandomZoom: RandomImageLayer {
    public let heightFactor: (Float, Float)
    public let widthFactor: (Float, Float)?
    public let fillMode: FillMode
    public let interpolation: Interpolation
    public let fillValue: Float
    /// The factors as given (a number or a pair), for the config.
    var heightFactorValue: ConfigValue = .null
    var widthFactorValue: ConfigValue = .null

    public convenience init(heightFactor: Float, widthFactor: Float? = nil, fillMode: FillMode = .reflect,
                            interpolation: Interpolation = .bilinear, seed: UInt64? = nil, fillValue: Float = 0,
                            inputShape: [Int]? = nil, name: String? = nil) {
        self.init(heightFactor: (-Swift.abs(heightFactor), Swift.abs(heightFactor)),
                  widthFactor: widthFactor.map { (-Swift.abs($0), Swift.abs($0)) }, fillMode: fillMode,
                  interpolation: interpolation, seed: seed, fillValue: fillValue, inputShape: inputShape, name: name)
        heightFactorValue = .double(Double(heightFactor))
        widthFactorValue = widthFactor.map { .double(Double($0)) } ?? .null
    }

    public init(heightFactor: (Float, Float), widthFactor: (Float, Float)? = nil, fillMode: FillMode = .reflect,
                interpolation: Interpolation = .bilinear, seed: UInt64? = nil, fillValue: Float = 0,
                inputShape: [Int]? = nil, name: String? = nil) {
        self.heightFactor = heightFactor
        self.widthFactor = widthFactor
        self.fillMode = fillMode
        self.interpolation = interpolation
        self.fillValue = fillValue
        heightFactorValue = factorConfig(heightFactor)
        widthFactorValue = widthFactor.map(factorConfig) ?? .null
        super.init(seed: seed, inputShape: inputShape, name: name)
    }

    public override func build(inputShape: [Int]) throws {
        _ = try Self.factorRange(heightFactor, bounds: -1...1, excludingLower: true, argument: "height_factor", layer: name)
        if let widthFactor { _ = try Self.factorRange(widthFactor, bounds: -1...1, excludingLower: true, argument: "width_factor", layer: name) }
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        guard training else { return input }
        let (h, w) = (Float(input.shape[1]), Float(input.shape[2]))
        let hr = (Swift.min(heightFactor.0, heightFactor.1), Swift.max(heightFactor.0, heightFactor.1))
        let wr = widthFactor.map { (Swift.min($0.0, $0.1), Swift.max($0.0, $0.1)) }
        let transforms = (0..<input.shape[0]).map { _ -> [Float] in
            let zy = uniform(1 + hr.0, 1 + hr.1)
            let zx = wr.map { uniform(1 + $0.0, 1 + $0.1) } ?? zy
            return [zx, 0, (w - 1) / 2 * (1 - zx), 0, zy, (h - 1) / 2 * (1 - zy), 0, 0]
        }
        return try affineTransform(input, transforms: transforms, interpolation: interpolation, fillMode: fillMode, fillValue: fillValue)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "data_format": "channels_last", "height_factor": heightFactorValue, "width_factor": widthFactorValue,
            "fill_mode": .string(fillMode.rawValue), "interpolation": .string(interpolation.rawValue), "seed": seedConfig(seed),
            "fill_value": numbers.value("fill_value", fillValue),
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.require("data_format", "channels_last")
        guard let height = try config.factor("height_factor") else { throw SavingError("\(config.what): the config has no 'height_factor'") }
        let width = try config.factor("width_factor")
        let layer = RandomZoom(heightFactor: height.range, widthFactor: width?.range, fillMode: try config.fillMode(default: .reflect),
                               interpolation: try config.interpolation(), seed: try config.seed(),
                               fillValue: try config.float("fill_value", default: 0), name: config.name)
        layer.widthFactorValue = width?.value ?? .null
        layer.heightFactorValue = height.value
        layer.numbers.record("fill_value", config)
        return layer
    }
}

/// Randomly shifts each image during training (Keras's `RandomTranslation`) by a fraction of
/// its height and width drawn from each factor's range.
public final class RandomTranslation: RandomImageLayer {
    public let heightFactor: (Float, Float)
    public let widthFactor: (Float, Float)
    public let fillMode: FillMode
    public let interpolation: Interpolation
    public let fillValue: Float
    /// The factors as given (a number or a pair), for the config.
    var heightFactorValue: ConfigValue = .null
    var widthFactorValue: ConfigValue = .null

    public convenience init(heightFactor: Float, widthFactor: Float, fillMode: FillMode = .reflect,
                            interpolation: Interpolation = .bilinear, seed: UInt64? = nil, fillValue: Float = 0,
                            inputShape: [Int]? = nil, name: String? = nil) {
        self.init(heightFactor: (-Swift.abs(heightFactor), Swift.abs(heightFactor)), widthFactor: (-Swift.abs(widthFactor), Swift.abs(widthFactor)),
                  fillMode: fillMode, interpolation: interpolation, seed: seed, fillValue: fillValue, inputShape: inputShape, name: name)
        heightFactorValue = .double(Double(heightFactor))
        widthFactorValue = .double(Double(widthFactor))
    }

    public init(heightFactor: (Float, Float), widthFactor: (Float, Float), fillMode: FillMode = .reflect,
                interpolation: Interpolation = .bilinear, seed: UInt64? = nil, fillValue: Float = 0,
                inputShape: [Int]? = nil, name: String? = nil) {
        self.heightFactor = heightFactor
        self.widthFactor = widthFactor
        self.fillMode = fillMode
        self.interpolation = interpolation
        self.fillValue = fillValue
        heightFactorValue = factorConfig(heightFactor)
        widthFactorValue = factorConfig(widthFactor)
        super.init(seed: seed, inputShape: inputShape, name: name)
    }

    public override func build(inputShape: [Int]) throws {
        _ = try Self.factorRange(heightFactor, bounds: -1...1, argument: "height_factor", layer: name)
        _ = try Self.factorRange(widthFactor, bounds: -1...1, argument: "width_factor", layer: name)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        guard training else { return input }
        let (h, w) = (Float(input.shape[1]), Float(input.shape[2]))
        let hr = (Swift.min(heightFactor.0, heightFactor.1), Swift.max(heightFactor.0, heightFactor.1))
        let wr = (Swift.min(widthFactor.0, widthFactor.1), Swift.max(widthFactor.0, widthFactor.1))
        let transforms = (0..<input.shape[0]).map { _ -> [Float] in
            let ty = uniform(hr.0, hr.1) * h
            let tx = uniform(wr.0, wr.1) * w
            return [1, 0, -tx, 0, 1, -ty, 0, 0]
        }
        return try affineTransform(input, transforms: transforms, interpolation: interpolation, fillMode: fillMode, fillValue: fillValue)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "data_format": "channels_last", "height_factor": heightFactorValue, "width_factor": widthFactorValue,
            "fill_mode": .string(fillMode.rawValue), "interpolation": .string(interpolation.rawValue), "seed": seedConfig(seed),
            "fill_value": numbers.value("fill_value", fillValue),
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.require("data_format", "channels_last")
        guard let height = try config.factor("height_factor") else { throw SavingError("\(config.what): the config has no 'height_factor'") }
        let width = try config.factor("width_factor")
        guard let width else { throw SavingError("\(config.what): the config has no 'width_factor'") }
        let layer = RandomTranslation(heightFactor: height.range, widthFactor: width.range, fillMode: try config.fillMode(default: .reflect),
                                      interpolation: try config.interpolation(), seed: try config.seed(),
                                      fillValue: try config.float("fill_value", default: 0), name: config.name)
        layer.widthFactorValue = width.value
        layer.heightFactorValue = height.value
        layer.numbers.record("fill_value", config)
        return layer
    }
}

/// A factor as Keras's config holds it: the number or the pair that was given.
func factorConfig(_ range: (Float, Float)) -> ConfigValue { [.double(Double(range.0)), .double(Double(range.1))] }

/// Images flipped left-right and/or top-bottom where `flips` says so (a permutation, so its
/// gradient is the same flip).
func flipImages(_ images: Tensor, flips: [Bool], horizontal: Bool, vertical: Bool) -> Tensor {
    let (n, h, w, c) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    func apply(_ source: Tensor) -> Tensor {
        let out = Tensor(uninitializedShape: source.shape)
        let src = source.storage.pointer, dst = out.storage.pointer
        for b in 0..<n {
            for y in 0..<h {
                for x in 0..<w {
                    let sy = flips[b] && vertical ? h - 1 - y : y, sx = flips[b] && horizontal ? w - 1 - x : x
                    (dst + ((b * h + y) * w + x) * c).update(from: src + ((b * h + sy) * w + sx) * c, count: c)
                }
            }
        }
        return out
    }
    return Tensor.record("flip", apply(images.detached), inputs: [images]) { grad, _ in [apply(grad)] }
}
