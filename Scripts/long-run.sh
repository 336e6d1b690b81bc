#!/usr/bin/env bash
# Long runs keep memory flat (Tests/SwiftKerasTests/LongRunMemoryTests.swift), in release
# mode: 50 LeNet epochs on 2,000 MNIST images, 20 IMDB LSTM epochs on 2,000 reviews, and
# 1,000 fresh small models fitted, evaluated and predicted in a loop, resident memory
# (VmRSS) sampled after each epoch (every 50 models); each fails if it grows 2 % or more
# after the second sample. Prints the curves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
SWIFTKERAS_LONG_RUN=1 swift test -c release --filter LongRunMemoryTests "$@" 2>&1 | grep -E "RSS|growth|passed|failed|error|Test run"
