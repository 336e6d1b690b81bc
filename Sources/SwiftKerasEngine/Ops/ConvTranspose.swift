// Transposed 2-D convolution (NHWC input, kernel (kh, kw, filters, in_channels) as Keras
// stores it): the adjoint of conv2d with respect to its input. Its forward pass is that
// input gradient, x · Kᵀ scattered by col2im; its input gradient is conv2d itself (the fast
// path); its kernel gradient is im2col(dy)ᵀ · x.

/// The output length of a transposed convolution along one axis (TensorFlow's rules, which
/// Keras 3 uses): for "valid", (in − 1)·stride + window + outputPadding, where outputPadding
/// defaults to max(window, stride) − window; for "same", in·stride, or
/// (in − 1)·stride + window % 2 + outputPadding when outputPadding is given. `window` is the
/// dilated kernel size.
/// Throws when the length passes `Int` (strides of Int.max).
public func convTransposeOutputLength(_ input: Int, window: Int, stride: Int, padding: Padding, outputPadding: Int?) throws -> Int {
    let steps = padding == .same && outputPadding == nil ? input : input - 1
    let extra: (Int, Bool)
    switch padding {
    case .valid: extra = outputPadding.map { window.addingReportingOverflow($0) } ?? (Swift.max(window, stride), false)
    case .same: extra = outputPadding.map { (window % 2).addingReportingOverflow($0) } ?? (0, false)
    }
    let (scaled, scaleOverflow) = steps.multipliedReportingOverflow(by: stride)
    let (length, sumOverflow) = scaled.addingReportingOverflow(extra.0)
    guard !extra.1, !scaleOverflow, !sumOverflow else {
        throw TensorError.invalidArgument(
            op: "conv2d_transpose",
            message: "an input length of \(input) with stride \(stride) and a window of \(window) gives an output length beyond Int")
    }
    return length
}

/// The transposed convolution of `input` (N, H, W, C) with `kernel` (KH, KW, F, C), plus
/// `bias` (F): output (N, OH, OW, F) with OH, OW from `convTransposeOutputLength`.
public func conv2dTranspose(
    _ input: Tensor, kernel: Tensor, bias: Tensor?, strides: (Int, Int), padding: Padding,
    outputPadding: (Int, Int)? = nil, dilations: (Int, Int) = (1, 1)
) throws -> Tensor {
    let op = "conv2d_transpose"
    guard input.rank == 4, kernel.rank == 4 else {
        throw TensorError.shapeMismatch(
            op: op, message: "expected an NHWC input and a rank-4 kernel, got \(shapeString(input.shape)) and \(shapeString(kernel.shape))")
    }
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (kh, kw, filters) = (kernel.shape[0], kernel.shape[1], kernel.shape[2])
    guard kernel.shape[3] == c else {
        throw TensorError.shapeMismatch(op: op, message: "input has \(c) channels but the kernel expects \(kernel.shape[3])")
    }
    if let bias, bias.shape != [filters] {
        throw TensorError.shapeMismatch(op: op, message: "bias shape \(shapeString(bias.shape)) does not match \(filters) filters")
    }
    guard dilations.0 > 0, dilations.1 > 0 else {
        throw TensorError.invalidArgument(op: op, message: "dilations \(dilations) must be positive")
    }
    let oh = try convTransposeOutputLength(h, window: WindowGeometry.span(kh, dilation: dilations.0), stride: strides.0, padding: padding,
                                       outputPadding: outputPadding?.0)
    let ow = try convTransposeOutputLength(w, window: WindowGeometry.span(kw, dilation: dilations.1), stride: strides.1, padding: padding,
                                       outputPadding: outputPadding?.1)
    // The convolution this one transposes: from the output (OH, OW, F) back to (H, W).
    let g = try WindowGeometry(inputShape: [n, oh, ow, filters], window: (kh, kw), strides: strides, padding: padding,
                               dilations: dilations)
    guard g.outHeight == h, g.outWidth == w else {
        throw TensorError.invalidArgument(
            op: op, message: "an output of \(oh)x\(ow) does not convolve back to the \(h)x\(w) input (strides \(strides), padding \(padding.rawValue), output_padding \(outputPadding.map { "\($0)" } ?? "none"))")
    }
    let patch = g.patchSize, pixels = h * w
    try checkMatrixSizes([pixels, patch, c], op: op)
    let out = Tensor.zeros([n, oh, ow, filters])
    let px = input.storage.pointer, pk = kernel.storage.pointer, po = out.storage.pointer
    let imageSize = oh * ow * filters
    let chunking = Chunking(items: n, costPerItem: pixels * patch * c, maximumChunks: 32)
    parallelFor(chunking) { images, _ in
        let cols = TensorStorage(uninitializedCount: pixels * patch)
        for image in images {
            // cols (pixels x patch) = x (pixels x C) · Kᵀ, K seen as (patch x C).
            sgemm(transB: true, m: pixels, n: patch, k: c, a: px + image * pixels * c, lda: c, b: pk, ldb: c,
                  c: cols.pointer, ldc: patch)
            col2im(g, cols: cols.pointer, firstImage: image, imageCount: 1, inputGrad: po)
            if let b = bias?.storage.pointer {
                let dst = po + image * imageSize
                for p in 0..<(oh * ow) { for f in 0..<filters { dst[p * filters + f] += b[f] } }
            }
        }
    }

    let xd = input.detached, kd = kernel.detached
    var inputs = [input, kernel]
    if let bias { inputs.append(bias) }
    return Tensor.record(op, out, inputs: inputs) { grad, needs in
        var grads: [Tensor?] = Array(repeating: nil, count: needs.count)
        if needs[0] {
            // The adjoint of the adjoint: conv2d of dy with the same kernel, geometry and strides.
            grads[0] = try conv2d(grad.detached, kernel: kd, bias: nil, strides: strides, padding: padding, dilations: dilations)
        }
        if needs[1] {
            let gk = Tensor(uninitializedShape: kd.shape)
            let summed = Chunking(items: n, costPerItem: pixels * patch * c, maximumChunks: 16)
            let sums = ChunkSums(into: gk.storage.pointer, count: kd.count, chunks: summed.count)
            parallelFor(summed) { images, chunk in
                let partial = sums.zeroedPart(chunk)
                let cols = TensorStorage(uninitializedCount: pixels * patch)
                for image in images {
                    im2col(g, input: grad.storage.pointer, firstImage: image, imageCount: 1, cols: cols.pointer)
                    // dK (patch x C) += colsᵀ (patch x pixels) · x (pixels x C)
                    sgemm(transA: true, m: patch, n: c, k: pixels, a: cols.pointer, lda: patch,
                          b: xd.storage.pointer + image * pixels * c, ldb: c, beta: 1, c: partial, ldc: c)
                }
            }
            sums.combine()
            grads[1] = gk
        }
        if needs.count > 2 && needs[2] {
            grads[2] = grad.sumKernel(axes: [0, 1, 2]).reshapedStorage([filters])
        }
        return grads
    }
}
