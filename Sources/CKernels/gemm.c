// A packed GEMM with an AVX-512 micro-kernel (the BLIS loop order).
//
// OpenBLAS on these machines runs its AVX2 kernels (the environment pins its core type),
// which halves the throughput of CPUs with full-width AVX-512. This kernel is compiled for
// AVX-512 through function attributes and chosen at run time, so one binary still runs on
// CPUs without it (the Swift side then calls OpenBLAS).
//
// Blocking: a K x N block of B is packed into strips of up to 48 columns (three vectors);
// an M x K block of A into strips of 8 rows. The micro-kernel keeps an 8 x 48 tile of C in
// 24 registers while it streams one A strip and one B strip.

#include "CKernels.h"
#include "tile.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

enum { MR = 8, NR = 48, KC = 192, MC = 144, NC = 3072 };

bool sk_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

// Per-thread packing buffers, allocated at full size on a thread's first GEMM and kept for
// the thread's lifetime.
static _Thread_local float *packed_a = NULL;
static _Thread_local float *packed_b = NULL;

static float *packing_buffer(float **buffer, size_t count) {
    if (*buffer == NULL) *buffer = aligned_alloc(64, count * sizeof(float));
    return *buffer;
}

// Packs rows [i0, i0+mc) x columns [p0, p0+kc) of op(A) as strips of MR rows:
// strip s holds, for each p, the MR values A(i0+s*MR+r, p0+p) (zero past row m).
static void pack_a(bool trans, const float *a, int lda, int i0, int mc, int p0, int kc, float *out) {
    for (int s = 0; s < mc; s += MR) {
        int rows = mc - s < MR ? mc - s : MR;
        float *dst = out + (size_t)s * kc;
        if (trans) {
            // A(i, p) = a[p * lda + i]: each p contributes `rows` contiguous values.
            for (int p = 0; p < kc; p++) {
                const float *src = a + (size_t)(p0 + p) * lda + i0 + s;
                if (rows == MR) {
                    memcpy(dst + p * MR, src, MR * sizeof(float));
                } else {
                    for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[r] : 0;
                }
            }
        } else {
            for (int r = 0; r < MR; r++) {
                if (r < rows) {
                    const float *src = a + (size_t)(i0 + s + r) * lda + p0;
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
                } else {
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = 0;
                }
            }
        }
    }
}

// Packs rows [p0, p0+kc) x columns [j0, j0+nc) of op(B) as strips of NR columns (the last
// strip rounded up to whole vectors of 16 and zero-filled): the strip of columns from t
// starts at out + t * kc and holds, for each p, `width` values B(p0+p, j0+t+j).
static void pack_b(bool trans, const float *b, int ldb, int p0, int kc, int j0, int nc, float *out) {
    for (int t = 0; t < nc; t += NR) {
        int cols = nc - t < NR ? nc - t : NR;
        int width = (cols + 15) & ~15;
        float *dst = out + (size_t)t * kc;
        if (trans) {
            // B(p, j) = b[j * ldb + p]
            for (int j = 0; j < width; j++) {
                if (j < cols) {
                    const float *src = b + (size_t)(j0 + t + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) dst[p * width + j] = src[p];
                } else {
                    for (int p = 0; p < kc; p++) dst[p * width + j] = 0;
                }
            }
        } else {
            for (int p = 0; p < kc; p++) {
                const float *src = b + (size_t)(p0 + p) * ldb + j0 + t;
                memcpy(dst + p * width, src, cols * sizeof(float));
                for (int j = cols; j < width; j++) dst[p * width + j] = 0;
            }
        }
    }
}

// C tile (rows x cols, cols <= NV*16) = alpha * A strip * B strip + beta * C. The A strip is
// read at ap[r * row_stride + p * k_stride] (packed strips, or rows of A in place), the B
// strip at bp[p * b_stride + j] (packed, or rows of B in place; the last vector masked).
#define KERNEL(NV)                                                                              \
    __attribute__((target("avx512f"))) static void kernel_##NV(                                \
        int kc, const float *ap, long row_stride, long k_stride, const float *bp, long b_stride, \
        float *c, int ldc, int rows, int cols, float alpha, float beta) {                       \
        __m512 acc[MR][NV];                                                                     \
        for (int r = 0; r < MR; r++)                                                            \
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();                       \
        __mmask16 last = LAST_VECTOR_MASK(NV, cols);                                            \
        for (int p = 0; p < kc; p++) {                                                          \
            __m512 bv[NV];                                                                      \
            for (int v = 0; v < NV - 1; v++) bv[v] = _mm512_loadu_ps(bp + p * b_stride + v * 16); \
            bv[NV - 1] = _mm512_maskz_loadu_ps(last, bp + p * b_stride + (NV - 1) * 16);        \
            for (int r = 0; r < MR; r++) {                                                      \
                __m512 av = _mm512_set1_ps(ap[r * row_stride + p * k_stride]);                  \
                for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]); \
            }                                                                                   \
        }                                                                                       \
        STORE_TILE(acc, NV, c, ldc, rows, last, alpha, beta, 0);                                   \
    }

