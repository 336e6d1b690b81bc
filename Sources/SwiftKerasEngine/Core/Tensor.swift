/// A dense, row-major Float32 tensor with value semantics.
///
/// Storage is shared between copies and copied on the first write (`withMutableData`).
/// A tensor computed from trainable variables carries a `GradNode`, the tape entry that
/// lets `gradients(of:wrt:)` run reverse-mode differentiation back to those variables.
public struct Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    public private(set) var storage: TensorStorage
    /// The op that produced this tensor, when gradients are being recorded.
    public internal(set) var gradNode: GradNode?
    /// Set on the output of a softmax or sigmoid: the logits it was computed from, so a
    /// crossentropy loss can use the numerically exact logits form (as Keras does).
    public internal(set) var logitsSource: LogitsSource?

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    // MARK: Creation

    /// The shape's element count for the non-throwing initializers below: their shapes come
    /// from code, not from a user's arguments (those go through `elementCount(of:op:)` or
    /// `init(repeating:checkedShape:)` first), so a bad one is a programming error and stops
    /// with this message rather than an arithmetic overflow.
    private static func validCount(_ shape: [Int]) -> Int {
        do { return try elementCount(of: shape, op: "Tensor") } catch { preconditionFailure("\(error)") }
    }

    /// Storage and shape must agree (a programming error otherwise, as above).
    public init(shape: [Int], storage: TensorStorage) {
        precondition(Tensor.validCount(shape) == storage.count, "shape \(shape) does not match storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// Uninitialized contents: for kernels that write every element.
    public init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: Tensor.validCount(shape)))
    }

    /// Every element `value`. The shape must be valid (non-negative sizes, at most
    /// `maximumElementCount` elements); for sizes from outside use `init(repeating:checkedShape:)`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(repeating: value, count: Tensor.validCount(shape)))
    }

    /// Every element `value`; throws for a negative size or too many elements.
    public init(repeating value: Float, checkedShape shape: [Int]) throws {
        let count = try Tensor.elementCount(of: shape, op: "Tensor(repeating:checkedShape:)")
        self.init(shape: shape, storage: TensorStorage(repeating: value, count: count))
    }

    /// Zeros (ones) of a valid shape, as `init(repeating:shape:)` requires.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    public init(_ scalar: Float) { self.init(repeating: scalar, shape: []) }

    /// A tensor from row-major values; throws when the count does not match the shape, or
    /// the shape has a negative size or too many elements.
    public init(_ values: [Float], shape: [Int]) throws {
        let expected = try Tensor.elementCount(of: shape, op: "Tensor(_:shape:)")
        guard values.count == expected else {
            throw TensorError.shapeMismatch(
                op: "Tensor(_:shape:)",
                message: "\(values.count) values cannot fill shape \(shapeString(shape)) (\(expected) elements)")
        }
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A 1-D tensor.
    public init(_ values: [Float]) {
        self.init(uninitializedShape: [values.count])
        values.withUnsafeBufferPointer { if let base = $0.baseAddress { storage.pointer.update(from: base, count: values.count) } }
    }

    /// A 2-D tensor from rows of equal length.
    public init(_ rows: [[Float]]) throws {
        let width = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == width }) else {
            throw TensorError.shapeMismatch(op: "Tensor(_ rows:)", message: "rows have different lengths")
        }
        try self.init(rows.flatMap { $0 }, shape: [rows.count, width])
    }

    // MARK: Access

    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a tensor with one element; stops the process otherwise (for a
    /// tensor whose count the code knows). `scalarValue()` throws instead.
    public var item: Float {
        precondition(count == 1, "item needs a tensor with one element, got shape \(shapeString(shape))")
        return storage.pointer[0]
    }

    /// The single value of a tensor with one element (NumPy's and Keras's `item()`); throws
    /// for any other count.
    public func scalarValue() throws -> Float {
        guard count == 1 else {
            throw TensorError.invalidArgument(
                op: "scalarValue", message: "needs a tensor with one element, received shape \(shapeString(shape)) (\(count) elements)")
        }
        return storage.pointer[0]
    }

    public func withData<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try body(storage.pointer)
    }

    /// Write access; copies the storage first if another tensor shares it.
    public mutating func withMutableData<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(storage.pointer)
    }

    /// The same values without a tape entry: gradients do not flow through the result.
    public var detached: Tensor { Tensor(shape: shape, storage: storage) }

    /// A view of the same storage under another shape of equal count (no tape entry).
    func reshapedStorage(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }
}

/// Which squashing activation produced a tensor, and its input.
public final class LogitsSource: @unchecked Sendable {
    public enum Kind: Sendable { case softmax, sigmoid }
    public let kind: Kind
    public let logits: Tensor
    init(kind: Kind, logits: Tensor) { self.kind = kind; self.logits = logits }
}

/// "(2, 28, 28, 1)" as Keras prints shapes.
public func shapeString(_ shape: [Int?]) -> String {
    let parts = shape.map { $0.map(String.init) ?? "None" }
    return "(" + parts.joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
}

public func shapeString(_ shape: [Int]) -> String { shapeString(shape.map { Optional($0) }) }

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(shapeString(shape)) [\(shown)\(count > 8 ? ", ..." : "")]"
    }
}
