// 2-D convolution (NHWC input, kernel (kh, kw, in, out)).
//
// On the hand-written kernel paths (AVX-512, AVX2) the convolution runs directly on a
// zero-padded copy of its input (CKernels/conv_template.h reads each patch where it lies; no
// patch matrix is written): forward,
// kernel gradient, and for stride 1 the input gradient as a convolution of the padded
// output gradient with the flipped kernel. Elsewhere, and for the input gradient of strided
// convolutions, it is im2col + GEMM. Either way chunks of the batch run on the thread pool.

import CKernels
import Synchronization

/// Images per GEMM call on the im2col path: keeps each call's patch matrix near the size of
/// the L2 cache this CPU reports.
private func imagesPerChunk(_ g: WindowGeometry) -> Int {
    let floatsPerImage = max(g.outPixelsPerImage * g.patchSize, 1)
    return max(1, min(g.batch, CacheSizes.current.l2 / MemoryLayout<Float>.size / floatsPerImage))
}

/// Chunks of the batch for the thread pool. Each chunk pays for a copy into its frame and
/// the convolution kernels' offset tables (a few microseconds), and in the backward pass
/// (`summed`) for its own kernel-gradient buffer, added up after the loop: fewer chunks there.
private func convolutionChunking(_ g: WindowGeometry, costPerImage: Int, summed: Bool = false) -> Chunking {
    Chunking(items: g.batch, costPerItem: costPerImage, maximumChunks: summed ? 16 : 32)
}

/// Calls `body(first, count)` for consecutive chunks of at most `size` images.
private func forEachChunk(of images: Range<Int>, size: Int, _ body: (Int, Int) -> Void) {
    var first = images.lowerBound
    while first < images.upperBound {
        let n = min(size, images.upperBound - first)
        body(first, n)
        first += n
    }
}

/// Images (height, width, channels) of `source` copied into frames of (frameHeight,
/// frameWidth, channels) with their pixel (0, 0) at (top, left); the rest of each frame is 0.
/// Rows or columns of the source outside the frame are dropped.
private struct ImageFrame {
    let height, width, channels, frameHeight, frameWidth, top, left: Int
    var imageSize: Int { height * width * channels }
    var frameSize: Int { frameHeight * frameWidth * channels }

    func copy(_ source: UnsafePointer<Float>, images: Range<Int>, into frames: UnsafeMutablePointer<Float>) {
        let rowFloats = frameWidth * channels
        let firstX = max(0, -left), endX = min(width, frameWidth - left)
        for n in images {
            let src = source + n * imageSize, dst = frames + n * frameSize
            for y in 0..<frameHeight {
                let row = dst + y * rowFloats, sy = y - top
                guard sy >= 0 && sy < height && endX > firstX else {
                    row.update(repeating: 0, count: rowFloats)
                    continue
                }
                let before = (firstX + left) * channels, count = (endX - firstX) * channels
                row.update(repeating: 0, count: before)
                (row + before).update(from: src + (sy * width + firstX) * channels, count: count)
                (row + before + count).update(repeating: 0, count: rowFloats - before - count)
            }
        }
    }
}