KERNEL(1)
KERNEL(2)
KERNEL(3)

// One row of C (cols <= 48): for products with a few rows only (a batch of one through Dense),
// where the 8-row kernel would spend most of its multiplies on padding. Even and odd p go to
// separate accumulators so that six FMA chains are in flight instead of three.
__attribute__((target("avx512f"))) static void row_kernel(
    int kc, const float *ap, long k_stride, const float *bp, long b_stride, float *c,
    int cols, float alpha, float beta) {
    __m512 even[3], odd[3];
    for (int v = 0; v < 3; v++) even[v] = odd[v] = _mm512_setzero_ps();
    __mmask16 masks[3];
    for (int v = 0; v < 3; v++) {
        int left = cols - v * 16;
        masks[v] = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
    }
    int p = 0;
    for (; p + 1 < kc; p += 2) {
        __m512 a0 = _mm512_set1_ps(ap[p * k_stride]), a1 = _mm512_set1_ps(ap[(p + 1) * k_stride]);
        for (int v = 0; v < 3; v++) {
            even[v] = _mm512_fmadd_ps(a0, _mm512_maskz_loadu_ps(masks[v], bp + p * b_stride + v * 16), even[v]);
            odd[v] = _mm512_fmadd_ps(a1, _mm512_maskz_loadu_ps(masks[v], bp + (p + 1) * b_stride + v * 16), odd[v]);
        }
    }
    if (p < kc) {
        __m512 a0 = _mm512_set1_ps(ap[p * k_stride]);
        for (int v = 0; v < 3; v++)
            even[v] = _mm512_fmadd_ps(a0, _mm512_maskz_loadu_ps(masks[v], bp + p * b_stride + v * 16), even[v]);
    }
    __m512 acc[1][3];
    for (int v = 0; v < 3; v++) acc[0][v] = _mm512_add_ps(even[v], odd[v]);
    if (cols > 32) STORE_TILE(acc, 3, c, 0, 1, masks[2], alpha, beta, 0);
    else if (cols > 16) STORE_TILE(acc, 2, c, 0, 1, masks[1], alpha, beta, 0);
    else STORE_TILE(acc, 1, c, 0, 1, masks[0], alpha, beta, 0);
}

void sk_sgemm_avx512(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc) {
    float *pa = packing_buffer(&packed_a, (size_t)MC * KC);
    float *pb = packing_buffer(&packed_b, (size_t)KC * NC);
    // Whole strips of an untransposed A are read in place: packing them would cost as much
    // as the multiply when N is one or two strips wide (so are the rows of an edge strip
    // short enough for the one-row kernel). With few rows of A, each B strip is used a few
    // times only: B is read in place too.
    bool a_in_place = !trans_a, b_in_place = !trans_b && m <= 8 * MR;
    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = k - p0 < KC ? k - p0 : KC;
            float block_beta = p0 == 0 ? beta : 1.0f;
            if (!b_in_place) pack_b(trans_b, b, ldb, p0, kc, j0, nc, pb);
            for (int i0 = 0; i0 < m; i0 += MC) {
                int mc = m - i0 < MC ? m - i0 : MC;
                if (!a_in_place || mc % MR >= 4) pack_a(trans_a, a, lda, i0, mc, p0, kc, pa);
                for (int t = 0; t < nc; t += NR) {
                    int cols = nc - t < NR ? nc - t : NR;
                    int width = (cols + 15) & ~15;
                    const float *bp = pb + (size_t)t * kc;
                    long b_stride = width;
                    if (b_in_place) {
                        bp = b + (size_t)p0 * ldb + j0 + t;
                        b_stride = ldb;
                    }
                    for (int s = 0; s < mc; s += MR) {
                        int rows = mc - s < MR ? mc - s : MR;
                        float *tile = c + (size_t)(i0 + s) * ldc + j0 + t;
                        const float *ap = pa + (size_t)s * kc;
                        long row_stride = 1, k_stride = MR;
                        if (a_in_place && (rows == MR || rows < 4)) {
                            ap = a + (size_t)(i0 + s) * lda + p0;
                            row_stride = lda;
                            k_stride = 1;
                        }
                        if (rows < 4) {
                            for (int r = 0; r < rows; r++)
                                row_kernel(kc, ap + r * row_stride, k_stride, bp, b_stride,
                                           tile + (size_t)r * ldc, cols, alpha, block_beta);
                        } else if (cols > 32) kernel_3(kc, ap, row_stride, k_stride, bp, b_stride, tile, ldc, rows, cols, alpha, block_beta);
                        else if (cols > 16) kernel_2(kc, ap, row_stride, k_stride, bp, b_stride, tile, ldc, rows, cols, alpha, block_beta);
                        else kernel_1(kc, ap, row_stride, k_stride, bp, b_stride, tile, ldc, rows, cols, alpha, block_beta);
                    }
                }
            }
        }
    }
}
