// Depthwise 2-D convolution (NHWC input, kernel (kh, kw, channels, multiplier), as Keras
// stores it): each input channel is convolved with its own `multiplier` filters, giving
// channels · multiplier outputs ordered (channel, multiplier). Direct loops over the
// windows; the per-tap inner loop runs over all channels and multipliers contiguously.

/// The depthwise convolution of `input` (N, H, W, C) with `kernel` (KH, KW, C, M), plus
/// `bias` (C·M): output (N, OH, OW, C·M).
public func depthwiseConv2d(
    _ input: Tensor, kernel: Tensor, bias: Tensor?, strides: (Int, Int), padding: Padding, dilations: (Int, Int) = (1, 1)
) throws -> Tensor {
    let op = "depthwise_conv2d"
    guard kernel.rank == 4 else {
        throw TensorError.shapeMismatch(op: op, message: "kernel must have rank 4, got \(shapeString(kernel.shape))")
    }
    let g = try WindowGeometry(inputShape: input.shape, window: (kernel.shape[0], kernel.shape[1]), strides: strides,
                               padding: padding, dilations: dilations)
    let c = g.channels, m = kernel.shape[3], width = c * m
    guard kernel.shape[2] == c else {
        throw TensorError.shapeMismatch(op: op, message: "input has \(c) channels but the kernel expects \(kernel.shape[2])")
    }
    if let bias, bias.shape != [width] {
        throw TensorError.shapeMismatch(op: op, message: "bias shape \(shapeString(bias.shape)) does not match \(width) output channels")
    }
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, width])
    let px = input.storage.pointer, pk = kernel.storage.pointer, po = out.storage.pointer
    let costPerImage = g.outPixelsPerImage * g.windowHeight * g.windowWidth * width
    parallelFor(Chunking(items: g.batch, costPerItem: costPerImage, maximumChunks: 32)) { images, _ in
        forEachTap(g, images: images) { o, tapInput, tap, first in
            let dst = po + o * width
            if first {
                if let b = bias?.storage.pointer { dst.update(from: b, count: width) } else { dst.update(repeating: 0, count: width) }
            }
            guard let tapInput else { return }
            let src = px + tapInput, k = pk + tap * width
            for ch in 0..<c {
                let v = src[ch], row = dst + ch * m, kr = k + ch * m
                for j in 0..<m { row[j] += v * kr[j] }
            }
        }
    }

    let xd = input.detached, kd = kernel.detached
    var inputs = [input, kernel]
    if let bias { inputs.append(bias) }
    return Tensor.record(op, out, inputs: inputs) { grad, needs in
        var grads: [Tensor?] = Array(repeating: nil, count: needs.count)
        let pg = grad.storage.pointer, px = xd.storage.pointer, pk = kd.storage.pointer
        let gx: Tensor? = needs[0] ? Tensor.zeros(xd.shape) : nil
        let gk: Tensor? = needs[1] ? Tensor(uninitializedShape: kd.shape) : nil
        let summed = Chunking(items: g.batch, costPerItem: 2 * costPerImage, maximumChunks: 16)
        let kernelSums = gk.map { ChunkSums(into: $0.storage.pointer, count: kd.count, chunks: summed.count) }
        parallelFor(summed) { images, chunk in
            let sums = kernelSums?.zeroedPart(chunk)
            forEachTap(g, images: images) { o, tapInput, tap, _ in
                guard let tapInput else { return }
                let dy = pg + o * width
                if let gx {
                    let dst = gx.storage.pointer + tapInput, k = pk + tap * width
                    for ch in 0..<c {
                        var s: Float = 0
                        for j in 0..<m { s += dy[ch * m + j] * k[ch * m + j] }
                        dst[ch] += s
                    }
                }
                if let sums {
                    let src = px + tapInput, dk = sums + tap * width
                    for ch in 0..<c {
                        let v = src[ch]
                        for j in 0..<m { dk[ch * m + j] += v * dy[ch * m + j] }
                    }
                }
            }
        }
        kernelSums?.combine()
        grads[0] = gx
        grads[1] = gk
        if needs.count > 2 && needs[2] { grads[2] = grad.sumKernel(axes: [0, 1, 2]).reshapedStorage([width]) }
        return grads
    }
}

/// Visits every (output pixel, kernel tap) of `images`: the output pixel's index, the
/// input offset the tap reads (nil where it falls in the padding), the tap's index
/// (i · kw + j) and whether it is the pixel's first tap.
@inline(__always)
private func forEachTap(
    _ g: WindowGeometry, images: Range<Int>,
    _ body: (_ outputPixel: Int, _ inputOffset: Int?, _ tap: Int, _ first: Bool) -> Void
) {
    for n in images {
        let image = n * g.inHeight * g.inWidth * g.channels
        for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth {
                let o = (n * g.outHeight + oy) * g.outWidth + ox
                for i in 0..<g.windowHeight {
                    let y = oy * g.strideHeight - g.padTop + i * g.dilationHeight
                    for j in 0..<g.windowWidth {
                        let x = ox * g.strideWidth - g.padLeft + j * g.dilationWidth
                        let inside = y >= 0 && y < g.inHeight && x >= 0 && x < g.inWidth
                        body(o, inside ? image + (y * g.inWidth + x) * g.channels : nil, i * g.windowWidth + j, i == 0 && j == 0)
                    }
                }
            }
        }
    }
}
