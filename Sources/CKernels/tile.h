// The micro-kernels' shared epilogue (private to CKernels).
#ifndef SWIFTKERAS_TILE_H
#define SWIFTKERAS_TILE_H

#include <immintrin.h>

// Mask of the valid lanes of the last of NV vectors covering `cols` columns.
#define LAST_VECTOR_MASK(NV, cols)                                                              \
    ((cols) - ((NV) - 1) * 16 >= 16 ? (__mmask16)0xFFFF                                          \
                                    : (__mmask16)((1u << ((cols) - ((NV) - 1) * 16)) - 1))

// Writes rows x cols of the accumulators acc[ROWS][NV] to c (row stride ldc) as
// alpha * acc + beta * c, then max(·, 0) if `relu`; c is not read when beta is 0 (BLAS
// semantics: NaN there is ignored). vmaxps returns its second operand (+0) for NaN and -0,
// the same values as the ReLU op's `x > 0 ? x : 0`.
#define STORE_TILE(acc, NV, c, ldc, rows, last, alpha, beta, relu)                               \
    do {                                                                                         \
        __m512 va_ = _mm512_set1_ps(alpha), vb_ = _mm512_set1_ps(beta);                          \
        for (int r_ = 0; r_ < (rows); r_++) {                                                    \
            float *row_ = (c) + (long)r_ * (ldc);                                                \
            for (int v_ = 0; v_ < (NV); v_++) {                                                  \
                __mmask16 mask_ = v_ == (NV) - 1 ? (last) : (__mmask16)0xFFFF;                   \
                __m512 out_ = _mm512_mul_ps(va_, acc[r_][v_]);                                   \
                if ((beta) != 0)                                                                 \
                    out_ = _mm512_fmadd_ps(vb_, _mm512_maskz_loadu_ps(mask_, row_ + v_ * 16), out_); \
                if (relu) out_ = _mm512_max_ps(out_, _mm512_setzero_ps());                       \
                _mm512_mask_storeu_ps(row_ + v_ * 16, mask_, out_);                              \
            }                                                                                    \
        }                                                                                        \
    } while (0)

#endif
