import CKernels
import Glibc

// Batch and layer normalization, each a fused op with its backward pass written by hand.
//
// Batch normalization sees its input as (outer, channels, inner): the normalized axis in the
// middle, everything before it `outer`, everything after it `inner` (1 for channels-last).
// Statistics are per channel over outer x inner. Layer normalization sees its input as rows
// of `width` (the normalized trailing axes flattened); statistics are per row.
//
// Both compute y = x * a + b with a = scale / sqrt(variance + epsilon) and
// b = offset - mean * a, the order of TensorFlow's batch_normalization and Keras's
// layer_normalization. Batch moments take one pass over the data, shifted by each channel's
// first value; sums are accumulated in Float over blocks of rows and in Double across blocks,
// so that long batches lose no precision. Layer normalization's moments are two-pass.

/// The shape of a tensor split around one axis: (outer, channels, inner).
struct ChannelLayout {
    let outer, channels, inner: Int
    var count: Int { outer * channels * inner }
    /// Elements per channel.
    var perChannel: Int { outer * inner }
    /// Chunks of the outer slices for the thread pool.
    var chunking: Chunking {
        Chunking(items: outer, costPerItem: channels * inner, minimumCost: Chunking.elementsPerChunk,
                 maximumChunks: Chunking.maximumChunks)
    }

    init(shape: [Int], axis: Int) {
        outer = shape[..<axis].reduce(1, *)
        channels = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
    }

    /// Calls body(channel, pointer offset, length) for each contiguous run of one channel in
    /// outer slices `slices`; with inner == 1 use the row form instead.
    @inline(__always)
    func forEachRun(slices: Range<Int>, _ body: (Int, Int, Int) -> Void) {
        for o in slices {
            for c in 0..<channels { body(c, (o * channels + c) * inner, inner) }
        }
    }
}

/// Rows accumulated in Float before their sums are added into the Double totals (the C
/// kernels' SK_BN_BLOCK_ROWS).
private let rowsPerFlush = 64

/// Per-channel sums over the layout, in Double: s1 = Σ u and s2 = Σ u · (b − center[channel])
/// with u = a − shiftA[channel] (u = a without a shift). One pass over `a` and `b`, in chunks
/// of outer slices on the thread pool. Each channel is summed in Float, one row after the
/// other in blocks of `rowsPerFlush` rows from the chunk's first (inner == 1; a run at a time
/// otherwise), each block added into the chunk's Double total; the chunks' totals are added
/// in chunk order. The chunks depend on the shape alone, and the hand-written kernels
/// (`sk_bn_channel_sums`, vectorized over channels) add in this same order: every thread
/// count and every kernel path gives the same bits.
private func channelSumPair(
    _ layout: ChannelLayout, a: UnsafePointer<Float>, shiftA: UnsafePointer<Float>?,
    b: UnsafePointer<Float>, center: UnsafePointer<Float>
) -> (s1: [Double], s2: [Double]) {
    let c = layout.channels, chunking = layout.chunking, chunks = Swift.max(chunking.count, 1)
    // Two rows of totals per chunk, added together in chunk order at the end.
    let totals = UnsafeMutablePointer<Double>.allocate(capacity: 2 * chunks * c)
    defer { totals.deallocate() }
    totals.initialize(repeating: 0, count: 2 * chunks * c)
    parallelFor(chunking) { slices, chunk in
        let t1 = totals + 2 * chunk * c, t2 = t1 + c
        if layout.inner == 1 {
            if usesHandKernels {
                sk_bn_channel_sums(a + slices.lowerBound * c, b + slices.lowerBound * c, slices.count,
                                   Int32(c), shiftA, center, t1, t2)
                return
            }
            // Rows of `channels`: accumulate whole rows, flush every `rowsPerFlush` rows.
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c)
            defer { acc.deallocate() }
            let acc2 = acc + c
            var row = slices.lowerBound
            while row < slices.upperBound {
                let end = Swift.min(row + rowsPerFlush, slices.upperBound)
                acc.update(repeating: 0, count: 2 * c)
                for r in row..<end {
                    let base = r * c
                    for j in 0..<c {
                        let u = a[base + j] - (shiftA?[j] ?? 0)
                        acc[j] += u
                        acc2[j] += u * (b[base + j] - center[j])
                    }
                }
                for j in 0..<c {
                    t1[j] += Double(acc[j])
                    t2[j] += Double(acc2[j])
                }
                row = end
            }
        } else {
            layout.forEachRun(slices: slices) { channel, offset, length in
                let shift = shiftA?[channel] ?? 0, m = center[channel]
                var acc1: Float = 0, acc2: Float = 0
                for i in offset..<(offset + length) {
                    let u = a[i] - shift
                    acc1 += u
                    acc2 += u * (b[i] - m)
                }
                t1[channel] += Double(acc1)
                t2[channel] += Double(acc2)
            }
        }
    }
    var s1 = [Double](repeating: 0, count: c), s2 = s1
    for chunk in 0..<chunks {
        let t1 = totals + 2 * chunk * c, t2 = t1 + c
        for j in 0..<c {
            s1[j] += t1[j]
            s2[j] += t2[j]
        }
    }
    return (s1, s2)
}