/// Convolution of `input` (N, H, W, C) with `kernel` (KH, KW, C, F), plus `bias` (F), then
/// ReLU if `relu` (fused: the same values as `.relu()` on the result, one pass fewer).
/// `dilations` spaces the kernel's taps (atrous convolution; 1 for a plain one).
public func conv2d(
    _ input: Tensor, kernel: Tensor, bias: Tensor?, strides: (Int, Int), padding: Padding,
    dilations: (Int, Int) = (1, 1), relu: Bool = false
) throws -> Tensor {
    guard kernel.rank == 4 else {
        throw TensorError.shapeMismatch(op: "conv2d", message: "kernel must have rank 4, got \(shapeString(kernel.shape))")
    }
    let g = try WindowGeometry(inputShape: input.shape, window: (kernel.shape[0], kernel.shape[1]),
                               strides: strides, padding: padding, dilations: dilations)
    guard kernel.shape[2] == g.channels else {
        throw TensorError.shapeMismatch(
            op: "conv2d", message: "input has \(g.channels) channels but the kernel expects \(kernel.shape[2])")
    }
    let filters = kernel.shape[3]
    if let bias, bias.shape != [filters] {
        throw TensorError.shapeMismatch(op: "conv2d", message: "bias shape \(shapeString(bias.shape)) does not match \(filters) filters")
    }
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, filters])
    let patch = g.patchSize, pixels = g.outPixelsPerImage
    let x = input.storage.pointer, k = kernel.storage.pointer, y = out.storage.pointer
    // The input as the direct kernels read it: every window inside the frame.
    let frame = ImageFrame(
        height: g.inHeight, width: g.inWidth, channels: g.channels,
        frameHeight: (g.outHeight - 1) * g.strideHeight + g.spanHeight,
        frameWidth: (g.outWidth - 1) * g.strideWidth + g.spanWidth, top: g.padTop, left: g.padLeft)
    let framed: TensorStorage? = usesHandKernels
        ? try TensorStorage(checkedShape: [g.batch, frame.frameHeight, frame.frameWidth, g.channels], op: "conv2d") : nil

    let beta: Float = bias == nil ? 0 : 1
    func fillBias(images: Range<Int>) {
        guard let b = bias?.storage.pointer else { return }
        let dst = y + images.lowerBound * pixels * filters
        for r in 0..<(images.count * pixels) { (dst + r * filters).update(from: b, count: filters) }
    }
    // Set when a direct kernel could not allocate its offset tables (it then wrote nothing).
    let kernelFailed = Atomic(false)
    /// The direct kernel on output rows `rows` of `images` (a subset of rows for one image only).
    func direct(_ framed: TensorStorage, images: Range<Int>, rows: Range<Int>) {
        let rowFloats = g.strideHeight * frame.frameWidth * g.channels
        let status = sk_conv2d_forward(
            framed.pointer + images.lowerBound * frame.frameSize + rows.lowerBound * rowFloats,
            Int32(images.count), Int32((rows.count - 1) * g.strideHeight + g.spanHeight),
            Int32(frame.frameWidth), Int32(g.channels), k, Int32(g.windowHeight), Int32(g.windowWidth),
            Int32(filters), Int32(g.strideHeight), Int32(g.strideWidth), Int32(g.dilationHeight), Int32(g.dilationWidth),
            Int32(rows.count), Int32(g.outWidth), beta, relu, y + (images.lowerBound * pixels + rows.lowerBound * g.outWidth) * filters)
        if status != 0 { kernelFailed.store(true, ordering: .relaxed) }
    }
    if let framed, g.batch == 1 {
        // One image (predict at batch 1): chunks of its output rows.
        fillBias(images: 0..<1)
        frame.copy(x, images: 0..<1, into: framed.pointer)
        parallelFor(Chunking(items: g.outHeight, costPerItem: g.outWidth * patch * filters)) { rows, _ in
            direct(framed, images: 0..<1, rows: rows)
        }
    } else {
        parallelFor(convolutionChunking(g, costPerImage: pixels * patch * filters)) { images, _ in
            fillBias(images: images)
            if let framed {
                frame.copy(x, images: images, into: framed.pointer)
                direct(framed, images: images, rows: 0..<g.outHeight)
                return
            }
            let perCall = imagesPerChunk(g)
            let cols = TensorStorage(uninitializedCount: min(perCall, images.count) * pixels * patch)
            forEachChunk(of: images, size: perCall) { first, n in
                im2col(g, input: x, firstImage: first, imageCount: n, cols: cols.pointer)
                let dst = y + first * pixels * filters
                sgemm(m: n * pixels, n: filters, k: patch, a: cols.pointer, lda: patch, b: k, ldb: filters,
                      beta: beta, c: dst, ldc: filters)
                if relu { for i in 0..<(n * pixels * filters) { dst[i] = dst[i] > 0 ? dst[i] : 0 } }
            }
        }
    }

    if kernelFailed.load(ordering: .relaxed) { throw convolutionOutOfMemory }
    let xd = input.detached, kd = kernel.detached
    var inputs = [input, kernel]
    if let bias { inputs.append(bias) }
    return Tensor.record("conv2d", out, inputs: inputs) { grad, needs in
        var grads: [Tensor?] = Array(repeating: nil, count: needs.count)
        // Stride 1: dX is the convolution of dY, framed with (span - 1 - pad) zeros before
        // it, with the (equally dilated) kernel flipped in space and its in/out axes swapped;
        // it writes every value of dX, which col2im instead accumulates into zeros.
        let directInputGradient = framed != nil && g.strideHeight == 1 && g.strideWidth == 1 && needs[0]
        let gx: Tensor? = needs[0] ? (directInputGradient ? Tensor(uninitializedShape: xd.shape) : Tensor.zeros(xd.shape)) : nil
        let gk: Tensor? = needs[1] ? Tensor(uninitializedShape: kd.shape) : nil
        let gb: Tensor? = needs.count > 2 && needs[2] ? Tensor(uninitializedShape: [filters]) : nil
        // Chunks of the batch, each with its own kernel and bias gradient sums.
        let costPerImage = pixels * patch * filters * ((gk == nil ? 0 : 1) + (gx == nil ? 0 : 1))
        let chunking = convolutionChunking(g, costPerImage: costPerImage, summed: true)
        let kernelSums = gk.map { ChunkSums(into: $0.storage.pointer, count: kd.count, chunks: chunking.count) }
        let biasSums = gb.map { ChunkSums(into: $0.storage.pointer, count: filters, chunks: chunking.count) }
        // Through the fused ReLU first: the gradient passes where the output is positive.
        let preActivationGrad: Tensor
        if relu {
            preActivationGrad = Tensor(uninitializedShape: grad.shape)
            let g = grad.storage.pointer, activated = out.storage.pointer, masked = preActivationGrad.storage.pointer
            parallelFor(elements: grad.count) { range in
                // Both loads unconditional, so this is a select rather than a branch.
                for i in range { let gi = g[i], yi = activated[i]; masked[i] = yi > 0 ? gi : 0 }
            }
        } else {
            preActivationGrad = grad
        }
        let dy = preActivationGrad.storage.pointer
        let gradFrame = ImageFrame(
            height: g.outHeight, width: g.outWidth, channels: filters,
            frameHeight: g.inHeight + g.spanHeight - 1, frameWidth: g.inWidth + g.spanWidth - 1,
            top: g.spanHeight - 1 - g.padTop, left: g.spanWidth - 1 - g.padLeft)
        let framedGrad: TensorStorage? = directInputGradient
            ? try TensorStorage(checkedShape: [g.batch, gradFrame.frameHeight, gradFrame.frameWidth, filters], op: "conv2d") : nil
        let flippedKernel: TensorStorage? = directInputGradient ? flippedTransposedKernel(kd) : nil

        let backwardFailed = Atomic(false)
        parallelFor(chunking) { images, chunk in
            let kernelGradient = kernelSums?.zeroedPart(chunk)
            if let biasSums {
                // dBias: column sums of dY over these images' pixels.
                let sums = biasSums.zeroedPart(chunk)
                for row in (images.lowerBound * pixels)..<(images.upperBound * pixels) {
                    let values = dy + row * filters
                    for f in 0..<filters { sums[f] += values[f] }
                }
            }
            if let kernelGradient, let framed {
                let status = sk_conv2d_kernel_grad(
                    framed.pointer + images.lowerBound * frame.frameSize, Int32(images.count),
                    Int32(frame.frameHeight), Int32(frame.frameWidth), Int32(g.channels),
                    dy + images.lowerBound * pixels * filters, Int32(g.windowHeight), Int32(g.windowWidth),
                    Int32(filters), Int32(g.strideHeight), Int32(g.strideWidth), Int32(g.dilationHeight),
                    Int32(g.dilationWidth), Int32(g.outHeight), Int32(g.outWidth), kernelGradient)
                if status != 0 { backwardFailed.store(true, ordering: .relaxed) }
            }
            if let gx, let framedGrad, let flippedKernel {
                gradFrame.copy(dy, images: images, into: framedGrad.pointer)
                let status = sk_conv2d_forward(
                    framedGrad.pointer + images.lowerBound * gradFrame.frameSize, Int32(images.count),
                    Int32(gradFrame.frameHeight), Int32(gradFrame.frameWidth), Int32(filters),
                    flippedKernel.pointer, Int32(g.windowHeight), Int32(g.windowWidth), Int32(g.channels),
                    1, 1, Int32(g.dilationHeight), Int32(g.dilationWidth), Int32(g.inHeight), Int32(g.inWidth), 0, false,
                    gx.storage.pointer + images.lowerBound * frame.imageSize)
                if status != 0 { backwardFailed.store(true, ordering: .relaxed) }
            }
            let kernelGradientLeft = framed == nil && gk != nil
            let inputGradientLeft = gx != nil && framedGrad == nil
            guard kernelGradientLeft || inputGradientLeft else { return }
            let perCall = imagesPerChunk(g)
            let cols = TensorStorage(uninitializedCount: min(perCall, images.count) * pixels * patch)
            forEachChunk(of: images, size: perCall) { first, n in
                let gOut = dy + first * pixels * filters
                if kernelGradientLeft, let kernelGradient {
                    im2col(g, input: xd.storage.pointer, firstImage: first, imageCount: n, cols: cols.pointer)
                    // dK (patch x F) += colsᵀ (patch x rows) · dOut (rows x F)
                    sgemm(transA: true, m: patch, n: filters, k: n * pixels, a: cols.pointer, lda: patch,
                          b: gOut, ldb: filters, beta: 1,
                          c: kernelGradient, ldc: filters)
                }
                if inputGradientLeft, let gx {
                    // dCols (rows x patch) = dOut (rows x F) · Kᵀ (F x patch), scattered back into dX.
                    sgemm(transB: true, m: n * pixels, n: patch, k: filters, a: gOut, lda: filters,
                          b: kd.storage.pointer, ldb: filters, c: cols.pointer, ldc: patch)
                    col2im(g, cols: cols.pointer, firstImage: first, imageCount: n, inputGrad: gx.storage.pointer)
                }
            }
        }
        if backwardFailed.load(ordering: .relaxed) { throw convolutionOutOfMemory }
        kernelSums?.combine()
        biasSums?.combine()
        grads[0] = gx
        grads[1] = gk
        if gb != nil { grads[2] = gb }
        return grads
    }
}

/// A direct convolution kernel could not allocate its offset tables.
private let convolutionOutOfMemory = TensorError.invalidArgument(
    op: "conv2d", message: "out of memory: the convolution kernel could not allocate its offset tables")

/// The kernel (KH, KW, C, F) as (KH, KW, F, C) with both spatial axes reversed: the kernel
/// whose convolution with the output gradient is the input gradient (stride 1).
private func flippedTransposedKernel(_ kernel: Tensor) -> TensorStorage {
    let (kh, kw, c, f) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
    let out = TensorStorage(uninitializedCount: kernel.count)
    let src = kernel.storage.pointer, dst = out.pointer
    for i in 0..<kh {
        for j in 0..<kw {
            let from = src + ((kh - 1 - i) * kw + (kw - 1 - j)) * c * f, to = dst + (i * kw + j) * f * c
            for ch in 0..<c {
                for filter in 0..<f { to[filter * c + ch] = from[ch * f + filter] }
            }
        }
    }
    return out
}
