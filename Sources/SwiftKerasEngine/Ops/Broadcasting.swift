/// NumPy broadcasting rules: shapes align at the trailing axis; sizes must match or be 1.
func broadcastShape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else {
            throw TensorError.shapeMismatch(
                op: op, message: "cannot broadcast shapes \(shapeString(a)) and \(shapeString(b))")
        }
        result[i] = da == 1 ? db : da
    }
    return result
}

/// Strides of `shape` seen as `outShape` (0 along broadcast axes).
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let offset = outShape.count - shape.count
    var strides = [Int](repeating: 0, count: outShape.count)
    var step = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i + offset] = shape[i] == 1 ? 0 : step
        step *= shape[i]
    }
    return strides
}

/// Applies `f` elementwise over the broadcast of `a` and `b` into `out`, in chunks on the
/// thread pool (every output element is computed alone: chunks change nothing).
@inline(__always)
func broadcastBinary(
    _ a: Tensor, _ b: Tensor, outShape: [Int], into out: UnsafeMutablePointer<Float>,
    _ f: (Float, Float) -> Float
) {
    let pa = a.storage.pointer, pb = b.storage.pointer
    let n = outShape.reduce(1, *)
    if a.shape == outShape && b.shape == outShape {
        parallelFor(elements: n) { range in for i in range { out[i] = f(pa[i], pb[i]) } }
        return
    }
    if b.count == 1 && a.count == n {
        let s = pb[0]
        parallelFor(elements: n) { range in for i in range { out[i] = f(pa[i], s) } }
        return
    }
    if a.count == 1 && b.count == n {
        let s = pa[0]
        parallelFor(elements: n) { range in for i in range { out[i] = f(s, pb[i]) } }
        return
    }
    // Row broadcast (bias add): b's shape is a suffix of the output and a is full.
    if a.count == n, b.count > 0, n % b.count == 0, Array(outShape.suffix(b.shape.count)) == b.shape {
        let width = b.count
        parallelFor(rows: n / width, width: width) { rows in
            for row in rows {
                let pr = pa + row * width, po = out + row * width
                for j in 0..<width { po[j] = f(pr[j], pb[j]) }
            }
        }
        return
    }
    // General case: rows of the last axis; an odometer over the other axes from each chunk's first row.
    let rank = outShape.count
    guard rank > 0, n > 0 else { return }
    let sa = broadcastStrides(a.shape, to: outShape), sb = broadcastStrides(b.shape, to: outShape)
    let inner = outShape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
    parallelFor(rows: n / inner, width: inner) { rows in
        var index = [Int](repeating: 0, count: rank)
        var offA = 0, offB = 0, rest = rows.lowerBound
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            index[axis] = rest % outShape[axis]
            rest /= outShape[axis]
            offA += index[axis] * sa[axis]; offB += index[axis] * sb[axis]
        }
        for row in rows {
            let o = row * inner
            for j in 0..<inner { out[o + j] = f(pa[offA + j * ia], pb[offB + j * ib]) }
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offA += sa[axis]; offB += sb[axis]
                if index[axis] < outShape[axis] { break }
                offA -= sa[axis] * outShape[axis]; offB -= sb[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

extension Tensor {
    /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
    func reduced(toShape target: [Int]) -> Tensor {
        if shape == target { return self.detached }
        let offset = rank - target.count
        var axes: [Int] = Array(0..<offset)
        for i in 0..<target.count where target[i] == 1 && shape[i + offset] != 1 { axes.append(i + offset) }
        let summed = sumKernel(axes: axes)
        return summed.reshapedStorage(target)
    }
}
