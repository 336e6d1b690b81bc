"""Saving fixtures: what real Keras writes and reads, for the SwiftKeras saving tests.

Called by generate_fixtures.py (after the other fixture files are written); writes into
Tests/SwiftKerasTests/Fixtures/saving/:

    model_configs.json  the lecture models (Sequential and functional, some compiled):
                        Keras's serialized model (what `to_json()` and a .keras file's
                        config.json hold), which SwiftKeras must read and write back as is.
    layer_configs.json  for every layer case of layers.json, recurrent.json and
                        functional.json's merge layers: Keras's serialized layer
                        (serialize_keras_object after building it on the case's input),
                        so the tests rebuild each layer through SwiftKeras's registry from
                        Keras's own config and check that getConfig() gives it back.

    keras/<case>.keras  lecture models trained briefly by Keras (LeNet for one epoch on
                        the bundled MNIST) and saved with `model.save`;
    keras_files.json    per case: inputs, Keras's predictions, and for models without
                        dropout one `train_on_batch` step taken after saving (the batch,
                        the loss, the predictions after it), which checks the optimizer
                        state; for LeNet, Keras's test accuracy on the 10,000 test images.
    swift_files.json    for each .keras file SwiftKeras wrote into swift/ (see
                        SwiftFixtureWriter in the tests): what Keras loaded from it (the
                        HDF5 layout, the optimizer's step count), Keras's predictions on
                        fixed inputs, and one Keras train step from the loaded state.
    keras_summaries.json  Keras's summary() text (width 88) of each keras/<case>.keras as
                        load_model returns it (`python saving.py summaries` rewrites it alone).

Output is deterministic: configs are written with sorted case names, without Keras's
per-process `shared_object_id` entries; TensorFlow runs with op determinism; the .keras
archives are rewritten with a fixed date (metadata.json's date_saved and the zip entry
times), everything else as Keras wrote it.
"""

import gzip
import io
import json
import os
import sys
import zipfile

import h5py
import tensorflow as tf

import numpy as np
import keras
from keras import layers

import generate_fixtures as gf


def strip_sharing(obj):
    """Keras marks objects shared within one serialization with a per-process id."""
    if isinstance(obj, dict):
        return {k: strip_sharing(v) for k, v in obj.items() if k != "shared_object_id"}
    if isinstance(obj, list):
        return [strip_sharing(v) for v in obj]
    return obj


def serialized(layer):
    return strip_sharing(keras.saving.serialize_keras_object(layer))


def _sample_shape(encoded):
    return tuple(encoded["shape"][1:])


def layer_configs(fixtures_dir):
    """Keras's config of every single-layer case the parity fixtures build."""
    configs = {}

    def load(name):
        with open(os.path.join(fixtures_dir, name), encoding="utf-8") as f:
            return json.load(f)

    for file in ("layers.json", "recurrent.json"):
        for case in load(file):
            shape = _sample_shape(case["input"])
            if "layer" in case:
                layer = gf.make_layer(case["layer"], case["config"])
                layer(keras.Input(shape=shape))
                configs[f"{file}/{case['name']}"] = serialized(layer)
            else:
                model = keras.Sequential([keras.Input(shape=shape)]
                                         + [gf.make_layer(s["class"], s["config"]) for s in case["layers"]])
                for i, layer in enumerate(model.layers):
                    configs[f"{file}/{case['name']}/{i}"] = serialized(layer)
    for case in load("functional.json")["merge_layers"]:
        shapes = [_sample_shape(x) for x in case["inputs"]]
        layer = getattr(layers, case["layer"])(**case["config"])
        inputs = [keras.Input(shape=s) for s in shapes]
        layer(inputs if len(inputs) > 1 else inputs[0])
        configs[f"functional.json/merge_layers/{case['name']}"] = serialized(layer)
    return dict(sorted(configs.items()))


def compiled(model, **kwargs):
    model.compile(**kwargs)
    return model


