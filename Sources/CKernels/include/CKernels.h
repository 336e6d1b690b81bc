#ifndef SWIFTKERAS_CKERNELS_H
#define SWIFTKERAS_CKERNELS_H

#include <stdbool.h>

/// Whether this CPU runs the AVX-512 kernels (checked once, at run time).
bool sk_has_avx512(void);

/// Row-major single-precision GEMM on the calling thread, AVX-512 only:
/// C = alpha * op(A) * op(B) + beta * C, op(A) m x k, op(B) k x n.
/// Call only when sk_has_avx512() is true.
void sk_sgemm_avx512(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc);

#endif
