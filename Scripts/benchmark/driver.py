#!/usr/bin/env python3
"""Runs the benchmark's workloads side by side and appends what it measures to a results file.

    driver.py --results FILE --swift BINARY --python PYTHON [--with-torch] [--reduced]
              [--threads N] [--epochs N] [--workloads a,b] [--sections main,scaling]

For each workload it starts one process per framework (SwiftKeras, Keras and, with
--with-torch, PyTorch), each of which builds its model and data and runs its untimed
warm-up, then says it is ready. The driver then asks them in turn for one timed epoch each,
round after round (Keras, SwiftKeras, PyTorch, Keras, SwiftKeras, ...), so that a slow
minute of the host falls on every side rather than on one. Around each timed epoch it reads
/proc/stat and the timed process's own CPU time (/proc/PID/stat): the host's steal and the
busy time of every other process in that interval, as a share of the machine's CPU time,
are recorded with the epoch ("taken"). Standard library only.

Sections: "main" (every workload at its own size) and "scaling" (seconds per epoch by
thread count, by batch size and by LSTM sequence length, at a quarter of the data).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def machine_ticks():
    """(total, idle + iowait, steal, busy) ticks of all CPUs since boot."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    fields += [0] * (10 - len(fields))
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    # guest time is already counted in user.
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return total, idle + iowait, steal, user + nice + system + irq + softirq


