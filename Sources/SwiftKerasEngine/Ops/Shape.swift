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
        guard count > 0 else { return out }
        guard rank > 0 else { o[0] = p[0]; return out }
        // Rows of the output's last axis, in chunks; each chunk starts its odometer at its first row.
        let inner = outShape[rank - 1], rank = self.rank
        parallelFor(rows: count / inner, width: inner, costPerElement: 2) { rows in
            var index = [Int](repeating: 0, count: rank)
            var offset = 0, rest = rows.lowerBound
            for axis in stride(from: rank - 2, through: 0, by: -1) {
                index[axis] = rest % outShape[axis]
                rest /= outShape[axis]
                offset += index[axis] * strides[axis]
            }
            let innerStride = strides[rank - 1]
            for row in rows {
                let dst = o + row * inner
                for j in 0..<inner { dst[j] = p[offset + j * innerStride] }
                var axis = rank - 2
                while axis >= 0 {
                    index[axis] += 1
                    offset += strides[axis]
                    if index[axis] < outShape[axis] { break }
                    offset -= strides[axis] * outShape[axis]
                    index[axis] = 0
                    axis -= 1
                }
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

extension Tensor {
    /// Elements `range` of the flattened tensor, as a tensor of `shape` (a copy). Ops with
    /// several outputs return one packed tensor and hand out its parts this way.
    public func flatSlice(_ range: Range<Int>, shape newShape: [Int]) throws -> Tensor {
        guard range.lowerBound >= 0, range.upperBound <= count, newShape.reduce(1, *) == range.count else {
            throw TensorError.invalidArgument(
                op: "flatSlice", message: "elements \(range) as \(shapeString(newShape)) do not fit \(shapeString(shape))")
        }
        let out = Tensor(uninitializedShape: newShape)
        out.storage.pointer.update(from: storage.pointer + range.lowerBound, count: range.count)
        let total = count
        return Tensor.record("flat_slice", out, inputs: [self]) { g, _ in
            let gx = Tensor.zeros([total])
            (gx.storage.pointer + range.lowerBound).update(from: g.storage.pointer, count: range.count)
            return [gx]
        }
    }

    /// The order of axis 1 reversed (time, for sequences).
    public func reversedTime() throws -> Tensor {
        guard rank >= 2 else {
            throw TensorError.invalidArgument(op: "reverse", message: "needs an axis 1, got shape \(shapeString(shape))")
        }
        let out = reverseAxis1Kernel()
        return Tensor.record("reverse", out, inputs: [self]) { g, _ in [g.reverseAxis1Kernel()] }
    }

    func reverseAxis1Kernel() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let outer = shape[0], steps = shape[1], inner = count / Swift.max(outer * steps, 1)
        for b in 0..<outer {
            for t in 0..<steps {
                (out.storage.pointer + (b * steps + t) * inner)
                    .update(from: storage.pointer + (b * steps + steps - 1 - t) * inner, count: inner)
            }
        }
        return out
    }
}

/// Joins tensors along `axis` (negative counts from the end); other axes must match.
public func concatenate(_ tensors: [Tensor], axis: Int = -1) throws -> Tensor {
    guard let first = tensors.first else {
        throw TensorError.invalidArgument(op: "concatenate", message: "needs at least one tensor")
    }
    let a = axis < 0 ? axis + first.rank : axis
    guard a >= 0, a < first.rank else {
        throw TensorError.invalidArgument(op: "concatenate", message: "axis \(axis) is out of range for rank \(first.rank)")
    }
    for t in tensors where t.rank != first.rank || t.shape.enumerated().contains(where: { $0.offset != a && $0.element != first.shape[$0.offset] }) {
        throw TensorError.shapeMismatch(
            op: "concatenate",
            message: "shapes \(tensors.map { shapeString($0.shape) }.joined(separator: ", ")) differ outside axis \(axis)")
    }
    let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
    let widths = tensors.map { $0.shape[a] * inner }
    let total = widths.reduce(0, +)
    var outShape = first.shape
    outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let out = Tensor(uninitializedShape: outShape)
    var offset = 0
    for (t, width) in zip(tensors, widths) {
        for o in 0..<outer {
            (out.storage.pointer + o * total + offset).update(from: t.storage.pointer + o * width, count: width)
        }
        offset += width
    }
    let shapes = tensors.map(\.shape)
    return Tensor.record("concatenate", out, inputs: tensors) { g, needs in
        var grads: [Tensor?] = []
        var offset = 0
        for (i, width) in widths.enumerated() {
            if needs[i] {
                let gi = Tensor(uninitializedShape: shapes[i])
                for o in 0..<outer {
                    (gi.storage.pointer + o * width).update(from: g.storage.pointer + o * total + offset, count: width)
                }
                grads.append(gi)
            } else {
                grads.append(nil)
            }
            offset += width
        }
        return grads
    }
}

/// Rows of `table` (vocabulary, dim) at integer `ids` (any shape): shape ids.shape + [dim].
/// Ids are checked by the caller (the Embedding layer names itself in the error).
public func embeddingLookup(_ table: Tensor, ids: Tensor) throws -> Tensor {
    guard table.rank == 2 else {
        throw TensorError.shapeMismatch(op: "embedding", message: "table must be (vocabulary, dim), got \(shapeString(table.shape))")
    }
    let vocabulary = table.shape[0], dim = table.shape[1]
    let idValues = ids.storage.pointer
    for i in 0..<ids.count {
        let v = idValues[i]
        guard v >= 0, v < Float(vocabulary), v == v.rounded() else {
            throw TensorError.invalidArgument(op: "embedding", message: "id \(v) at flat index \(i) is outside [0, \(vocabulary))")
        }
    }
    let out = Tensor(uninitializedShape: ids.shape + [dim])
    let rows = (0..<ids.count).map { Int(idValues[$0]) }
    let po = out.storage.pointer, pt = table.storage.pointer
    parallelFor(rows: rows.count, width: dim) { chunk in
        for i in chunk { (po + i * dim).update(from: pt + rows[i] * dim, count: dim) }
    }
    let tableShape = table.shape
    return Tensor.record("embedding", out, inputs: [table]) { g, _ in
        let gt = Tensor(uninitializedShape: tableShape)
        let pgt = gt.storage.pointer, pg = g.storage.pointer
        // Chunks of the table's rows: each zeroes its rows and adds the ids that fall in them,
        // in id order, as one thread would.
        parallelFor(Chunking(items: vocabulary, costPerItem: dim + 1, minimumCost: Chunking.elementsPerChunk)) { range, _ in
            (pgt + range.lowerBound * dim).update(repeating: 0, count: range.count * dim)
            for (i, r) in rows.enumerated() where range.contains(r) {
                let dst = pgt + r * dim, src = pg + i * dim
                for j in 0..<dim { dst[j] += src[j] }
            }
        }
        return [gt]
    }
}
