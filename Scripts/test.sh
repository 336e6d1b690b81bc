#!/usr/bin/env bash
# Runs the test suite: unit, gradient-check and Keras parity tests (debug build); then the
# numeric suites again on the portable path (OpenBLAS GEMM, im2col convolution) that CPUs
# without AVX-512 take.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift test "$@"
SWIFTKERAS_DISABLE_AVX512=1 swift test --skip-build "$@" \
  --filter "GEMMTests|GradientCheckTests|RecurrentGradientTests|KerasParityTests|RecurrentParityTests|FunctionalParityTests|NormalizationGradientTests|LayerOpsGradientTests|LayersMoreParityTests|LayersMoreModelTests|LayersMoreTests|ThreadCountTests"
