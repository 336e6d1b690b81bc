// The maximum and the (masked) mean along one axis, the reductions of global pooling.
// The tensor is seen as (outer, steps, inner) around the axis; `inner` runs are contiguous,
// so both loops vectorize over the channels of a channels-last input.

extension Tensor {
    private func stepsLayout(_ axis: Int, op: String) throws -> (outer: Int, steps: Int, inner: Int, axis: Int) {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else {
            throw TensorError.invalidArgument(op: op, message: "axis \(axis) is out of range for shape \(shapeString(shape))")
        }
        return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *), a)
    }

    private func reducedShape(_ a: Int, keepDims: Bool) -> [Int] {
        var out = shape
        if keepDims { out[a] = 1 } else { out.remove(at: a) }
        return out
    }

    /// The maximum along `axis`; the gradient goes to the first position holding it.
    public func max(alongAxis axis: Int, keepDims: Bool = false) throws -> Tensor {
        let (outer, steps, inner, a) = try stepsLayout(axis, op: "max")
        guard steps > 0 else {
            throw TensorError.invalidArgument(op: "max", message: "cannot take the maximum over an empty axis of \(shapeString(shape))")
        }
        let out = Tensor(uninitializedShape: reducedShape(a, keepDims: keepDims))
        // The winning step of each output, for the backward scatter.
        let winners = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(outer * inner, 1))
        let winnerStorage = WinnerIndices(winners)
        let px = storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            let base = px + o * steps * inner, best = po + o * inner, at = winners + o * inner
            best.update(from: base, count: inner)
            at.update(repeating: 0, count: inner)
            for t in 1..<steps {
                let row = base + t * inner
                for i in 0..<inner {
                    // Strictly greater: ties keep the first step; NaN never replaces.
                    let v = row[i], larger = v > best[i]
                    best[i] = larger ? v : best[i]
                    at[i] = larger ? Int32(t) : at[i]
                }
            }
        }
        let inputShape = shape
        return Tensor.record("max", out, inputs: [self]) { g, _ in
            let gx = Tensor.zeros(inputShape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer, winners = winnerStorage.pointer
            for o in 0..<outer {
                for i in 0..<inner {
                    pgx[(o * steps + Int(winners[o * inner + i])) * inner + i] = pg[o * inner + i]
                }
            }
            return [gx]
        }
    }

    /// The mean along `axis`; with `weights` (outer x steps, e.g. a (batch, time) mask), the
    /// weighted mean Σ w·x / Σ w, and 0 where the weights sum to 0 (an all-masked sequence).
    public func mean(alongAxis axis: Int, weights: Tensor? = nil, keepDims: Bool = false) throws -> Tensor {
        let (outer, steps, inner, a) = try stepsLayout(axis, op: "mean")
        if let weights, weights.count != outer * steps {
            throw TensorError.shapeMismatch(
                op: "mean", message: "weights of shape \(shapeString(weights.shape)) do not match the \(outer) x \(steps) positions of \(shapeString(shape)) along axis \(axis)")
        }
        let w = weights?.detached
        // Per outer slice: 1 / (sum of its weights), or 0 when that sum is 0.
        let scales: [Float] = (0..<outer).map { o in
            guard let w else { return steps > 0 ? 1 / Float(steps) : 0 }
            var total: Float = 0
            for t in 0..<steps { total += w.storage.pointer[o * steps + t] }
            return total > 0 ? 1 / total : 0
        }
        let out = Tensor.zeros(reducedShape(a, keepDims: keepDims))
        let px = storage.pointer, po = out.storage.pointer, pw = w?.storage.pointer
        for o in 0..<outer {
            let dst = po + o * inner, scale = scales[o]
            for t in 0..<steps {
                let factor = (pw?[o * steps + t] ?? 1) * scale
                guard factor != 0 else { continue }
                let row = px + (o * steps + t) * inner
                for i in 0..<inner { dst[i] += factor * row[i] }
            }
        }
        let inputShape = shape
        return Tensor.record("mean", out, inputs: [self]) { g, _ in
            let gx = Tensor(uninitializedShape: inputShape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer, pw = w?.storage.pointer
            for o in 0..<outer {
                let src = pg + o * inner, scale = scales[o]
                for t in 0..<steps {
                    let factor = (pw?[o * steps + t] ?? 1) * scale
                    let dst = pgx + (o * steps + t) * inner
                    for i in 0..<inner { dst[i] = factor * src[i] }
                }
            }
            return [gx]
        }
    }
}

/// Owns the winner indices of a max reduction for as long as its backward pass lives.
private final class WinnerIndices: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}
