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

/// Throws unless a tensor of `shape` can be made: a KerasError naming `what` when the sizes are
/// negative or multiply out beyond a tensor's count, `resourceExhausted` when the memory cannot
/// be allocated. For shapes computed from a user's arguments (layer sizes, maxlen, classes),
/// before the allocation that would otherwise stop the process. Returns the element count.
@discardableResult
func checkAllocation(_ shape: [Int], for what: String) throws -> Int {
    let count: Int
    do {
        count = try Tensor.elementCount(of: shape, op: what)
    } catch {
        throw KerasError.invalidArgument("\(what): shape \(shapeString(shape)) is too large for a tensor (at most \(Tensor.maximumElementCount) elements) or has a negative size")
    }
    guard TensorStorage.canAllocate(count: count) else {
        throw KerasError.resourceExhausted(what: "\(what) of shape \(shapeString(shape))", bytes: count * MemoryLayout<Float>.stride)
    }
    return count
}
