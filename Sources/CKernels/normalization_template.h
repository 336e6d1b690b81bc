// Batch normalization's per-channel passes over channels-last rows (rows of `channels`
// contiguous values), vectorized over the channels, compiled once per instruction set (see
// vector.h). Each call handles one chunk of rows; the Swift side (Ops/Normalization.swift)
// cuts the rows into chunks and adds the chunks' sums in chunk order.
//
// The summation order is that of the portable Swift loops, whatever the vector width: each
// channel's values are added row after row into a float, in blocks of SK_BN_BLOCK_ROWS rows
// from the chunk's first row, and each block's float is added into the double total. Lanes
// are channels, so the width never changes which values meet; contraction is off in the
// including file, so every path gives the same bits.

enum { SK_BN_BLOCK_ROWS = 64, SK_BN_GROUP = 4 };

/// `groups` vectors of channels from `ch` (the last one masked), one block of rows: the
/// float sums of u = a - shift_a and of u * (b - center), added into s1 and s2.
static inline __attribute__((always_inline)) void SK_NAME(bn_sums_group)(
    int groups, const float *a, const float *b, long first, long end, int channels, int ch,
    const float *shift_a, const float *center, double *s1, double *s2) {
    vec acc1[SK_BN_GROUP], acc2[SK_BN_GROUP], sa[SK_BN_GROUP], cb[SK_BN_GROUP];
    vmask mask[SK_BN_GROUP];
    for (int k = 0; k < groups; k++) {
        mask[k] = v_mask_first(channels - ch - k * VL);
        acc1[k] = v_zero();
        acc2[k] = v_zero();
        sa[k] = shift_a ? v_load_masked(mask[k], shift_a + ch + k * VL) : v_zero();
        cb[k] = v_load_masked(mask[k], center + ch + k * VL);
    }
    for (long r = first; r < end; r++) {
        const float *ar = a + r * channels + ch, *br = b + r * channels + ch;
        for (int k = 0; k < groups; k++) {
            vec u = v_sub(v_load_masked(mask[k], ar + k * VL), sa[k]);
            vec d = v_sub(v_load_masked(mask[k], br + k * VL), cb[k]);
            acc1[k] = v_add(acc1[k], u);
            acc2[k] = v_add(acc2[k], v_mul(u, d));
        }
    }
    float t1[SK_BN_GROUP * VL], t2[SK_BN_GROUP * VL];
    for (int k = 0; k < groups; k++) {
        v_store(t1 + k * VL, acc1[k]);
        v_store(t2 + k * VL, acc2[k]);
    }
    int n = channels - ch < groups * VL ? channels - ch : groups * VL;
    for (int j = 0; j < n; j++) {
        s1[ch + j] += (double)t1[j];
        s2[ch + j] += (double)t2[j];
    }
}

void SK_NAME(bn_channel_sums)(const float *a, const float *b, long rows, int channels, const float *shift_a,
                              const float *center, double *s1, double *s2) {
    for (long first = 0; first < rows; first += SK_BN_BLOCK_ROWS) {
        long end = first + SK_BN_BLOCK_ROWS < rows ? first + SK_BN_BLOCK_ROWS : rows;
        int ch = 0;
        for (; channels - ch > (SK_BN_GROUP - 1) * VL; ch += SK_BN_GROUP * VL)
            SK_NAME(bn_sums_group)(SK_BN_GROUP, a, b, first, end, channels, ch, shift_a, center, s1, s2);
        int left = (channels - ch + VL - 1) / VL;
        switch (left) {
        case 3: SK_NAME(bn_sums_group)(3, a, b, first, end, channels, ch, shift_a, center, s1, s2); break;
        case 2: SK_NAME(bn_sums_group)(2, a, b, first, end, channels, ch, shift_a, center, s1, s2); break;
        case 1: SK_NAME(bn_sums_group)(1, a, b, first, end, channels, ch, shift_a, center, s1, s2); break;
        default: break;
        }
    }
}

void SK_NAME(bn_channel_affine)(const float *x, long rows, int channels, const float *scale, const float *add,
                                const float *z, const float *z_scale, float *out) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * channels;
        float *o = out + r * channels;
        for (int ch = 0; ch < channels; ch += VL) {
            vmask m = v_mask_first(channels - ch);
            vec y = v_mul(v_load_masked(m, xr + ch), v_load_masked(m, scale + ch));
            if (z) y = v_add(y, v_mul(v_load_masked(m, z_scale + ch), v_load_masked(m, z + r * channels + ch)));
            v_store_masked(m, o + ch, v_add(y, v_load_masked(m, add + ch)));
        }
    }
}
