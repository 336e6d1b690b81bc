// Direct (implicit-GEMM) convolution, compiled once per instruction set (see vector.h).
//
// A convolution is a GEMM whose A matrix is the im2col patch matrix; here its entries are
// read straight from the (padded) input instead: A(r, p) = base[row_offset[r] + k_offset[p]].
// For the forward pass a strip of rows is output pixels and p runs over the kernel taps
// (i, j, ch); for the kernel gradient the rows are taps and p runs over output pixels.
// B is read in place with a row stride (the kernel for the forward pass, dy for the
// gradient), its last vector masked. No patch matrix is ever written.
//
// Each strip of rows streams a whole panel of B (p x the tile's filters). When that panel
// fits in half of this CPU's L2 the sum over p runs in one piece: the FMAs of a strip take
// longer than its B loads from L2 (on a Zen 4, blocking the 800-deep panel of LeNet's second
// convolution for L1 instead cost 6 %, every partial sum going through memory). Where L2 is
// too small for the panel, p runs in blocks whose panel fits.

#include "tile.h"

#include <pthread.h>
#include <stdlib.h>

// Rows per strip: as many as keep the accumulators, the B vectors and a broadcast in
// registers. AVX-512 (32 registers): 7 rows of three vectors, 8 of one or two. AVX2 (16):
// 6 rows of two vectors, 8 of one.
#if SK_VECTOR_BITS == 512
#define CONV_NV_MAX 3
#define CONV_WIDE_ROWS 7
#else
#define CONV_NV_MAX 2
#define CONV_WIDE_ROWS 6
#endif
#define CONV_MAX_ROWS 8

static int conv_strip_rows(int cols) { return cols > (CONV_NV_MAX - 1) * VL ? CONV_WIDE_ROWS : CONV_MAX_ROWS; }

// Filters per tile: the widest tile, unless the filter count splits evenly into tiles one
// vector narrower only (64 filters as 32 + 32 with AVX-512, not 48 + a poorly used 16).
static int conv_strip_width(int f_count) {
    int wide = CONV_NV_MAX * VL, narrower = (CONV_NV_MAX - 1) * VL;
    return CONV_NV_MAX > 2 && f_count % wide != 0 && f_count % narrower == 0 ? narrower : wide;
}

static int conv_k_block;
static pthread_once_t conv_k_block_once = PTHREAD_ONCE_INIT;
static void find_conv_k_block(void) {
    long depth = sk_caches().l2 / 2 / (CONV_NV_MAX * VL * (long)sizeof(float));
    conv_k_block = depth < 64 ? 64 : depth > (1 << 20) ? (1 << 20) : (int)(depth / 8 * 8);
}

#define CONV_LOOP(NV, ROWS, LOAD_LAST)                                                                  \
    for (int p = 0; p < kc; p++) {                                                               \
        const float *a = base + k_offset[p];                                                     \
        const float *bp = b + p * b_stride;                                                      \
        vec bv[NV];                                                                              \
        for (int v = 0; v < NV - 1; v++) bv[v] = v_load(bp + v * VL);                            \
        bv[NV - 1] = LOAD_LAST;                                                                  \
        for (int r = 0; r < ROWS; r++) {                                                         \
            vec av = v_set1(a[ro[r]]);                                                           \
            for (int v = 0; v < NV; v++) acc[r][v] = v_fmadd(av, bv[v], acc[r][v]);              \
        }                                                                                        \
    }

// C tile (rows x cols, cols <= NV*VL) = sum_p A(r, p) B(p, :) + beta * C, then ReLU if `relu`.
#define CONV_KERNEL(NV, ROWS)                                                                    \
    __attribute__((noinline)) static void conv_kernel_##NV(int kc, const float *base, const long *row_offset, const long *k_offset, \
                                 const float *b, long b_stride, float *c, long ldc, int rows, int cols, \
                                 float beta, int relu) {                                         \
        vec acc[ROWS][NV];                                                                       \
        long ro[ROWS];                                                                           \
        for (int r = 0; r < ROWS; r++) {                                                         \
            ro[r] = row_offset[r];                                                               \
            for (int v = 0; v < NV; v++) acc[r][v] = v_zero();                                   \
        }                                                                                        \
        if (cols == NV * VL) {                                                                   \
            CONV_LOOP(NV, ROWS, v_load(bp + (NV - 1) * VL))                                            \
        } else {                                                                                 \
            vmask last = v_mask_first(cols - (NV - 1) * VL);                                     \
            CONV_LOOP(NV, ROWS, v_load_masked(last, bp + (NV - 1) * VL))                               \
        }                                                                                        \
        STORE_TILE(acc, NV, c, ldc, rows, cols, 1.0f, beta, relu);                               \
    }

#if CONV_NV_MAX == 3
CONV_KERNEL(1, CONV_MAX_ROWS)
CONV_KERNEL(2, CONV_MAX_ROWS)
CONV_KERNEL(3, CONV_WIDE_ROWS)
#else
CONV_KERNEL(1, CONV_MAX_ROWS)
CONV_KERNEL(2, CONV_WIDE_ROWS)
#endif

