// Sums, means and maxima over axes; argmax.

extension Tensor {
    func normalizedAxes(_ axes: [Int], op: String) throws -> [Int] {
        var result: [Int] = []
        for axis in axes {
            let a = axis < 0 ? axis + rank : axis
            guard a >= 0 && a < rank else {
                throw TensorError.invalidArgument(op: op, message: "axis \(axis) is out of range for rank \(rank)")
            }
            if !result.contains(a) { result.append(a) }
        }
        return result.sorted()
    }

    /// Sum over `axes` keeping them as size 1, no tape entry. Chunks of the leading axis run
    /// on the thread pool; where that axis is summed over, each chunk sums apart and the
    /// chunks are added in order (`ChunkSums`), so the bits do not depend on the thread count.
    public func sumKernel(axes: [Int]) -> Tensor {
        var outShape = shape
        for a in axes { outShape[a] = 1 }
        let out = Tensor(uninitializedShape: outShape)
        let n = count
        let p = storage.pointer, o = out.storage.pointer
        let outCount = out.count
        if n == 0 {
            o.update(repeating: 0, count: outCount)
            return out
        }
        let isLeading = axes == Array(0..<axes.count)
        let isTrailing = axes == Array((rank - axes.count)..<rank)
        if isTrailing {
            let block = n / outCount
            if outCount == 1 {
                // One long sum: fixed blocks of elements, their sums added in order.
                let chunking = Chunking.elements(n)
                let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunking.count)
                defer { partials.deallocate() }
                parallelFor(chunking) { range, chunk in
                    partials[chunk] = sumContiguous(p + range.lowerBound, range.count)
                }
                var total = partials[0]
                for chunk in 1..<chunking.count { total += partials[chunk] }
                o[0] = total
            } else {
                parallelFor(rows: outCount, width: block) { outputs in
                    for i in outputs { o[i] = sumContiguous(p + i * block, block) }
                }
            }
        } else if isLeading {
            // Column sums: accumulate whole rows, which vectorizes.
            let rows = n / outCount
            let chunking = Chunking.rows(rows, width: outCount)
            let sums = ChunkSums(into: o, count: outCount, chunks: chunking.count)
            parallelFor(chunking) { range, chunk in
                let part = sums.zeroedPart(chunk)
                for row in range {
                    let pr = p + row * outCount
                    for j in 0..<outCount { part[j] += pr[j] }
                }
            }
            sums.combine()
        } else {
            // Odometer over every element, in chunks of the leading axis.
            let outStrides = broadcastStrides(outShape, to: shape)
            let perLeading = n / shape[0]
            let chunking = Chunking.rows(shape[0], width: perLeading, costPerElement: 4)
            func accumulate(_ leading: Range<Int>, into target: UnsafeMutablePointer<Float>) {
                var index = [Int](repeating: 0, count: rank)
                index[0] = leading.lowerBound
                var outOffset = leading.lowerBound * outStrides[0]
                for i in (leading.lowerBound * perLeading)..<(leading.upperBound * perLeading) {
                    target[outOffset] += p[i]
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        outOffset += outStrides[axis]
                        if index[axis] < shape[axis] { break }
                        outOffset -= outStrides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
            if axes.contains(0) {
                let sums = ChunkSums(into: o, count: outCount, chunks: chunking.count)
                parallelFor(chunking) { range, chunk in accumulate(range, into: sums.zeroedPart(chunk)) }
                sums.combine()
            } else {
                // Each chunk of the leading axis has outputs of its own.
                let outPerLeading = outCount / shape[0]
                parallelFor(chunking) { range, _ in
                    (o + range.lowerBound * outPerLeading).update(repeating: 0, count: range.count * outPerLeading)
                    accumulate(range, into: o)
                }
            }
        }
        return out
    }

    /// Sum over `axes` (all axes when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let reduce = try normalizedAxes(axes ?? Array(0..<rank), op: "sum")
        let kept = sumKernel(axes: reduce)
        let outShape = keepDims ? kept.shape : shape.enumerated().filter { !reduce.contains($0.offset) }.map { $0.element }
        let inputShape = shape
        let keptShape = kept.shape
        return Tensor.record("sum", kept.reshapedStorage(outShape), inputs: [self]) { g, _ in
            [try broadcastCombine(Tensor.zeros(inputShape), g.reshapedStorage(keptShape), +)]
        }
    }

    public func sum(axis: Int, keepDims: Bool = false) throws -> Tensor { try sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let reduce = try normalizedAxes(axes ?? Array(0..<rank), op: "mean")
        let n = reduce.reduce(1) { $0 * shape[$1] }
        return try sum(axes: reduce, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    public func mean(axis: Int, keepDims: Bool = false) throws -> Tensor { try mean(axes: [axis], keepDims: keepDims) }

    /// Index of the largest value along the last axis, as Floats (shape without the last axis).
    public func argmaxLastAxis() -> Tensor {
        let width = shape.last ?? 1
        let rows = width == 0 ? 0 : count / width
        let out = Tensor(uninitializedShape: Array(shape.dropLast()))
        let p = storage.pointer, o = out.storage.pointer
        parallelFor(rows: rows, width: width) { chunk in
            for r in chunk {
                let row = p + r * width
                var best = 0
                var bestValue = row[0]
                for j in 1..<Swift.max(width, 1) where row[j] > bestValue { bestValue = row[j]; best = j }
                o[r] = Float(best)
            }
        }
        return out
    }

    /// Maximum over the last axis (with gradient to the first maximal element).
    public func maxLastAxis(keepDims: Bool = false) -> Tensor {
        let width = shape.last ?? 1
        let rows = width == 0 ? 0 : count / width
        let outShape = keepDims ? Array(shape.dropLast()) + [1] : Array(shape.dropLast())
        let out = Tensor(uninitializedShape: outShape)
        let argmax = UnsafeMutableBufferPointer<Int>.allocate(capacity: rows)
        let p = storage.pointer, o = out.storage.pointer
        parallelFor(rows: rows, width: width) { chunk in
            for r in chunk {
                let row = p + r * width
                var best = 0
                for j in 1..<Swift.max(width, 1) where row[j] > row[best] { best = j }
                argmax[r] = best
                o[r] = row[best]
            }
        }
        let winners = Array(argmax)
        argmax.deallocate()
        let inputShape = shape
        return Tensor.record("max", out, inputs: [self]) { g, _ in
            let gx = Tensor.zeros(inputShape)
            for r in 0..<rows { gx.storage.pointer[r * width + winners[r]] = g.storage.pointer[r] }
            return [gx]
        }
    }
}

/// Sum of `n` contiguous floats with several accumulators, so the loop vectorizes.
@inline(__always)
func sumContiguous(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    while i + 16 <= n {
        acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
        i += 16
    }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}