def process_ticks(pid):
    """utime + stime of a process (all its threads), in ticks."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


class Side:
    """One framework's process for one workload, speaking the line protocol."""

    def __init__(self, framework, command, log_path):
        self.framework = framework
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        text=True, bufsize=1)

    def read(self):
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.framework} exited (status {self.process.wait()}); see {self.log.name}")
            line = line.strip()
            if line.startswith("{"):
                record = json.loads(line)
                if "error" in record:
                    raise RuntimeError(f"{self.framework}: {record['error']}")
                return record

    def send(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def timed_epoch(self):
        before_machine, before_own = machine_ticks(), process_ticks(self.process.pid)
        self.send("run")
        record = self.read()
        after_machine, after_own = machine_ticks(), process_ticks(self.process.pid)
        total = max(after_machine[0] - before_machine[0], 1)
        steal = after_machine[2] - before_machine[2]
        busy = after_machine[3] - before_machine[3]
        own = after_own - before_own
        foreign = max(busy - own, 0)
        return {
            "seconds": record["seconds"],
            "steal_pct": round(100 * steal / total, 2),
            "foreign_pct": round(100 * foreign / total, 2),
            "taken_pct": round(100 * (steal + foreign) / total, 2),
            "own_cpu_seconds": round(own / TICKS, 3),
            "load_1min": round(os.getloadavg()[0], 2),
        }

    def finish(self):
        self.send("finish")
        record = self.read()
        self.process.stdin.close()
        self.process.wait()
        self.log.close()
        return record

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def run_config(args, frameworks, workload, params, label, out):
    """One workload (with its parameters) on every framework, `args.epochs` interleaved rounds."""
    flags = [f"--workload={workload}"]
    if args.reduced:
        flags.append("--reduced")
    for key in ("threads", "samples", "batch_size", "sequence_length"):
        if params.get(key) is not None:
            flags.append(f"--{key.replace('_', '-')}={params[key]}")
    sides, records = [], {}
    started = time.time()
    try:
        for framework, command in frameworks:
            log_path = os.path.join(args.logs, f"{label}.{framework}.log")
            sides.append(Side(framework, command + flags, log_path))
        for side in sides:
            side.read()  # ready: model built, data made, warm-up done
        epochs = {side.framework: [] for side in sides}
        for _ in range(args.epochs):
            for side in sides:
                epochs[side.framework].append(side.timed_epoch())
        for side in sides:
            records[side.framework] = {"final": side.finish(), "epochs": epochs[side.framework]}
    except (RuntimeError, OSError, ValueError) as error:
        for side in sides:
            side.kill()
        for framework, _ in frameworks:
            records.setdefault(framework, {"error": str(error)})
    for framework, record in records.items():
        line = {"type": "result", "label": label, "workload": workload, "params": params, "framework": framework}
        line.update(record)
        out.write(json.dumps(line) + "\n")
        out.flush()
        if "error" in record:
            print(f"  {framework}: FAILED: {record['error']}", file=sys.stderr)
        else:
            times = [e["seconds"] for e in record["epochs"]]
            taken = max(e["taken_pct"] for e in record["epochs"])
            print(f"  {framework:10s} min {min(times):.3f} s, median {statistics.median(times):.3f} s, "
                  f"taken up to {taken:.0f} %")
    print(f"  ({time.time() - started:.0f} s)")


def thread_counts(cpus):
    counts, t = [], 1
    while t < cpus:
        counts.append(t)
        t *= 2
    return counts + [cpus]


def scaling_configs(cpus):
    """(group, workload, params) of the scaling section: a quarter of each dataset."""
    lenet, lstm = 15_000, 6_400
    configs = []
    for t in thread_counts(cpus):
        configs.append(("threads", "lenet_sgd128", {"threads": t, "samples": lenet}))
        configs.append(("threads", "imdb_lstm", {"threads": t, "samples": lstm}))
    for b in (32, 128, 512):
        configs.append(("batch", "lenet_sgd128", {"batch_size": b, "samples": lenet}))
    for length in (50, 100, 200, 400):
        configs.append(("sequence", "imdb_lstm", {"sequence_length": length, "samples": lstm}))
    return configs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", required=True, help="JSON-lines file to append to")
    parser.add_argument("--logs", required=True, help="folder for each process's stderr")
    parser.add_argument("--swift", required=True, help="the SwiftKeras Benchmark executable")
    parser.add_argument("--python", required=True, help="the Python with Keras (and PyTorch, if --with-torch)")
    parser.add_argument("--with-torch", action="store_true")
    parser.add_argument("--reduced", action="store_true")
    parser.add_argument("--threads", type=int, help="threads for every framework (default: each one's own)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per framework (default 3)")
    parser.add_argument("--workloads", help="comma-separated workloads of the main section (default: all)")
    parser.add_argument("--sections", default="main,scaling")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    here = os.path.dirname(os.path.abspath(__file__))
    frameworks = [("keras", [args.python, os.path.join(here, "keras_bench.py")]), ("swiftkeras", [args.swift])]
    if args.with_torch:
        frameworks.append(("torch", [args.python, os.path.join(here, "torch_bench.py")]))
    listed = {name: subprocess.run(command + ["--list"], capture_output=True, text=True, check=True).stdout.split()
              for name, command in frameworks}
    workloads = listed["swiftkeras"]
    if listed["keras"] != workloads:
        sys.exit(f"Keras and SwiftKeras list different workloads: {listed['keras']} vs {workloads}")
    selected = args.workloads.split(",") if args.workloads else workloads
    unknown = [w for w in selected if w not in workloads]
    if unknown:
        sys.exit(f"unknown workloads: {', '.join(unknown)} (known: {', '.join(workloads)})")
    sections = args.sections.split(",")
    os.makedirs(args.logs, exist_ok=True)

    def runs_on(workload):
        return [(n, c) for n, c in frameworks if workload in listed[n]]

    cpus = len(os.sched_getaffinity(0))
    with open(args.results, "a") as out:
        if "main" in sections:
            for i, w in enumerate(selected, 1):
                print(f"[{i}/{len(selected)}] {w}")
                run_config(args, runs_on(w), w, {"threads": args.threads}, w, out)
        if "scaling" in sections:
            configs = scaling_configs(cpus)
            for i, (group, w, params) in enumerate(configs, 1):
                if group != "threads" and args.threads:
                    params = dict(params, threads=args.threads)
                label = f"scaling-{group}-{w}-" + "-".join(f"{k}{v}" for k, v in sorted(params.items()) if v)
                print(f"[scaling {i}/{len(configs)}] {w} {params}")
                run_config(args, runs_on(w), w, dict(params, group=group), label, out)


if __name__ == "__main__":
    main()
