// Max pooling over one window with AVX-512: 16 channels at a time, masked at the end.

#include "CKernels.h"

#include <immintrin.h>

__attribute__((target("avx512f"))) void sk_max_pool_window_avx512(
    const float *in, long image_base, int in_width, int channels, int h0, int h1, int w0, int w1,
    float *out, int32_t *winner) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int ch = 0; ch < channels; ch += 16) {
        __mmask16 mask = channels - ch >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (channels - ch)) - 1);
        long first = image_base + ((long)h0 * in_width + w0) * channels + ch;
        __m512 best = _mm512_maskz_loadu_ps(mask, in + first);
        __m512i best_index = _mm512_add_epi32(lane, _mm512_set1_epi32((int)first));
        for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
                long at = image_base + ((long)h * in_width + w) * channels + ch;
                __m512 cell = _mm512_maskz_loadu_ps(mask, in + at);
                // Strictly greater (ordered): ties keep the first cell, NaN never replaces.
                __mmask16 larger = _mm512_cmp_ps_mask(cell, best, _CMP_GT_OQ);
                best = _mm512_mask_blend_ps(larger, best, cell);
                if (winner)
                    best_index = _mm512_mask_blend_epi32(larger, best_index, _mm512_add_epi32(lane, _mm512_set1_epi32((int)at)));
            }
        }
        _mm512_mask_storeu_ps(out + ch, mask, best);
        if (winner) _mm512_mask_storeu_epi32(winner + ch, mask, best_index);
    }
}
