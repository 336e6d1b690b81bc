import CImageCodecs
import CTurboJPEG
import Glibc

/// How many channels decoded images get (Keras's `color_mode`).
public enum ColorMode: String, Sendable {
    case grayscale, rgb, rgba

    public var channels: Int {
        switch self {
        case .grayscale: 1
        case .rgb: 3
        case .rgba: 4
        }
    }
}

/// Decoding and encoding of PNG (libpng) and JPEG (libjpeg-turbo) files as TensorFlow's
/// `decode_image` does, which is what Keras's image loaders use.
enum ImageCodec {
    /// Decoded images larger than this are refused before allocation (a crafted header can
    /// claim any size).
    static let maxDecodedBytes = 1 << 30

    enum Format { case png, jpeg }

    /// The format from the file's first bytes (as TensorFlow sniffs it, not by extension).
    static func format(_ bytes: [UInt8], path: String) throws -> Format {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: Array("GIF8".utf8)) || bytes.starts(with: Array("BM".utf8)) {
            throw KerasError.fileError(path: path, message: "GIF and BMP images are not supported; convert them to PNG or JPEG")
        }
        throw KerasError.fileError(
            path: path, message: bytes.isEmpty ? "empty file, not an image" : "not a PNG or JPEG image (unrecognized first bytes)")
    }

    /// Pixels (height, width, channels) as Floats 0...255.
    static func decode(_ bytes: [UInt8], path: String, channels: Int) throws -> Tensor {
        switch try format(bytes, path: path) {
        case .png: try decodePNG(bytes, path: path, channels: channels)
        case .jpeg: try decodeJPEG(bytes, path: path, channels: channels)
        }
    }

    static func decodePNG(_ bytes: [UInt8], path: String, channels: Int) throws -> Tensor {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, decodedChannels: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { buffer in
            sk_png_decode(buffer.baseAddress, buffer.count, Int32(channels), maxDecodedBytes, &pixels,
                          &width, &height, &decodedChannels, &message, message.count)
        }
        guard status == 0, let pixels else {
            throw KerasError.fileError(path: path, message: "cannot decode PNG: \(String(cString: message))")
        }
        defer { sk_free(pixels) }
        return floats(pixels, [Int(height), Int(width), Int(decodedChannels)])
    }

    static func decodeJPEG(_ bytes: [UInt8], path: String, channels: Int) throws -> Tensor {
        guard let handle = tjInitDecompress() else { throw KerasError.fileError(path: path, message: "cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        func failure(_ what: String) -> KerasError {
            .fileError(path: path, message: "\(what): \(String(cString: tjGetErrorStr2(handle)))")
        }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let headerStatus = bytes.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        guard headerStatus == 0 else { throw failure("cannot read JPEG header") }
        let outChannels = channels == 0 ? (colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3) : channels
        guard outChannels == 1 || outChannels == 3 else {
            throw KerasError.fileError(
                path: path, message: "a JPEG image decodes to 1 (grayscale) or 3 (rgb) channels, not \(outChannels), as in TensorFlow; JPEG has no alpha")
        }
        let (area, overflow) = Int(width).multipliedReportingOverflow(by: Int(height) * outChannels)
        guard width > 0, height > 0, !overflow, area <= maxDecodedBytes else {
            throw KerasError.fileError(path: path, message: "JPEG image of \(width) x \(height) pixels is too large to decode")
        }
        let format: TJPF = outChannels == 1 ? TJPF_GRAY : TJPF_RGB
        let pixels = UnsafeMutablePointer<UInt8>.allocate(capacity: area)
        defer { pixels.deallocate() }
        // TensorFlow decodes with the fast integer IDCT and fancy upsampling.
        let status = bytes.withUnsafeBufferPointer { buffer in
            tjDecompress2(handle, buffer.baseAddress, UInt(buffer.count), pixels, width, 0, height,
                          format.rawValue, TJFLAG_FASTDCT)
        }
        // A warning (such as "Premature end of JPEG file") also fails: TensorFlow refuses
        // truncated JPEGs rather than return gray rows.
        guard status == 0 else { throw failure("cannot decode JPEG") }
        return floats(pixels, [Int(height), Int(width), outChannels])
    }

    private static func floats(_ pixels: UnsafePointer<UInt8>, _ shape: [Int]) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = out.storage.pointer
        for i in 0..<out.count { p[i] = Float(pixels[i]) }
        return out
    }

    /// 8-bit pixels from (height, width, channels) Floats, rounded and clamped to 0...255.
    static func bytes(_ image: Tensor) -> [UInt8] {
        image.scalars.map { v in v.isNaN ? 0 : UInt8(Swift.min(Swift.max(v.rounded(), 0), 255)) }
    }

    static func encodePNG(_ image: Tensor, path: String) throws -> [UInt8] {
        let pixels = bytes(image)
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer { buffer in
            sk_png_encode(buffer.baseAddress, Int32(image.shape[1]), Int32(image.shape[0]), Int32(image.shape[2]),
                          &out, &size, &message, message.count)
        }
        guard status == 0, let out else { throw KerasError.fileError(path: path, message: "cannot encode PNG: \(String(cString: message))") }
        defer { sk_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    static func encodeJPEG(_ image: Tensor, path: String, quality: Int) throws -> [UInt8] {
        let channels = image.shape[2]
        guard channels == 1 || channels == 3 else {
            throw KerasError.fileError(path: path, message: "JPEG holds 1 or 3 channels (no alpha), the image has \(channels)")
        }
        guard let handle = tjInitCompress() else { throw KerasError.fileError(path: path, message: "cannot start the JPEG encoder") }
        defer { tjDestroy(handle) }
        let pixels = bytes(image)
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        // PIL's defaults (which Keras's save_img uses): 4:2:0 chroma subsampling for colour.
        let subsampling = channels == 1 ? TJSAMP_GRAY : TJSAMP_420
        let status = pixels.withUnsafeBufferPointer { buffer in
            tjCompress2(handle, buffer.baseAddress, Int32(image.shape[1]), 0, Int32(image.shape[0]),
                        (channels == 1 ? TJPF_GRAY : TJPF_RGB).rawValue, &out, &size, Int32(subsampling.rawValue),
                        Int32(quality), 0)
        }
        defer { if let out { tjFree(out) } }
        guard status == 0, let out else {
            throw KerasError.fileError(path: path, message: "cannot encode JPEG: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}

/// Reads a PNG or JPEG file into a (height, width, channels) tensor of values 0...255, as
/// Keras's image loaders decode it (`tf.io.decode_image`), optionally resized to
/// `targetSize` (height, width) as `image_dataset_from_directory` resizes (Keras's
/// `load_img` + `img_to_array`, with TensorFlow's decoding and resizing rather than PIL's).
public func loadImage(_ path: String, colorMode: ColorMode = .rgb, targetSize: (Int, Int)? = nil,
                      interpolation: Interpolation = .bilinear, cropToAspectRatio: Bool = false) throws -> Tensor {
    let image = try ImageCodec.decode(readWholeFile(path), path: path, channels: colorMode.channels)
    guard let targetSize else { return image }
    return try resizeImage(image, to: targetSize, interpolation: interpolation, cropToAspectRatio: cropToAspectRatio, path: path)
}

/// Writes a (height, width, channels) image as PNG or JPEG, chosen by the file extension
/// (".png", ".jpg", ".jpeg"), as Keras's `save_img`. With `scale` (Keras's default) the
/// values are first stretched to 0...255 (minus the minimum, over the maximum, times 255);
/// otherwise they are rounded and clamped. JPEG `quality` defaults to PIL's 75. The file is
/// written to a temporary file, synced and renamed.
public func saveImage(_ image: Tensor, to path: String, scale: Bool = true, quality: Int = 75) throws {
    guard image.rank == 3, (1...4).contains(image.shape[2]), image.shape[0] > 0, image.shape[1] > 0 else {
        throw KerasError.invalidArgument("saveImage(\(path)): expected an image of shape (height, width, 1...4 channels), received \(shapeString(image.shape))")
    }
    guard (1...100).contains(quality) else { throw KerasError.invalidArgument("saveImage(\(path)): quality must be in 1...100, received \(quality)") }
    var pixels = image
    if scale {
        let values = image.scalars
        let low = values.min() ?? 0
        let high = (values.max() ?? 0) - low
        pixels = image.mapDetached { high != 0 ? ($0 - low) / high * 255 : $0 - low }
    }
    let lower = path.lowercased()
    let bytes: [UInt8]
    if lower.hasSuffix(".png") {
        bytes = try ImageCodec.encodePNG(pixels, path: path)
    } else if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") {
        bytes = try ImageCodec.encodeJPEG(pixels, path: path, quality: quality)
    } else {
        throw KerasError.invalidArgument("saveImage(\(path)): the file name must end in .png, .jpg or .jpeg")
    }
    try AtomicFile.write(bytes, to: path)
}
