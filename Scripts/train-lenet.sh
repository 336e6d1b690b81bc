#!/usr/bin/env bash
# Trains the lecture's LeNet on the bundled MNIST (release build) and prints its test
# accuracy. Extra arguments go to the example, e.g. --epochs 5 --optimizer sgd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift run -c release LeNet "$@"