static void conv_kernel(int kc, const float *base, const long *row_offset, const long *k_offset, const float *b,
                        long b_stride, float *c, long ldc, int rows, int cols, float beta, int relu) {
#if CONV_NV_MAX == 3
    if (cols > 2 * VL) {
        conv_kernel_3(kc, base, row_offset, k_offset, b, b_stride, c, ldc, rows, cols, beta, relu);
        return;
    }
#endif
    if (cols > VL) conv_kernel_2(kc, base, row_offset, k_offset, b, b_stride, c, ldc, rows, cols, beta, relu);
    else conv_kernel_1(kc, base, row_offset, k_offset, b, b_stride, c, ldc, rows, cols, beta, relu);
}

// Offsets in an image of each kernel tap (i, j, ch), in the weights' row order; a dilated
// kernel's taps lie dh rows and dw columns apart.
static long *tap_offsets(int kh, int kw, int c, int w, int dh, int dw) {
    long *offsets = malloc(sizeof(long) * (size_t)kh * kw * c);
    if (offsets == NULL) return NULL;
    long *o = offsets;
    for (int i = 0; i < kh; i++)
        for (int j = 0; j < kw; j++)
            for (int ch = 0; ch < c; ch++) *o++ = ((long)i * dh * w + (long)j * dw) * c + ch;
    return offsets;
}

// Offsets in an image of each output pixel's window origin, in output order.
static long *pixel_offsets(int oh, int ow, int c, int w, int sh, int sw) {
    long *offsets = malloc(sizeof(long) * (size_t)oh * ow);
    if (offsets == NULL) return NULL;
    long *o = offsets;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) *o++ = ((long)y * sh * w + (long)x * sw) * c;
    return offsets;
}

// One image as a GEMM over tables of offsets: C (row_count x f_count, row stride f_count) =
// beta * C + A · B, then ReLU if `relu`, with A(r, p) = image[row_at[r] + k_at[p]] and
// B(p, f) = b[p * f_count + f]. The sum over p runs in blocks; only the first reads C with
// `beta`, only the last applies the ReLU.
static void image_gemm(const float *image, const long *row_at, int row_count, const long *k_at, int k_count,
                       const float *b, int f_count, float *c, float beta, int relu) {
    pthread_once(&conv_k_block_once, find_conv_k_block);
    int width = conv_strip_width(f_count);
    int k_block = sk_even_block(k_count, conv_k_block, 8);
    for (int f0 = 0; f0 < f_count; f0 += width) {
        int cols = f_count - f0 < width ? f_count - f0 : width, strip = conv_strip_rows(cols);
        for (int p0 = 0; p0 < k_count; p0 += k_block) {
            int kc = k_count - p0 < k_block ? k_count - p0 : k_block;
            float block_beta = p0 == 0 ? beta : 1.0f;
            int block_relu = relu && p0 + kc == k_count;
            for (int i0 = 0; i0 < row_count; i0 += strip) {
                int rows = row_count - i0 < strip ? row_count - i0 : strip;
                // Rows past the last one repeat it (computed, never stored).
                long row_offset[CONV_MAX_ROWS];
                for (int r = 0; r < strip; r++) row_offset[r] = row_at[i0 + (r < rows ? r : rows - 1)];
                conv_kernel(kc, image, row_offset, k_at + p0, b + (long)p0 * f_count + f0, f_count,
                            c + (long)i0 * f_count + f0, f_count, rows, cols, block_beta, block_relu);
            }
        }
    }
}

int SK_NAME(conv2d_forward)(const float *in, int images, int h, int w, int c, const float *weights, int kh,
                             int kw, int f_count, int sh, int sw, int dh, int dw, int oh, int ow, float beta,
                             bool relu, float *out) {
    int taps = kh * kw * c, pixels = oh * ow;
    long *taps_at = tap_offsets(kh, kw, c, w, dh, dw);
    long *pixels_at = pixel_offsets(oh, ow, c, w, sh, sw);
    if (taps_at == NULL || pixels_at == NULL) {
        free(taps_at);
        free(pixels_at);
        return -1;
    }
    // Rows are output pixels, the sum runs over kernel taps.
    for (int n = 0; n < images; n++)
        image_gemm(in + (long)n * h * w * c, pixels_at, pixels, taps_at, taps, weights, f_count,
                   out + (long)n * pixels * f_count, beta, relu);
    free(taps_at);
    free(pixels_at);
    return 0;
}

int SK_NAME(conv2d_kernel_grad)(const float *in, int images, int h, int w, int c, const float *dy, int kh,
                                 int kw, int f_count, int sh, int sw, int dh, int dw, int oh, int ow, float *dk) {
    int taps = kh * kw * c, pixels = oh * ow;
    long *taps_at = tap_offsets(kh, kw, c, w, dh, dw);
    long *pixels_at = pixel_offsets(oh, ow, c, w, sh, sw);
    if (taps_at == NULL || pixels_at == NULL) {
        free(taps_at);
        free(pixels_at);
        return -1;
    }
    // Rows are kernel taps, the sum runs over output pixels; images accumulate into dw.
    for (int n = 0; n < images; n++)
        image_gemm(in + (long)n * h * w * c, taps_at, taps, pixels_at, pixels, dy + (long)n * pixels * f_count,
                   f_count, dk, 1.0f, 0);
    free(taps_at);
    free(pixels_at);
    return 0;
}
