#!/usr/bin/env bash
# Benchmarks SwiftKeras against Keras 3 / TensorFlow-CPU on the same workloads and writes
# Docs/Benchmarks.md. Each workload runs in its own process, Keras first, then SwiftKeras.
#
#   bash Scripts/benchmark/run.sh [--reduced] [--workloads a,b,c]
#
# --reduced scales every dataset down 10x (a quick check of the pipeline, not a benchmark).
# The Keras venv lives outside the repository, at $SWIFTKERAS_BENCH_VENV
# (default ~/.cache/swiftkeras-bench-venv). The environment is left as it is; the report
# records OPENBLAS_CORETYPE / OPENBLAS_NUM_THREADS when they are set.
# Raw results: .build/benchmark/results.jsonl; per-process logs: .build/benchmark/logs/.
set -euo pipefail
given_args=("$@")
cd "$(dirname "$0")/../.."

reduced=()
workloads=""
while (($#)); do
  case "$1" in
    --reduced) reduced=(--reduced); shift ;;
    --workloads) [ $# -ge 2 ] || { echo "--workloads needs a comma-separated list" >&2; exit 2; }
                 workloads="$2"; shift 2 ;;
    --workloads=*) workloads="${1#--workloads=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (expected --reduced, --workloads a,b,c)" >&2; exit 2 ;;
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
  echo "Installing $requirements into the Keras venv"
  "$python" -m pip install --quiet --upgrade pip
  "$python" -m pip install --quiet -r "$requirements"
fi

echo "Building the SwiftKeras benchmark (release)"
swift build -c release --product Benchmark
binary="$(swift build -c release --show-bin-path)/Benchmark"

all_workloads="$("$binary" --list)"
keras_workloads="$("$python" Scripts/benchmark/keras_bench.py --list)"
if [ "$all_workloads" != "$keras_workloads" ]; then
  echo "The Swift and Keras benchmarks list different workloads:" >&2
  diff <(echo "$all_workloads") <(echo "$keras_workloads") >&2 || true
  exit 1
fi
if [ -n "$workloads" ]; then
  selected=()
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
  ${reduced[@]+"${reduced[@]}"} --workloads "$(IFS=,; echo "${selected[*]}")" >"$results"

# Runs one side of one workload; appends its JSON line, or a failure record, to $results.
run_one() {
  local framework="$1" workload="$2"
  shift 2
  local log="$out/logs/$workload.$framework.log" start end status=0 line
  start=$(date +%s)
  "$@" --workload "$workload" ${reduced[@]+"${reduced[@]}"} >"$log.stdout" 2>"$log" || status=$?
  end=$(date +%s)
  line="$(tail -n 1 "$log.stdout")"
  if [ "$status" -eq 0 ] && [[ "$line" == "{"* ]]; then
    echo "$line" >>"$results"
    echo "  $framework: $line"
  else
    "$python" -c 'import json, sys; print(json.dumps({"framework": sys.argv[1], "workload": sys.argv[2], "error": "exit status " + sys.argv[3], "log_tail": sys.argv[4][-400:]}))' \
      "$framework" "$workload" "$status" "$(tail -n 5 "$log")" >>"$results"
    echo "  $framework: FAILED (exit status $status, $((end - start)) s); see $log" >&2
  fi
}

run_start=$(date +%s)
i=0
for w in "${selected[@]}"; do
  i=$((i + 1))
  echo "[$i/${#selected[@]}] $w"
  run_one keras "$w" "$python" Scripts/benchmark/keras_bench.py
  run_one swiftkeras "$w" "$binary"
done
"$python" -c 'import json, os, sys; print(json.dumps({"type": "end", "wall_seconds": int(sys.argv[1]), "load_average_1min": round(os.getloadavg()[0], 2)}))' \
  "$(($(date +%s) - run_start))" >>"$results"

"$python" Scripts/benchmark/report.py render --results "$results" --output Docs/Benchmarks.md
echo "Wrote Docs/Benchmarks.md (raw results: $results)"
