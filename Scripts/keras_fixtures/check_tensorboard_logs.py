#!/usr/bin/env python3
"""Reads a TensorBoard log folder written by SwiftKeras's TensorBoard callback with the
`tensorboard` package's own EventAccumulator and prints every scalar it finds.

Usage: python check_tensorboard_logs.py LOGDIR   (needs `pip install tensorboard`)

Exits non-zero when a run folder holds no readable scalars.
"""

import os
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util


def main():
    logdir = sys.argv[1]
    runs = sorted(d for d in os.listdir(logdir) if os.path.isdir(os.path.join(logdir, d)))
    ok = bool(runs)
    for run in runs:
        accumulator = event_accumulator.EventAccumulator(os.path.join(logdir, run))
        accumulator.Reload()
        tags = accumulator.Tags()["tensors"]
        ok = ok and bool(tags)
        for tag in sorted(tags):
            values = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)]
            print(f"{run}/{tag}: " + ", ".join(f"{step}:{value:.6g}" for step, value in values))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
