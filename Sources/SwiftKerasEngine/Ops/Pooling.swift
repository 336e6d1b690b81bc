import CKernels

// Max and average pooling over NHWC inputs.

/// Max pooling; cells outside the input ("same" padding) never win.
public func maxPool2d(_ input: Tensor, poolSize: (Int, Int), strides: (Int, Int), padding: Padding) throws -> Tensor {
    let g = try WindowGeometry(inputShape: input.shape, window: poolSize, strides: strides, padding: padding)
    guard input.count <= Int(Int32.max) else {
        throw TensorError.invalidArgument(op: "max_pool2d", message: "inputs over \(Int32.max) elements are not supported")
    }
    let c = g.channels
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, c])
    // Flat input index of each output's maximum, for the backward scatter.
    let winners = Tensor(uninitializedShape: out.shape)
    let px = input.storage.pointer, po = out.storage.pointer
    let win = UnsafeMutableRawPointer(winners.storage.pointer).assumingMemoryBound(to: Int32.self)
    let keepWinners = Tensor.willRecord(inputs: [input])
    parallelFor(poolingChunking(g)) { images, _ in
        forEachWindow(g, images: images) { o, h0, h1, w0, w1, imageBase in
            if usesAVX512Kernels {
                sk_max_pool_window_avx512(px, imageBase, Int32(g.inWidth), Int32(c), Int32(h0), Int32(h1),
                                          Int32(w0), Int32(w1), po + o, keepWinners ? win + o : nil)
                return
            }
            let first = imageBase + (h0 * g.inWidth + w0) * c
            var ch = 0
            // Eight channels at a time with branch-free selects; indices fit Int32 (checked below).
            while ch + 8 <= c {
                var best = UnsafeRawPointer(px + first + ch).loadUnaligned(as: SIMD8<Float>.self)
                var bestIndex = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &+ Int32(truncatingIfNeeded: first + ch)
                for h in h0..<h1 {
                    for w in w0..<w1 {
                        let base = imageBase + (h * g.inWidth + w) * c + ch
                        let cell = UnsafeRawPointer(px + base).loadUnaligned(as: SIMD8<Float>.self)
                        let larger = cell .> best
                        best.replace(with: cell, where: larger)
                        bestIndex.replace(with: SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &+ Int32(truncatingIfNeeded: base),
                                          where: larger)
                    }
                }
                UnsafeMutableRawPointer(po + o + ch).storeBytes(of: best, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(win + o + ch).storeBytes(of: bestIndex, as: SIMD8<Int32>.self)
                ch += 8
            }
            while ch < c {
                var best = px[first + ch], bestIndex = first + ch
                for h in h0..<h1 {
                    for w in w0..<w1 {
                        let index = imageBase + (h * g.inWidth + w) * c + ch
                        if px[index] > best { best = px[index]; bestIndex = index }
                    }
                }
                po[o + ch] = best
                win[o + ch] = Int32(truncatingIfNeeded: bestIndex)
                ch += 1
            }
        }
    }
    let inputShape = input.shape
    let outPerImage = g.outHeight * g.outWidth * c
    return Tensor.record("max_pool2d", out, inputs: [input]) { grad, _ in
        let gx = Tensor(uninitializedShape: inputShape)
        let pg = grad.storage.pointer, pgx = gx.storage.pointer
        let win = UnsafeRawPointer(winners.storage.pointer).assumingMemoryBound(to: Int32.self)
        let inPerImage = g.inHeight * g.inWidth * c
        // Each image's winners lie in that image, so chunks of the batch write disjoint memory
        // (zeros first, then the scatter).
        parallelFor(poolingChunking(g)) { images, _ in
            (pgx + images.lowerBound * inPerImage).update(repeating: 0, count: images.count * inPerImage)
            for i in (images.lowerBound * outPerImage)..<(images.upperBound * outPerImage) {
                pgx[Int(win[i])] += pg[i]
            }
        }
        return [gx]
    }
}

/// Average pooling; with "same" padding each window averages only the cells inside the
/// input, as TensorFlow does.
public func averagePool2d(_ input: Tensor, poolSize: (Int, Int), strides: (Int, Int), padding: Padding) throws -> Tensor {
    let g = try WindowGeometry(inputShape: input.shape, window: poolSize, strides: strides, padding: padding)
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, g.channels])
    let px = input.storage.pointer, po = out.storage.pointer
    let outPerImage = g.outHeight * g.outWidth * g.channels, inPerImage = g.inHeight * g.inWidth * g.channels
    parallelFor(poolingChunking(g)) { images, _ in
        (po + images.lowerBound * outPerImage).update(repeating: 0, count: images.count * outPerImage)
        forEachWindow(g, images: images) { o, h0, h1, w0, w1, imageBase in
            let scale = 1 / Float((h1 - h0) * (w1 - w0))
            let dst = po + o
            for h in h0..<h1 {
                for w in w0..<w1 {
                    let src = px + imageBase + (h * g.inWidth + w) * g.channels
                    for ch in 0..<g.channels { dst[ch] += src[ch] * scale }
                }
            }
        }
    }
    let inputShape = input.shape
    return Tensor.record("average_pool2d", out, inputs: [input]) { grad, _ in
        let gx = Tensor(uninitializedShape: inputShape)
        let pg = grad.storage.pointer, pgx = gx.storage.pointer
        // Windows add into their own image only: chunks of the batch write disjoint memory.
        parallelFor(poolingChunking(g)) { images, _ in
            (pgx + images.lowerBound * inPerImage).update(repeating: 0, count: images.count * inPerImage)
            forEachWindow(g, images: images) { o, h0, h1, w0, w1, imageBase in
                let scale = 1 / Float((h1 - h0) * (w1 - w0))
                let src = pg + o
                for h in h0..<h1 {
                    for w in w0..<w1 {
                        let dst = pgx + imageBase + (h * g.inWidth + w) * g.channels
                        for ch in 0..<g.channels { dst[ch] += src[ch] * scale }
                    }
                }
            }
        }
        return [gx]
    }
}

/// Chunks of the batch for pooling, which reads each input value about once: sized like
/// an elementwise pass over the input.
private func poolingChunking(_ g: WindowGeometry) -> Chunking {
    Chunking(items: g.batch, costPerItem: g.inHeight * g.inWidth * g.channels, minimumCost: Chunking.elementsPerChunk)
}

/// Visits every output window of `images` (default: all): its output offset and the input rows/cols it covers.
@inline(__always)
private func forEachWindow(
    _ g: WindowGeometry, images: Range<Int>? = nil,
    _ body: (_ outOffset: Int, _ h0: Int, _ h1: Int, _ w0: Int, _ w1: Int, _ imageBase: Int) -> Void
) {
    let images = images ?? 0..<g.batch
    var o = images.lowerBound * g.outHeight * g.outWidth * g.channels
    for n in images {
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
