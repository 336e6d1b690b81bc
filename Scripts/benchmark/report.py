#!/usr/bin/env python3
"""Machine facts and the Markdown report for Scripts/benchmark/run.sh.

    report.py meta --command CMD --binary PATH --workloads a,b [--reduced] [--with-torch]
                   [--threads N] [--epochs N]
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
import statistics
import subprocess
import sys

# What each workload is; the sample counts and batch sizes come from the results.
DESCRIPTIONS = {
    "lenet_sgd128": "lecture LeNet, SGD, sparse categorical crossentropy",
    "lenet_adam128": "lecture LeNet, Adam, sparse categorical crossentropy",
    "lenet_sgd32": "lecture LeNet, SGD, sparse categorical crossentropy",
    "cnn_sgd128": "Keras MNIST CNN (Conv2D 32, Conv2D 64, MaxPooling, Dropout, Dense 128, Dropout, Dense 10), SGD, "
                  "categorical crossentropy on one-hot labels",
    "bncnn_adam128": "BatchNormalization CNN (four 3×3 Conv2D without bias, each with BatchNormalization and ReLU, two "
                     "MaxPooling, Dropout, Dense 256 with BatchNormalization, Dense 10), Adam, sparse categorical crossentropy",
    "imdb_simplernn": "Embedding(10000, 32) → SimpleRNN(32) → Dense(1, sigmoid), Adam, binary crossentropy",
    "imdb_lstm": "Embedding(10000, 32) → LSTM(64) → Dense(1, sigmoid), Adam, binary crossentropy",
    "imdb_gru": "Embedding(10000, 32) → GRU(64) → Dense(1, sigmoid), Adam, binary crossentropy",
    "imdb_stacked_lstm": "Embedding(10000, 32) → LSTM(64, return_sequences) → LSTM(64) → Dense(1, sigmoid), Adam, "
                         "binary crossentropy",
    "imdb_conv1d": "Embedding(10000, 50) → Dropout → Conv1D(250, 3, relu) → GlobalMaxPooling1D → Dense(250) → Dropout → "
                   "ReLU → Dense(1, sigmoid), Adam, binary crossentropy",
    "char_lstm": "Embedding(65, 32) → LSTM(128, return_sequences) → TimeDistributed(Dense(65, softmax)), Adam, "
                 "sparse categorical crossentropy",
    "lenet_predict1": "lecture LeNet, predict",
    "lenet_predict256": "lecture LeNet, predict",
}
SHAPES = {
    "lenet": "28×28×1 images", "cnn": "28×28×1 images", "bncnn": "28×28×1 images", "imdb": "sequences of 200 ids in [1, 10000)",
    "char": "sequences of 100 ids in [0, 65)",
}

# (kind, bound): "time" rows need SwiftKeras time / Keras time <= bound; "throughput" rows
# need SwiftKeras images/s / Keras images/s >= bound.
TARGETS = {
    "lenet_sgd128": ("time", 1.0), "lenet_adam128": ("time", 1.0), "lenet_sgd32": ("time", 1.0),
    "cnn_sgd128": ("time", 1.0), "bncnn_adam128": ("time", 1.0), "imdb_conv1d": ("time", 1.0),
    "imdb_simplernn": ("time", 0.5), "imdb_lstm": ("time", 0.5), "imdb_gru": ("time", 0.5),
    "imdb_stacked_lstm": ("time", 0.5), "char_lstm": ("time", 0.5),
    "lenet_predict1": ("throughput", 10.0), "lenet_predict256": ("throughput", 1.0),
}

ENV_VARS = ["SWIFTKERAS_KERNELS", "SWIFTKERAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
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


def cpu_id():
    """Vendor, family / model / stepping, the vector extensions, caches and the hypervisor."""
    vendor = first_match("/proc/cpuinfo", r"vendor_id\s*:\s*(.*)")
    family = first_match("/proc/cpuinfo", r"cpu family\s*:\s*(.*)")
    model = first_match("/proc/cpuinfo", r"model\s*:\s*(\d+)")
    stepping = first_match("/proc/cpuinfo", r"stepping\s*:\s*(.*)")
    flags = (first_match("/proc/cpuinfo", r"flags\s*:\s*(.*)") or "").split()
    vectors = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    caches = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for index in sorted(os.listdir(base)):
            if not index.startswith("index"):
                continue
            def read(name):
                with open(os.path.join(base, index, name)) as f:
                    return f.read().strip()
            if read("type") == "Instruction":
                continue
            caches[f"L{read('level')}"] = read("size") + (f" shared by CPUs {read('shared_cpu_list')}"
                                                         if read("level") == "3" else "")
    except OSError:
        pass
    return {"vendor": vendor, "family": family, "model": model, "stepping": stepping, "vector_extensions": vectors,
            "caches": caches, "hypervisor": "hypervisor" in flags}


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
        "cpu_id": cpu_id(),
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
        "with_torch": args.with_torch,
        "threads": args.threads,
        "epochs": args.epochs,
    }
    print(json.dumps(record))


# Rendering -------------------------------------------------------------------------------

FRAMEWORK_NAMES = {"keras": "Keras", "swiftkeras": "SwiftKeras", "torch": "PyTorch"}


def fmt_seconds(x):
    return f"{x:.2f}" if x >= 1 else f"{x:.3f}"


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def shape_of(workload):
    return SHAPES.get(workload.split("_")[0], "")


def load_results(path):
    meta_record, end, results = {}, {}, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r.get("type") == "meta":
                meta_record = r
            elif r.get("type") == "end":
                end = r
            elif r.get("type") == "result":
                results.append(r)
    return meta_record, end, results


def summary(r):
    """min / median seconds, and images/s for predict rows, of one framework's timed epochs."""
    if r is None or "error" in r:
        return None
    times = [e["seconds"] for e in r["epochs"]]
    s = {"min": min(times), "median": statistics.median(times), "n": len(times),
         "taken": max(e["taken_pct"] for e in r["epochs"]), "kind": r["final"].get("kind", "train"),
         "samples": r["final"].get("samples"), "rss": r["final"].get("peak_rss_mb")}
    if s["kind"] == "predict":
        s["rate_best"], s["rate_median"] = s["samples"] / s["min"], s["samples"] / s["median"]
    return s


