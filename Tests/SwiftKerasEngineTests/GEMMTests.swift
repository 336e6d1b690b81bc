import Glibc
import Testing
@testable import SwiftKerasEngine

/// `sgemm` (the hand-written AVX-512 or AVX2 kernel, else OpenBLAS) against a plain
/// double-precision product, over transposes, padded leading dimensions, alpha/beta, sizes
/// at and around the kernels' tiles (8 x 48 rows and columns with AVX-512, 6 x 16 with AVX2),
/// sums over several cache blocks of K, and the two-thread split.
@Suite struct GEMMTests {
    struct Case { var transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float }

    static func reference(_ c: Case, a: [Float], lda: Int, b: [Float], ldb: Int, cIn: [Float], ldc: Int) -> [Float] {
        var out = cIn
        for i in 0..<c.m {
            for j in 0..<c.n {
                var sum = 0.0
                for p in 0..<c.k {
                    let x = c.transA ? a[p * lda + i] : a[i * lda + p]
                    let y = c.transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let old = c.beta == 0 ? 0 : Double(c.beta) * Double(cIn[i * ldc + j])
                out[i * ldc + j] = Float(Double(c.alpha) * sum + old)
            }
        }
        return out
    }

    static func maxRelativeError(_ c: Case) -> Float {
        var random = RandomGenerator(seed: UInt64(c.m * 1_000_003 + c.n * 1009 + c.k))
        let lda = (c.transA ? c.m : c.k) + 3, ldb = (c.transB ? c.k : c.n) + 1, ldc = c.n + 5
        let a = (0..<((c.transA ? c.k : c.m) * lda)).map { _ in random.nextUniform() - 0.5 }
        let b = (0..<((c.transB ? c.n : c.k) * ldb)).map { _ in random.nextUniform() - 0.5 }
        // NaN in C must not leak through when beta is 0 (BLAS semantics).
        let cIn = (0..<(c.m * ldc)).map { _ in c.beta == 0 ? Float.nan : random.nextUniform() }
        let expected = reference(c, a: a, lda: lda, b: b, ldb: ldb, cIn: cIn, ldc: ldc)
        var result = cIn
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { r in
                    sgemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                          a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                          beta: c.beta, c: r.baseAddress!, ldc: ldc)
                }
            }
        }
        var worst: Float = 0
        for i in 0..<c.m {
            for j in 0..<ldc {
                let (x, y) = (result[i * ldc + j], expected[i * ldc + j])
                if j >= c.n {
                    // Padding between rows is never written.
                    if !(x == y || (x.isNaN && y.isNaN)) { return .infinity }
                } else {
                    worst = max(worst, abs(x - y) / (1 + abs(y)))
                }
            }
        }
        return worst
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesReferenceAtTileEdges(transA: Bool, transB: Bool) {
        for m in [1, 5, 6, 7, 8, 9, 33] {
            for n in [1, 15, 16, 17, 48, 50, 64, 97, 256] {
                for k in [1, 5, 193] {
                    let c = Case(transA: transA, transB: transB, m: m, n: n, k: k,
                                 alpha: m % 2 == 0 ? 0.5 : 1, beta: [0, 1, -0.7][(n + k) % 3])
                    let error = Self.maxRelativeError(c)
                    #expect(error < 1e-5, "\(c): relative error \(error)")
                }
            }
        }
    }

    @Test func largeProductsSplitOverTwoThreads() {
        // Above the threading threshold, split by rows (m >= 32) or by columns.
        for c in [Case(transA: false, transB: false, m: 150, n: 90, k: 400, alpha: 1, beta: 0),
                  Case(transA: true, transB: false, m: 20, n: 200, k: 600, alpha: 1, beta: 1),
                  Case(transA: false, transB: true, m: 100, n: 3100, k: 8, alpha: 2, beta: 0)] {
            let error = Self.maxRelativeError(c)
            #expect(error < 1e-5, "\(c): relative error \(error)")
        }
    }

    @Test func longSumsRunInSeveralCacheBlocks() {
        // K well past one L1-sized block (a few hundred on any CPU), with uneven remainders.
        for c in [Case(transA: false, transB: false, m: 13, n: 50, k: 1_000, alpha: 1, beta: 1),
                  Case(transA: true, transB: true, m: 9, n: 17, k: 2_051, alpha: 0.5, beta: 0)] {
            let error = Self.maxRelativeError(c)
            #expect(error < 1e-5, "\(c): relative error \(error)")
        }
    }

    @Test func kernelPathAndCachesAreReported() {
        #expect(KernelPath.widestSupported.rawValue.isEmpty == false)
        let caches = CacheSizes.current
        #expect(caches.l1Data >= 8 << 10 && caches.l2 >= caches.l1Data, "\(caches)")
        #expect(caches.l3SharedBy >= 1)
        // A path forced through the environment is the one that runs, if the CPU has it.
        let order = KernelPath.allCases
        if let forced = getenv("SWIFTKERAS_KERNELS").flatMap({ KernelPath(rawValue: String(cString: $0)) }),
           order.firstIndex(of: forced)! >= order.firstIndex(of: KernelPath.widestSupported)! {
            #expect(KernelPath.current == forced)
        }
    }
}
