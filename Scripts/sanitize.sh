#!/usr/bin/env bash
# Runs the test suite under the sanitizers, the C kernels (Sources/CKernels) instrumented too:
#   address   AddressSanitizer + LeakSanitizer: the whole suite on the widest kernel path this
#             CPU has, then the numeric suites on each narrower one (as Scripts/test.sh does);
#   thread    ThreadSanitizer: the suites that run threads (the pool, concurrent models, the
#             prefetching data pipeline, thread counts), the two-models-at-once test repeated
#             SWIFTKERAS_STRESS_ROUNDS times (default 10), on every kernel path;
#   undefined UndefinedBehaviorSanitizer over the C code (the kernels, the image codec layer; Swift
#             traps on overflow and bounds by itself), like address.
# Usage: bash Scripts/sanitize.sh [address] [thread] [undefined] [--bad-input] [-- swift test options]
#        (default: all three). --bad-input runs only the suites that feed bad input, corrupt
#        files and odd shapes on the widest path (CI: `bash Scripts/sanitize.sh address --bad-input`);
#        SANITIZE_FILTER replaces the suites run there with any filter.
# Each sanitizer builds into its own folder (.build/sanitize-<name>), so reruns are incremental.
# Any finding stops the run with the sanitizer's report and a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=()
# The suite sets: numeric (every kernel path), threaded, and bad input (CI's ASan pass).
numeric="GEMMTests|FastMathTests|GradientCheckTests|RecurrentGradientTests|KerasParityTests|RecurrentParityTests|FunctionalParityTests|NormalizationGradientTests|LayerOpsGradientTests|LayersMoreParityTests|LayersMoreModelTests|LayersMoreTests|ThreadCountTests"
threaded="ThreadPoolTests|AvailableCPUTests|ThreadCountTests|ConcurrentModelTests|DatasetPipelineTests|DatasetTests|CallbackTests|GEMMTests|OptimizerSlotTests|TrapTests"
badInput="TrapTests|MemorySafetyTests|BadInputTests|RecurrentBadInputTests|OptimizerSlotTests|TextDataTests|NumPyFileTests|FuzzCorpusTests|ModelFileTests|KerasFileTests|AtomicFileTests|DatasetTests|ImageDataTests|CSVFileTests|TensorTests|BufferPoolTests"
widest_filter="${SANITIZE_FILTER:-}"
while [[ $# -gt 0 && "$1" != "--" ]]; do
  if [[ "$1" == --bad-input ]]; then widest_filter="${SANITIZE_FILTER:-$badInput}"; else sanitizers+=("$1"); fi
  shift
done
[[ "${1:-}" == "--" ]] && shift
[[ ${#sanitizers[@]} -eq 0 ]] && sanitizers=(address thread undefined)
bash Scripts/install-deps.sh
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true) "
paths=()
if [[ "$flags" == *" avx512f "* && "$flags" == *" avx2 "* && "$flags" == *" fma "* ]]; then paths+=(avx512); fi
if [[ "$flags" == *" avx2 "* && "$flags" == *" fma "* ]]; then paths+=(avx2); fi
paths+=(portable)

supp="$PWD/Scripts/sanitizers"
# allocator_may_return_null: a size too large to allocate must come back as NULL, as it does
# without the sanitizer (the library turns it into an error; TrapTests checks that).
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="allocator_may_return_null=1:halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"

for sanitizer in "${sanitizers[@]}"; do
  case "$sanitizer" in
    address|undefined) widest="$widest_filter"; narrower="$numeric" ;;
    thread) widest="${widest_filter:-$threaded}"; narrower="$threaded"; export SWIFTKERAS_STRESS_ROUNDS="${SWIFTKERAS_STRESS_ROUNDS:-10}" ;;
    *) echo "unknown sanitizer $sanitizer (address, thread, undefined)" >&2; exit 2 ;;
  esac
  # -fno-sanitize-recover: an undefined-behaviour check in C stops the run instead of printing on.
  build=(--scratch-path ".build/sanitize-$sanitizer" -Xcc -fno-sanitize-recover=all -Xcc -fno-omit-frame-pointer)
  if [[ "$sanitizer" == undefined ]]; then
    # swiftc has no -sanitize=undefined on Linux (Swift's own arithmetic is checked anyway):
    # instrument the C targets and link the runtime through clang.
    build+=(-Xcc -fsanitize=undefined -Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined)
  else
    build+=(--sanitize="$sanitizer")
  fi
  echo "== $sanitizer: building"
  start=$SECONDS
  swift build --build-tests "${build[@]}" "$@" 2>&1 | tail -5
  echo "== $sanitizer: built in $((SECONDS - start)) s"
  for path in "${paths[@]}"; do
    if [[ "$path" == "${paths[0]}" ]]; then filter="$widest"; else filter="$narrower"; fi
    echo "== $sanitizer on the $path kernel path${filter:+ ($filter)}"
    start=$SECONDS
    SWIFTKERAS_KERNELS=$path swift test --skip-build "${build[@]}" "$@" ${filter:+--filter "$filter"}
    echo "== $sanitizer on the $path kernel path: passed in $((SECONDS - start)) s"
  done
done