def model_configs():
    """Keras's config of the lecture models, built fresh in a cleared session each."""
    builders = {
        "lenet": lambda: compiled(gf.build_lenet(), loss="sparse_categorical_crossentropy", optimizer="adam",
                                  metrics=["accuracy"]),
        "lecture_cnn": lambda: compiled(gf.build_lecture_cnn(), loss="categorical_crossentropy",
                                        optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                                        metrics=["accuracy"]),
        "imdb_lstm": lambda: compiled(gf.build_imdb_rnn(layers.LSTM(64)), loss="binary_crossentropy",
                                      optimizer="adam", metrics=["accuracy"]),
        "imdb_gru": lambda: compiled(gf.build_imdb_rnn(layers.GRU(64)), loss="binary_crossentropy",
                                     optimizer=keras.optimizers.RMSprop(clipnorm=1.0), metrics=["accuracy"]),
        "imdb_simple_rnn": lambda: gf.build_imdb_rnn(layers.SimpleRNN(32)),
        "imdb_bidirectional": lambda: compiled(
            gf.build_imdb_rnn(layers.Bidirectional(layers.LSTM(16))),
            loss=keras.losses.BinaryCrossentropy(from_logits=True), optimizer=keras.optimizers.Adagrad()),
        "stacked_lstm": lambda: gf.build_stacked_lstm(),
        "char_lstm": lambda: compiled(gf.build_char_lstm(), loss="sparse_categorical_crossentropy",
                                      optimizer=keras.optimizers.Adam(learning_rate=0.01, amsgrad=True)),
        "functional_lenet": lambda: gf.build_functional_lenet(),
        "two_inputs_concat": lambda: gf.build_two_inputs_concat(),
        "shared_layer": lambda: gf.build_shared_layer(),
        "two_outputs": lambda: compiled(gf.build_two_outputs(), loss=["categorical_crossentropy", "mse"],
                                        loss_weights=[1.0, 0.5], optimizer="sgd", metrics=[["accuracy"], []]),
        "nested_model": lambda: gf.build_nested_model(),
        "seq2seq": lambda: compiled(gf.build_seq2seq(), loss="categorical_crossentropy", optimizer="rmsprop",
                                    metrics=["accuracy"]),
        "cnn_lstm": lambda: compiled(gf.build_cnn_lstm(), loss="sparse_categorical_crossentropy",
                                     optimizer="adam", metrics=["accuracy"]),
    }
    configs = {}
    for name, build in builders.items():
        keras.utils.clear_session()
        configs[name] = serialized(build())
    return configs


# ---------------------------------------------------------------------------
# .keras files written by Keras, read by SwiftKeras
# ---------------------------------------------------------------------------

FIXED_DATE = "2025-01-01@00:00:00"


def normalize_archive(path):
    """Rewrite a .keras archive with a fixed date so reruns give the same bytes."""
    with zipfile.ZipFile(path) as z:
        entries = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries:
            if name == "metadata.json":
                metadata = json.loads(data)
                metadata["date_saved"] = FIXED_DATE
                data = json.dumps(metadata).encode()
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)


def h5_layout(path):
    """Every dataset of a .keras file's weights: path -> [shape, dtype]."""
    with zipfile.ZipFile(path) as z:
        data = z.read("model.weights.h5")
    layout = {}
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda name, obj: layout.__setitem__(name, [list(obj.shape), str(obj.dtype)])
                     if isinstance(obj, h5py.Dataset) else None)
    return dict(sorted(layout.items()))


