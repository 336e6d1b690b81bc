// Declarations shared inside CKernels (not part of its module interface).
#ifndef SWIFTKERAS_CKERNELS_INTERNAL_H
#define SWIFTKERAS_CKERNELS_INTERNAL_H

#include "CKernels.h"

/// Block sizes of a packed GEMM (the BLIS loop order) for a micro-kernel of mr x nr, fitted
/// to this CPU's caches (see cache.c): a kc x nr panel of B stays in L1 beside the mr x kc
/// strips of A streaming past, an mc x kc block of A stays in L2, a kc x nc block of B in
/// this core's share of L3.
typedef struct {
    int kc, mc, nc;
} sk_blocking;

sk_blocking sk_blocking_for(int mr, int nr);

/// The number of blocks of at most `block` that `k` splits into, as even as whole
/// multiples of `granule` allow: the size of each block but the last.
int sk_even_block(int k, int block, int granule);

#define SK_DECLARE_KERNELS(isa)                                                                   \
    int sgemm_##isa(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, \
                    int lda, const float *b, int ldb, float beta, float *c, int ldc);            \
    int conv2d_forward_##isa(const float *in, int images, int h, int w, int c, const float *weights, \
                              int kh, int kw, int f_count, int sh, int sw, int dh, int dw, int oh, int ow, \
                              float beta, bool relu, float *out);                                 \
    int conv2d_kernel_grad_##isa(const float *in, int images, int h, int w, int c, const float *dy, \
                                  int kh, int kw, int f_count, int sh, int sw, int dh, int dw, int oh, int ow, \
                                  float *dk);                                                     \
    void sigmoid_##isa(float *values, int count);                                                 \
    void tanh_##isa(float *values, int count);                                                    \
    void max_pool_window_##isa(const float *in, long image_base, int in_width, int channels, int h0, \
                               int h1, int w0, int w1, float *out, int32_t *winner);              \
    void bn_channel_sums_##isa(const float *a, const float *b, long rows, int channels, const float *shift_a, \
                               const float *center, double *s1, double *s2);                      \
    void bn_channel_affine_##isa(const float *x, long rows, int channels, const float *scale,       \
                                 const float *add, const float *z, const float *z_scale, float *out); \
    int gemm_row_block_##isa(void);

SK_DECLARE_KERNELS(avx512)
SK_DECLARE_KERNELS(avx2)

#endif
