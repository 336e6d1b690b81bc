#!/usr/bin/env bash
# Benchmarks SwiftKeras against Keras 3 / TensorFlow-CPU (and, with --with-torch, PyTorch CPU)
# on the same workloads, side by side, and writes Docs/Benchmarks.md.
#
#   bash Scripts/benchmark/run.sh [--reduced] [--workloads a,b,c] [--with-torch] [--threads N]
#                                 [--epochs N] [--sections main,scaling]
#
# Each workload runs in one process per framework; after their warm-ups the driver
# (driver.py) interleaves their timed epochs (--epochs, default 3) and records how much of
# the machine the host and other processes took during each. --threads N gives every side
# N threads. --sections main skips the scaling section (threads, batch size, sequence length).
# --reduced scales every dataset down 10x (a quick check of the pipeline, not a benchmark).
# The Python venv lives outside the repository, at $SWIFTKERAS_BENCH_VENV (default
# ~/.cache/swiftkeras-bench-venv); --with-torch installs torch into it. The environment is
# left as it is; the report records OPENBLAS_CORETYPE / OPENBLAS_NUM_THREADS when set.
# Raw results: .build/benchmark/results.jsonl; per-process logs: .build/benchmark/logs/.
set -euo pipefail
given_args=("$@")
cd "$(dirname "$0")/../.."

reduced=()
workloads=""
with_torch=()
threads=()
epochs=3
sections="main,scaling"
while (($#)); do
  case "$1" in
    --reduced) reduced=(--reduced); shift ;;
    --with-torch) with_torch=(--with-torch); shift ;;
    --workloads|--threads|--epochs|--sections)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
      case "$1" in
        --workloads) workloads="$2" ;;
        --threads) threads=(--threads "$2") ;;
        --epochs) epochs="$2" ;;
        --sections) sections="$2" ;;
      esac
      shift 2 ;;
    --workloads=*) workloads="${1#--workloads=}"; shift ;;
    --threads=*) threads=(--threads "${1#--threads=}"); shift ;;
    --epochs=*) epochs="${1#--epochs=}"; shift ;;
    --sections=*) sections="${1#--sections=}"; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (expected --reduced, --workloads a,b,c, --with-torch, --threads N, --epochs N, --sections main,scaling)" >&2; exit 2 ;;
  esac
done
command_line="bash Scripts/benchmark/run.sh"
for a in ${given_args[@]+"${given_args[@]}"}; do
  if [[ "$a" =~ ^[A-Za-z0-9_,./=:+-]+$ ]]; then command_line+=" $a"; else command_line+=" $(printf '%q' "$a")"; fi
done

bash Scripts/install-deps.sh

# The Keras side: a venv outside the repository with the pinned requirements.
venv="${SWIFTKERAS_BENCH_VENV:-$HOME/.cache/swiftkeras-bench-venv}"
requirements=Scripts/benchmark/requirements.txt
python="$venv/bin/python"
requirements_met() {
  "$python" - "$requirements" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, wanted = line.split("==")
        if version(name) != wanted:
            sys.exit(1)
EOF
}
if [ ! -x "$python" ]; then
  echo "Creating the Keras venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
fi
if ! requirements_met; then
  echo "Installing $requirements into the benchmark venv"
  "$python" -m pip install --quiet --upgrade pip
  "$python" -m pip install --quiet -r "$requirements"
fi
if ((${#with_torch[@]})) && ! "$python" -c "import torch" >/dev/null 2>&1; then
  echo "Installing torch into the benchmark venv"
  "$python" -m pip install --quiet torch
fi

echo "Building the SwiftKeras benchmark (release)"
swift build -c release --product Benchmark
binary="$(swift build -c release --show-bin-path)/Benchmark"

all_workloads="$("$binary" --list)"
if [ -n "$workloads" ]; then
  IFS=',' read -r -a selected <<<"$workloads"
  for w in "${selected[@]}"; do
    grep -qx -- "$w" <<<"$all_workloads" || { echo "unknown workload: $w (known: $(echo $all_workloads | tr ' ' ','))" >&2; exit 2; }
  done
else
  mapfile -t selected <<<"$all_workloads"
fi

out=.build/benchmark
results="$out/results.jsonl"
mkdir -p "$out/logs"
[ -f "$results" ] && mv "$results" "$out/results.previous.jsonl"
"$python" Scripts/benchmark/report.py meta --command "$command_line" --binary "$binary" \
  ${reduced[@]+"${reduced[@]}"} ${with_torch[@]+"${with_torch[@]}"} ${threads[@]+"${threads[@]}"} --epochs "$epochs" \
  --workloads "$(IFS=,; echo "${selected[*]}")" >"$results"

run_start=$(date +%s)
"$python" Scripts/benchmark/driver.py --results "$results" --logs "$out/logs" --swift "$binary" --python "$python" \
  ${reduced[@]+"${reduced[@]}"} ${with_torch[@]+"${with_torch[@]}"} ${threads[@]+"${threads[@]}"} --epochs "$epochs" \
  --workloads "$(IFS=,; echo "${selected[*]}")" --sections "$sections"
"$python" -c 'import json, os, sys; print(json.dumps({"type": "end", "wall_seconds": int(sys.argv[1]), "load_average_1min": round(os.getloadavg()[0], 2)}))' \
  "$(($(date +%s) - run_start))" >>"$results"

"$python" Scripts/benchmark/report.py render --results "$results" --output Docs/Benchmarks.md
echo "Wrote Docs/Benchmarks.md (raw results: $results)"
