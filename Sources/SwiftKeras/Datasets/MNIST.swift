import Glibc

/// The MNIST handwritten digits bundled with SwiftKeras (Keras's `mnist.load_data()`).
public enum MNIST {
    /// Where the bundled gzip'd IDX files live in a checkout of this package.
    public static var bundledDirectory: String { datasetsDirectory(#filePath) + "/mnist" }

    /// ((xTrain, yTrain), (xTest, yTest)): images (60000, 28, 28) and (10000, 28, 28) with
    /// pixel values 0...255, labels (60000) and (10000) with digits 0...9, as Keras returns.
    ///
    /// - directory: a folder with the four `*-idx?-ubyte.gz` files; defaults to
    ///   $SWIFTKERAS_DATASETS/mnist when set, else the bundled copy.
    public static func loadData(directory: String? = nil) throws -> ((Tensor, Tensor), (Tensor, Tensor)) {
        let folder = directory ?? environmentDirectory("mnist") ?? bundledDirectory
        let xTrain = try readImages(folder + "/train-images-idx3-ubyte.gz")
        let yTrain = try readLabels(folder + "/train-labels-idx1-ubyte.gz")
        let xTest = try readImages(folder + "/t10k-images-idx3-ubyte.gz")
        let yTest = try readLabels(folder + "/t10k-labels-idx1-ubyte.gz")
        for (images, labels, name) in [(xTrain, yTrain, "train"), (xTest, yTest, "t10k")] where images.shape[0] != labels.shape[0] {
            throw KerasError.fileError(
                path: folder, message: "\(name) images (\(images.shape[0])) and labels (\(labels.shape[0])) differ in count")
        }
        return ((xTrain, yTrain), (xTest, yTest))
    }

    /// An IDX3 image file (magic 2051): (count, rows, cols) as Floats 0...255.
    public static func readImages(_ path: String) throws -> Tensor {
        let bytes = try readPossiblyGzippedFile(path)
        let header = try idxHeader(bytes, path: path, magic: 2051, dimensions: 3)
        let (count, rows, cols) = (header[0], header[1], header[2])
        // Each dimension is up to 2^32 - 1: the product may pass what a tensor can hold, even
        // with no images (0 x rows x cols must still multiply out, as for any shape).
        let pixels: Int
        do { pixels = try Tensor.elementCount(of: [count, rows, cols], op: "readImages") } catch {
            throw KerasError.fileError(
                path: path, message: "corrupt header: \(count) images of \(rows)x\(cols) pixels are more than a tensor can hold")
        }
        guard bytes.count - 16 == pixels else {
            throw KerasError.fileError(
                path: path, message: "truncated or oversized: header promises \(count) images of \(rows)x\(cols) (\(pixels) bytes after the 16-byte header), file has \(bytes.count) bytes")
        }
        let out = Tensor(uninitializedShape: [count, rows, cols])
        let p = out.storage.pointer
        bytes.withUnsafeBufferPointer { src in for i in 0..<pixels { p[i] = Float(src[16 + i]) } }
        return out
    }

    /// An IDX1 label file (magic 2049): (count) as Floats.
    public static func readLabels(_ path: String) throws -> Tensor {
        let bytes = try readPossiblyGzippedFile(path)
        let count = try idxHeader(bytes, path: path, magic: 2049, dimensions: 1)[0]
        guard bytes.count == 8 + count else {
            throw KerasError.fileError(
                path: path, message: "truncated or oversized: header promises \(count) labels (\(8 + count) bytes), file has \(bytes.count) bytes")
        }
        let out = Tensor(uninitializedShape: [count])
        bytes.withUnsafeBufferPointer { src in for i in 0..<count { out.storage.pointer[i] = Float(src[8 + i]) } }
        return out
    }

    /// Dimensions from a big-endian IDX header, after checking its magic number.
    private static func idxHeader(_ bytes: [UInt8], path: String, magic: Int, dimensions: Int) throws -> [Int] {
        func word(_ offset: Int) -> Int {
            bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        let headerSize = 4 + 4 * dimensions
        if bytes.count >= 4 && word(0) != magic {
            throw KerasError.fileError(path: path, message: "not an IDX file of the expected kind: magic number \(word(0)), expected \(magic)")
        }
        guard bytes.count >= headerSize else {
            throw KerasError.fileError(path: path, message: "truncated: \(bytes.count) bytes, shorter than the \(headerSize)-byte IDX header")
        }
        return (0..<dimensions).map { word(4 + 4 * $0) }
    }
}

/// The bundled datasets folder, next to this source file in a checkout.
func datasetsDirectory(_ sourceFile: String) -> String {
    var parts = sourceFile.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast()
    return parts.joined(separator: "/") + "/Data"
}

/// $SWIFTKERAS_DATASETS/<name>, when the variable is set.
func environmentDirectory(_ name: String) -> String? {
    guard let value = getenv("SWIFTKERAS_DATASETS") else { return nil }
    let base = String(cString: value)
    return base.isEmpty ? nil : base + "/" + name
}