/// out[i] = x[i] * a[channel] + b[channel] over the layout (and optionally a third term
/// p[channel] * z[i]), in chunks of outer slices on the thread pool.
@inline(__always)
private func channelAffine(
    _ layout: ChannelLayout, x: UnsafePointer<Float>, a: [Float], b: [Float],
    z: UnsafePointer<Float>? = nil, p: [Float]? = nil, into out: UnsafeMutablePointer<Float>
) {
    let c = layout.channels
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            (p ?? []).withUnsafeBufferPointer { p in
                let pa = a.baseAddress!, pb = b.baseAddress!, pp = p.baseAddress
                parallelFor(layout.chunking) { slices, _ in
                    if layout.inner == 1 {
                        if usesHandKernels {
                            let start = slices.lowerBound * c
                            sk_bn_channel_affine(x + start, slices.count, Int32(c), pa, pb,
                                                 z.map { $0 + start }, z == nil ? nil : pp, out + start)
                            return
                        }
                        for r in slices {
                            let base = r * c
                            if let z, let pp {
                                for j in 0..<c { out[base + j] = x[base + j] * pa[j] + pp[j] * z[base + j] + pb[j] }
                            } else {
                                for j in 0..<c { out[base + j] = x[base + j] * pa[j] + pb[j] }
                            }
                        }
                    } else {
                        layout.forEachRun(slices: slices) { channel, offset, length in
                            let ac = pa[channel], bc = pb[channel]
                            if let z, let pp {
                                let pc = pp[channel]
                                for i in offset..<(offset + length) { out[i] = x[i] * ac + pc * z[i] + bc }
                            } else {
                                for i in offset..<(offset + length) { out[i] = x[i] * ac + bc }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Checks a per-channel parameter (scale, offset, mean, variance).
private func checkChannelVector(_ t: Tensor?, _ what: String, channels: Int, op: String) throws {
    guard let t else { return }
    guard t.shape == [channels] else {
        throw TensorError.shapeMismatch(
            op: op, message: "\(what) has shape \(shapeString(t.shape)), expected (\(channels),) for the normalized axis")
    }
}

private func normalizedAxis(_ axis: Int, rank: Int, op: String) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else {
        throw TensorError.invalidArgument(op: op, message: "axis \(axis) is out of range for an input of rank \(rank)")
    }
    return a
}

/// The per-channel mean and biased variance of `x` over every axis but `axis` (no tape entry).
public func channelMoments(_ x: Tensor, axis: Int = -1) throws -> (mean: Tensor, variance: Tensor) {
    let a = try normalizedAxis(axis, rank: x.rank, op: "moments")
    let layout = ChannelLayout(shape: x.shape, axis: a)
    guard layout.perChannel > 0 else {
        throw TensorError.invalidArgument(op: "moments", message: "needs at least one value per channel, got shape \(shapeString(x.shape))")
    }
    // One pass, shifted: the sums of d = x - shift and of d² with each channel's first value as
    // its shift, so that the variance E[d²] - E[d]² loses no more to cancellation than the
    // centered two-pass form (the shift is within a few deviations of the mean).
    let n = Double(layout.perChannel), px = x.storage.pointer, c = layout.channels
    let shift = (0..<c).map { px[$0 * layout.inner] }
    let (s1, s2) = shift.withUnsafeBufferPointer { sb in
        channelSumPair(layout, a: px, shiftA: sb.baseAddress!, b: px, center: sb.baseAddress!)
    }
    var mean = [Float](repeating: 0, count: c), variance = mean
    for j in 0..<c {
        let m = s1[j] / n
        mean[j] = Float(Double(shift[j]) + m)
        variance[j] = Float(Swift.max(s2[j] / n - m * m, 0))
    }
    return (Tensor(mean), Tensor(variance))
}

/// Batch normalization with the batch's own statistics (training): every axis but `axis` is
/// reduced. Returns the output, which differentiates through the batch mean and variance as
/// well, and those statistics (biased variance, detached) for the caller's moving averages.
public func batchNormalization(
    training x: Tensor, scale: Tensor?, offset: Tensor?, axis: Int = -1, epsilon: Float
) throws -> (output: Tensor, mean: Tensor, variance: Tensor) {
    let op = "batch_normalization"
    let a = try normalizedAxis(axis, rank: x.rank, op: op)
    let layout = ChannelLayout(shape: x.shape, axis: a)
    try checkChannelVector(scale, "scale", channels: layout.channels, op: op)
    try checkChannelVector(offset, "offset", channels: layout.channels, op: op)
    guard layout.perChannel > 0 else {
        throw TensorError.invalidArgument(op: op, message: "needs at least one value per channel, got shape \(shapeString(x.shape))")
    }
    let c = layout.channels, n = Double(layout.perChannel)
    let px = x.storage.pointer
    let moments = try channelMoments(x, axis: a)
    let mean = moments.mean.scalars, variance = moments.variance.scalars
    let invStd = variance.map { 1 / sqrtf($0 + epsilon) }
    let gamma = scale?.scalars ?? [Float](repeating: 1, count: c)
    let beta = offset?.scalars ?? [Float](repeating: 0, count: c)
    let mul = (0..<c).map { invStd[$0] * gamma[$0] }
    let add = (0..<c).map { beta[$0] - mean[$0] * mul[$0] }
    let out = Tensor(uninitializedShape: x.shape)
    channelAffine(layout, x: px, a: mul, b: add, into: out.storage.pointer)

    let xd = x.detached
    var inputs = [x]
    if let scale { inputs.append(scale) }
    if let offset { inputs.append(offset) }
    let hasScale = scale != nil
    let output = Tensor.record(op, out, inputs: inputs) { grad, needs in
        let pg = grad.storage.pointer, px = xd.storage.pointer
        // Σ dy and Σ dy · (x - mean) per channel, in one pass.
        let sums = mean.withUnsafeBufferPointer { m in
            channelSumPair(layout, a: pg, shiftA: nil, b: px, center: m.baseAddress!)
        }
        let sumDy = sums.s1.map { Float($0) }, sumDyCentered = sums.s2.map { Float($0) }
        var grads: [Tensor?] = []
        if needs[0] {
            // dx = mul * (dy - mean(dy) - (x - mean) * invStd² * mean(dy * (x - mean)))
            //    = mul * dy + p * x + q
            let nf = Float(n)
            let p = (0..<c).map { -mul[$0] * invStd[$0] * invStd[$0] * sumDyCentered[$0] / nf }
            let q = (0..<c).map { -mul[$0] * sumDy[$0] / nf - p[$0] * mean[$0] }
            let gx = Tensor(uninitializedShape: xd.shape)
            channelAffine(layout, x: pg, a: mul, b: q, z: px, p: p, into: gx.storage.pointer)
            grads.append(gx)
        } else {
            grads.append(nil)
        }
        var next = 1
        if hasScale {
            grads.append(needs[next] ? Tensor((0..<c).map { sumDyCentered[$0] * invStd[$0] }) : nil)
            next += 1
        }
        if next < needs.count { grads.append(needs[next] ? Tensor(sumDy) : nil) }
        return grads
    }
    return (output, moments.mean, moments.variance)
}

/// Batch normalization with given statistics (inference, or moments computed elsewhere):
/// scale * (x - mean) / sqrt(variance + epsilon) + offset along `axis`. Differentiable with
/// respect to every argument.
public func batchNormalization(
    _ x: Tensor, mean: Tensor, variance: Tensor, scale: Tensor?, offset: Tensor?, axis: Int = -1, epsilon: Float
) throws -> Tensor {
    let op = "batch_normalization"
    let a = try normalizedAxis(axis, rank: x.rank, op: op)
    let layout = ChannelLayout(shape: x.shape, axis: a)
    let c = layout.channels
    try checkChannelVector(mean, "mean", channels: c, op: op)
    try checkChannelVector(variance, "variance", channels: c, op: op)
    try checkChannelVector(scale, "scale", channels: c, op: op)
    try checkChannelVector(offset, "offset", channels: c, op: op)
    let m = mean.scalars, v = variance.scalars
    let invStd = v.map { 1 / sqrtf($0 + epsilon) }
    let gamma = scale?.scalars ?? [Float](repeating: 1, count: c)
    let beta = offset?.scalars ?? [Float](repeating: 0, count: c)
    let mul = (0..<c).map { invStd[$0] * gamma[$0] }
    let add = (0..<c).map { beta[$0] - m[$0] * mul[$0] }
    let out = Tensor(uninitializedShape: x.shape)
    channelAffine(layout, x: x.storage.pointer, a: mul, b: add, into: out.storage.pointer)

    let xd = x.detached
    var inputs = [x, mean, variance]
    if let scale { inputs.append(scale) }
    if let offset { inputs.append(offset) }
    let hasScale = scale != nil
    return Tensor.record(op, out, inputs: inputs) { grad, needs in
        let pg = grad.storage.pointer, px = xd.storage.pointer
        let needsReductions = needs.dropFirst().contains(true)
        var sumDy = [Float](repeating: 0, count: c), sumDyCentered = sumDy
        if needsReductions {
            m.withUnsafeBufferPointer { mb in
                let sums = channelSumPair(layout, a: pg, shiftA: nil, b: px, center: mb.baseAddress!)
                sumDy = sums.s1.map { Float($0) }
                sumDyCentered = sums.s2.map { Float($0) }
            }
        }
        var grads: [Tensor?] = []
        if needs[0] {
            let gx = Tensor(uninitializedShape: xd.shape)
            channelAffine(layout, x: pg, a: mul, b: [Float](repeating: 0, count: c), into: gx.storage.pointer)
            grads.append(gx)
        } else {
            grads.append(nil)
        }
        grads.append(needs[1] ? Tensor((0..<c).map { -mul[$0] * sumDy[$0] }) : nil)
        // d/dvariance of (variance + epsilon)^(-1/2) is -invStd³ / 2.
        let varianceGrad: [Float] = (0..<c).map { ch in
            let cube = invStd[ch] * invStd[ch] * invStd[ch]
            return -0.5 * gamma[ch] * cube * sumDyCentered[ch]
        }
        grads.append(needs[2] ? Tensor(varianceGrad) : nil)
        var next = 3
        if hasScale {
            grads.append(needs[next] ? Tensor((0..<c).map { sumDyCentered[$0] * invStd[$0] }) : nil)
            next += 1
        }
        if next < needs.count { grads.append(needs[next] ? Tensor(sumDy) : nil) }
        return grads
    }
}

/// Layer normalization over the trailing `normalizedRank` axes of `x`: each sample's values
/// there are normalized with their own mean and (biased) variance, then scaled and shifted
/// by `scale` and `offset`, whose shape is those trailing axes.
public func layerNormalization(
    _ x: Tensor, scale: Tensor?, offset: Tensor?, normalizedRank: Int = 1, epsilon: Float
) throws -> Tensor {
    let op = "layer_normalization"
    guard normalizedRank >= 1, normalizedRank <= x.rank else {
        throw TensorError.invalidArgument(op: op, message: "cannot normalize the last \(normalizedRank) axes of a rank-\(x.rank) input")
    }
    let featureShape = Array(x.shape.suffix(normalizedRank))
    for (t, what) in [(scale, "scale"), (offset, "offset")] {
        if let t, t.shape != featureShape {
            throw TensorError.shapeMismatch(
                op: op, message: "\(what) has shape \(shapeString(t.shape)), expected \(shapeString(featureShape))")
        }
    }
    let width = featureShape.reduce(1, *)
    guard width > 0 else {
        throw TensorError.invalidArgument(op: op, message: "needs at least one value to normalize, got shape \(shapeString(x.shape))")
    }
    let rows = x.count / width
    let out = Tensor(uninitializedShape: x.shape)
    // Per row: the mean and 1 / sqrt(variance + epsilon), kept for the backward pass.
    let stats = Tensor(uninitializedShape: [rows, 2])
    let px = x.storage.pointer, po = out.storage.pointer, ps = stats.storage.pointer
    let pgamma = scale?.storage.pointer, pbeta = offset?.storage.pointer
    let rowChunking = Chunking.rows(rows, width: width, costPerElement: 3)
    parallelFor(rowChunking) { range, _ in
        for r in range {
            let row = px + r * width, o = po + r * width
            let mean = sumContiguous(row, width) / Float(width)
            var squares: Float = 0
            for j in 0..<width { let d = row[j] - mean; squares += d * d }
            let invStd = 1 / sqrtf(squares / Float(width) + epsilon)
            ps[2 * r] = mean
            ps[2 * r + 1] = invStd
            // Keras: inv = invStd * gamma; y = x * inv + (beta - mean * inv).
            for j in 0..<width {
                let inv = invStd * (pgamma?[j] ?? 1)
                o[j] = row[j] * inv + ((pbeta?[j] ?? 0) - mean * inv)
            }
        }
    }

    let xd = x.detached, gammaValues = scale?.detached
    var inputs = [x]
    if let scale { inputs.append(scale) }
    if let offset { inputs.append(offset) }
    let hasScale = scale != nil, hasOffset = offset != nil
    return Tensor.record(op, out, inputs: inputs) { grad, needs in
        let pg = grad.storage.pointer, px = xd.storage.pointer, ps = stats.storage.pointer
        let pgamma = gammaValues?.storage.pointer
        let needsScale = hasScale && needs[1]
        let needsOffset = hasOffset && needs[hasScale ? 2 : 1]
        let gx: Tensor? = needs[0] ? Tensor(uninitializedShape: xd.shape) : nil
        // dgamma = sum over rows of dy * xhat, dbeta = sum over rows of dy: per chunk, then
        // added in chunk order.
        let gScale = needsScale ? Tensor(uninitializedShape: featureShape) : nil
        let gOffset = needsOffset ? Tensor(uninitializedShape: featureShape) : nil
        let scaleSums = gScale.map { ChunkSums(into: $0.storage.pointer, count: width, chunks: rowChunking.count) }
        let offsetSums = gOffset.map { ChunkSums(into: $0.storage.pointer, count: width, chunks: rowChunking.count) }
        parallelFor(rowChunking) { range, chunk in
            let scratch = TensorStorage(uninitializedCount: width)
            defer { withExtendedLifetime(scratch) {} }
            let g = scratch.pointer
            let sScale = scaleSums?.zeroedPart(chunk), sOffset = offsetSums?.zeroedPart(chunk)
            for r in range {
                let row = px + r * width, dy = pg + r * width
                let mean = ps[2 * r], invStd = ps[2 * r + 1]
                if let sOffset { for j in 0..<width { sOffset[j] += dy[j] } }
                if let sScale { for j in 0..<width { sScale[j] += dy[j] * (row[j] - mean) * invStd } }
                guard let gx else { continue }
                // dx = invStd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma.
                var sumG: Float = 0, sumGX: Float = 0
                for j in 0..<width {
                    let gj = dy[j] * (pgamma?[j] ?? 1)
                    g[j] = gj
                    sumG += gj
                    sumGX += gj * (row[j] - mean) * invStd
                }
                let meanG = sumG / Float(width), meanGX = sumGX / Float(width)
                let o = gx.storage.pointer + r * width
                for j in 0..<width { o[j] = invStd * (g[j] - meanG - (row[j] - mean) * invStd * meanGX) }
            }
        }
        scaleSums?.combine()
        offsetSums?.combine()
        var grads: [Tensor?] = [gx]
        if hasScale { grads.append(gScale) }
        if hasOffset { grads.append(gOffset) }
        return grads
    }
}
