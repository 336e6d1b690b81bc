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

/// A batch of matrix products: for each i, `op(a[i]) · op(b[i])`, where op transposes the
/// last two axes when asked. `a` is (batch, m, k), or (batch, k, m) with `transposeA`; `b` is
/// (batch, k, n), or (batch, n, k) with `transposeB`; the result is (batch, m, n). Attention's
/// scores (queries · keysᵀ) and its weighted sums (scores · values) are such products.
public func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
    guard a.rank == 3, b.rank == 3, a.shape[0] == b.shape[0] else {
        throw TensorError.shapeMismatch(
            op: "batched_matmul", message: "expected two rank-3 tensors with the same batch size, received \(shapeString(a.shape)) and \(shapeString(b.shape))")
    }
    let batch = a.shape[0]
    let (m, k) = transposeA ? (a.shape[2], a.shape[1]) : (a.shape[1], a.shape[2])
    let (kb, n) = transposeB ? (b.shape[2], b.shape[1]) : (b.shape[1], b.shape[2])
    guard k == kb else {
        throw TensorError.shapeMismatch(
            op: "batched_matmul",
            message: "cannot multiply \(shapeString(a.shape))\(transposeA ? "ᵀ" : "") by \(shapeString(b.shape))\(transposeB ? "ᵀ" : "") (inner sizes \(k) and \(kb))")
    }
    try checkMatrixSizes([m, n, k], op: "batched_matmul")
    let out = Tensor(uninitializedShape: [batch, m, n])
    batchedGEMM(transA: transposeA, transB: transposeB, batch: batch, m: m, n: n, k: k,
                a: a.storage.pointer, b: b.storage.pointer, c: out.storage.pointer)
    let ad = a.detached, bd = b.detached
    return Tensor.record("batched_matmul", out, inputs: [a, b]) { g, needs in
        var grads: [Tensor?] = [nil, nil]
        let pg = g.storage.pointer, pa = ad.storage.pointer, pb = bd.storage.pointer
        if needs[0] {
            // C = op(A)·op(B): dA = g·op(B)ᵀ, or (g·op(B)ᵀ)ᵀ = op(B)·gᵀ when A is stored transposed.
            let ga = Tensor(uninitializedShape: ad.shape)
            if transposeA {
                // (k, m) = op(B) (k, n) · gᵀ (n, m)
                batchedGEMM(transA: transposeB, transB: true, batch: batch, m: k, n: m, k: n, a: pb, b: pg, c: ga.storage.pointer)
            } else {
                // (m, k) = g (m, n) · op(B)ᵀ (n, k)
                batchedGEMM(transA: false, transB: !transposeB, batch: batch, m: m, n: k, k: n, a: pg, b: pb, c: ga.storage.pointer)
            }
            grads[0] = ga
        }
        if needs[1] {
            // dB = op(A)ᵀ·g, or gᵀ·op(A) when B is stored transposed.
            let gb = Tensor(uninitializedShape: bd.shape)
            if transposeB {
                // (n, k) = gᵀ (n, m) · op(A) (m, k)
                batchedGEMM(transA: true, transB: transposeA, batch: batch, m: n, n: k, k: m, a: pg, b: pa, c: gb.storage.pointer)
            } else {
                // (k, n) = op(A)ᵀ (k, m) · g (m, n)
                batchedGEMM(transA: !transposeA, transB: false, batch: batch, m: k, n: n, k: m, a: pa, b: pg, c: gb.storage.pointer)
            }
            grads[1] = gb
        }
        return grads
    }
}

/// `batch` row-major GEMMs C[i] = op(A[i]) · op(B[i]) over contiguous (m, k)/(k, m),
/// (k, n)/(n, k) and (m, n) matrices. Small products run whole batches per thread-pool chunk;
/// a large one splits itself inside `sgemm` (a loop started inside a chunk runs serially).
func batchedGEMM(transA: Bool, transB: Bool, batch: Int, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
    let (sa, sb, sc) = (m * k, k * n, m * n)
    let (lda, ldb) = (transA ? m : k, transB ? k : n)
    func product(_ i: Int) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a + i * sa, lda: lda, b: b + i * sb, ldb: ldb,
              c: c + i * sc, ldc: n)
    }
    if m * n * k >= 2 * Chunking.defaultMinimumCost {
        for i in 0..<batch { product(i) }
        return
    }
    parallelFor(Chunking(items: batch, costPerItem: m * n * Swift.max(k, 1))) { range, _ in
        for i in range { product(i) }
    }
}
