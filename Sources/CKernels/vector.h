// One vector instruction set's operations under common names, so that each kernel is
// written once (the *_template.h files) and compiled per instruction set: avx512.c defines
// SK_VECTOR_BITS 512 (AVX-512F, 16 lanes), avx2.c defines 256 (AVX2 + FMA, 8 lanes).
// Private to CKernels. Every function after this header carries the instruction set's
// target attribute (the pragma below), so the package needs no compiler flags and one
// binary runs on any x86-64 CPU: dispatch.c calls a set's functions only where the CPU has it.
#ifndef SWIFTKERAS_VECTOR_H
#define SWIFTKERAS_VECTOR_H

#include <immintrin.h>
#include <stdint.h>

#define SK_PASTE2(a, b) a##_##b
#define SK_PASTE(a, b) SK_PASTE2(a, b)

#if SK_VECTOR_BITS == 512

#define SK_ISA avx512
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)

enum { VL = 16 };
typedef __m512 vec;
typedef __m512i veci;
/// Which lanes an operation touches (loads read zeros elsewhere).
typedef __mmask16 vmask;

static inline vmask v_mask_first(int n) {
    return n >= 16 ? (vmask)0xFFFF : n <= 0 ? (vmask)0 : (vmask)((1u << n) - 1);
}
static inline vec v_zero(void) { return _mm512_setzero_ps(); }
static inline vec v_set1(float x) { return _mm512_set1_ps(x); }
static inline vec v_load(const float *p) { return _mm512_loadu_ps(p); }
static inline vec v_load_masked(vmask m, const float *p) { return _mm512_maskz_loadu_ps(m, p); }
static inline void v_store(float *p, vec v) { _mm512_storeu_ps(p, v); }
static inline void v_store_masked(vmask m, float *p, vec v) { _mm512_mask_storeu_ps(p, m, v); }
static inline vec v_fmadd(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
static inline vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
static inline vec v_sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
static inline vec v_mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
static inline vec v_div(vec a, vec b) { return _mm512_div_ps(a, b); }
// vmaxps / vminps return their second operand when either is NaN (or both are zeros).
static inline vec v_max(vec a, vec b) { return _mm512_max_ps(a, b); }
static inline vec v_min(vec a, vec b) { return _mm512_min_ps(a, b); }
static inline vec v_xor_bits(vec a, int32_t bits) {
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32(bits)));
}
static inline vec v_and_bits(vec a, int32_t bits) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(bits)));
}
/// a with its sign flipped in the lanes where `where` < 0.
static inline vec v_negate_where_negative(vec a, vec where) {
    __mmask16 negative = _mm512_cmp_ps_mask(where, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_castsi512_ps(_mm512_mask_xor_epi32(_mm512_castps_si512(a), negative, _mm512_castps_si512(a),
                                                     _mm512_set1_epi32((int)0x80000000)));
}
/// 2^n for the integer n that `shifted` = n + 1.5 * 2^23 holds in its low mantissa bits.
static inline vec v_exp2_of_shifted(vec shifted) {
    __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(exponent, _mm512_set1_epi32(127)), 23));
}
/// Lanes where a > b (ordered: false where either is NaN).
static inline vmask v_greater(vec a, vec b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
/// b in the lanes of `m`, a elsewhere.
static inline vec v_select(vmask m, vec a, vec b) { return _mm512_mask_blend_ps(m, a, b); }
static inline veci vi_lanes_from(int32_t first) {
    return _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32(first));
}
static inline veci vi_select(vmask m, veci a, veci b) { return _mm512_mask_blend_epi32(m, a, b); }
static inline void vi_store_masked(vmask m, int32_t *p, veci v) { _mm512_mask_storeu_epi32(p, m, v); }

#elif SK_VECTOR_BITS == 256

#define SK_ISA avx2
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

enum { VL = 8 };
typedef __m256 vec;
typedef __m256i veci;
/// Which lanes an operation touches: all-ones 32-bit lanes (loads read zeros elsewhere).
typedef __m256i vmask;

static inline vmask v_mask_first(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vec v_zero(void) { return _mm256_setzero_ps(); }
static inline vec v_set1(float x) { return _mm256_set1_ps(x); }
static inline vec v_load(const float *p) { return _mm256_loadu_ps(p); }
static inline vec v_load_masked(vmask m, const float *p) { return _mm256_maskload_ps(p, m); }
static inline void v_store(float *p, vec v) { _mm256_storeu_ps(p, v); }
static inline void v_store_masked(vmask m, float *p, vec v) { _mm256_maskstore_ps(p, m, v); }
static inline vec v_fmadd(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
static inline vec v_sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
static inline vec v_mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
static inline vec v_div(vec a, vec b) { return _mm256_div_ps(a, b); }
// vmaxps / vminps return their second operand when either is NaN (or both are zeros).
static inline vec v_max(vec a, vec b) { return _mm256_max_ps(a, b); }
static inline vec v_min(vec a, vec b) { return _mm256_min_ps(a, b); }
static inline vec v_xor_bits(vec a, int32_t bits) {
    return _mm256_castsi256_ps(_mm256_xor_si256(_mm256_castps_si256(a), _mm256_set1_epi32(bits)));
}
static inline vec v_and_bits(vec a, int32_t bits) {
    return _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32(bits)));
}
/// a with its sign flipped in the lanes where `where` < 0.
static inline vec v_negate_where_negative(vec a, vec where) {
    __m256 negative = _mm256_cmp_ps(where, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_xor_ps(a, _mm256_and_ps(negative, _mm256_set1_ps(-0.0f)));
}
/// 2^n for the integer n that `shifted` = n + 1.5 * 2^23 holds in its low mantissa bits.
static inline vec v_exp2_of_shifted(vec shifted) {
    __m256i exponent = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(exponent, _mm256_set1_epi32(127)), 23));
}
/// Lanes where a > b (ordered: false where either is NaN).
static inline vmask v_greater(vec a, vec b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
/// b in the lanes of `m`, a elsewhere.
static inline vec v_select(vmask m, vec a, vec b) { return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(m)); }
static inline veci vi_lanes_from(int32_t first) {
    return _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(first));
}
static inline veci vi_select(vmask m, veci a, veci b) {
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), _mm256_castsi256_ps(m)));
}
static inline void vi_store_masked(vmask m, int32_t *p, veci v) { _mm256_maskstore_epi32(p, m, v); }

#else
#error "define SK_VECTOR_BITS as 512 or 256 before including vector.h"
#endif

/// This instruction set's variant of a kernel: SK_NAME(sgemm) is sgemm_avx512 or sgemm_avx2.
#define SK_NAME(name) SK_PASTE(name, SK_ISA)

#endif
