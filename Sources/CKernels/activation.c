// Sigmoid and tanh over arrays with AVX-512, for the recurrent cells' gates.
//
// The arithmetic is, operation for operation, that of fastExp / fastSigmoid / fastTanh in
// SwiftKerasEngine/Kernels/FastMath.swift (contraction into FMAs is turned off), so both
// paths give the same bits; only the width differs (16 lanes here, 4 in portable Swift).

#include "CKernels.h"

#include <immintrin.h>

#pragma clang fp contract(off)

__attribute__((target("avx512f"))) static inline __m512 fast_exp(__m512 value) {
    // Bound first: vmaxps/vminps return their second operand when one is NaN, so NaN stays NaN.
    __m512 x = _mm512_min_ps(_mm512_set1_ps(88.72f), _mm512_max_ps(_mm512_set1_ps(-87.33f), value));
    __m512 magic = _mm512_set1_ps(12582912.0f);
    __m512 shifted = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), magic);
    __m512 n = _mm512_sub_ps(shifted, magic);
    __m512 r = _mm512_add_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f))),
                             _mm512_mul_ps(n, _mm512_set1_ps(2.1219444e-4f)));
    __m512 p = _mm512_set1_ps(1.98756915e-4f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.39819995e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.16657959e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.66666655e-1f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.00000012e-1f));
    __m512 poly = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), _mm512_set1_ps(1.0f));
    __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
    __m512i scale = _mm512_slli_epi32(_mm512_add_epi32(exponent, _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(poly, _mm512_castsi512_ps(scale));
}

__attribute__((target("avx512f"))) void sk_sigmoid_avx512(float *values, int count) {
    __m512 one = _mm512_set1_ps(1.0f);
    for (int i = 0; i < count; i += 16) {
        __mmask16 mask = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(mask, values + i);
        __m512 negated = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000)));
        __m512 e = fast_exp(negated);
        _mm512_mask_storeu_ps(values + i, mask, _mm512_div_ps(one, _mm512_add_ps(one, e)));
    }
}

__attribute__((target("avx512f"))) void sk_tanh_avx512(float *values, int count) {
    __m512 one = _mm512_set1_ps(1.0f);
    for (int i = 0; i < count; i += 16) {
        __mmask16 mask = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(mask, values + i);
        __m512 magnitude = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7FFFFFFF)));
        __m512 e = fast_exp(_mm512_mul_ps(_mm512_set1_ps(-2.0f), magnitude));
        __m512 t = _mm512_div_ps(_mm512_sub_ps(one, e), _mm512_add_ps(one, e));
        // -t (a sign flip) where x < 0; a negative zero input keeps +0, as in Swift.
        __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
        __m512i flipped = _mm512_mask_xor_epi32(_mm512_castps_si512(t), negative, _mm512_castps_si512(t),
                                                _mm512_set1_epi32((int)0x80000000));
        t = _mm512_castsi512_ps(flipped);
        _mm512_mask_storeu_ps(values + i, mask, t);
    }
}