def cell(r, s):
    if r is None:
        return "not run"
    if s is None:
        return f"**failed** ({r.get('error', '')[:80]})"
    if s["kind"] == "predict":
        return f"{fmt_rate(s['rate_best'])} / {fmt_rate(s['rate_median'])}"
    return f"{fmt_seconds(s['min'])} / {fmt_seconds(s['median'])}"


def taken_cell(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    worst = max(values)
    return f"**{worst:.0f} %** ⚠" if worst > 5 else f"{worst:.0f} %"


def render(args):
    meta_record, end, results = load_results(args.results)
    main = {}
    scaling = []
    for r in results:
        if r["label"].startswith("scaling-"):
            scaling.append(r)
        else:
            main[(r["workload"], r["framework"])] = r
    workloads = [w for w in (meta_record.get("workloads") or []) if any(k[0] == w for k in main)]
    workloads += [w for w, _ in main if w not in workloads]
    frameworks = ["keras", "swiftkeras"] + (["torch"] if any(fw == "torch" for _, fw in main) or
                                              any(r["framework"] == "torch" for r in scaling) else [])
    others = [fw for fw in frameworks if fw != "swiftkeras"]

    rows = []
    for w in workloads:
        recs = {fw: main.get((w, fw)) for fw in frameworks}
        sums = {fw: summary(recs[fw]) for fw in frameworks}
        kind, bound = TARGETS.get(w, ("time", None))
        swift = sums["swiftkeras"]
        ratio_text, met, reference = "–", None, ""
        if swift and kind == "time":
            refs = [(sums[fw]["median"], fw) for fw in others if sums[fw]]
            if refs:
                best, fw = min(refs)
                ratio = swift["median"] / best
                reference = FRAMEWORK_NAMES[fw]
                ratio_text = f"{ratio:.2f}× {reference}'s time"
                met = ratio <= bound if bound is not None else None
        elif swift and sums["keras"]:
            ratio = swift["rate_median"] / sums["keras"]["rate_median"]
            ratio_text = f"{ratio:.2f}× Keras's images/s"
            met = ratio >= bound if bound is not None else None
        if kind == "time":
            measure = "s/epoch, min / median"
            target = f"≤ {bound:g}× best time" if bound is not None else "–"
        else:
            measure = "images/s, best / median"
            target = f"≥ {bound:g}× Keras images/s" if bound is not None else "–"
        rss = " / ".join(f"{sums[fw]['rss']:,.0f}" if sums[fw] and sums[fw]["rss"] else "–" for fw in frameworks)
        rows.append([f"`{w}`", measure] + [cell(recs[fw], sums[fw]) for fw in frameworks]
                    + [ratio_text, target, "–" if met is None else ("**yes**" if met else "no"),
                       taken_cell([sums[fw]["taken"] for fw in frameworks if sums[fw]]), rss])

    # The header describes the main table; the scaling section's rows set their own thread counts.
    described = list(main.values()) or results
    swift_finals = [r["final"] for r in described if r["framework"] == "swiftkeras" and "final" in r]
    keras_finals = [r["final"] for r in described if r["framework"] == "keras" and "final" in r]
    torch_finals = [r["final"] for r in described if r["framework"] == "torch" and "final" in r]

    out = [f"# Benchmarks: SwiftKeras vs Keras 3 (TensorFlow CPU){' and PyTorch' if 'torch' in frameworks else ''}", "",
           "_Generated by `Scripts/benchmark/run.sh` from its results file; do not edit by hand._", ""]
    if meta_record.get("reduced"):
        out += ["> **Reduced run**: every dataset was scaled down 10x. These numbers check the pipeline; "
                "they are not the benchmark.", ""]
    cpu = meta_record.get("cpu_id") or {}
    machine = meta_record.get("cpu_model") or "unknown CPU"
    cpu_text = (f"{machine} ({cpu.get('vendor')}, family {cpu.get('family')} model {cpu.get('model')} stepping "
                f"{cpu.get('stepping')}; {', '.join(cpu.get('vector_extensions') or []) or 'no AVX2'}; "
                + ", ".join(f"{k} {v}" for k, v in (cpu.get("caches") or {}).items())
                + ("; virtual machine" if cpu.get("hypervisor") else "") + ")") if cpu else machine
    facts = [
        ("Date", meta_record.get("date")),
        ("Command", f"`{meta_record['command']}`" if meta_record.get("command") else None),
        ("CPU", cpu_text),
        ("Machine", f"{meta_record.get('nproc')} CPUs (nproc), {meta_record.get('memory_gib')} GiB memory"
                    + (f"; {meta_record['os']}, Linux {meta_record.get('kernel')}" if meta_record.get("os") else "")),
        ("Swift", meta_record.get("swift_version")),
        ("SwiftKeras", f"commit {meta_record['git_commit']}" if meta_record.get("git_commit") else None),
    ]
    paths = sorted({f.get("kernel_path") for f in swift_finals if f.get("kernel_path")})
    caches = swift_finals[0].get("caches") if swift_finals else None
    if paths:
        facts.append(("SwiftKeras kernels", ", ".join(paths) + (
            f" (blocked for L1d {caches['l1d'] // 1024} KiB, L2 {caches['l2'] // 1024} KiB, L3 {caches['l3'] // 1024} KiB "
            f"shared by {caches['l3_shared_by']}, read from {caches['source']})" if caches else "")))
    ob = meta_record.get("openblas") or {}
    if ob:
        parts = [ob.get("package") or ob.get("library")]
        if ob.get("config"):
            parts.append(f"config `{ob['config']}`")
        if ob.get("core"):
            parts.append(f"core {ob['core']}")
        facts.append(("OpenBLAS", ", ".join(p for p in parts if p)))

    def distinct(records, key):
        values = []
        for r in records:
            v = r.get(key)
            v = json.dumps(v, sort_keys=True) if isinstance(v, dict) else v
            if v is not None and v not in values:
                values.append(v)
        return values

    if keras_finals:
        facts.append(("Keras / TensorFlow", f"Keras {', '.join(distinct(keras_finals, 'keras_version'))} on TensorFlow "
                      f"{', '.join(distinct(keras_finals, 'tf_version'))} (NumPy {', '.join(distinct(keras_finals, 'numpy_version'))}, "
                      f"Python {meta_record.get('python_version')})"))
    if torch_finals:
        facts.append(("PyTorch", ", ".join(distinct(torch_finals, "torch_version"))))
    threads = meta_record.get("threads")
    facts.append(("Threads", f"`--threads {threads}` on every side (SwiftKeras's thread count, TensorFlow's intra- and "
                  f"inter-op threads, `torch.set_num_threads`)" if threads else
                  "each framework's default (SwiftKeras: `numThreads` " + ", ".join(map(str, distinct(swift_finals, "threads")))
                  + ", the CPUs available to the process unless SWIFTKERAS_NUM_THREADS or OMP_NUM_THREADS is set"
                  + "; TensorFlow: " + "; ".join(f"intra-op {t['intra_op']}, inter-op {t['inter_op']}" for t in
                                                   map(json.loads, distinct(keras_finals, "threads")))
                  + " (0 = TensorFlow's own choice))"))
    env = meta_record.get("env") or {}
    facts.append(("Environment", ", ".join(f"`{k}={v}`" for k, v in env.items()) if env
                  else "no OPENBLAS_* / thread variables set"))
    if end.get("wall_seconds") is not None:
        m, s = divmod(int(end["wall_seconds"]), 60)
        facts.append(("Total run time", f"{m} min {s} s"))
    if meta_record.get("load_average_1min") is not None:
        facts.append(("Load average (1 min)", f"{meta_record['load_average_1min']} at the start"
                      + (f", {end['load_average_1min']} at the end" if end.get("load_average_1min") is not None else "")))
    out += [f"- **{name}**: {value}" for name, value in facts if value]
    out.append("")

    names = [FRAMEWORK_NAMES[fw] for fw in frameworks]
    header = ["Workload", "Measure"] + names + ["SwiftKeras ÷ reference (medians)", "Target", "Met",
                                               "Taken (max)", "Peak RSS MB (" + " / ".join(names) + ")"]
    out += ["| " + " | ".join(header) + " |",
            "|" + "|".join(["---", "---"] + ["---:"] * len(frameworks) + ["---:", "---", "---", "---:", "---:"]) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out.append("")
    out += [f"Each side ran one untimed warm-up, then {meta_record.get('epochs', 3)} timed epochs (or predict passes), "
            "interleaved with the other sides' (see Method). Training rows: the reference is the faster of "
            + " and ".join(FRAMEWORK_NAMES[fw] for fw in others) + " by median; predict rows compare with Keras. "
            "**Taken** is the largest share of the machine's CPU time that the host (steal) and every other process "
            "took during one of the row's timed epochs (from /proc/stat); rows over 5 % are marked ⚠ and their "
            "times are less trustworthy. Peak RSS is each process's high-water mark of resident memory.", ""]

    if scaling:
        sizes = {}
        for r in scaling:
            if "final" in r:
                sizes.setdefault(r["workload"], r["final"].get("samples"))
        out += ["## Scaling", "", "A quarter of each dataset (" + "; ".join(
            f"`{w}`: {n:,} samples" for w, n in sizes.items() if n) + "), the same interleaved timed epochs; "
                "medians in seconds per epoch.", ""]

        def scaled(group, workload):
            rows = {}
            for r in scaling:
                if r["params"].get("group") == group and r["workload"] == workload:
                    rows.setdefault(json.dumps({k: v for k, v in r["params"].items() if k != "group"}, sort_keys=True),
                                    {})[r["framework"]] = r
            return [(json.loads(k), v) for k, v in rows.items()]

        def table(title, key, group, workload, unit_label, unit):
            entries = sorted(scaled(group, workload), key=lambda e: e[0].get(key) or 0)
            if not entries:
                return []
            lines = [f"### {title}", "",
                     "| " + " | ".join([key.replace("_", " ")] + [f"{FRAMEWORK_NAMES[fw]} s/epoch" for fw in frameworks]
                                       + [f"SwiftKeras {unit_label}", "SwiftKeras ÷ best other", "Taken (max)"]) + " |",
                     "|" + "|".join(["---:"] * (len(frameworks) + 4)) + "|"]
            for params, recs in entries:
                sums = {fw: summary(recs.get(fw)) for fw in frameworks}
                swift = sums["swiftkeras"]
                others_medians = [sums[fw]["median"] for fw in others if sums[fw]]
                ratio = f"{swift['median'] / min(others_medians):.2f}×" if swift and others_medians else "–"
                per_unit = f"{swift['median'] / unit(params, swift) * 1e3:.3f}" if swift else "–"
                lines.append("| " + " | ".join(
                    [str(params.get(key))] + [fmt_seconds(sums[fw]["median"]) if sums[fw] else
                                              ("failed" if recs.get(fw) else "not run") for fw in frameworks]
                    + [per_unit, ratio, taken_cell([sums[fw]["taken"] for fw in frameworks if sums[fw]])]) + " |")
            return lines + [""]

        out += table("By thread count: LeNet, SGD, batch 128", "threads", "threads", "lenet_sgd128",
                     "ms per 1,000 images", lambda p, s: s["samples"] / 1000)
        out += table("By thread count: IMDB LSTM(64), batch 64", "threads", "threads", "imdb_lstm",
                     "ms per 1,000 sequences", lambda p, s: s["samples"] / 1000)
        out += table("By batch size: LeNet, SGD", "batch_size", "batch", "lenet_sgd128",
                     "ms per 1,000 images", lambda p, s: s["samples"] / 1000)
        out += table("By sequence length: IMDB LSTM(64), batch 64", "sequence_length", "sequence", "imdb_lstm",
                     "ms per 1,000 sequence steps", lambda p, s: s["samples"] * p["sequence_length"] / 1000)
        out += ["Cost linear in the work means a constant per-unit column: per image across batch sizes, per "
                "sequence step across sequence lengths. More threads should lower the seconds per epoch.", ""]

    out += ["## Workloads", ""]
    for w in workloads:
        r = next((main[(w, fw)] for fw in frameworks if (w, fw) in main and "final" in main[(w, fw)]), None)
        f = r["final"] if r else {}
        size = f"{f['samples']:,} {shape_of(w)}" if f.get("samples") is not None else shape_of(w)
        batch = f", batch {f['batch_size']}" if f.get("batch_size") is not None else ""
        out.append(f"- `{w}`: {DESCRIPTIONS.get(w, '')}; {size}{batch}.")
    out += ["",
            "## Method", "",
            "- Random data of the stated shapes (timing does not depend on the values); labels are random valid "
            "classes. Keras and SwiftKeras compile with `metrics=[\"accuracy\"]`; the PyTorch loop counts the same "
            "accuracy.",
            "- Every workload runs in its own process per framework, so peak memory belongs to one workload. The "
            "processes of one workload start together; each builds its model and data and runs one untimed warm-up "
            "epoch (predict: a `predict` on 512 images or one batch). Then `Scripts/benchmark/driver.py` asks them in "
            "turn for one timed epoch each (`fit(epochs=1, verbose=0)`, shuffled, no validation; or one `predict` "
            "over all images), round after round: Keras, SwiftKeras" + (", PyTorch" if "torch" in frameworks else "")
            + ", Keras, SwiftKeras, ... A process waiting for its turn is blocked on a read and uses no CPU.",
            "- Around each timed epoch the driver reads /proc/stat (all CPUs) and the timed process's own CPU time "
            "(/proc/PID/stat): taken = (steal + busy time of everything else) ÷ total CPU time of the interval.",
            "- PyTorch (`--with-torch`): idiomatic `nn.Module` code (`Scripts/benchmark/torch_bench.py`): "
            "channels-first images, fused `nn.RNN` / `nn.LSTM` / `nn.GRU` with `batch_first=True`, losses on logits, "
            "`torch.optim` SGD (lr 0.01) or Adam (lr 1e-3), the usual zero_grad / forward / backward / step loop; "
            "predict under `torch.inference_mode()`.",
            "- Code: `Examples/Benchmark/main.swift` (SwiftKeras), `Scripts/benchmark/keras_bench.py` (Keras), "
            "`Scripts/benchmark/torch_bench.py` (PyTorch), `Scripts/benchmark/driver.py` (the interleaving and the "
            "/proc/stat readings); raw results in `.build/benchmark/results.jsonl`, logs in `.build/benchmark/logs/`.",
            ""]
    failures = [r for r in results if "error" in r]
    if failures:
        out += ["## Failures", ""]
        out += [f"- `{r['label']}` ({r['framework']}): {r['error']}" for r in failures]
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
    m.add_argument("--with-torch", action="store_true")
    m.add_argument("--threads", type=int)
    m.add_argument("--epochs", type=int, default=3)
    r = sub.add_parser("render", help="write the Markdown report")
    r.add_argument("--results", required=True)
    r.add_argument("--output", required=True)
    args = parser.parse_args()
    {"meta": meta, "render": render}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
