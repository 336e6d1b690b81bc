/// Keras/TensorFlow padding modes for convolution and pooling windows.
public enum Padding: String, Sendable, Codable {
    /// No padding: windows lie fully inside the input.
    case valid
    /// Output size ceil(input / stride); padding split with the extra cell at the end.
    case same
}

/// Sizes and offsets of a 2-D sliding window over an NHWC input. A dilated window reads
/// every `dilation`-th cell: its taps span (window − 1) · dilation + 1 cells, and output
/// sizes and padding follow that span.
public struct WindowGeometry: Sendable, Equatable {
    public let batch, inHeight, inWidth, channels: Int
    public let windowHeight, windowWidth, strideHeight, strideWidth: Int
    public let dilationHeight, dilationWidth: Int
    public let outHeight, outWidth, padTop, padLeft: Int

    public init(
        inputShape: [Int], window: (Int, Int), strides: (Int, Int), padding: Padding, dilations: (Int, Int) = (1, 1)
    ) throws {
        guard inputShape.count == 4 else {
            throw TensorError.shapeMismatch(op: "window", message: "expected an NHWC input of rank 4, got \(shapeString(inputShape))")
        }
        guard window.0 > 0, window.1 > 0, strides.0 > 0, strides.1 > 0, dilations.0 > 0, dilations.1 > 0 else {
            throw TensorError.invalidArgument(
                op: "window", message: "window \(window), strides \(strides) and dilations \(dilations) must be positive")
        }
        batch = inputShape[0]; inHeight = inputShape[1]; inWidth = inputShape[2]; channels = inputShape[3]
        windowHeight = window.0; windowWidth = window.1
        var strideHeight = strides.0, strideWidth = strides.1
        dilationHeight = dilations.0; dilationWidth = dilations.1
        let spans = (WindowGeometry.span(window.0, dilation: dilations.0), WindowGeometry.span(window.1, dilation: dilations.1))
        let (oh, pt) = WindowGeometry.outputSize(inHeight, spans.0, strides.0, padding)
        let (ow, pl) = WindowGeometry.outputSize(inWidth, spans.1, strides.1, padding)
        guard oh > 0, ow > 0 else {
            throw TensorError.shapeMismatch(
                op: "window",
                message: "a \(window.0)x\(window.1) window with \(padding.rawValue) padding does not fit an input of \(inHeight)x\(inWidth)")
        }
        outHeight = oh; outWidth = ow; padTop = pt; padLeft = pl
        // A single output row (column) is one window, whose stride is never applied: 1 then
        // gives the same result and keeps the kernels' offsets (stride · row length) in range
        // for any stride a user passes (Int.max with same padding).
        if oh == 1 { strideHeight = 1 }
        if ow == 1 { strideWidth = 1 }
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        // The kernels (C ints, BLAS) index one image's padded frame, its patch and its output
        // pixels with 32 bits: sizes beyond that (a dilation of 2^40 with same padding pads
        // the frame by 2^41) are refused here rather than overflowing there.
        // Each size is at most Int32.max before the next product, so none overflows Int.
        let limit = Int(Int32.max)
        let frameHeight = spans.0 > limit ? Int.max : (oh - 1) * strideHeight + spans.0
        let frameWidth = spans.1 > limit ? Int.max : (ow - 1) * strideWidth + spans.1
        func fits(_ sizes: [Int]) -> Bool { sizes.allSatisfy { $0 <= limit } }
        guard fits([window.0, window.1, channels, frameHeight, frameWidth]), fits([window.0 * window.1]),
              fits([window.0 * window.1 * channels, frameHeight * frameWidth, frameWidth * channels, oh * ow]) else {
            throw TensorError.invalidArgument(
                op: "window",
                message: "a \(window.0)x\(window.1) window (dilation \(dilations), strides \(strides), \(padding.rawValue) padding) over an input of \(inHeight)x\(inWidth)x\(channels) needs sizes beyond the 32-bit ones the kernels support (at most \(Int32.max))")
        }
    }

    /// The cells a window of `window` taps spaced `dilation` apart spans, (window − 1) ·
    /// dilation + 1, saturated at Int.max: no input is that long, so such a window fits none.
    public static func span(_ window: Int, dilation: Int) -> Int {
        let (product, overflow) = (window - 1).multipliedReportingOverflow(by: dilation)
        return overflow || product == Int.max ? Int.max : product + 1
    }

    /// Output length and leading pad along one axis, by TensorFlow's rules, for a positive
    /// window and stride. An unknown input length (negative: Keras's None) gives an unknown
    /// output length, -1. The arithmetic cannot overflow, whatever the sizes.
    public static func outputSize(_ input: Int, _ window: Int, _ stride: Int, _ padding: Padding) -> (Int, Int) {
        guard input >= 0 else { return (-1, 0) }
        guard window > 0, stride > 0 else { return (0, 0) }
        switch padding {
        case .valid:
            return (input >= window ? (input - window) / stride + 1 : 0, 0)
        case .same:
            let out = input / stride + (input % stride == 0 ? 0 : 1)
            // (out - 1) * stride < input, so the window's overhang past the input's end is
            // window - (input - (out - 1) * stride), computed without leaving Int's range.
            let total = max(window - (input - (out - 1) * stride), 0)
            return (out, total / 2)
        }
    }

    /// The cells a dilated window spans.
    var spanHeight: Int { WindowGeometry.span(windowHeight, dilation: dilationHeight) }
    var spanWidth: Int { WindowGeometry.span(windowWidth, dilation: dilationWidth) }
    var isDilated: Bool { dilationHeight > 1 || dilationWidth > 1 }

    var outPixelsPerImage: Int { outHeight * outWidth }
    var patchSize: Int { windowHeight * windowWidth * channels }
}
