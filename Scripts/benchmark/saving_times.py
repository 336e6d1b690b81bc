#!/usr/bin/env python3
"""Keras's side of Scripts/benchmark/saving_times.swift: model.save / keras.models.load_model.

    python saving_times.py [--repeats 7] [--folder DIR]

The same models, compiled with Adam and fitted on one batch first (the file holds the
optimizer's state). Prints one line per model: min and median seconds, file bytes.
"""
import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402


def lenet():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (5, 5), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(48, (5, 5), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(84, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def imdb_lstm():
    return keras.Sequential([keras.Input((200,)), layers.Embedding(10000, 32), layers.LSTM(64),
                             layers.Dense(1, activation="sigmoid")])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--folder")
    args = parser.parse_args()
    folder = args.folder or tempfile.mkdtemp(prefix="saving_times_")
    rng = np.random.default_rng(1)
    cases = [
        ("lenet", lenet(), rng.random((32, 28, 28, 1), dtype=np.float32), np.arange(32) % 10,
         "sparse_categorical_crossentropy"),
        ("imdb_lstm", imdb_lstm(), rng.integers(1, 10000, (32, 200)), (np.arange(32) % 2).astype("float32"),
         "binary_crossentropy"),
    ]
    for name, model, x, y, loss in cases:
        model.compile(loss=loss, optimizer="adam")
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        path = os.path.join(folder, name + ".keras")
        model.save(path)  # warm-up
        keras.models.load_model(path)
        saves, loads = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model.save(path)
            saves.append(time.perf_counter() - start)
            start = time.perf_counter()
            keras.models.load_model(path)
            loads.append(time.perf_counter() - start)
        print(f"{name}: save min {min(saves):.4f} s median {statistics.median(saves):.4f} s; "
              f"load min {min(loads):.4f} s median {statistics.median(loads):.4f} s; {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
