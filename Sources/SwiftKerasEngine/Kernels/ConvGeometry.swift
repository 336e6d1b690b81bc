/// Keras/TensorFlow padding modes for convolution and pooling windows.
public enum Padding: String, Sendable, Codable {
    /// No padding: windows lie fully inside the input.
    case valid
    /// Output size ceil(input / stride); padding split with the extra cell at the end.
    case same
}

/// Sizes and offsets of a 2-D sliding window over an NHWC input.
public struct WindowGeometry: Sendable, Equatable {
    public let batch, inHeight, inWidth, channels: Int
    public let windowHeight, windowWidth, strideHeight, strideWidth: Int
    public let outHeight, outWidth, padTop, padLeft: Int

    public init(
        inputShape: [Int], window: (Int, Int), strides: (Int, Int), padding: Padding
    ) throws {
        guard inputShape.count == 4 else {
            throw TensorError.shapeMismatch(op: "window", message: "expected an NHWC input of rank 4, got \(shapeString(inputShape))")
        }
        guard window.0 > 0, window.1 > 0, strides.0 > 0, strides.1 > 0 else {
            throw TensorError.invalidArgument(op: "window", message: "window \(window) and strides \(strides) must be positive")
        }
        batch = inputShape[0]; inHeight = inputShape[1]; inWidth = inputShape[2]; channels = inputShape[3]
        windowHeight = window.0; windowWidth = window.1
        strideHeight = strides.0; strideWidth = strides.1
        let (oh, pt) = WindowGeometry.outputSize(inHeight, window.0, strides.0, padding)
        let (ow, pl) = WindowGeometry.outputSize(inWidth, window.1, strides.1, padding)
        guard oh > 0, ow > 0 else {
            throw TensorError.shapeMismatch(
                op: "window",
                message: "a \(window.0)x\(window.1) window with \(padding.rawValue) padding does not fit an input of \(inHeight)x\(inWidth)")
        }
        outHeight = oh; outWidth = ow; padTop = pt; padLeft = pl
    }

    /// Output length and leading pad along one axis, by TensorFlow's rules.
    public static func outputSize(_ input: Int, _ window: Int, _ stride: Int, _ padding: Padding) -> (Int, Int) {
        switch padding {
        case .valid:
            return (input >= window ? (input - window) / stride + 1 : 0, 0)
        case .same:
            let out = (input + stride - 1) / stride
            let total = max((out - 1) * stride + window - input, 0)
            return (out, total / 2)
        }
    }

    var outPixelsPerImage: Int { outHeight * outWidth }
    var patchSize: Int { windowHeight * windowWidth * channels }
}
