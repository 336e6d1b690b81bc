#!/usr/bin/env bash
# Long runs keep memory flat (Tests/SwiftKerasTests/LongRunMemoryTests.swift), in release
# mode: 50 LeNet epochs on 2,000 MNIST images, 20 IMDB LSTM epochs on 2,000 reviews, and
# 1,000 fresh small models fitted, evaluated and predicted in a loop, resident memory
# (VmRSS) sampled after each epoch (every 50 models); each fails if it grows 2 % or more
# after the second sample. Prints the curves.
#
# --plot DIR (first argument) also draws each curve as an SVG picture in DIR (created if
# missing): long-run-lenet.svg, long-run-imdb-lstm.svg, long-run-fresh-models.svg, as in
#   bash Scripts/long-run.sh --plot Docs/images
# (SWIFTKERAS_LONG_RUN_PLOT=DIR does the same, a relative DIR taken from the repository
# root). The other arguments go to swift test.
set -euo pipefail
if [ "${1:-}" = "--plot" ]; then
  [ $# -ge 2 ] || { echo "usage: $0 [--plot DIR] [swift test arguments]" >&2; exit 2; }
  mkdir -p "$2"
  SWIFTKERAS_LONG_RUN_PLOT="$(cd "$2" && pwd)"
  export SWIFTKERAS_LONG_RUN_PLOT
  shift 2
fi
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
SWIFTKERAS_LONG_RUN=1 swift test -c release --filter LongRunMemoryTests "$@" 2>&1 | grep -E "RSS|growth|picture|passed|failed|error|Test run"
