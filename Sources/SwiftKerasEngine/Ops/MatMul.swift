// Matrix products through cblas_sgemm, and the fused affine map used by Dense.

extension Tensor {
    /// `self` (..., K) times `other` (K, N): leading axes of `self` are treated as rows.
    public func matmul(_ other: Tensor) throws -> Tensor {
        try affine(self, other, bias: nil, op: "matmul")
    }
}

/// x (..., K) · w (K, N) + b (N): one GEMM with the bias pre-filled into the output.
public func affine(_ x: Tensor, _ w: Tensor, bias: Tensor?, op: String = "dense") throws -> Tensor {
    guard x.rank >= 1, w.rank == 2, x.shape[x.rank - 1] == w.shape[0] else {
        throw TensorError.shapeMismatch(
            op: op, message: "cannot multiply \(shapeString(x.shape)) by \(shapeString(w.shape))")
    }
    let k = w.shape[0], n = w.shape[1]
    let m = k == 0 ? (x.shape.dropLast().reduce(1, *)) : x.count / k
    try checkMatrixSizes([m, n, k], op: op)
    if let bias, bias.shape != [n] {
        throw TensorError.shapeMismatch(
            op: op, message: "bias shape \(shapeString(bias.shape)) does not match \(n) output units")
    }
    let out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [n])
    let po = out.storage.pointer
    if let bias {
        for r in 0..<m { (po + r * n).update(from: bias.storage.pointer, count: n) }
    }
    sgemm(m: m, n: n, k: k, a: x.storage.pointer, lda: k, b: w.storage.pointer, ldb: n,
          beta: bias == nil ? 0 : 1, c: po, ldc: n)

    let xd = x.detached, wd = w.detached
    var inputs = [x, w]
    if let bias { inputs.append(bias) }
    return Tensor.record(op, out, inputs: inputs) { g, needs in
        var grads: [Tensor?] = Array(repeating: nil, count: needs.count)
        if needs[0] {
            let gx = Tensor(uninitializedShape: xd.shape)
            sgemm(transB: true, m: m, n: k, k: n, a: g.storage.pointer, lda: n, b: wd.storage.pointer, ldb: n,
                  c: gx.storage.pointer, ldc: k)
            grads[0] = gx
        }
        if needs[1] {
            let gw = Tensor(uninitializedShape: [k, n])
            sgemm(transA: true, m: k, n: n, k: m, a: xd.storage.pointer, lda: k, b: g.storage.pointer, ldb: n,
                  c: gw.storage.pointer, ldc: n)
            grads[1] = gw
        }
        if needs.count > 2 && needs[2] {
            grads[2] = g.sumKernel(axes: Array(0..<(g.rank - 1))).reshapedStorage([n])
        }
        return grads
    }
}
