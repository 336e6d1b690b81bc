#!/usr/bin/env bash
# Builds the libFuzzer targets (release, with AddressSanitizer so leaks and memory errors
# count as failures) and runs one: bash Scripts/fuzz/run.sh keras|weights|config [seconds].
# New inputs that reach new code go to the working corpus under .build/; crashes to
# Scripts/fuzz/crashes/<target>/. The committed seed corpus is Scripts/fuzz/corpus/<target>/.
# Targets: keras weights config gzip idx tsv tokenizer npy npz csv image.
# The fuzzers share the machine: the run is niced (FUZZ_NICE, default 10).
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: run.sh <target> [seconds]}"
# libFuzzer's sanitized objects link only with lld: the Swift toolchain ships it, else apt's.
if ! command -v ld.lld >/dev/null && [[ ! -x "$(dirname "$(command -v swift)")/ld.lld" ]]; then
  if command -v sudo >/dev/null; then sudo apt-get install -y lld; else apt-get install -y lld; fi
fi
seconds="${2:-600}"
name="Fuzz$(tr '[:lower:]' '[:upper:]' <<< "${target:0:1}")${target:1}"
[[ "${FUZZ_SKIP_BUILD:-}" == 1 ]] || swift build -c release --product "$name" -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld \
  -Xswiftc -g 2>&1 | tail -1  # FUZZ_SKIP_BUILD=1: run what is built (several runs at once)
[[ "${FUZZ_BUILD_ONLY:-}" == 1 ]] && exit 0
work=".build/corpus/$target"
mkdir -p "$work" "crashes/$target"
# One malloc past 2 GB counts as out-of-memory, except in libhdf5 (the weights target): it
# allocates the size an object header claims before reading it and then fails on the short
# file, touching none of it (corpus/weights/regression-hdf5-huge-object-header: 4 GB asked for,
# 84 MB resident). The resident limit still catches memory that is really used.
malloc_limit=2048
[[ "$target" == weights ]] && malloc_limit=16384
ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" LSAN_OPTIONS="suppressions=$PWD/lsan.supp" nice -n "${FUZZ_NICE:-10}" ".build/release/$name" "$work" "corpus/$target" \
  -max_total_time="$seconds" -rss_limit_mb=4096 -malloc_limit_mb="$malloc_limit" -timeout=20 -print_final_stats=1 \
  -artifact_prefix="crashes/$target/"
