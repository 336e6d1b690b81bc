#!/usr/bin/env python3
"""PyTorch (CPU) side of the SwiftKeras benchmark: the same workloads as keras_bench.py and
Examples/Benchmark/main.swift, written as a PyTorch user would write them.

Usage:
    python torch_bench.py --list
    python torch_bench.py --workload NAME [--reduced] [--seed N] [--threads N]
                          [--samples N] [--batch-size N] [--sequence-length N]

Idiomatic nn.Module code: the lecture models as nn.Sequential / small nn.Module classes
(channels-first images; the recurrent models on the fused nn.RNN / nn.LSTM / nn.GRU with
batch_first=True, their last output into nn.Linear), losses on logits (CrossEntropyLoss,
BCEWithLogitsLoss: the softmax or sigmoid folded in, as PyTorch code does), torch.optim
SGD (lr 0.01, Keras's default) or Adam (lr 1e-3), and the usual loop per batch of a shuffled
epoch: zero_grad, forward, loss, backward, step, plus the accuracy Keras's metric counts.
Predict runs model.eval() under torch.inference_mode() batch by batch. --threads N calls
torch.set_num_threads(N) and torch.set_num_interop_threads(N). The protocol is that of
keras_bench.py (see driver.py). Progress goes to stderr.
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np


def log(message):
    print(f"[torch] {message}", file=sys.stderr, flush=True)


def emit(record):
    print(json.dumps(record), flush=True)


def build(torch, name, length):
    nn = torch.nn
    if name.startswith("lenet"):
        return nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(32, 48, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(), nn.Linear(7 * 7 * 48, 256), nn.ReLU(), nn.Linear(256, 84), nn.ReLU(), nn.Linear(84, 10))
    if name == "cnn_sgd128":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Flatten(), nn.Linear(12 * 12 * 64, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))
    if name == "bncnn_adam128":
        def block(inputs, filters):
            return [nn.Conv2d(inputs, filters, 3, padding=1, bias=False), nn.BatchNorm2d(filters), nn.ReLU()]
        return nn.Sequential(
            *block(1, 32), *block(32, 32), nn.MaxPool2d(2), nn.Dropout(0.25),
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Flatten(), nn.Linear(7 * 7 * 64, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(256, 10))

    class TextCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(10000, 50)
            self.dropout = nn.Dropout(0.2)
            self.conv = nn.Conv1d(50, 250, 3)
            self.hidden = nn.Linear(250, 250)
            self.out = nn.Linear(250, 1)

        def forward(self, x):
            features = torch.relu(self.conv(self.dropout(self.embedding(x)).transpose(1, 2))).amax(dim=2)
            return self.out(torch.relu(self.dropout(self.hidden(features)))).squeeze(1)

    if name == "imdb_conv1d":
        return TextCNN()

    class Sentiment(nn.Module):
        def __init__(self, cell, units, layers):
            super().__init__()
            self.embedding = nn.Embedding(10000, 32)
            self.rnn = cell(32, units, num_layers=layers, batch_first=True)
            self.out = nn.Linear(units, 1)

        def forward(self, x):
            sequence, _ = self.rnn(self.embedding(x))
            return self.out(sequence[:, -1]).squeeze(1)

    class CharModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(65, 32)
            self.lstm = nn.LSTM(32, 128, batch_first=True)
            self.out = nn.Linear(128, 65)

        def forward(self, x):
            sequence, _ = self.lstm(self.embedding(x))
            return self.out(sequence)

    if name == "imdb_simplernn":
        return Sentiment(nn.RNN, 32, 1)
    if name == "imdb_lstm":
        return Sentiment(nn.LSTM, 64, 1)
    if name == "imdb_gru":
        return Sentiment(nn.GRU, 64, 1)
    if name == "imdb_stacked_lstm":
        return Sentiment(nn.LSTM, 64, 2)
    if name == "char_lstm":
        return CharModel()
    return None


# name: (kind, batch size, samples, sequence length, optimizer, data)
WORKLOADS = {
    "lenet_sgd128": ("train", 128, 60_000, None, "sgd", "images"),
    "lenet_adam128": ("train", 128, 60_000, None, "adam", "images"),
    "lenet_sgd32": ("train", 32, 60_000, None, "sgd", "images"),
    "cnn_sgd128": ("train", 128, 60_000, None, "sgd", "images"),
    "bncnn_adam128": ("train", 128, 60_000, None, "adam", "images"),
    "imdb_simplernn": ("train", 64, 25_000, 200, "adam", "reviews"),
    "imdb_lstm": ("train", 64, 25_000, 200, "adam", "reviews"),
    "imdb_gru": ("train", 64, 25_000, 200, "adam", "reviews"),
    "imdb_stacked_lstm": ("train", 64, 25_000, 200, "adam", "reviews"),
    "imdb_conv1d": ("train", 32, 25_000, 200, "adam", "reviews"),
    "char_lstm": ("train", 64, 10_000, 100, "adam", "characters"),
    "lenet_predict1": ("predict", 1, 10_000, None, None, "images"),
    "lenet_predict256": ("predict", 256, 10_240, None, None, "images"),
}


def main():
    parser = argparse.ArgumentParser(description="One PyTorch benchmark workload, driven over stdin/stdout by driver.py.")
    parser.add_argument("--workload", help="the workload to run (see --list)")
    parser.add_argument("--list", action="store_true", help="print the workload names and exit")
    parser.add_argument("--reduced", action="store_true", help="scale every dataset down 10x, for quick checks")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, help="torch.set_num_threads / set_num_interop_threads")
    parser.add_argument("--samples", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--sequence-length", type=int)
    args = parser.parse_args()
    if args.list:
        print("\n".join(WORKLOADS))
        return
    if args.workload not in WORKLOADS:
        parser.error(f"give --workload NAME, one of: {', '.join(WORKLOADS)}")
    kind, batch_size, samples, length, optimizer_name, data = WORKLOADS[args.workload]
    if args.sequence_length is not None and length is None:
        parser.error(f"--sequence-length: {args.workload} has no sequences")

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
        torch.set_num_interop_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    full = args.samples or samples
    n = max(1, full // 10) if args.reduced else full
    batch_size = args.batch_size or batch_size
    length = args.sequence_length or length
    log(f"{args.workload}: {n} samples, batch {batch_size}" + (f", {length} steps" if length else ""))

    model = build(torch, args.workload, length)
    if data == "images":
        x = torch.from_numpy(rng.random((n, 1, 28, 28), dtype=np.float32))
        y = torch.from_numpy(rng.integers(0, 10, size=n)).long()
        loss_fn = torch.nn.CrossEntropyLoss()
    elif data == "reviews":
        x = torch.from_numpy(rng.integers(1, 10000, size=(n, length))).long()
        y = torch.from_numpy(rng.integers(0, 2, size=n).astype(np.float32))
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        x = torch.from_numpy(rng.integers(0, 65, size=(n, length))).long()
        y = torch.from_numpy(rng.integers(0, 65, size=(n, length))).long()
        loss_fn = torch.nn.CrossEntropyLoss()

    if kind == "train":
        optimizer = (torch.optim.SGD(model.parameters(), lr=0.01) if optimizer_name == "sgd"
                     else torch.optim.Adam(model.parameters(), lr=1e-3))

        def timed():
            model.train()
            order = torch.randperm(n)
            correct = 0
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                xb, yb = x[index], y[index]
                optimizer.zero_grad()
                out = model(xb)
                if data == "characters":
                    loss = loss_fn(out.reshape(-1, 65), yb.reshape(-1))
                    correct += (out.argmax(-1) == yb).sum().item()
                elif data == "reviews":
                    loss = loss_fn(out, yb)
                    correct += ((out > 0).float() == yb).sum().item()
                else:
                    loss = loss_fn(out, yb)
                    correct += (out.argmax(1) == yb).sum().item()
                loss.backward()
                optimizer.step()
            return correct

        start = time.perf_counter()
        timed()
        log(f"warm-up epoch: {time.perf_counter() - start:.2f} s")
    else:
        model.eval()

        def predict(images):
            outputs = []
            with torch.inference_mode():
                for start in range(0, len(images), batch_size):
                    outputs.append(torch.softmax(model(images[start:start + batch_size]), dim=1))
            return torch.cat(outputs)

        def timed():
            predict(x)

        predict(x[:max(batch_size, 512)])
    emit({"ready": True, "framework": "torch", "workload": args.workload})

    for line in sys.stdin:
        command = line.strip()
        if command == "finish":
            break
        if command != "run":
            emit({"error": f"unknown command {command!r} (expected run or finish)"})
            continue
        start = time.perf_counter()
        timed()
        elapsed = time.perf_counter() - start
        log(f"timed: {elapsed:.3f} s")
        emit({"seconds": round(elapsed, 6)})

    emit({
        "framework": "torch",
        "workload": args.workload,
        "kind": kind,
        "batch_size": batch_size,
        "samples": n,
        "sequence_length": length,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads(),
                    "cpu_count": os.cpu_count()},
        "reduced": args.reduced,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
    })


if __name__ == "__main__":
    main()
