#ifndef SWIFTKERAS_CKERNELS_H
#define SWIFTKERAS_CKERNELS_H

#include <stdbool.h>
#include <stdint.h>

/// The number of CPUs this process may run on (its affinity mask, as sched_getaffinity
/// reports it), or 0 when the mask cannot be read.
int sk_affinity_cpu_count(void);

/// How deep the calling thread is inside chunks of the thread pool (0 outside): a parallel
/// loop started from inside a chunk runs on the calling thread alone.
int sk_parallel_depth(void);
void sk_set_parallel_depth(int depth);

/// A spin-wait hint to the CPU (the `pause` instruction on x86).
static inline void sk_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// The kernels a process runs, from the widest instruction set down.
typedef enum {
    /// None of these kernels: OpenBLAS, im2col and portable Swift.
    SK_PATH_PORTABLE = 0,
    /// AVX2 with FMA, 8 lanes.
    SK_PATH_AVX2 = 1,
    /// AVX-512F, 16 lanes.
    SK_PATH_AVX512 = 2,
} sk_kernel_path;

/// The path this process runs (chosen once): the widest the CPU has, or the one the
/// environment variable SWIFTKERAS_KERNELS names (avx512, avx2, portable) if the CPU has it.
sk_kernel_path sk_kernel_path_in_use(void);
/// The widest path this CPU has.
sk_kernel_path sk_widest_kernel_path(void);
/// "avx512", "avx2" or "portable".
const char *sk_kernel_path_name(sk_kernel_path path);

typedef enum {
    SK_CACHES_FROM_SYS = 0,
    SK_CACHES_FROM_CPUID = 1,
    SK_CACHES_FROM_SYSCONF = 2,
    SK_CACHES_ASSUMED = 3,
} sk_cache_source;

/// The cache sizes (bytes) the kernels are blocked for, read once at run time.
typedef struct {
    long l1d, l2, l3;
    /// How many logical CPUs share the L3.
    int l3_sharing;
    /// Associativity of each (8, 8 and 16 where it is not reported).
    int l1d_ways, l2_ways, l3_ways;
    sk_cache_source source;
} sk_cache_sizes;

sk_cache_sizes sk_caches(void);

// The kernels below run on the calling thread and only when sk_kernel_path_in_use() is not
// SK_PATH_PORTABLE. Each works on the part of the problem it is given (rows or columns of C,
// images of a batch), so callers split work over threads as they choose.

/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, op(A) m x k,
/// op(B) k x n. Each element's sum runs in an order fixed by k (and the CPU's caches): a
/// split of C over threads at multiples of sk_gemm_row_block() rows, or at any column, gives
/// the same bits. Returns 0, or -1 (C untouched) when the thread's packing buffers cannot
/// be allocated; they are freed when the thread ends.
int sk_sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
             const float *b, int ldb, float beta, float *c, int ldc);

/// The micro-kernel's rows (8 with AVX-512, 6 with AVX2).
int sk_gemm_row_block(void);

/// Direct convolution of channels-last images:
/// out[n,y,x,f] = beta * out[n,y,x,f] + sum over (i,j,ch) of
///     in[n, y*sh+i*dh, x*sw+j*dw, ch] * weights[((i*kw + j)*c + ch)*f_count + f],
/// then max(·, 0) if `relu`, for y < oh, x < ow (dh, dw: the dilations, 1 for a plain
/// convolution). `in` is (images, h, w, c) and already padded: every window is inside.
/// kh * kw * c and oh * ow must fit in an int. Returns 0, or -1 (out untouched) when its
/// offset tables cannot be allocated.
int sk_conv2d_forward(const float *in, int images, int h, int w, int c, const float *weights, int kh, int kw,
                      int f_count, int sh, int sw, int dh, int dw, int oh, int ow, float beta, bool relu, float *out);

/// The kernel gradient of that convolution, added into `dk` ((kh*kw*c) x f_count):
/// dk[(i,j,ch), f] += sum over (n,y,x) of in[n, y*sh+i*dh, x*sw+j*dw, ch] * dy[n,y,x,f].
/// Returns 0, or -1 (dk untouched) as sk_conv2d_forward.
int sk_conv2d_kernel_grad(const float *in, int images, int h, int w, int c, const float *dy, int kh, int kw,
                          int f_count, int sh, int sw, int dh, int dw, int oh, int ow, float *dk);

/// In place: values[i] = 1 / (1 + exp(-values[i])); the same bits as fastSigmoid in
/// SwiftKerasEngine.
void sk_sigmoid(float *values, int count);

/// In place: values[i] = tanh(values[i]); the same bits as fastTanh.
void sk_tanh(float *values, int count);

/// Max pooling of one window: for each of `channels` channels, the maximum of
/// in[image_base + (h * in_width + w) * channels + ch] over h0 <= h < h1, w0 <= w < w1 into
/// out[ch], and the flat index of the first cell holding it into winner[ch] (unless winner
/// is NULL: inference needs no indices).
void sk_max_pool_window(const float *in, long image_base, int in_width, int channels, int h0, int h1, int w0,
                        int w1, float *out, int32_t *winner);

/// Batch normalization's sums over `rows` rows of `channels` contiguous values: with
/// u = a - shift_a (shift_a NULL: u = a), adds sum(u) into s1[ch] and sum(u * (b - center))
/// into s2[ch]. Each channel is summed row after row in floats, in blocks of 64 rows from the
/// first, each block added into the double total: the order of the portable Swift loop, so
/// every path gives the same bits. (Moments: a = b = x, shift_a = center = a shift; the
/// backward pass: a = dy, b = x, center = the mean.)
void sk_bn_channel_sums(const float *a, const float *b, long rows, int channels, const float *shift_a,
                        const float *center, double *s1, double *s2);

/// out = x * scale[ch] + add[ch] over `rows` rows of `channels` values, or, with z,
/// (x * scale[ch] + z_scale[ch] * z) + add[ch] (no fused multiply-adds: the bits of Swift's loop).
void sk_bn_channel_affine(const float *x, long rows, int channels, const float *scale, const float *add,
                          const float *z, const float *z_scale, float *out);

#endif
