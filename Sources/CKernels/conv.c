// Direct (implicit-GEMM) convolution with an AVX-512 micro-kernel.
//
// A convolution is a GEMM whose A matrix is the im2col patch matrix; here its entries are
// read straight from the (padded) input instead: A(r, p) = base[row_offset[r] + k_offset[p]].
// For the forward pass a strip of rows is output pixels and p runs over the kernel taps
// (i, j, ch); for the kernel gradient the rows are taps and p runs over output pixels.
// B is read in place with a row stride (the kernel for the forward pass, dy for the
// gradient), its last vector masked. No patch matrix is ever written.

#include "CKernels.h"
#include "tile.h"

#include <immintrin.h>
#include <stdlib.h>

// Rows per strip: with three accumulator vectors per row, 7 rows keep the 21 accumulators,
// 3 B vectors and the broadcasts in registers (8 rows spill); narrower tiles take 8.
enum { MAX_ROWS = 8, THREE_VECTOR_ROWS = 7 };

static int strip_rows(int cols) { return cols > 32 ? THREE_VECTOR_ROWS : MAX_ROWS; }

// Filters per tile: 48 (three vectors) unless the filter count splits evenly into 32s only
// (64 filters as 32 + 32, not 48 + a poorly used 16).
static int strip_width(int f_count) { return f_count % 48 != 0 && f_count % 32 == 0 ? 32 : 48; }

// C tile (rows x cols, cols <= NV*16) = sum_p A(r, p) B(p, :) + beta * C.
#define CONV_KERNEL(NV, ROWS)                                                                        \
    __attribute__((target("avx512f"))) static void conv_kernel_##NV(                       \
        int kc, const float *base, const long *row_offset, const long *k_offset,                \
        const float *b, long b_stride, float *c, long ldc, int rows, int cols, float beta,       \
        int relu) {                                                                              \
        __m512 acc[ROWS][NV];                                                                    \
        long ro[ROWS];                                                                           \
        for (int r = 0; r < ROWS; r++) {                                                         \
            ro[r] = row_offset[r];                                                               \
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();                        \
        }                                                                                        \
        __mmask16 last = LAST_VECTOR_MASK(NV, cols);                                             \
        for (int p = 0; p < kc; p++) {                                                           \
            const float *a = base + k_offset[p];                                                 \
            const float *bp = b + p * b_stride;                                                  \
            __m512 bv[NV];                                                                       \
            for (int v = 0; v < NV - 1; v++) bv[v] = _mm512_loadu_ps(bp + v * 16);              \
            bv[NV - 1] = _mm512_maskz_loadu_ps(last, bp + (NV - 1) * 16);                        \
            for (int r = 0; r < ROWS; r++) {                                                     \
                __m512 av = _mm512_set1_ps(a[ro[r]]);                                            \
                for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);  \
            }                                                                                    \
        }                                                                                        \
        STORE_TILE(acc, NV, c, ldc, rows, last, 1.0f, beta, relu);                                     \
    }

CONV_KERNEL(1, MAX_ROWS)
CONV_KERNEL(2, MAX_ROWS)
CONV_KERNEL(3, THREE_VECTOR_ROWS)

static void conv_kernel(int kc, const float *base, const long *row_offset, const long *k_offset,
                        const float *b, long b_stride, float *c, long ldc, int rows, int cols, float beta,
                        int relu) {
    if (cols > 32) conv_kernel_3(kc, base, row_offset, k_offset, b, b_stride, c, ldc, rows, cols, beta, relu);
    else if (cols > 16) conv_kernel_2(kc, base, row_offset, k_offset, b, b_stride, c, ldc, rows, cols, beta, relu);
    else conv_kernel_1(kc, base, row_offset, k_offset, b, b_stride, c, ldc, rows, cols, beta, relu);
}

// Offsets in an image of each kernel tap (i, j, ch), in the weights' row order; a dilated
// kernel's taps lie dh rows and dw columns apart.
static long *tap_offsets(int kh, int kw, int c, int w, int dh, int dw) {
    long *offsets = malloc(sizeof(long) * kh * kw * c);
    long *o = offsets;
    for (int i = 0; i < kh; i++)
        for (int j = 0; j < kw; j++)
            for (int ch = 0; ch < c; ch++) *o++ = ((long)i * dh * w + (long)j * dw) * c + ch;
    return offsets;
}

// Offsets in an image of each output pixel's window origin, in output order.
static long *pixel_offsets(int oh, int ow, int c, int w, int sh, int sw) {
    long *offsets = malloc(sizeof(long) * oh * ow);
    long *o = offsets;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) *o++ = ((long)y * sh * w + (long)x * sw) * c;
    return offsets;
}

// One image as a GEMM over tables of offsets: C (row_count x f_count, row stride f_count) =
// beta * C + A · B, with A(r, p) = image[row_at[r] + k_at[p]] and B(p, f) = b[p * f_count + f].
static void image_gemm(const float *image, const long *row_at, int row_count, const long *k_at, int k_count,
                       const float *b, int f_count, float *c, float beta, int relu) {
    int width = strip_width(f_count);
    for (int f0 = 0; f0 < f_count; f0 += width) {
        int cols = f_count - f0 < width ? f_count - f0 : width, strip = strip_rows(cols);
        for (int i0 = 0; i0 < row_count; i0 += strip) {
            int rows = row_count - i0 < strip ? row_count - i0 : strip;
            // Rows past the last one repeat it (computed, never stored).
            long row_offset[MAX_ROWS];
            for (int r = 0; r < strip; r++) row_offset[r] = row_at[i0 + (r < rows ? r : rows - 1)];
            conv_kernel(k_count, image, row_offset, k_at, b + f0, f_count, c + (long)i0 * f_count + f0,
                        f_count, rows, cols, beta, relu);
        }
    }
}

void sk_conv2d_forward_avx512(const float *in, int images, int h, int w, int c,
                              const float *weights, int kh, int kw, int f_count, int sh, int sw,
                              int dh, int dw, int oh, int ow, float beta, bool relu, float *out) {
    int taps = kh * kw * c, pixels = oh * ow;
    long *taps_at = tap_offsets(kh, kw, c, w, dh, dw);
    long *pixels_at = pixel_offsets(oh, ow, c, w, sh, sw);
    // Rows are output pixels, the sum runs over kernel taps.
    for (int n = 0; n < images; n++)
        image_gemm(in + (long)n * h * w * c, pixels_at, pixels, taps_at, taps, weights, f_count,
                   out + (long)n * pixels * f_count, beta, relu);
    free(taps_at);
    free(pixels_at);
}

void sk_conv2d_kernel_grad_avx512(const float *in, int images, int h, int w, int c,
                                  const float *dy, int kh, int kw, int f_count, int sh, int sw,
                                  int dh, int dw, int oh, int ow, float *dk) {
    int taps = kh * kw * c, pixels = oh * ow;
    long *taps_at = tap_offsets(kh, kw, c, w, dh, dw);
    long *pixels_at = pixel_offsets(oh, ow, c, w, sh, sw);
    // Rows are kernel taps, the sum runs over output pixels; images accumulate into dw.
    for (int n = 0; n < images; n++)
        image_gemm(in + (long)n * h * w * c, taps_at, taps, pixels_at, pixels, dy + (long)n * pixels * f_count,
                   f_count, dk, 1.0f, 0);
    free(taps_at);
    free(pixels_at);
}
