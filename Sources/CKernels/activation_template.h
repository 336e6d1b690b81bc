// Sigmoid and tanh over arrays for the recurrent cells' gates, compiled once per
// instruction set (see vector.h).
//
// The arithmetic is, operation for operation, that of fastExp / fastSigmoid / fastTanh in
// SwiftKerasEngine/Kernels/FastMath.swift (the including file turns contraction into FMAs
// off), so every path gives the same bits; only the width differs.

static inline vec fast_exp(vec value) {
    // Bound first: vmaxps/vminps return their second operand when one is NaN, so NaN stays NaN.
    vec x = v_min(v_set1(88.72f), v_max(v_set1(-87.33f), value));
    vec magic = v_set1(12582912.0f);
    vec shifted = v_add(v_mul(x, v_set1(1.44269504f)), magic);
    vec n = v_sub(shifted, magic);
    vec r = v_add(v_sub(x, v_mul(n, v_set1(0.693359375f))), v_mul(n, v_set1(2.1219444e-4f)));
    vec p = v_set1(1.98756915e-4f);
    p = v_add(v_mul(p, r), v_set1(1.39819995e-3f));
    p = v_add(v_mul(p, r), v_set1(8.3334519e-3f));
    p = v_add(v_mul(p, r), v_set1(4.16657959e-2f));
    p = v_add(v_mul(p, r), v_set1(1.66666655e-1f));
    p = v_add(v_mul(p, r), v_set1(5.00000012e-1f));
    vec poly = v_add(v_add(v_mul(v_mul(p, r), r), r), v_set1(1.0f));
    return v_mul(poly, v_exp2_of_shifted(shifted));
}

void SK_NAME(sigmoid)(float *values, int count) {
    vec one = v_set1(1.0f);
    for (int i = 0; i < count; i += VL) {
        vmask mask = v_mask_first(count - i);
        vec x = v_load_masked(mask, values + i);
        vec e = fast_exp(v_xor_bits(x, (int32_t)0x80000000));
        v_store_masked(mask, values + i, v_div(one, v_add(one, e)));
    }
}

void SK_NAME(tanh)(float *values, int count) {
    vec one = v_set1(1.0f);
    for (int i = 0; i < count; i += VL) {
        vmask mask = v_mask_first(count - i);
        vec x = v_load_masked(mask, values + i);
        vec e = fast_exp(v_mul(v_set1(-2.0f), v_and_bits(x, 0x7FFFFFFF)));
        vec t = v_div(v_sub(one, e), v_add(one, e));
        // -t (a sign flip) where x < 0; a negative zero input keeps +0, as in Swift.
        v_store_masked(mask, values + i, v_negate_where_negative(t, x));
    }
}
