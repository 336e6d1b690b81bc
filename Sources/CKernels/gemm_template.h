// A packed GEMM (the BLIS loop order), compiled once per instruction set (see vector.h).
//
// A K x N block of B is packed into strips of up to NR columns; an M x K block of A into
// strips of MR rows. The micro-kernel keeps an MR x NR tile of C in registers while it
// streams one A strip and one B strip: 8 x 48 (24 of the 32 registers) with AVX-512,
// 6 x 16 (12 of the 16) with AVX2. The block sizes come from this CPU's caches at run time
// (sk_blocking_for in cache.c), not from constants.

#include "tile.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if SK_VECTOR_BITS == 512
#define MR 8
#define NV_MAX 3
#else
#define MR 6
#define NV_MAX 2
#endif
#define NR (NV_MAX * VL)

static sk_blocking gemm_blocking;
static pthread_once_t gemm_blocking_once = PTHREAD_ONCE_INIT;
static void find_gemm_blocking(void) { gemm_blocking = sk_blocking_for(MR, NR); }

int SK_NAME(gemm_row_block)(void) { return MR; }

// Per-thread packing buffers, allocated at full size on a thread's first GEMM, kept while
// the thread lives and freed when it ends (the destructor of a thread-specific key).
typedef struct {
    float *a, *b;
} packing_buffers;
static _Thread_local packing_buffers packing = {NULL, NULL};
static pthread_key_t packing_key;
static pthread_once_t packing_key_once = PTHREAD_ONCE_INIT;

static void free_packing(void *buffers) {
    packing_buffers *p = buffers;
    free(p->a);
    free(p->b);
    p->a = p->b = NULL;
}

static void make_packing_key(void) { pthread_key_create(&packing_key, free_packing); }

static float *aligned_floats(size_t count) { return aligned_alloc(64, (count * sizeof(float) + 63) & ~(size_t)63); }

