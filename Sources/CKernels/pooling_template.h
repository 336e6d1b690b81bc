// Max pooling over one window, VL channels at a time (masked at the end), compiled once per
// instruction set (see vector.h).

void SK_NAME(max_pool_window)(const float *in, long image_base, int in_width, int channels, int h0, int h1,
                              int w0, int w1, float *out, int32_t *winner) {
    for (int ch = 0; ch < channels; ch += VL) {
        vmask mask = v_mask_first(channels - ch);
        long first = image_base + ((long)h0 * in_width + w0) * channels + ch;
        vec best = v_load_masked(mask, in + first);
        veci best_index = vi_lanes_from((int32_t)first);
        for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
                long at = image_base + ((long)h * in_width + w) * channels + ch;
                vec cell = v_load_masked(mask, in + at);
                // Strictly greater (ordered): ties keep the first cell, NaN never replaces.
                vmask larger = v_greater(cell, best);
                best = v_select(larger, best, cell);
                if (winner) best_index = vi_select(larger, best_index, vi_lanes_from((int32_t)at));
            }
        }
        v_store_masked(mask, out + ch, best);
        if (winner) vi_store_masked(mask, winner + ch, best_index);
    }
}
