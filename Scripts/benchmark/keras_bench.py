#!/usr/bin/env python3
"""Keras 3 (TensorFlow CPU) side of the SwiftKeras benchmark.

Usage:
    python keras_bench.py --list
    python keras_bench.py --workload NAME [--reduced] [--seed N] [--threads N]
                          [--samples N] [--batch-size N] [--sequence-length N]

Runs one workload per process (so the peak resident memory belongs to it alone), the
same workloads, shapes, optimizers and losses as Examples/Benchmark/main.swift, on random
data, and speaks the driver's protocol (driver.py; one JSON object per stdout line): after
the untimed warm-up (one epoch of model.fit, or model.predict on 512 images or one batch)
it prints {"ready": true}; each "run" line on stdin times one model.fit(..., epochs=1,
verbose=0) epoch or one model.predict over all images and prints {"seconds": ...};
"finish" prints the final record. --threads N sets TensorFlow's intra- and inter-op thread
counts (tf.config.threading); without it TensorFlow keeps its defaults. Progress goes to
stderr. Only Keras's public API is used.
"""

import argparse
import json
import os
import resource
import sys
import time

# Keep TensorFlow quiet; must be set before importing it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402


def log(message):
    print(f"[keras] {message}", file=sys.stderr, flush=True)


# Models, as the lectures write them -------------------------------------------------

def lenet(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (5, 5), strides=(1, 1), padding="same", activation="relu"),
        layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2), padding="valid"),
        layers.Conv2D(48, (5, 5), strides=(1, 1), padding="same", activation="relu"),
        layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2), padding="valid"),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(84, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def mnist_cnn(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(10, activation="softmax"),
    ])


def batchnorm_cnn(keras):
    layers = keras.layers

    def block(filters):
        return [layers.Conv2D(filters, (3, 3), padding="same", use_bias=False), layers.BatchNormalization(),
                layers.Activation("relu")]
    return keras.Sequential(
        [keras.Input(shape=(28, 28, 1))] + block(32) + block(32)
        + [layers.MaxPooling2D((2, 2)), layers.Dropout(0.25)] + block(64) + block(64)
        + [layers.MaxPooling2D((2, 2)), layers.Dropout(0.25), layers.Flatten(), layers.Dense(256, use_bias=False),
           layers.BatchNormalization(), layers.Activation("relu"), layers.Dropout(0.4),
           layers.Dense(10, activation="softmax")])


def text_cnn(keras, length):
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(length,), dtype="int32"),
        layers.Embedding(10000, 50),
        layers.Dropout(0.2),
        layers.Conv1D(250, 3, padding="valid", activation="relu", strides=1),
        layers.GlobalMaxPooling1D(),
        layers.Dense(250),
        layers.Dropout(0.2),
        layers.Activation("relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_model(keras, cell, length):
    layers = keras.layers
    recurrent = {
        "simplernn": [layers.SimpleRNN(32)],
        "lstm": [layers.LSTM(64)],
        "gru": [layers.GRU(64)],
        "stacked": [layers.LSTM(64, return_sequences=True), layers.LSTM(64)],
    }[cell]
    return keras.Sequential(
        [keras.Input(shape=(length,), dtype="int32"), layers.Embedding(10000, 32)]
        + recurrent
        + [layers.Dense(1, activation="sigmoid")])


def char_model(keras, length):
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(length,), dtype="int32"),
        layers.Embedding(65, 32),
        layers.LSTM(128, return_sequences=True),
        layers.TimeDistributed(layers.Dense(65, activation="softmax")),
    ])


# Random data (timing does not depend on the values) ---------------------------------

def images(rng, n):
    return rng.random((n, 28, 28, 1), dtype=np.float32)


def integers(rng, shape, low, high):
    return rng.integers(low, high, size=shape, dtype=np.int32)


def lenet_training(batch_size, optimizer):
    def make(keras, rng, n, length):
        model = lenet(keras)
        model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
        return model, images(rng, n), integers(rng, (n,), 0, 10)
    return {"kind": "train", "batch_size": batch_size, "samples": 60_000, "make": make}


def cnn_training():
    def make(keras, rng, n, length):
        model = mnist_cnn(keras)
        model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
        y = keras.utils.to_categorical(integers(rng, (n,), 0, 10), num_classes=10)
        return model, images(rng, n), y
    return {"kind": "train", "batch_size": 128, "samples": 60_000, "make": make}


def batchnorm_cnn_training():
    def make(keras, rng, n, length):
        model = batchnorm_cnn(keras)
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model, images(rng, n), integers(rng, (n,), 0, 10)
    return {"kind": "train", "batch_size": 128, "samples": 60_000, "make": make}


