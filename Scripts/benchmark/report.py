#!/usr/bin/env python3
"""Machine facts and the Markdown report for Scripts/benchmark/run.sh.

    report.py meta --command CMD --binary PATH --workloads a,b [--reduced]
        prints one JSON line describing this machine and run (the first line of the
        results file);
    report.py render --results results.jsonl --output Docs/Benchmarks.md
        writes the report. Every number in it comes from the results file.

Standard library only.
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import re
import subprocess
import sys

# What each workload is; the sample counts and batch sizes come from the results.
DESCRIPTIONS = {
    "lenet_sgd128": "lecture LeNet, SGD, sparse categorical crossentropy",
    "lenet_adam128": "lecture LeNet, Adam, sparse categorical crossentropy",
    "lenet_sgd32": "lecture LeNet, SGD, sparse categorical crossentropy",
    "cnn_sgd128": "Keras MNIST CNN (Conv2D 32, Conv2D 64, MaxPooling, Dropout, Dense 128, Dropout, Dense 10), SGD, "
                  "categorical crossentropy on one-hot labels",
    "imdb_simplernn": "Embedding(10000, 32) → SimpleRNN(32) → Dense(1, sigmoid), Adam, binary crossentropy",
    "imdb_lstm": "Embedding(10000, 32) → LSTM(64) → Dense(1, sigmoid), Adam, binary crossentropy",
    "imdb_gru": "Embedding(10000, 32) → GRU(64) → Dense(1, sigmoid), Adam, binary crossentropy",
    "imdb_stacked_lstm": "Embedding(10000, 32) → LSTM(64, return_sequences) → LSTM(64) → Dense(1, sigmoid), Adam, "
                         "binary crossentropy",
    "char_lstm": "Embedding(65, 32) → LSTM(128, return_sequences) → TimeDistributed(Dense(65, softmax)), Adam, "
                 "sparse categorical crossentropy",
    "lenet_predict1": "lecture LeNet, predict",
    "lenet_predict256": "lecture LeNet, predict",
}
SHAPES = {
    "lenet": "28×28×1 images", "cnn": "28×28×1 images", "imdb": "sequences of 200 ids in [1, 10000)",
    "char": "sequences of 100 ids in [0, 65)",
}

# (kind, bound): "time" rows need SwiftKeras time / Keras time <= bound; "throughput" rows
# need SwiftKeras images/s / Keras images/s >= bound.
TARGETS = {
    "lenet_sgd128": ("time", 1.0), "lenet_adam128": ("time", 1.0), "lenet_sgd32": ("time", 1.0),
    "cnn_sgd128": ("time", 1.0),
    "imdb_simplernn": ("time", 0.5), "imdb_lstm": ("time", 0.5), "imdb_gru": ("time", 0.5),
    "imdb_stacked_lstm": ("time", 0.5), "char_lstm": ("time", 0.5),
    "lenet_predict1": ("throughput", 10.0), "lenet_predict256": ("throughput", 1.0),
}

ENV_VARS = ["OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "SWIFTKERAS_NUM_THREADS",
            "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "TF_ENABLE_ONEDNN_OPTS"]


def run(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def first_match(path, pattern):
    try:
        with open(path) as f:
            for line in f:
                m = re.match(pattern, line)
                if m:
                    return m.group(1).strip()
    except OSError:
        pass
    return None


def openblas_facts(binary):
    """Version and core of the libopenblas the benchmark binary links."""
    facts = {}
    ldd = run(["ldd", binary]) or ""
    m = re.search(r"(libopenblas[^\s]*)\s+=>\s+(\S+)", ldd)
    if not m:
        return facts
    soname, path = m.group(1), m.group(2)
    facts["library"] = soname
    owner = run(["dpkg-query", "-S", os.path.realpath(path)]) or run(["dpkg-query", "-S", path])
    if owner:
        package = owner.split(":")[0]
        version = run(["dpkg-query", "-W", "-f=${Version}", package])
        facts["package"] = f"{package} {version}" if version else package
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        facts["config"] = lib.openblas_get_config().decode()
        facts["core"] = lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        pass
    return facts


def meta(args):
    mem_kib = first_match("/proc/meminfo", r"MemTotal:\s+(\d+)")
    swift = run(["swift", "--version"])
    commit = run(["git", "rev-parse", "--short", "HEAD"])
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no"])
    record = {
        "type": "meta",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": args.command,
        "reduced": args.reduced,
        "workloads": [w for w in args.workloads.split(",") if w],
        "cpu_model": first_match("/proc/cpuinfo", r"model name\s*:\s*(.*)"),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(int(mem_kib) / 1024 / 1024, 1) if mem_kib else None,
        "kernel": platform.release(),
        "os": first_match("/etc/os-release", r'PRETTY_NAME="?([^"\n]*)'),
        "swift_version": swift.splitlines()[0] if swift else None,
        "python_version": platform.python_version(),
        "git_commit": (commit + (" (with uncommitted changes)" if dirty else "")) if commit else None,
        "openblas": openblas_facts(args.binary),
        "env": {k: os.environ[k] for k in ENV_VARS if k in os.environ},
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(record))


# Rendering -------------------------------------------------------------------------------

def fmt_seconds(x):
    return f"{x:.2f}" if x >= 1 else f"{x:.3f}"


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_mb(r):
    return f"{r['peak_rss_mb']:,.0f} MB" if r and r.get("peak_rss_mb") is not None else "–"


def cell(r, key, fmt):
    if r is None:
        return "not run"
    if "error" in r:
        return f"**failed** ({r['error']})"
    return fmt(r[key]) if r.get(key) is not None else "–"


def shape_of(workload):
    return SHAPES.get(workload.split("_")[0], "")


def render(args):
    meta_record, end, results, order = {}, {}, {}, []
    with open(args.results) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r.get("type") == "meta":
                meta_record = r
            elif r.get("type") == "end":
                end = r
            else:
                results[(r["workload"], r["framework"])] = r
                if r["workload"] not in order:
                    order.append(r["workload"])
    workloads = meta_record.get("workloads") or order

    rows = []
    for w in workloads:
        k, s = results.get((w, "keras")), results.get((w, "swiftkeras"))
        kind, bound = TARGETS.get(w, ("time", None))
        ok = k and s and "error" not in k and "error" not in s
        if kind == "time":
            measure = "s/epoch (lower is better)"
            key, fmt = "seconds_per_epoch", fmt_seconds
            target = f"≤ {bound:g}× Keras time" if bound is not None else "–"
            ratio = s[key] / k[key] if ok else None
            ratio_text = f"{ratio:.2f}× time" if ratio is not None else "–"
            met = None if ratio is None or bound is None else ratio <= bound
        else:
            measure = "images/s (higher is better)"
            key, fmt = "images_per_second", fmt_rate
            target = f"≥ {bound:g}× Keras images/s" if bound is not None else "–"
            ratio = s[key] / k[key] if ok else None
            ratio_text = f"{ratio:.2f}× images/s" if ratio is not None else "–"
            met = None if ratio is None or bound is None else ratio >= bound
        rows.append([f"`{w}`", measure, cell(k, key, fmt), cell(s, key, fmt), ratio_text, target,
                     "–" if met is None else ("**yes**" if met else "no"), fmt_mb(k), fmt_mb(s)])

    ok_keras = [r for (w, fw), r in results.items() if fw == "keras" and "error" not in r]
    ok_swift = [r for (w, fw), r in results.items() if fw == "swiftkeras" and "error" not in r]

    def distinct(records, key):
        values = []
        for r in records:
            v = r.get(key)
            v = json.dumps(v, sort_keys=True) if isinstance(v, dict) else v
            if v is not None and v not in values:
                values.append(v)
        return values

    out = ["# Benchmarks: SwiftKeras vs Keras 3 (TensorFlow CPU)", "",
           "_Generated by `Scripts/benchmark/run.sh` from its results file; do not edit by hand._", ""]
    if meta_record.get("reduced"):
        out += ["> **Reduced run**: every dataset was scaled down 10x. These numbers check the pipeline; "
                "they are not the benchmark.", ""]

    machine = meta_record.get("cpu_model") or "unknown CPU"
    facts = [
        ("Date", meta_record.get("date")),
        ("Command", f"`{meta_record['command']}`" if meta_record.get("command") else None),
        ("Machine", f"{machine}, {meta_record.get('nproc')} CPUs (nproc), "
                    f"{meta_record.get('memory_gib')} GiB memory"
                    + (f"; {meta_record['os']}, Linux {meta_record.get('kernel')}" if meta_record.get("os") else "")),
        ("Swift", meta_record.get("swift_version")),
        ("SwiftKeras", f"commit {meta_record['git_commit']}" if meta_record.get("git_commit") else None),
    ]
    ob = meta_record.get("openblas") or {}
    if ob:
        parts = [ob.get("package") or ob.get("library")]
        if ob.get("config"):
            parts.append(f"config `{ob['config']}`")
        if ob.get("core"):
            parts.append(f"core {ob['core']}")
        facts.append(("OpenBLAS", ", ".join(p for p in parts if p)))
    keras_versions = distinct(ok_keras, "keras_version")
    tf_versions = distinct(ok_keras, "tf_version")
    np_versions = distinct(ok_keras, "numpy_version")
    if keras_versions or tf_versions:
        facts.append(("Keras / TensorFlow", f"Keras {', '.join(keras_versions)} on TensorFlow {', '.join(tf_versions)}"
                      + (f" (NumPy {', '.join(np_versions)}, Python {meta_record.get('python_version')})"
                         if np_versions else "")))
    swift_threads = distinct(ok_swift, "threads")
    if swift_threads:
        facts.append(("SwiftKeras threads", f"{', '.join(map(str, swift_threads))} (`numThreads`)"))
    tf_threads = [json.loads(t) for t in distinct(ok_keras, "threads")]
    if tf_threads:
        facts.append(("TensorFlow threads", "; ".join(
            f"intra-op {t.get('intra_op')}, inter-op {t.get('inter_op')} "
            f"(`tf.config.threading`; 0 = TensorFlow's default), os.cpu_count() {t.get('cpu_count')}"
            for t in tf_threads)))
    env = meta_record.get("env") or {}
    facts.append(("Environment", ", ".join(f"`{k}={v}`" for k, v in env.items()) if env
                  else "no OPENBLAS_* / thread variables set"))
    facts.append(("Reduced", "yes (datasets 10x smaller)" if meta_record.get("reduced") else "no (full size)"))
    if end.get("wall_seconds") is not None:
        m, s = divmod(int(end["wall_seconds"]), 60)
        facts.append(("Total run time", f"{m} min {s} s (both frameworks, all workloads, including warm-ups)"))
    if meta_record.get("load_average_1min") is not None:
        facts.append(("Load average (1 min)", f"{meta_record['load_average_1min']} at the start"
                      + (f", {end['load_average_1min']} at the end" if end.get("load_average_1min") is not None else "")
                      + " (other processes on the machine skew timings)"))
    out += [f"- **{name}**: {value}" for name, value in facts if value]
    out.append("")

    header = ["Workload", "Measure", "Keras", "SwiftKeras", "Ratio (SwiftKeras ÷ Keras)", "Target", "Met",
              "Peak RSS Keras", "Peak RSS SwiftKeras"]
    out += ["| " + " | ".join(header) + " |",
            "|" + "|".join(["---", "---", "---:", "---:", "---:", "---", "---", "---:", "---:"]) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out.append("")

    out += ["Ratios: for training rows, SwiftKeras seconds per epoch ÷ Keras seconds per epoch (below 1 means "
            "SwiftKeras is faster); for predict rows, SwiftKeras images/s ÷ Keras images/s (above 1 means "
            "SwiftKeras is faster). Peak RSS is each process's high-water mark of resident memory "
            "(SwiftKeras: `VmHWM` in /proc/self/status; Keras: `ru_maxrss`, which includes TensorFlow itself).", ""]

    out += ["## Workloads", ""]
    for w in workloads:
        r = results.get((w, "swiftkeras")) or results.get((w, "keras")) or {}
        size = f"{r['samples']:,} {shape_of(w)}" if r.get("samples") is not None else shape_of(w)
        batch = f", batch {r['batch_size']}" if r.get("batch_size") is not None else ""
        out.append(f"- `{w}`: {DESCRIPTIONS.get(w, '')}; {size}{batch}.")
    out += ["",
            "## Method", "",
            "- Random data of the stated shapes (timing does not depend on the values); labels are random valid "
            "classes. Both sides compile with `metrics=[\"accuracy\"]`.",
            "- Training rows: one untimed warm-up epoch, then one timed `fit(epochs=1, verbose=0)` epoch "
            "(shuffled, no validation). Predict rows: a warm-up `predict` call on 512 images (or one batch), then one timed `predict` over all "
            "images at the stated batch size.",
            "- Every workload runs in its own process (Keras first, then SwiftKeras), so peak memory belongs to "
            "one workload. TensorFlow keeps its default threading; SwiftKeras uses its default too: `numThreads` "
            "is the CPUs available to the process (SWIFTKERAS_NUM_THREADS or OMP_NUM_THREADS when set).",
            "- Code: `Examples/Benchmark/main.swift` (SwiftKeras) and `Scripts/benchmark/keras_bench.py` (Keras); "
            "raw results in `.build/benchmark/results.jsonl`, logs in `.build/benchmark/logs/`.",
            ""]
    failures = [r for r in results.values() if "error" in r]
    if failures:
        out += ["## Failures", ""]
        out += [f"- `{r['workload']}` ({r['framework']}): {r['error']}" for r in failures]
        out.append("")

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write("\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    m = sub.add_parser("meta", help="print the machine and run facts as one JSON line")
    m.add_argument("--command", required=True, help="the command line, as given, relative to the repository")
    m.add_argument("--binary", required=True, help="the SwiftKeras benchmark executable (to find its OpenBLAS)")
    m.add_argument("--workloads", required=True, help="comma-separated workloads of this run")
    m.add_argument("--reduced", action="store_true")
    r = sub.add_parser("render", help="write the Markdown report")
    r.add_argument("--results", required=True)
    r.add_argument("--output", required=True)
    args = parser.parse_args()
    {"meta": meta, "render": render}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