def mnist(repo_root):
    """The bundled MNIST as (x_train, y_train), (x_test, y_test), images scaled to [0, 1]."""
    folder = os.path.join(repo_root, "Sources", "SwiftKeras", "Datasets", "Data", "mnist")

    def read(name, offset):
        with gzip.open(os.path.join(folder, name), "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)
    x_train = read("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
    x_test = read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
    return ((x_train, read("train-labels-idx1-ubyte.gz", 8).astype(np.float32)),
            (x_test, read("t10k-labels-idx1-ubyte.gz", 8).astype(np.float32)))


def encode(x):
    return [gf.arr(a) for a in x] if isinstance(x, list) else gf.arr(x)


def predictions(model, x):
    y = model.predict(x, verbose=0)
    return [gf.arr(a) for a in y] if isinstance(y, list) else gf.arr(y)


def ids(rng, shape, vocabulary, pad=0):
    """Token ids in [1, vocabulary); with `pad`, the first `pad` steps of odd rows are 0."""
    x = rng.integers(1, vocabulary, size=shape).astype(np.float32)
    if pad:
        x[1::2, :pad] = 0
    return x


def keras_cases(data):
    """name -> (model builder, training data, inputs to predict, train-step batch or None)."""
    (x_train, y_train), (x_test, y_test) = data

    def small_lstm(rnn):
        return keras.Sequential([keras.Input((20,)), layers.Embedding(1000, 16), rnn,
                                 layers.Dense(1, activation="sigmoid")])

    def sequences(rng, n=32, pad=0):
        return ids(rng, (n, 20), 1000, pad), rng.integers(0, 2, (n, 1)).astype(np.float32)

    def one_hot(labels, classes):
        return np.eye(classes, dtype=np.float32)[labels.astype(int)]

    cases = {}

    def lenet():
        return compiled(gf.build_lenet(), loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    cases["lenet_mnist"] = (lenet, (x_train, y_train, 128), x_test[:8], (x_train[:8], y_train[:8]))

    def cnn():
        return compiled(gf.build_lecture_cnn(), loss="categorical_crossentropy",
                        optimizer=keras.optimizers.SGD(learning_rate=0.01), metrics=["accuracy"])
    cases["dropout_cnn"] = (cnn, (x_train[:256], one_hot(y_train[:256], 10), 32), x_test[:8], None)

    rng = gf.rng_for("saving/imdb_lstm")
    cases["imdb_lstm"] = (lambda: compiled(small_lstm(layers.LSTM(32)), loss="binary_crossentropy", optimizer="adam",
                                           metrics=["accuracy"]),
                          sequences(rng) + (16,), sequences(rng, 8)[0], sequences(rng, 16))
    rng = gf.rng_for("saving/imdb_gru")
    cases["imdb_gru"] = (lambda: compiled(small_lstm(layers.GRU(32)), loss="binary_crossentropy",
                                          optimizer=keras.optimizers.RMSprop(clipnorm=1.0), metrics=["accuracy"]),
                         sequences(rng) + (16,), sequences(rng, 8)[0], sequences(rng, 16))
    rng = gf.rng_for("saving/imdb_simple_rnn")
    cases["imdb_simple_rnn"] = (lambda: compiled(small_lstm(layers.SimpleRNN(16)), loss="binary_crossentropy",
                                                 optimizer=keras.optimizers.SGD(momentum=0.9), metrics=["accuracy"]),
                                sequences(rng) + (16,), sequences(rng, 8)[0], sequences(rng, 16))
    rng = gf.rng_for("saving/bidirectional_lstm")

    def bidirectional():
        model = keras.Sequential([keras.Input((20,)), layers.Embedding(1000, 16, mask_zero=True),
                                  layers.Bidirectional(layers.LSTM(8)), layers.Dense(1, activation="sigmoid")])
        return compiled(model, loss="binary_crossentropy", optimizer=keras.optimizers.Adagrad(learning_rate=0.05),
                        metrics=["accuracy"])
    cases["bidirectional_lstm"] = (bidirectional, sequences(rng, pad=5) + (16,), sequences(rng, 8, pad=5)[0],
                                   sequences(rng, 16, pad=5))
    rng = gf.rng_for("saving/char_lstm")
    chars = ids(rng, (16, 100), 65)
    cases["char_lstm"] = (lambda: compiled(gf.build_char_lstm(), loss="sparse_categorical_crossentropy",
                                           optimizer=keras.optimizers.Adam(amsgrad=True)),
                          (chars, np.roll(chars, -1, axis=1), 8), ids(rng, (4, 100), 65),
                          (chars[:8], np.roll(chars[:8], -1, axis=1)))
    rng = gf.rng_for("saving/seq2seq")

    def seq2seq_data(n):
        encoder = one_hot(rng.integers(0, 12, (n, 7)), 12)
        decoder = one_hot(rng.integers(0, 13, (n, 5)), 13)
        return [encoder, decoder], np.roll(decoder, -1, axis=1)
    (x, y), (xp, _), (xs, ys) = seq2seq_data(32), seq2seq_data(4), seq2seq_data(16)
    cases["seq2seq"] = (lambda: compiled(gf.build_seq2seq(), loss="categorical_crossentropy", optimizer="rmsprop",
                                         metrics=["accuracy"]), (x, y, 16), xp, (xs, ys))
    rng = gf.rng_for("saving/cnn_lstm")
    frames = x_train[:5 * 40].reshape(40, 5, 28, 28, 1)
    digit_sums = y_train[:200].reshape(40, 5).sum(axis=1) % 10
    cases["cnn_lstm"] = (lambda: compiled(gf.build_cnn_lstm(), loss="sparse_categorical_crossentropy", optimizer="adam",
                                          metrics=["accuracy"]),
                         (frames[:32], digit_sums[:32], 16), frames[32:36], (frames[32:40], digit_sums[32:40]))
    rng = gf.rng_for("saving/two_inputs_concat")
    cases["two_inputs_concat"] = (gf.build_two_inputs_concat, None,
                                  [gf.normal(rng, (4, 8)), gf.normal(rng, (4, 4))], None)
    rng = gf.rng_for("saving/nested_model")
    cases["nested_model"] = (gf.build_nested_model, None, gf.normal(rng, (4, 4)), None)
    rng = gf.rng_for("saving/shared_layer")
    cases["shared_layer"] = (gf.build_shared_layer, None, [gf.normal(rng, (4, 5)), gf.normal(rng, (4, 5))], None)
    return cases


def keras_files(repo_root, out_dir):
    """Trains and saves each case with real Keras; returns what Keras saw."""
    data = mnist(repo_root)
    folder = os.path.join(out_dir, "keras")
    os.makedirs(folder, exist_ok=True)
    results = {}
    for name, (build, training, inputs, step) in keras_cases(data).items():
        keras.utils.clear_session()
        keras.utils.set_random_seed(gf.GLOBAL_SEED)
        model = build()
        if training is None:
            model(inputs)
            gf.set_random_layer_weights(model, gf.rng_for("saving/weights/" + name))
        else:
            x, y, batch = training
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        path = os.path.join(folder, name + ".keras")
        model.save(path)
        normalize_archive(path)
        result = {"inputs": encode(inputs), "predictions": predictions(model, inputs), "layout": h5_layout(path)}
        if name == "lenet_mnist":
            (_, _), (x_test, y_test) = data
            result["test_accuracy"] = float(model.evaluate(x_test, y_test, batch_size=128, verbose=0)[1])
        if step is not None:
            x, y = step
            loss = float(np.ravel(model.train_on_batch(x, y))[0])
            result["step"] = {"x": encode(x), "y": encode(y), "loss": loss,
                              "predictions_after": predictions(model, inputs)}
        results[name] = result
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    return results


# ---------------------------------------------------------------------------
# .keras files written by SwiftKeras, read by Keras
# ---------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="SwiftKerasTests")
class Scale(keras.layers.Layer):
    """The twin of the tests' Swift `Scale` layer (registered under the same name)."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="SwiftKerasTests")
def double(x):
    return x * 2


def swift_case_data(name, rng):
    """Inputs to predict and a (x, y) batch for one train step (None for dropout models)."""
    images = lambda n: rng.random((n, 28, 28, 1), dtype=np.float32)  # noqa: E731
    labels = lambda n, k: rng.integers(0, k, (n,)).astype(np.float32)  # noqa: E731
    one_hot = lambda n, k: np.eye(k, dtype=np.float32)[rng.integers(0, k, (n,))]  # noqa: E731
    if name == "lenet":
        return images(4), (images(8), labels(8, 10))
    if name == "dropout_cnn":
        return images(4), None
    if name in ("imdb_lstm", "imdb_gru", "imdb_simple_rnn", "bidirectional_lstm"):
        pad = 5 if name == "bidirectional_lstm" else 0
        return ids(rng, (4, 20), 1000, pad), (ids(rng, (8, 20), 1000, pad), labels(8, 2)[:, None])
    if name == "char_lstm":
        return ids(rng, (2, 100), 65), (ids(rng, (4, 100), 65), ids(rng, (4, 100), 65))
    if name == "seq2seq":
        x = lambda n: [np.eye(12, dtype=np.float32)[rng.integers(0, 12, (n, 7))],  # noqa: E731
                       np.eye(13, dtype=np.float32)[rng.integers(0, 13, (n, 5))]]
        return x(3), (x(4), np.eye(13, dtype=np.float32)[rng.integers(0, 13, (4, 5))])
    if name == "cnn_lstm":
        return rng.random((2, 5, 28, 28, 1), dtype=np.float32), (rng.random((4, 5, 28, 28, 1), dtype=np.float32),
                                                                  labels(4, 10))
    if name == "two_outputs":
        x = gf.normal(rng, (4, 6))
        return x, (gf.normal(rng, (4, 6)), [one_hot(4, 3), gf.normal(rng, (4, 1))])
    if name == "shared_and_nested":
        return [gf.normal(rng, (3, 5)), gf.normal(rng, (3, 5))], None
    if name == "attention_text":
        return ids(rng, (4, 12), 50, 4), (ids(rng, (8, 12), 50, 3), labels(8, 3))
    if name == "custom_layer":
        return gf.normal(rng, (3, 3)), (gf.normal(rng, (4, 3)), gf.normal(rng, (4, 4)))
    raise ValueError(f"no data for the Swift-written case {name}")


def swift_files(out_dir):
    """What Keras makes of each .keras file SwiftKeras wrote."""
    folder = os.path.join(out_dir, "swift")
    results = {}
    for file in sorted(os.listdir(folder)):
        name = file[:-len(".keras")]
        keras.utils.clear_session()
        path = os.path.join(folder, file)
        model = keras.models.load_model(path)
        inputs, step = swift_case_data(name, gf.rng_for("saving/swift/" + name))
        optimizer = getattr(model, "optimizer", None)
        result = {"layout": h5_layout(path), "inputs": encode(inputs), "predictions": predictions(model, inputs),
                  "compiled": optimizer is not None,
                  "iterations": int(optimizer.iterations.numpy()) if optimizer is not None else None}
        if step is not None and optimizer is not None:
            x, y = step
            loss = float(np.ravel(model.train_on_batch(x, y))[0])
            result["step"] = {"x": encode(x), "y": encode(y), "loss": loss,
                              "predictions_after": predictions(model, inputs)}
        results[name] = result
    return results


def write_cases(path, cases):
    """A JSON object with one case per line (compact, diff-friendly)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(
            f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in cases.items()) + "\n}\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def saved_summaries(out_dir):
    """Keras's summary() of every .keras file in keras/ as load_model returns it (compiled,
    with the optimizer's state, which Keras counts as "Optimizer params"), at width 88."""
    cases = {}
    folder = os.path.join(out_dir, "keras")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".keras"):
            continue
        keras.utils.clear_session()
        model = keras.saving.load_model(os.path.join(folder, name))
        cases[name] = gf.summary_text(model, columns=200, line_length=88)
    return cases


def write(fixtures_dir):
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out_dir = os.path.join(fixtures_dir, "saving")
    os.makedirs(out_dir, exist_ok=True)
    tf.config.experimental.enable_op_determinism()
    keras.utils.clear_session()
    write_cases(os.path.join(out_dir, "layer_configs.json"), layer_configs(fixtures_dir))
    write_cases(os.path.join(out_dir, "model_configs.json"), model_configs())
    write_cases(os.path.join(out_dir, "keras_files.json"), keras_files(repo_root, out_dir))
    write_cases(os.path.join(out_dir, "swift_files.json"), swift_files(out_dir))
    write_cases(os.path.join(out_dir, "keras_summaries.json"), saved_summaries(out_dir))


if __name__ == "__main__":
    # Only this module's files (the other fixtures must exist already); with the argument
    # "swift", only swift_files.json (after the Swift tests rewrote the files in swift/).
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    fixtures = os.path.join(root, "Tests", "SwiftKerasTests", "Fixtures")
    if sys.argv[1:] == ["summaries"]:
        write_cases(os.path.join(fixtures, "saving", "keras_summaries.json"),
                    saved_summaries(os.path.join(fixtures, "saving")))
    elif sys.argv[1:] == ["swift"]:
        tf.config.experimental.enable_op_determinism()
        write_cases(os.path.join(fixtures, "saving", "swift_files.json"), swift_files(os.path.join(fixtures, "saving")))
    else:
        write(fixtures)
