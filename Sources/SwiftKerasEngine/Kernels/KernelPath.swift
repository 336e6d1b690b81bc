import CKernels

/// The kernels this process runs for GEMMs, convolutions, max pooling and the recurrent
/// gates' activations, chosen once at start-up from the CPU (and `SWIFTKERAS_KERNELS`).
///
/// - `avx512`, `avx2`: the hand-written kernels of CKernels for that instruction set, blocked
///   for the caches this CPU reports. OpenBLAS is often pinned to its AVX2 kernels
///   (`OPENBLAS_CORETYPE`), which halves the throughput of CPUs with full-width AVX-512, and
///   its GEMM plus im2col loses to a direct convolution on the layers' small shapes.
/// - `portable`: OpenBLAS's `cblas_sgemm`, im2col convolutions and portable Swift loops, for
///   CPUs with neither instruction set.
///
/// `SWIFTKERAS_KERNELS=avx512|avx2|portable` forces a path the CPU has (the tests run each);
/// asking for one it lacks keeps the widest it has, with a message on stderr.
public enum KernelPath: String, Sendable, CaseIterable {
    case avx512, avx2, portable

    /// The path this process runs.
    public static let current: KernelPath = KernelPath(sk_kernel_path_in_use())

    /// The widest path this CPU has.
    public static var widestSupported: KernelPath { KernelPath(sk_widest_kernel_path()) }

    init(_ path: sk_kernel_path) {
        switch path {
        case SK_PATH_AVX512: self = .avx512
        case SK_PATH_AVX2: self = .avx2
        default: self = .portable
        }
    }
}

/// The cache sizes (bytes) the hand-written kernels are blocked for, as the CPU reports them
/// (Linux's /sys/devices/system/cpu, else the CPU's own descriptors, else sysconf).
public struct CacheSizes: Sendable, Equatable {
    public let l1Data: Int, l2: Int, l3: Int
    /// Logical CPUs sharing the L3.
    public let l3SharedBy: Int
    /// Where the sizes came from: "sysfs", "cpuid", "sysconf" or "assumed".
    public let source: String

    public static let current: CacheSizes = {
        let c = sk_caches()
        let source = switch c.source {
        case SK_CACHES_FROM_SYS: "sysfs"
        case SK_CACHES_FROM_CPUID: "cpuid"
        case SK_CACHES_FROM_SYSCONF: "sysconf"
        default: "assumed"
        }
        return CacheSizes(l1Data: c.l1d, l2: c.l2, l3: c.l3, l3SharedBy: Int(c.l3_sharing), source: source)
    }()
}

/// Whether the hand-written kernels run (else the portable path).
let usesHandKernels = KernelPath.current != .portable

/// Rows of C a GEMM split must keep together (the micro-kernel's strip height), so that a
/// split sums every element as the whole product would.
let gemmRowBlock = Int(sk_gemm_row_block())
