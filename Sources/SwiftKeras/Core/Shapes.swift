/// The elements per sample of a per-sample shape, or nil when a dimension is unknown (-1,
/// Keras's None). Throws, naming the layer, when the product is too large for a tensor.
func perSampleCount(_ shape: [Int], layer: String) throws -> Int? {
    guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
    do {
        return try Tensor.elementCount(of: shape, op: layer)
    } catch {
        throw KerasError.incompatibleInput(
            layer: layer, message: "a sample of shape \(symbolicShapeString(shape)) has too many elements for a tensor (at most \(Tensor.maximumElementCount))")
    }
}
