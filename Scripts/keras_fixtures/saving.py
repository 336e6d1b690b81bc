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

Output is deterministic: configs are written with sorted case names, without Keras's
per-process `shared_object_id` entries.
"""

import json
import os

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


def write_cases(path, cases):
    """A JSON object with one case per line (compact, diff-friendly)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(
            f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in cases.items()) + "\n}\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def write(fixtures_dir):
    out_dir = os.path.join(fixtures_dir, "saving")
    os.makedirs(out_dir, exist_ok=True)
    keras.utils.clear_session()
    write_cases(os.path.join(out_dir, "layer_configs.json"), layer_configs(fixtures_dir))
    write_cases(os.path.join(out_dir, "model_configs.json"), model_configs())


if __name__ == "__main__":
    # Only this module's files (the other fixtures must exist already).
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    write(os.path.join(root, "Tests", "SwiftKerasTests", "Fixtures"))
