// Max and average pooling over NHWC inputs.

/// Max pooling; cells outside the input ("same" padding) never win.
public func maxPool2d(_ input: Tensor, poolSize: (Int, Int), strides: (Int, Int), padding: Padding) throws -> Tensor {
    let g = try WindowGeometry(inputShape: input.shape, window: poolSize, strides: strides, padding: padding)
    let c = g.channels
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, c])
    // Flat input index of each output's maximum, for the backward scatter.
    let winners = UnsafeMutableBufferPointer<Int32>.allocate(capacity: out.count)
    let px = input.storage.pointer, po = out.storage.pointer
    forEachWindow(g) { o, h0, h1, w0, w1, imageBase in
        let first = imageBase + (h0 * g.inWidth + w0) * c
        for ch in 0..<c { po[o + ch] = px[first + ch]; winners[o + ch] = Int32(first + ch) }
        for h in h0..<h1 {
            for w in w0..<w1 {
                let base = imageBase + (h * g.inWidth + w) * c
                for ch in 0..<c where px[base + ch] > po[o + ch] {
                    po[o + ch] = px[base + ch]
                    winners[o + ch] = Int32(base + ch)
                }
            }
        }
    }
    let winnerIndices = Array(winners)
    winners.deallocate()
    let inputShape = input.shape
    return Tensor.record("max_pool2d", out, inputs: [input]) { grad, _ in
        let gx = Tensor.zeros(inputShape)
        let pg = grad.storage.pointer, pgx = gx.storage.pointer
        for i in 0..<winnerIndices.count { pgx[Int(winnerIndices[i])] += pg[i] }
        return [gx]
    }
}

/// Average pooling; with "same" padding each window averages only the cells inside the
/// input, as TensorFlow does.
public func averagePool2d(_ input: Tensor, poolSize: (Int, Int), strides: (Int, Int), padding: Padding) throws -> Tensor {
    let g = try WindowGeometry(inputShape: input.shape, window: poolSize, strides: strides, padding: padding)
    let out = Tensor.zeros([g.batch, g.outHeight, g.outWidth, g.channels])
    forEachWindow(g) { o, h0, h1, w0, w1, imageBase in
        let scale = 1 / Float((h1 - h0) * (w1 - w0))
        let dst = out.storage.pointer + o
        for h in h0..<h1 {
            for w in w0..<w1 {
                let src = input.storage.pointer + imageBase + (h * g.inWidth + w) * g.channels
                for ch in 0..<g.channels { dst[ch] += src[ch] * scale }
            }
        }
    }
    let inputShape = input.shape
    return Tensor.record("average_pool2d", out, inputs: [input]) { grad, _ in
        let gx = Tensor.zeros(inputShape)
        forEachWindow(g) { o, h0, h1, w0, w1, imageBase in
            let scale = 1 / Float((h1 - h0) * (w1 - w0))
            let src = grad.storage.pointer + o
            for h in h0..<h1 {
                for w in w0..<w1 {
                    let dst = gx.storage.pointer + imageBase + (h * g.inWidth + w) * g.channels
                    for ch in 0..<g.channels { dst[ch] += src[ch] * scale }
                }
            }
        }
        return [gx]
    }
}

/// Visits every output window: its output offset and the input rows/cols it covers.
private func forEachWindow(
    _ g: WindowGeometry, _ body: (_ outOffset: Int, _ h0: Int, _ h1: Int, _ w0: Int, _ w1: Int, _ imageBase: Int) -> Void
) {
    var o = 0
    for n in 0..<g.batch {
        let imageBase = n * g.inHeight * g.inWidth * g.channels
        for oh in 0..<g.outHeight {
            let h0 = max(oh * g.strideHeight - g.padTop, 0)
            let h1 = min(oh * g.strideHeight - g.padTop + g.windowHeight, g.inHeight)
            for ow in 0..<g.outWidth {
                let w0 = max(ow * g.strideWidth - g.padLeft, 0)
                let w1 = min(ow * g.strideWidth - g.padLeft + g.windowWidth, g.inWidth)
                body(o, h0, h1, w0, w1, imageBase)
                o += g.channels
            }
        }
    }
}