def text_cnn_training():
    def make(keras, rng, n, length):
        model = text_cnn(keras, length)
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model, integers(rng, (n, length), 1, 10000), integers(rng, (n, 1), 0, 2).astype(np.float32)
    return {"kind": "train", "batch_size": 32, "samples": 25_000, "sequence_length": 200, "make": make}


def imdb_training(cell):
    def make(keras, rng, n, length):
        model = imdb_model(keras, cell, length)
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model, integers(rng, (n, length), 1, 10000), integers(rng, (n, 1), 0, 2).astype(np.float32)
    return {"kind": "train", "batch_size": 64, "samples": 25_000, "sequence_length": 200, "make": make}


def char_training():
    def make(keras, rng, n, length):
        model = char_model(keras, length)
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model, integers(rng, (n, length), 0, 65), integers(rng, (n, length), 0, 65)
    return {"kind": "train", "batch_size": 64, "samples": 10_000, "sequence_length": 100, "make": make}


def lenet_predict(batch_size, samples):
    def make(keras, rng, n, length):
        model = lenet(keras)
        model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
        return model, images(rng, n), None
    return {"kind": "predict", "batch_size": batch_size, "samples": samples, "make": make}


WORKLOADS = {
    "lenet_sgd128": lenet_training(128, "sgd"),
    "lenet_adam128": lenet_training(128, "adam"),
    "lenet_sgd32": lenet_training(32, "sgd"),
    "cnn_sgd128": cnn_training(),
    "bncnn_adam128": batchnorm_cnn_training(),
    "imdb_simplernn": imdb_training("simplernn"),
    "imdb_lstm": imdb_training("lstm"),
    "imdb_gru": imdb_training("gru"),
    "imdb_stacked_lstm": imdb_training("stacked"),
    "imdb_conv1d": text_cnn_training(),
    "char_lstm": char_training(),
    "lenet_predict1": lenet_predict(1, 10_000),
    "lenet_predict256": lenet_predict(256, 10_240),
}


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    parser = argparse.ArgumentParser(description="One Keras benchmark workload, driven over stdin/stdout by driver.py.")
    parser.add_argument("--workload", help="the workload to run (see --list)")
    parser.add_argument("--list", action="store_true", help="print the workload names and exit")
    parser.add_argument("--reduced", action="store_true", help="scale every dataset down 10x, for quick checks")
    parser.add_argument("--seed", type=int, default=42, help="random seed for the data and the initializers")
    parser.add_argument("--threads", type=int, help="TensorFlow intra- and inter-op threads (default: TensorFlow's)")
    parser.add_argument("--samples", type=int, help="samples instead of the workload's own count (before --reduced)")
    parser.add_argument("--batch-size", type=int, help="batch size instead of the workload's own")
    parser.add_argument("--sequence-length", type=int, help="timesteps per sequence (recurrent workloads)")
    args = parser.parse_args()

    if args.list:
        print("\n".join(WORKLOADS))
        return
    if args.workload not in WORKLOADS:
        parser.error(f"give --workload NAME, one of: {', '.join(WORKLOADS)}")
    spec = WORKLOADS[args.workload]
    if args.sequence_length is not None and "sequence_length" not in spec:
        parser.error(f"--sequence-length: {args.workload} has no sequences")

    import keras
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    full = args.samples or spec["samples"]
    n = max(1, full // 10) if args.reduced else full
    batch_size = args.batch_size or spec["batch_size"]
    length = args.sequence_length or spec.get("sequence_length", 0)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    log(f"{args.workload}: {n} samples, batch {batch_size}" + (f", {length} steps" if length else "")
        + (" (reduced)" if args.reduced else ""))
    model, x, y = spec["make"](keras, rng, n, length)

    if spec["kind"] == "train":
        def timed():
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        start = time.perf_counter()
        timed()
        log(f"warm-up epoch: {time.perf_counter() - start:.2f} s")
    else:
        def timed():
            model.predict(x, batch_size=batch_size, verbose=0)
        model.predict(x[:max(batch_size, 512)], batch_size=batch_size, verbose=0)
    emit({"ready": True, "framework": "keras", "workload": args.workload})

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
        "framework": "keras",
        "workload": args.workload,
        "kind": spec["kind"],
        "batch_size": batch_size,
        "samples": n,
        "sequence_length": length or None,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": {
            "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            "cpu_count": os.cpu_count(),
        },
        "reduced": args.reduced,
        "keras_version": keras.__version__,
        "tf_version": tf.__version__,
        "numpy_version": np.__version__,
        "backend": keras.backend.backend(),
    })


if __name__ == "__main__":
    main()
