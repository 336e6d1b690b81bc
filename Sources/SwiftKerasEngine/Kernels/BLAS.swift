import CKernels
import COpenBLAS
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C.
/// op(A) is m x k, op(B) is k x n; transposes are handled by the kernels, never materialized.
/// Large products are split in two halves of C over two threads unless `BLASThreads` is 1.
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
    guard usesHandKernels else {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        return
    }
    func run(rows: Range<Int>, columns: Range<Int>) {
        let aStart = transA ? rows.lowerBound : rows.lowerBound * lda
        let bStart = transB ? columns.lowerBound * ldb : columns.lowerBound
        sk_sgemm(
            transA, transB, Int32(rows.count), Int32(columns.count), Int32(k), alpha,
            a + aStart, Int32(lda), b + bStart, Int32(ldb), beta,
            c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
    }
    guard m * n * k >= multiplyAddsWorthTwoThreads && BLASThreads.current > 1 && (m >= 32 || n >= 32) else {
        run(rows: 0..<m, columns: 0..<n)
        return
    }
    // Halves of C: by rows in whole strips of the micro-kernel (so that every row is summed
    // as it would be unsplit), or by columns in whole 16-wide vectors.
    let byRows = m >= 32
    let extent = byRows ? m : n, step = byRows ? gemmRowBlock : 16
    let cut = (extent / 2 + step - 1) / step * step
    WorkerPair.shared.run { part in
        let range = part == 0 ? 0..<cut : cut..<extent
        if byRows { run(rows: range, columns: 0..<n) } else { run(rows: 0..<m, columns: range) }
    }
}

/// Number of threads a GEMM may use: 1 or 2 (the hand-written kernels split in two halves at
/// most), starting from OpenBLAS's own setting (OPENBLAS_NUM_THREADS). On the hand-written paths
/// OpenBLAS itself is left at one thread: its idle workers spin on the second core after
/// every change of its thread count and slowed batch-1 prediction by 30 %.
public enum BLASThreads {
    private static let count: Atomic<Int> = {
        let initial = Int(openblas_get_num_threads())
        if usesHandKernels { openblas_set_num_threads(1) }
        return Atomic(initial)
    }()

    public static func set(_ threads: Int) {
        count.store(max(1, threads), ordering: .relaxed)
        if !usesHandKernels { openblas_set_num_threads(Int32(max(1, threads))) }
    }

    public static var current: Int { count.load(ordering: .relaxed) }

    /// Runs `body` with single-threaded GEMMs (for code that runs its own threads).
    static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        let previous = current
        guard previous > 1 else { return try body() }
        set(1)
        defer { set(previous) }
        return try body()
    }
}
