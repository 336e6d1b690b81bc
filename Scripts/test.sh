#!/usr/bin/env bash
# Runs the test suite: unit, gradient-check and Keras parity tests (debug build) on the
# widest kernel path this CPU has; then the numeric suites again on each narrower path it
# has (SWIFTKERAS_KERNELS: AVX2 kernels, then the portable OpenBLAS + im2col path).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift test "$@"
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true) "
narrower=()
if [[ "$flags" == *" avx512f "* && "$flags" == *" avx2 "* && "$flags" == *" fma "* ]]; then narrower+=(avx2); fi
if [[ "$flags" == *" avx2 "* && "$flags" == *" fma "* ]]; then narrower+=(portable); fi
for path in ${narrower[@]+"${narrower[@]}"}; do
  echo "Numeric suites on the $path kernel path"
  SWIFTKERAS_KERNELS=$path swift test --skip-build "$@" \
    --filter "GEMMTests|FastMathTests|GradientCheckTests|RecurrentGradientTests|KerasParityTests|RecurrentParityTests|FunctionalParityTests|NormalizationGradientTests|LayerOpsGradientTests|LayersMoreParityTests|LayersMoreModelTests|LayersMoreTests|ThreadCountTests|AttentionTests"
done
