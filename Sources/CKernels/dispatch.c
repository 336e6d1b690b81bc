// Which kernels this process runs, and the entry points that send each call to them.
//
// The path is chosen once: the widest instruction set the CPU has (AVX-512F, else AVX2 with
// FMA, else none: the Swift side then runs OpenBLAS, im2col and portable Swift), or the one
// SWIFTKERAS_KERNELS names (avx512, avx2 or portable) if the CPU has it, so that the tests
// can run every path on one machine.

#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sk_kernel_path path;
static pthread_once_t path_once = PTHREAD_ONCE_INIT;

static sk_kernel_path widest_supported(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return SK_PATH_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SK_PATH_AVX2;
    return SK_PATH_PORTABLE;
}

static void choose_path(void) {
    sk_kernel_path widest = widest_supported();
    path = widest;
    const char *asked = getenv("SWIFTKERAS_KERNELS");
    if (asked == NULL || *asked == 0) return;
    sk_kernel_path wanted;
    if (strcmp(asked, "avx512") == 0) wanted = SK_PATH_AVX512;
    else if (strcmp(asked, "avx2") == 0) wanted = SK_PATH_AVX2;
    else if (strcmp(asked, "portable") == 0) wanted = SK_PATH_PORTABLE;
    else {
        fprintf(stderr, "SwiftKeras: SWIFTKERAS_KERNELS=%s is not one of avx512, avx2, portable; using %s\n", asked,
                sk_kernel_path_name(widest));
        return;
    }
    if (wanted > widest) {
        fprintf(stderr, "SwiftKeras: SWIFTKERAS_KERNELS=%s, but this CPU lacks it; using %s\n", asked,
                sk_kernel_path_name(widest));
        return;
    }
    path = wanted;
}

sk_kernel_path sk_kernel_path_in_use(void) {
    pthread_once(&path_once, choose_path);
    return path;
}

sk_kernel_path sk_widest_kernel_path(void) { return widest_supported(); }

const char *sk_kernel_path_name(sk_kernel_path p) {
    switch (p) {
    case SK_PATH_AVX512: return "avx512";
    case SK_PATH_AVX2: return "avx2";
    default: return "portable";
    }
}

// The entry points: only ever called when the path is not the portable one.
#define DISPATCH(call_avx512, call_avx2)                                                         \
    do {                                                                                         \
        if (sk_kernel_path_in_use() == SK_PATH_AVX512) call_avx512;                              \
        else call_avx2;                                                                          \
    } while (0)

// The entry points that allocate return 0, or -1 when memory could not be had (nothing written).
#define DISPATCH_STATUS(call_avx512, call_avx2) \
    return sk_kernel_path_in_use() == SK_PATH_AVX512 ? call_avx512 : call_avx2

int sk_sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
             const float *b, int ldb, float beta, float *c, int ldc) {
    DISPATCH_STATUS(sgemm_avx512(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
                    sgemm_avx2(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
}

int sk_gemm_row_block(void) {
    switch (sk_kernel_path_in_use()) {
    case SK_PATH_AVX512: return gemm_row_block_avx512();
    case SK_PATH_AVX2: return gemm_row_block_avx2();
    default: return 8;
    }
}

int sk_conv2d_forward(const float *in, int images, int h, int w, int c, const float *weights, int kh, int kw,
                      int f_count, int sh, int sw, int dh, int dw, int oh, int ow, float beta, bool relu, float *out) {
    DISPATCH_STATUS(conv2d_forward_avx512(in, images, h, w, c, weights, kh, kw, f_count, sh, sw, dh, dw, oh, ow, beta, relu, out),
                    conv2d_forward_avx2(in, images, h, w, c, weights, kh, kw, f_count, sh, sw, dh, dw, oh, ow, beta, relu, out));
}

int sk_conv2d_kernel_grad(const float *in, int images, int h, int w, int c, const float *dy, int kh, int kw,
                          int f_count, int sh, int sw, int dh, int dw, int oh, int ow, float *dk) {
    DISPATCH_STATUS(conv2d_kernel_grad_avx512(in, images, h, w, c, dy, kh, kw, f_count, sh, sw, dh, dw, oh, ow, dk),
                    conv2d_kernel_grad_avx2(in, images, h, w, c, dy, kh, kw, f_count, sh, sw, dh, dw, oh, ow, dk));
}

void sk_sigmoid(float *values, int count) { DISPATCH(sigmoid_avx512(values, count), sigmoid_avx2(values, count)); }

void sk_tanh(float *values, int count) { DISPATCH(tanh_avx512(values, count), tanh_avx2(values, count)); }

void sk_max_pool_window(const float *in, long image_base, int in_width, int channels, int h0, int h1, int w0,
                        int w1, float *out, int32_t *winner) {
    DISPATCH(max_pool_window_avx512(in, image_base, in_width, channels, h0, h1, w0, w1, out, winner),
             max_pool_window_avx2(in, image_base, in_width, channels, h0, h1, w0, w1, out, winner));
}

void sk_bn_channel_sums(const float *a, const float *b, long rows, int channels, const float *shift_a,
                        const float *center, double *s1, double *s2) {
    DISPATCH(bn_channel_sums_avx512(a, b, rows, channels, shift_a, center, s1, s2),
             bn_channel_sums_avx2(a, b, rows, channels, shift_a, center, s1, s2));
}

void sk_bn_channel_affine(const float *x, long rows, int channels, const float *scale, const float *add,
                          const float *z, const float *z_scale, float *out) {
    DISPATCH(bn_channel_affine_avx512(x, rows, channels, scale, add, z, z_scale, out),
             bn_channel_affine_avx2(x, rows, channels, scale, add, z, z_scale, out));
}
