#!/usr/bin/env bash
# The data-parallel tests under Open MPI on this host (Docs/Distributed.md): DistributedTests
# under `mpirun -np 2` and `-np 3` (oversubscribed on a 2-core machine), then a process killed
# and a process stalled in the middle of fit, each of which must end the job within a bound.
# Uses the debug test build (built here when missing). Extra arguments go to mpirun.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-mpi.sh
bash Scripts/install-deps.sh
tests="$(swift build --show-bin-path)/SwiftKerasPackageTests.xctest"
[ -x "$tests" ] || swift build --build-tests
launch=(mpirun --oversubscribe -x SWIFTKERAS_NUM_THREADS=1)
[ "$(id -u)" -eq 0 ] && launch+=(--allow-run-as-root)

for np in 2 3; do
  echo "DistributedTests under mpirun -np $np"
  timeout 600 "${launch[@]}" -np "$np" "$@" "$tests" --testing-library swift-testing --filter DistributedTests
done

# A faulty process must end the job: mpirun reports a killed one; the others' bounded wait
# (SWIFTKERAS_MPI_TIMEOUT seconds) reports a stalled one and aborts.
expect_job_ends() {
  local fault="$1" message="$2" log status=0
  log="$(mktemp)"
  SECONDS=0
  timeout 120 "${launch[@]}" -np 2 -x SWIFTKERAS_TEST_FAULT="$fault" -x SWIFTKERAS_TEST_FAULT_RANK=1 \
    -x SWIFTKERAS_MPI_TIMEOUT=5 "$tests" --testing-library swift-testing --filter faultyProcessEndsTheJob >"$log" 2>&1 || status=$?
  if [ "$status" -eq 0 ] || [ "$status" -eq 124 ] || ! grep -q "$message" "$log"; then
    cat "$log"
    echo "FAILED: a $fault process did not end the job with \"$message\" (exit $status after $SECONDS s)"
    rm -f "$log"
    return 1
  fi
  echo "A $fault process ended the job after $SECONDS s (exit $status): $(grep -m1 "$message" "$log")"
  rm -f "$log"
}
expect_job_ends kill "exited on signal 9"
expect_job_ends stall "did not complete within 5.0 s"
echo "MPI runs: 4 passed, 0 failed"
