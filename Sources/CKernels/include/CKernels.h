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

/// Whether this CPU runs the AVX-512 kernels (SwiftKerasEngine asks once, at run time).
bool sk_has_avx512(void);

/// Row-major single-precision GEMM on the calling thread, AVX-512 only:
/// C = alpha * op(A) * op(B) + beta * C, op(A) m x k, op(B) k x n.
/// Call only when sk_has_avx512() is true.
void sk_sgemm_avx512(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc);

/// Direct convolution of channels-last images, AVX-512 only, on the calling thread:
/// out[n,y,x,f] = beta * out[n,y,x,f] + sum over (i,j,ch) of
///     in[n, y*sh+i*dh, x*sw+j*dw, ch] * weights[((i*kw + j)*c + ch)*f_count + f],
/// then max(·, 0) if `relu`, for y < oh, x < ow (dh, dw: the dilations, 1 for a plain
/// convolution). `in` is (images, h, w, c) and already padded: every window is inside.
void sk_conv2d_forward_avx512(const float *in, int images, int h, int w, int c,
                              const float *weights, int kh, int kw, int f_count, int sh, int sw,
                              int dh, int dw, int oh, int ow, float beta, bool relu, float *out);

/// The kernel gradient of that convolution, added into `dk` ((kh*kw*c) x f_count):
/// dk[(i,j,ch), f] += sum over (n,y,x) of in[n, y*sh+i*dh, x*sw+j*dw, ch] * dy[n,y,x,f].
void sk_conv2d_kernel_grad_avx512(const float *in, int images, int h, int w, int c,
                                  const float *dy, int kh, int kw, int f_count, int sh, int sw,
                                  int dh, int dw, int oh, int ow, float *dk);

/// In place: values[i] = 1 / (1 + exp(-values[i])), AVX-512 only; the same bits as
/// fastSigmoid in SwiftKerasEngine.
void sk_sigmoid_avx512(float *values, int count);

/// In place: values[i] = tanh(values[i]), AVX-512 only; the same bits as fastTanh.
void sk_tanh_avx512(float *values, int count);

/// Max pooling of one window, AVX-512 only: for each of `channels` channels, the maximum of
/// in[image_base + (h * in_width + w) * channels + ch] over h0 <= h < h1, w0 <= w < w1 into
/// out[ch], and the flat index of the first cell holding it into winner[ch] (unless winner
/// is NULL: inference needs no indices).
void sk_max_pool_window_avx512(const float *in, long image_base, int in_width, int channels,
                               int h0, int h1, int w0, int w1, float *out, int32_t *winner);

#endif
