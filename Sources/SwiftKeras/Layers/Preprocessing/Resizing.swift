/// Resizes images to (height, width) (Keras's `Resizing`), as TensorFlow's `tf.image.resize`
/// without antialiasing; optionally cropping or padding (with `fillValue`) to the target's
/// aspect ratio first. Input (batch, height, width, channels).
public final class Resizing: Layer {
    public let height: Int
    public let width: Int
    public let interpolation: Interpolation
    public let cropToAspectRatio: Bool
    public let padToAspectRatio: Bool
    public let fillValue: Float
    private var numbers = RecordedNumbers()

    public init(_ height: Int, _ width: Int, interpolation: Interpolation = .bilinear, cropToAspectRatio: Bool = false,
                padToAspectRatio: Bool = false, fillValue: Float = 0, inputShape: [Int]? = nil, name: String? = nil) {
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.cropToAspectRatio = cropToAspectRatio
        self.padToAspectRatio = padToAspectRatio
        self.fillValue = fillValue
        super.init(name: name, inputShape: inputShape)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 4) }

    public override func build(inputShape: [Int]) throws {
        guard height > 0, width > 0 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": height and width must be positive, received (\(height), \(width))")
        }
        guard !(cropToAspectRatio && padToAspectRatio) else {
            throw KerasError.invalidArgument("Layer \"\(name)\": only one of cropToAspectRatio and padToAspectRatio can be true")
        }
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { Optional($0) }, layer: name)
        return [height, width, inputShape[2]]
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try resizeImage(input, to: (height, width), interpolation: interpolation, cropToAspectRatio: cropToAspectRatio,
                        padToAspectRatio: padToAspectRatio, fillValue: fillValue)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "data_format": "channels_last", "height": .int(height), "width": .int(width), "interpolation": .string(interpolation.rawValue),
            "crop_to_aspect_ratio": .bool(cropToAspectRatio), "pad_to_aspect_ratio": .bool(padToAspectRatio), "fill_mode": "constant",
            "fill_value": numbers.value("fill_value", fillValue), "antialias": false,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.require("data_format", "channels_last")
        try config.require("fill_mode", "constant")
        try config.require("antialias", false)
        let layer = Resizing(try config.int("height"), try config.int("width"), interpolation: try config.interpolation(),
                             cropToAspectRatio: try config.bool("crop_to_aspect_ratio", default: false),
                             padToAspectRatio: try config.bool("pad_to_aspect_ratio", default: false),
                             fillValue: try config.float("fill_value", default: 0), name: config.name)
        layer.numbers.record("fill_value", config)
        return layer
    }
}
