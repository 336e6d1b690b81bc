#!/usr/bin/env bash
# Runs the test suite: unit, gradient-check and Keras parity tests (debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift test "$@"
