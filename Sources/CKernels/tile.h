// The micro-kernels' shared epilogue (included after vector.h; private to CKernels).
#ifndef SWIFTKERAS_TILE_H
#define SWIFTKERAS_TILE_H

// Writes rows x cols of the accumulators acc[..][NV] (cols <= NV * VL) to c (row stride ldc)
// as alpha * acc + beta * c, then max(·, 0) if `relu`; c is not read when beta is 0 (BLAS
// semantics: NaN there is ignored). vmaxps returns its second operand (+0) for NaN and -0,
// the same values as the ReLU op's `x > 0 ? x : 0`. Only a partial last vector is masked
// (masked stores are slow on some CPUs).
#define STORE_TILE(acc, NV, c, ldc, rows, cols, alpha, beta, relu)                               \
    do {                                                                                         \
        vec va_ = v_set1(alpha), vb_ = v_set1(beta);                                             \
        int partial_ = (cols) != (NV) * VL;                                                      \
        vmask last_ = v_mask_first((cols) - ((NV) - 1) * VL);                                    \
        for (int r_ = 0; r_ < (rows); r_++) {                                                    \
            float *row_ = (c) + (long)r_ * (ldc);                                                \
            for (int v_ = 0; v_ < (NV); v_++) {                                                  \
                vec out_ = (alpha) == 1.0f ? acc[r_][v_] : v_mul(va_, acc[r_][v_]);              \
                if (partial_ && v_ == (NV) - 1) {                                                \
                    if ((beta) != 0) out_ = v_fmadd(vb_, v_load_masked(last_, row_ + v_ * VL), out_); \
                    if (relu) out_ = v_max(out_, v_zero());                                      \
                    v_store_masked(last_, row_ + v_ * VL, out_);                                 \
                } else {                                                                         \
                    if ((beta) != 0) out_ = v_fmadd(vb_, v_load(row_ + v_ * VL), out_);          \
                    if (relu) out_ = v_max(out_, v_zero());                                      \
                    v_store(row_ + v_ * VL, out_);                                               \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    } while (0)

#endif
