#!/usr/bin/env python3
"""Keras 3 (TensorFlow CPU) side of the SwiftKeras benchmark.

Usage:
    python keras_bench.py --list
    python keras_bench.py --workload NAME [--reduced] [--seed N]

Runs one workload per process (so the peak resident memory belongs to it alone), the
same workloads, shapes, optimizers and losses as Examples/Benchmark/main.swift, on random
data: training workloads fit one untimed warm-up epoch, then time one epoch of
model.fit(..., epochs=1, verbose=0); predict workloads time model.predict(batch_size=...)
after a warm-up call on 512 images (or one batch). TensorFlow keeps its default threading. The last stdout line is a
JSON object; progress goes to stderr. Only Keras's public API is used.
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


def imdb_model(keras, cell):
    layers = keras.layers
    recurrent = {
        "simplernn": [layers.SimpleRNN(32)],
        "lstm": [layers.LSTM(64)],
        "gru": [layers.GRU(64)],
        "stacked": [layers.LSTM(64, return_sequences=True), layers.LSTM(64)],
    }[cell]
    return keras.Sequential(
        [keras.Input(shape=(200,), dtype="int32"), layers.Embedding(10000, 32)]
        + recurrent
        + [layers.Dense(1, activation="sigmoid")])


def char_model(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(100,), dtype="int32"),
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
    def make(keras, rng, n):
        model = lenet(keras)
        model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
        return model, images(rng, n), integers(rng, (n,), 0, 10)
    return {"kind": "train", "batch_size": batch_size, "samples": 60_000, "make": make}


def cnn_training():
    def make(keras, rng, n):
        model = mnist_cnn(keras)
        model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
        y = keras.utils.to_categorical(integers(rng, (n,), 0, 10), num_classes=10)
        return model, images(rng, n), y
    return {"kind": "train", "batch_size": 128, "samples": 60_000, "make": make}


def imdb_training(cell):
    def make(keras, rng, n):
        model = imdb_model(keras, cell)
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model, integers(rng, (n, 200), 1, 10000), integers(rng, (n, 1), 0, 2).astype(np.float32)
    return {"kind": "train", "batch_size": 64, "samples": 25_000, "make": make}


def char_training():
    def make(keras, rng, n):
        model = char_model(keras)
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model, integers(rng, (n, 100), 0, 65), integers(rng, (n, 100), 0, 65)
    return {"kind": "train", "batch_size": 64, "samples": 10_000, "make": make}


def lenet_predict(batch_size, samples):
    def make(keras, rng, n):
        model = lenet(keras)
        model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
        return model, images(rng, n), None
    return {"kind": "predict", "batch_size": batch_size, "samples": samples, "make": make}


WORKLOADS = {
    "lenet_sgd128": lenet_training(128, "sgd"),
    "lenet_adam128": lenet_training(128, "adam"),
    "lenet_sgd32": lenet_training(32, "sgd"),
    "cnn_sgd128": cnn_training(),
    "imdb_simplernn": imdb_training("simplernn"),
    "imdb_lstm": imdb_training("lstm"),
    "imdb_gru": imdb_training("gru"),
    "imdb_stacked_lstm": imdb_training("stacked"),
    "char_lstm": char_training(),
    "lenet_predict1": lenet_predict(1, 10_000),
    "lenet_predict256": lenet_predict(256, 10_240),
}


def main():
    parser = argparse.ArgumentParser(description="Time one Keras benchmark workload and print a JSON result line.")
    parser.add_argument("--workload", help="the workload to run (see --list)")
    parser.add_argument("--list", action="store_true", help="print the workload names and exit")
    parser.add_argument("--reduced", action="store_true", help="scale every dataset down 10x, for quick checks")
    parser.add_argument("--seed", type=int, default=42, help="random seed for the data and the initializers")
    args = parser.parse_args()

    if args.list:
        print("\n".join(WORKLOADS))
        return
    if args.workload not in WORKLOADS:
        parser.error(f"give --workload NAME, one of: {', '.join(WORKLOADS)}")

    import keras
    import tensorflow as tf

    spec = WORKLOADS[args.workload]
    n = spec["samples"] // 10 if args.reduced else spec["samples"]
    batch_size = spec["batch_size"]
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    log(f"{args.workload}: {n} samples, batch {batch_size}{' (reduced)' if args.reduced else ''}")
    model, x, y = spec["make"](keras, rng, n)

    result = {"framework": "keras", "workload": args.workload}
    if spec["kind"] == "train":
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        log(f"warm-up epoch: {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        elapsed = time.perf_counter() - start
        log(f"timed epoch: {elapsed:.2f} s")
        result["seconds_per_epoch"] = round(elapsed, 4)
    else:
        model.predict(x[:max(batch_size, 512)], batch_size=batch_size, verbose=0)
        start = time.perf_counter()
        model.predict(x, batch_size=batch_size, verbose=0)
        elapsed = time.perf_counter() - start
        log(f"predict: {n} images in {elapsed:.2f} s")
        result["images_per_second"] = round(n / elapsed, 1)
        result["seconds"] = round(elapsed, 4)

    result.update({
        "batch_size": batch_size,
        "samples": n,
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
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
