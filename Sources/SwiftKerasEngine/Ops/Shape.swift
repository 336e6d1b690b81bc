// Reshape, transpose, batch slicing and gathering.

extension Tensor {
    /// The same values under a new shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let inferred = target.indices.filter { target[$0] == -1 }
        let known = target.filter { $0 != -1 }.reduce(1, *)
        guard inferred.count <= 1, target.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidArgument(op: "reshape", message: "invalid target shape \(shapeString(newShape))")
        }
        if let i = inferred.first {
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(
                    op: "reshape", message: "cannot reshape \(shapeString(shape)) (\(count) elements) to \(shapeString(newShape))")
            }
            target[i] = count / known
        }
        guard target.reduce(1, *) == count else {
            throw TensorError.shapeMismatch(
                op: "reshape", message: "cannot reshape \(shapeString(shape)) (\(count) elements) to \(shapeString(newShape))")
        }
        let inputShape = shape
        return Tensor.record("reshape", reshapedStorage(target), inputs: [self]) { g, _ in
            [g.reshapedStorage(inputShape)]
        }
    }

    /// Axes permuted: result axis i is input axis `permutation[i]`.
    public func transposed(_ permutation: [Int]) throws -> Tensor {
        guard permutation.sorted() == Array(0..<rank) else {
            throw TensorError.invalidArgument(
                op: "transpose", message: "\(permutation) is not a permutation of the \(rank) axes")
        }
        let out = permuteKernel(permutation)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Tensor.record("transpose", out, inputs: [self]) { g, _ in [g.permuteKernel(inverse)] }
    }

    /// Swaps the last two axes.
    public func transposed() throws -> Tensor {
        guard rank >= 2 else { return self }
        var perm = Array(0..<rank)
        perm.swapAt(rank - 1, rank - 2)
        return try transposed(perm)
    }

    func permuteKernel(_ permutation: [Int]) -> Tensor {
        let outShape = permutation.map { shape[$0] }
        let out = Tensor(uninitializedShape: outShape)
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = permutation.map { inStrides[$0] }
        let p = storage.pointer, o = out.storage.pointer
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for i in 0..<count {
            o[i] = p[offset]
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < outShape[axis] { break }
                offset -= strides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    /// Rows `range` of the first axis (a copy).
    public func slice(rows range: Range<Int>) throws -> Tensor {
        guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw TensorError.invalidArgument(
                op: "slice", message: "rows \(range) are out of bounds for shape \(shapeString(shape))")
        }
        let rowSize = count / Swift.max(shape[0], 1)
        var outShape = shape
        outShape[0] = range.count
        let out = Tensor(uninitializedShape: outShape)
        out.storage.pointer.update(from: storage.pointer + range.lowerBound * rowSize, count: range.count * rowSize)
        let inputShape = shape
        return Tensor.record("slice", out, inputs: [self]) { g, _ in
            let gx = Tensor.zeros(inputShape)
            (gx.storage.pointer + range.lowerBound * rowSize).update(from: g.storage.pointer, count: g.count)
            return [gx]
        }
    }

    /// Rows at `indices` of the first axis, in that order (a copy; used for shuffled batches).
    public func gather(rows indices: [Int]) throws -> Tensor {
        guard rank >= 1 else { throw TensorError.invalidArgument(op: "gather", message: "needs rank >= 1") }
        for i in indices where i < 0 || i >= shape[0] {
            throw TensorError.invalidArgument(
                op: "gather", message: "row \(i) is out of bounds for shape \(shapeString(shape))")
        }
        let rowSize = count / Swift.max(shape[0], 1)
        var outShape = shape
        outShape[0] = indices.count
        let out = Tensor(uninitializedShape: outShape)
        for (r, i) in indices.enumerated() {
            (out.storage.pointer + r * rowSize).update(from: storage.pointer + i * rowSize, count: rowSize)
        }
        let inputShape = shape
        return Tensor.record("gather", out, inputs: [self]) { g, _ in
            let gx = Tensor.zeros(inputShape)
            for (r, i) in indices.enumerated() {
                let dst = gx.storage.pointer + i * rowSize, src = g.storage.pointer + r * rowSize
                for j in 0..<rowSize { dst[j] += src[j] }
            }
            return [gx]
        }
    }
}
