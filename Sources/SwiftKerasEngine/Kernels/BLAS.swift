import CKernels
import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C.
/// op(A) is m x k, op(B) is k x n; transposes are handled by the kernels, never materialized.
/// Large products run in chunks of C on the thread pool (`gemmChunking`).
func sgemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0 && n > 0 else { return }
    if k == 0 {
        if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    prepareOpenBLAS()
    /// The product for one block of C, on the calling thread.
    func run(rows: Range<Int>, columns: Range<Int>) {
        let aStart = transA ? rows.lowerBound : rows.lowerBound * lda
        let bStart = transB ? columns.lowerBound * ldb : columns.lowerBound
        let block = c + rows.lowerBound * ldc + columns.lowerBound
        // The hand kernel returns -1, writing nothing, when this thread's packing buffers
        // cannot be allocated: OpenBLAS then does the block.
        if usesHandKernels, sk_sgemm(
            transA, transB, Int32(rows.count), Int32(columns.count), Int32(k), alpha,
            a + aStart, Int32(lda), b + bStart, Int32(ldb), beta, block, Int32(ldc)) == 0 {
            return
        } else {
            cblas_sgemm(
                CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(rows.count), Int32(columns.count), Int32(k), alpha, a + aStart, Int32(lda),
                b + bStart, Int32(ldb), beta, block, Int32(ldc))
        }
    }
    guard let (chunking, byRows) = gemmChunking(transA: transA, transB: transB, m: m, n: n, k: k) else {
        run(rows: 0..<m, columns: 0..<n)
        return
    }
    parallelFor(chunking) { range, _ in
        if byRows { run(rows: range, columns: 0..<n) } else { run(rows: 0..<m, columns: range) }
    }
}

/// Throws unless every size fits the 32-bit ints that the GEMM kernels and BLAS take: the ops
/// check their matrix sizes on entry, before any work (a dimension above Int32.max would trap
/// in the conversion).
func checkMatrixSizes(_ sizes: [Int], op: String) throws {
    for size in sizes { _ = try int32(size, "a matrix dimension", op: op) }
}

/// How a product is cut into blocks of C for the thread pool, from its shape alone; nil
/// when it is too small to split. Each block is a GEMM of its own, which packs (copies into
/// strips) the operands it does not read in place: blocks of rows each read all of B, in
/// place unless B is transposed or the block has more than 64 rows; blocks of columns each
/// read all of A, in place unless A is transposed. So an untransposed B splits by rows, in
/// blocks of at least 64 rows (fewer would stream B from memory once per few rows), and a
/// transposed B by columns (in whole 48-column strips of the micro-kernel, or 16 for a
/// product of a few rows) when that gives as many blocks. Blocks of rows are whole strips of
/// the micro-kernel (`gemmRowBlock`: 8 rows with AVX-512, 6 with AVX2), so that no block
/// ends in a short strip the unsplit product would not have.
func gemmChunking(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) -> (Chunking, byRows: Bool)? {
    guard m * n * k >= 2 * Chunking.defaultMinimumCost else { return nil }
    let rows = Chunking(items: m, costPerItem: n * k, minimumCost: Swift.max(Chunking.defaultMinimumCost, 64 * n * k), multiple: gemmRowBlock)
    let columns = Chunking(items: n, costPerItem: m * k, multiple: m < 8 ? 16 : 48)
    let preferRows = !transB && m >= 128
    if !preferRows && columns.count > 1 && columns.count >= rows.count { return (columns, false) }
    if rows.count > 1 { return (rows, true) }
    return columns.count > 1 ? (columns, false) : nil
}