// Whether this thread has both buffers (false when memory cannot be had).
static bool packing_ready(size_t a_count, size_t b_count) {
    if (packing.a && packing.b) return true;
    pthread_once(&packing_key_once, make_packing_key);
    if (!packing.a) packing.a = aligned_floats(a_count);
    if (!packing.b) packing.b = aligned_floats(b_count);
    if (packing.a || packing.b) pthread_setspecific(packing_key, &packing);
    return packing.a && packing.b;
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
// strip rounded up to whole vectors and zero-filled): the strip of columns from t starts at
// out + t * kc and holds, for each p, `width` values B(p0+p, j0+t+j).
static void pack_b(bool trans, const float *b, int ldb, int p0, int kc, int j0, int nc, float *out) {
    for (int t = 0; t < nc; t += NR) {
        int cols = nc - t < NR ? nc - t : NR;
        int width = (cols + VL - 1) / VL * VL;
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

// The multiply-adds of one tile, with the last B vector loaded by LOAD_LAST.
#define GEMM_LOOP(NV, LOAD_LAST)                                                                \
    for (int p = 0; p < kc; p++) {                                                              \
        const float *bp_ = bp + p * b_stride;                                                   \
        vec bv[NV];                                                                             \
        for (int v = 0; v < NV - 1; v++) bv[v] = v_load(bp_ + v * VL);                          \
        bv[NV - 1] = LOAD_LAST;                                                                 \
        for (int r = 0; r < MR; r++) {                                                          \
            vec av = v_set1(ap[r * row_stride + p * k_stride]);                                 \
            for (int v = 0; v < NV; v++) acc[r][v] = v_fmadd(av, bv[v], acc[r][v]);             \
        }                                                                                       \
    }

// C tile (rows x cols, cols <= NV*VL) = alpha * A strip * B strip + beta * C. The A strip is
// read at ap[r * row_stride + p * k_stride] (packed strips, or rows of A in place), the B
// strip at bp[p * b_stride + j] (packed and zero-padded to whole vectors, or rows of B in
// place with the last vector masked).
#define GEMM_KERNEL(NV)                                                                         \
    __attribute__((noinline)) static void gemm_kernel_##NV(int kc, const float *ap, long row_stride, long k_stride,       \
                                 const float *bp, long b_stride, bool b_padded, float *c, int ldc, \
                                 int rows, int cols, float alpha, float beta) {                 \
        vec acc[MR][NV];                                                                        \
        for (int r = 0; r < MR; r++)                                                            \
            for (int v = 0; v < NV; v++) acc[r][v] = v_zero();                                  \
        if (b_padded || cols == NV * VL) {                                                      \
            GEMM_LOOP(NV, v_load(bp_ + (NV - 1) * VL))                                          \
        } else {                                                                                \
            vmask last = v_mask_first(cols - (NV - 1) * VL);                                    \
            GEMM_LOOP(NV, v_load_masked(last, bp_ + (NV - 1) * VL))                             \
        }                                                                                       \
        STORE_TILE(acc, NV, c, ldc, rows, cols, alpha, beta, 0);                                \
    }

GEMM_KERNEL(1)
GEMM_KERNEL(2)
#if NV_MAX >= 3
GEMM_KERNEL(3)
#endif

static void gemm_kernel(int kc, const float *ap, long row_stride, long k_stride, const float *bp,
                        long b_stride, bool b_padded, float *c, int ldc, int rows, int cols, float alpha,
                        float beta) {
#if NV_MAX >= 3
    if (cols > 2 * VL) {
        gemm_kernel_3(kc, ap, row_stride, k_stride, bp, b_stride, b_padded, c, ldc, rows, cols, alpha, beta);
        return;
    }
#endif
    if (cols > VL) gemm_kernel_2(kc, ap, row_stride, k_stride, bp, b_stride, b_padded, c, ldc, rows, cols, alpha, beta);
    else gemm_kernel_1(kc, ap, row_stride, k_stride, bp, b_stride, b_padded, c, ldc, rows, cols, alpha, beta);
}

// One row of C (cols <= NR): for products with a few rows only (a batch of one through Dense),
// where the MR-row kernel would spend most of its multiplies on padding. Even and odd p go to
// separate accumulators so that twice as many FMA chains are in flight.
__attribute__((noinline)) static void row_kernel(int kc, const float *ap, long k_stride, const float *bp, long b_stride, float *c,
                       int cols, float alpha, float beta) {
    vec even[NV_MAX], odd[NV_MAX];
    vmask masks[NV_MAX];
    for (int v = 0; v < NV_MAX; v++) {
        even[v] = odd[v] = v_zero();
        masks[v] = v_mask_first(cols - v * VL);
    }
    int p = 0;
    for (; p + 1 < kc; p += 2) {
        vec a0 = v_set1(ap[p * k_stride]), a1 = v_set1(ap[(p + 1) * k_stride]);
        for (int v = 0; v < NV_MAX; v++) {
            even[v] = v_fmadd(a0, v_load_masked(masks[v], bp + p * b_stride + v * VL), even[v]);
            odd[v] = v_fmadd(a1, v_load_masked(masks[v], bp + (p + 1) * b_stride + v * VL), odd[v]);
        }
    }
    if (p < kc) {
        vec a0 = v_set1(ap[p * k_stride]);
        for (int v = 0; v < NV_MAX; v++)
            even[v] = v_fmadd(a0, v_load_masked(masks[v], bp + p * b_stride + v * VL), even[v]);
    }
    vec acc[1][NV_MAX];
    for (int v = 0; v < NV_MAX; v++) acc[0][v] = v_add(even[v], odd[v]);
#if NV_MAX >= 3
    if (cols > 2 * VL) { STORE_TILE(acc, 3, c, 0, 1, cols, alpha, beta, 0); return; }
#endif
    if (cols > VL) STORE_TILE(acc, 2, c, 0, 1, cols, alpha, beta, 0);
    else STORE_TILE(acc, 1, c, 0, 1, cols, alpha, beta, 0);
}

int SK_NAME(sgemm)(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc) {
    pthread_once(&gemm_blocking_once, find_gemm_blocking);
    const int KC = gemm_blocking.kc, MC = gemm_blocking.mc, NC = gemm_blocking.nc;
    if (!packing_ready((size_t)MC * KC, (size_t)KC * NC)) return -1;
    float *pa = packing.a, *pb = packing.b;
    // K in blocks as even as the granule allows (k = 193 with KC = 96 is 72 + 72 + 49, not
    // 96 + 96 + 1); the split depends on k alone, so every thread count sums alike.
    const int k_block = sk_even_block(k, KC, 8);
    // Whole strips of an untransposed A are read in place: packing them would cost as much
    // as the multiply when N is one or two strips wide (so are the rows of an edge strip
    // short enough for the one-row kernel). With few rows of A, each B strip is used a few
    // times only: B is read in place too.
    bool a_in_place = !trans_a, b_in_place = !trans_b && m <= 8 * MR;
    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        for (int p0 = 0; p0 < k; p0 += k_block) {
            int kc = k - p0 < k_block ? k - p0 : k_block;
            float block_beta = p0 == 0 ? beta : 1.0f;
            if (!b_in_place) pack_b(trans_b, b, ldb, p0, kc, j0, nc, pb);
            for (int i0 = 0; i0 < m; i0 += MC) {
                int mc = m - i0 < MC ? m - i0 : MC;
                if (!a_in_place || mc % MR >= 4) pack_a(trans_a, a, lda, i0, mc, p0, kc, pa);
                for (int t = 0; t < nc; t += NR) {
                    int cols = nc - t < NR ? nc - t : NR;
                    int width = (cols + VL - 1) / VL * VL;
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
                                row_kernel(kc, ap + r * row_stride, k_stride, bp, b_stride, tile + (size_t)r * ldc,
                                           cols, alpha, block_beta);
                        } else {
                            gemm_kernel(kc, ap, row_stride, k_stride, bp, b_stride, !b_in_place, tile, ldc, rows,
                                        cols, alpha, block_beta);
                        }
                    }
                }
            }
        }
    }
    return 0;
}
