extension Tensor {
    /// The most elements a tensor may have: its Float32 bytes (plus alignment slack) must fit
    /// in `Int`, or pointer arithmetic over it would overflow.
    public static let maximumElementCount = (Int.max - 64) / MemoryLayout<Float>.stride

    /// The number of elements of `shape`, checked: every dimension must be non-negative and the
    /// product must not exceed `maximumElementCount` (a dimension of 0 gives 0 elements, but the
    /// other dimensions must still multiply out, as NumPy requires). Every place that multiplies
    /// a shape out from sizes a user chose goes through here: tensor creation, reshape, the
    /// shapes that layers and loaders compute.
    ///
    /// - op: names the operation or argument in the error ("reshape", "Tensor.zeros").
    public static func elementCount(of shape: [Int], op: String) throws -> Int {
        if let negative = shape.first(where: { $0 < 0 }) {
            throw TensorError.invalidArgument(
                op: op, message: "negative dimensions are not allowed: received shape \(shapeString(shape)) (dimension \(negative))")
        }
        var product = 1
        var hasZero = false
        for dimension in shape {
            if dimension == 0 { hasZero = true; continue }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow, next <= maximumElementCount else {
                throw TensorError.invalidArgument(
                    op: op, message: "shape \(shapeString(shape)) is too large: it has more than \(maximumElementCount) elements")
            }
            product = next
        }
        return hasZero ? 0 : product
    }
}

/// `value` as the 32-bit integer the C kernels and BLAS take, or an error naming `what`.
func int32(_ value: Int, _ what: String, op: String) throws -> Int32 {
    guard let converted = Int32(exactly: value) else {
        throw TensorError.invalidArgument(
            op: op, message: "\(what) = \(value) is beyond the 32-bit sizes the matrix kernels support (at most \(Int32.max))")
    }
    return converted
}
