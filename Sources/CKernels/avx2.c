// The kernels compiled for AVX2 + FMA (8 lanes); dispatch.c calls them only on CPUs that have it.
#define SK_VECTOR_BITS 256
#include "internal.h"
#include "vector.h"

#include "gemm_template.h"
#include "conv_template.h"
#include "pooling_template.h"

// Contraction into FMAs off: the activations and batch normalization's passes must give the
// bits of the Swift functions.
#pragma clang fp contract(off)
#include "activation_template.h"
#include "normalization_template.h"

#pragma clang attribute pop
