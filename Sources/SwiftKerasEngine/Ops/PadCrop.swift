// Zero padding and cropping of any axes (ZeroPadding1D/2D, Cropping1D/2D, causal
// convolution): copies whose backward passes are each other.

/// Copies the box `extent` (sizes per axis) starting at `sourceStart` in `source` (of
/// `sourceShape`) to `destinationStart` in `destination` (of `destinationShape`); with `add`,
/// accumulates instead. Runs of the last axis are copied whole.
private func copyBox(_ source: UnsafePointer<Float>, sourceShape: [Int], sourceStart: [Int],
                     _ destination: UnsafeMutablePointer<Float>, destinationShape: [Int], destinationStart: [Int],
                     extent: [Int], add: Bool = false) {
    let rank = extent.count
    guard rank > 0, !extent.contains(0) else { return }
    func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { s[i] = s[i + 1] * shape[i + 1] }
        return s
    }
    let ss = strides(sourceShape), ds = strides(destinationShape)
    let run = extent[rank - 1]
    var index = [Int](repeating: 0, count: rank)
    while true {
        var so = 0, dO = 0
        for a in 0..<rank { so += (sourceStart[a] + index[a]) * ss[a]; dO += (destinationStart[a] + index[a]) * ds[a] }
        if add {
            for j in 0..<run { destination[dO + j] += source[so + j] }
        } else {
            (destination + dO).update(from: source + so, count: run)
        }
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < extent[axis] { break }
            index[axis] = 0
            axis -= 1
        }
        if axis < 0 { return }
    }
}

extension Tensor {
    /// Zeros added before and after each axis (`pads[i]` for axis i; axes beyond the list
    /// are not padded). The gradient is the matching crop.
    public func zeroPadded(_ pads: [(before: Int, after: Int)]) throws -> Tensor {
        guard pads.count <= rank, pads.allSatisfy({ $0.before >= 0 && $0.after >= 0 }) else {
            throw TensorError.invalidArgument(
                op: "zero_pad", message: "paddings \(pads.map { [$0.before, $0.after] }) must be non-negative and at most one per axis of \(shapeString(shape))")
        }
        let full = pads + Array(repeating: (before: 0, after: 0), count: rank - pads.count)
        let outShape = zip(shape, full).map { $0 + $1.before + $1.after }
        let out = Tensor.zeros(outShape)
        let starts = full.map(\.before), origin = [Int](repeating: 0, count: rank)
        copyBox(storage.pointer, sourceShape: shape, sourceStart: origin, out.storage.pointer,
                destinationShape: outShape, destinationStart: starts, extent: shape)
        let inputShape = shape
        return Tensor.record("zero_pad", out, inputs: [self]) { g, _ in
            let gx = Tensor(uninitializedShape: inputShape)
            copyBox(g.storage.pointer, sourceShape: outShape, sourceStart: starts, gx.storage.pointer,
                    destinationShape: inputShape, destinationStart: origin, extent: inputShape)
            return [gx]
        }
    }

    /// Values removed from the start and end of each axis (`crops[i]` for axis i). The
    /// gradient is the matching zero padding.
    public func cropped(_ crops: [(before: Int, after: Int)]) throws -> Tensor {
        guard crops.count <= rank, crops.allSatisfy({ $0.before >= 0 && $0.after >= 0 }) else {
            throw TensorError.invalidArgument(
                op: "crop", message: "croppings \(crops.map { [$0.before, $0.after] }) must be non-negative and at most one per axis of \(shapeString(shape))")
        }
        let full = crops + Array(repeating: (before: 0, after: 0), count: rank - crops.count)
        let outShape = zip(shape, full).map { $0 - $1.before - $1.after }
        guard outShape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(
                op: "crop", message: "croppings \(crops.map { [$0.before, $0.after] }) remove more than the axes of \(shapeString(shape))")
        }
        let out = Tensor(uninitializedShape: outShape)
        let starts = full.map(\.before), origin = [Int](repeating: 0, count: rank)
        copyBox(storage.pointer, sourceShape: shape, sourceStart: starts, out.storage.pointer,
                destinationShape: outShape, destinationStart: origin, extent: outShape)
        let inputShape = shape
        return Tensor.record("crop", out, inputs: [self]) { g, _ in
            let gx = Tensor.zeros(inputShape)
            copyBox(g.storage.pointer, sourceShape: outShape, sourceStart: origin, gx.storage.pointer,
                    destinationShape: inputShape, destinationStart: starts, extent: outShape)
            return [gx]
        }
    }
}
