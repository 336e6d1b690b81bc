#!/usr/bin/env python3
"""Generate Keras reference values ("golden fixtures") for the SwiftKeras tests.

Usage:
    python generate_fixtures.py [OUTPUT_DIR]

OUTPUT_DIR defaults to Tests/SwiftKerasTests/Fixtures relative to the repository
root (two levels above this script). The script only uses Keras's public API on
the TensorFlow backend (exception: the deprecated Keras 1 text Tokenizer, which
Keras 3 only ships as keras.src.legacy.preprocessing.text) and writes nine
JSON files:

    layers.json       forward pass + gradients of single layers
    losses.json       loss values + d(loss)/d(y_pred)
    optimizers.json   variable values after 3 optimizer steps
    model_steps.json  two `train_on_batch` steps of a tiny CNN
    summaries.json    `model.summary()` text and per-layer facts of some models
    recurrent.json    SimpleRNN/LSTM/GRU/Bidirectional/TimeDistributed/Embedding
                      forward pass + gradients (masks, states, wrappers)
    text.json         pad_sequences and Tokenizer outputs
    functional.json   functional-API models: summaries (with "Connected to"),
                      merge/shape layers, a two-output training step and a
                      seq2seq predict + training step
    callbacks.json    callbacks, learning-rate schedules, class/sample weights
                      and the fit arguments that come with them, TensorBoard
                      event files (written by callbacks.py)
    metrics.json      the stateful metrics over several batches, their configs,
                      names and short fits (written by metrics.py)

Array encoding used everywhere:
    {"shape": [d0, d1, ...], "data": [flat row-major values as floats]}
Integer label arrays are also written as floats.

Every case draws its random numbers from its own NumPy generator seeded from
the case name, so adding or reordering cases does not change other cases, and
running the script twice produces byte-identical files.
"""

import json
import os
import sys
import warnings
import zlib

# Keep TensorFlow quiet; must be set before importing it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

import data  # noqa: E402  (NumPy files, images, folders, preprocessing layers: data.py)
import callbacks  # noqa: E402  (callbacks, schedules, fit arguments: callbacks.py)

GLOBAL_SEED = 1234
np.random.seed(GLOBAL_SEED)
keras.utils.set_random_seed(GLOBAL_SEED)
# Deprecation warnings such as "Do not pass an `input_shape` argument" are
# irrelevant here (the lecture models use that style on purpose).
warnings.filterwarnings("ignore")
# Nor "triggered tf.function retracing" (every new model retraces its step).
tf.get_logger().setLevel("ERROR")


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def arr(x):
    """Encode a tensor/array as {"shape": [...], "data": [floats]} (row-major)."""
    a = np.asarray(x)
    if a.dtype != np.float32:
        a = a.astype(np.float32)
    return {"shape": [int(d) for d in a.shape],
            "data": [float(v) for v in a.reshape(-1)]}


def rng_for(name):
    """A NumPy generator whose seed depends only on the case name."""
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")) ^ GLOBAL_SEED)


def normal(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def numpy_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def write_json(out_dir, filename, obj, sections=False):
    """Write `obj`; a list (or a dict of lists) is written one case per line
    (compact, diff-friendly), any other dict as indented JSON.

    With sections=True, `obj` is a dict of sections: a list section is written
    one case per line, a dict section one entry per line (compact)."""
    path = os.path.join(out_dir, filename)
    compact = lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False)  # noqa: E731
    with open(path, "w", encoding="utf-8") as f:
        if sections:
            parts = []
            for key, value in obj.items():
                if isinstance(value, list):
                    value = "[\n" + ",\n".join(compact(c) for c in value) + "\n]"
                elif isinstance(value, dict):
                    value = "{\n" + ",\n".join(
                        f"{json.dumps(k)}: {compact(v)}" for k, v in value.items()) + "\n}"
                else:
                    value = compact(value)
                parts.append(f"{json.dumps(key)}: {value}")
            f.write("{\n" + ",\n".join(parts) + "\n}\n")
        elif isinstance(obj, list):
            f.write("[\n")
            f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in obj))
            f.write("\n]\n")
        elif all(isinstance(v, (list, str)) for v in obj.values()):
            # A dict of case lists: one case per line as well.
            parts = []
            for key, value in obj.items():
                if isinstance(value, list):
                    value = "[\n" + ",\n".join(
                        json.dumps(c, separators=(",", ":")) for c in value) + "\n]"
                else:
                    value = json.dumps(value)
                parts.append(f"{json.dumps(key)}: {value}")
            f.write("{\n" + ",\n".join(parts) + "\n}\n")
        else:
            json.dump(obj, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


# ---------------------------------------------------------------------------
# layers.json
# ---------------------------------------------------------------------------

def layer_case(name, layer_class, config, input_shape):
    """Forward pass and gradients of one freshly built layer.

    Weights are replaced by random normal * 0.5 values (so biases are non-zero).
    The scalar whose gradients are recorded is sum(output * upstream).
    """
    rng = rng_for("layers/" + name)
    x = normal(rng, input_shape)
    layer = getattr(layers, layer_class)(**config)
    x_t = tf.constant(x)
    layer(x_t)  # builds the weights
    weights = [normal(rng, w.shape, 0.5) for w in layer.get_weights()]
    layer.set_weights(weights)

    with tf.GradientTape() as tape:
        tape.watch(x_t)
        y = layer(x_t, training=False)
        upstream = normal(rng, tuple(y.shape))
        objective = tf.reduce_sum(y * tf.constant(upstream))
    # layer.weights has the same order as layer.get_weights().
    grads = tape.gradient(objective, [x_t] + list(layer.weights))
    return {
        "name": name,
        "layer": layer_class,
        "config": config,
        "input": arr(x),
        "weights": [arr(w) for w in weights],
        "output": arr(y),
        "upstream": arr(upstream),
        "grad_input": arr(grads[0]),
        "grad_weights": [arr(g) for g in grads[1:]],
    }


def make_layer_cases():
    cases = []
    add = lambda *a: cases.append(layer_case(*a))  # noqa: E731

    # Dense ------------------------------------------------------------------
    for act in ["linear", "relu", "sigmoid", "tanh", "softmax"]:
        add(f"dense_{act}", "Dense", {"units": 4, "activation": act}, (3, 5))
    add("dense_no_bias", "Dense", {"units": 4, "use_bias": False}, (3, 5))
    add("dense_3d_input", "Dense", {"units": 3, "activation": "relu"}, (2, 4, 5))

    # Conv2D (channels_last) --------------------------------------------------
    conv = [
        ("conv_3x3_valid_s1", {"filters": 3, "kernel_size": [3, 3]}, (2, 7, 7, 2)),
        ("conv_3x3_same_s1", {"filters": 3, "kernel_size": [3, 3], "padding": "same"}, (2, 6, 5, 2)),
        ("conv_5x5_same_s1", {"filters": 4, "kernel_size": [5, 5], "padding": "same"}, (2, 7, 7, 1)),
        ("conv_3x3_valid_s2", {"filters": 3, "kernel_size": [3, 3], "strides": [2, 2]}, (2, 8, 8, 2)),
        ("conv_3x3_same_s2", {"filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}, (2, 7, 7, 2)),
        ("conv_2x2_same_s1", {"filters": 3, "kernel_size": [2, 2], "padding": "same"}, (2, 6, 5, 2)),
        ("conv_4x4_same_s2", {"filters": 3, "kernel_size": [4, 4], "strides": [2, 2], "padding": "same"}, (2, 7, 7, 2)),
        ("conv_3x2_valid_s2x1", {"filters": 3, "kernel_size": [3, 2], "strides": [2, 1]}, (2, 7, 6, 2)),
        ("conv_3x3_same_relu", {"filters": 4, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}, (2, 6, 5, 3)),
        ("conv_3x3_no_bias", {"filters": 3, "kernel_size": [3, 3], "use_bias": False}, (2, 6, 5, 2)),
    ]
    for name, cfg, shape in conv:
        add(name, "Conv2D", cfg, shape)

    # Pooling: identical configurations for max and average pooling ----------
    # ("same" average pooling divides by the number of *real* cells only.)
    pools = [
        ("2x2_s2_valid", {"pool_size": [2, 2], "strides": [2, 2]}, (2, 6, 5, 2)),
        ("2x2_s2_valid_odd", {"pool_size": [2, 2], "strides": [2, 2]}, (2, 7, 7, 2)),
        ("3x3_s2_same", {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}, (2, 7, 6, 2)),
        ("2x2_s1_valid", {"pool_size": [2, 2], "strides": [1, 1]}, (2, 5, 4, 2)),
        ("2x2_s2_same_odd", {"pool_size": [2, 2], "strides": [2, 2], "padding": "same"}, (2, 7, 7, 2)),
        ("3x2_default_strides", {"pool_size": [3, 2]}, (2, 7, 5, 2)),
    ]
    for prefix, cls in [("maxpool", "MaxPooling2D"), ("avgpool", "AveragePooling2D")]:
        for name, cfg, shape in pools:
            add(f"{prefix}_{name}", cls, cfg, shape)

    # Shape layers and activations ------------------------------------------
    add("flatten_4d", "Flatten", {}, (2, 3, 4, 2))
    add("reshape_infer", "Reshape", {"target_shape": [3, -1]}, (2, 6, 4))
    add("reshape_explicit", "Reshape", {"target_shape": [4, 3, 2]}, (2, 6, 4))
    for act in ["relu", "sigmoid", "tanh", "softmax", "linear"]:
        add(f"activation_{act}", "Activation", {"activation": act}, (3, 5))
    add("activation_softmax_3d", "Activation", {"activation": "softmax"}, (2, 3, 4))
    return cases


# ---------------------------------------------------------------------------
# recurrent.json
# ---------------------------------------------------------------------------

# Wrapper layers take their inner layer as {"class": ..., "config": {...}}.
WRAPPERS = ("Bidirectional", "TimeDistributed")

# Masks of the masked cases (batch 4): full row, trailing padding (twice) and
# leading padding ("pre", the pad_sequences default).
RNN_MASK = np.array([[1, 1, 1, 1, 1],
                     [1, 1, 1, 0, 0],
                     [1, 0, 0, 0, 0],
                     [0, 0, 1, 1, 1]], dtype=bool)


def _data(encoded):
    """Decode an `arr` encoding back into a NumPy array."""
    return np.asarray(encoded["data"], dtype=np.float32).reshape(encoded["shape"])


def make_layer(layer_class, config):
    if layer_class in WRAPPERS:
        kwargs = dict(config)
        inner = kwargs.pop("layer")
        return getattr(layers, layer_class)(
            getattr(layers, inner["class"])(**inner["config"]), **kwargs)
    return getattr(layers, layer_class)(**config)


def masked_step_behaviour(output, mask):
    """"zeros" or "previous_output": what a return_sequences RNN emits at a
    masked step that follows an unmasked one (trailing padding)."""
    y = np.asarray(output)
    seen = set()
    for b in range(mask.shape[0]):
        for t in range(1, mask.shape[1]):
            if mask[b, :t].any() and not mask[b, t]:
                if np.all(y[b, t] == 0):
                    seen.add("zeros")
                elif np.array_equal(y[b, t], y[b, t - 1]):
                    seen.add("previous_output")
                else:
                    seen.add("other")
    assert len(seen) == 1, seen
    return seen.pop()


def recurrent_case(name, layer_class, config, input_shape, mask=None,
                   initial_state=False):
    """Forward pass and gradients of one recurrent (or wrapper) layer.

    Same conventions as `layer_case`; in addition:
      * `mask` (bool, (batch, time)) is passed as `layer(x, mask=...)`;
      * `initial_state=True` passes random initial states (one per state of
        the layer, e.g. [h, c] for LSTM) and records their gradients;
      * with return_state=True the scalar is sum(output * upstream) +
        sum_i sum(state_i * upstream_state_i).
    """
    rng = rng_for("recurrent/" + name)
    x = normal(rng, input_shape)
    layer = make_layer(layer_class, config)
    x_t = tf.constant(x)
    layer(x_t)  # builds the weights
    weights = [normal(rng, w.shape, 0.5) for w in layer.get_weights()]
    layer.set_weights(weights)
    kwargs = {"training": False}
    if mask is not None:
        kwargs["mask"] = tf.constant(mask)
    states0 = []
    if initial_state:
        units = config["units"]
        n_states = 2 if layer_class == "LSTM" else 1
        states0 = [normal(rng, (input_shape[0], units)) for _ in range(n_states)]
        kwargs["initial_state"] = [tf.constant(s) for s in states0]
    states0_t = kwargs.get("initial_state", [])

    with tf.GradientTape() as tape:
        tape.watch(x_t)
        for s in states0_t:
            tape.watch(s)
        result = layer(x_t, **kwargs)
        if config.get("return_state"):
            y, states = result[0], list(result[1:])
        else:
            y, states = result, []
        upstream = normal(rng, tuple(y.shape))
        upstream_states = [normal(rng, tuple(s.shape)) for s in states]
        objective = tf.reduce_sum(y * tf.constant(upstream))
        for s, u in zip(states, upstream_states):
            objective += tf.reduce_sum(s * tf.constant(u))
    grads = tape.gradient(objective, [x_t] + list(states0_t) + list(layer.weights))
    case = {
        "name": name,
        "layer": layer_class,
        "config": config,
        "input": arr(x),
    }
    if mask is not None:
        case["mask"] = arr(mask)
    if initial_state:
        case["initial_state"] = [arr(s) for s in states0]
    case.update({
        "weights": [arr(w) for w in weights],
        "output": arr(y),
    })
    if states:
        case["states"] = [arr(s) for s in states]
    case["upstream"] = arr(upstream)
    if states:
        case["upstream_states"] = [arr(u) for u in upstream_states]
    case["grad_input"] = arr(grads[0])
    if initial_state:
        case["grad_initial_state"] = [arr(g) for g in grads[1:1 + len(states0)]]
    case["grad_weights"] = [arr(g) for g in grads[1 + len(states0):]]
    return case


def embedding_ids(rng, shape, input_dim):
    """Random ids in [1, input_dim) with id 0 and id input_dim - 1 present."""
    ids = rng.integers(1, input_dim, shape)
    ids[0, 0] = 0
    ids[-1, -1] = 0
    ids[1, 2] = input_dim - 1
    return ids


def embedding_case(name, config):
    """Embedding layer: integer ids in, no input gradient."""
    rng = rng_for("recurrent/" + name)
    ids = embedding_ids(rng, (3, 5), config["input_dim"])
    layer = layers.Embedding(**config)
    ids_t = tf.constant(ids.astype(np.int32))
    layer(ids_t)
    weights = [normal(rng, w.shape, 0.5) for w in layer.get_weights()]
    layer.set_weights(weights)
    with tf.GradientTape() as tape:
        y = layer(ids_t, training=False)
        upstream = normal(rng, tuple(y.shape))
        objective = tf.reduce_sum(y * tf.constant(upstream))
    # The embedding gradient is an IndexedSlices; densify it.
    grads = [tf.convert_to_tensor(g) for g in tape.gradient(objective, layer.weights)]
    case = {
        "name": name,
        "layer": "Embedding",
        "config": config,
        "input": arr(ids),
        "weights": [arr(w) for w in weights],
        "output": arr(y),
    }
    if config.get("mask_zero"):
        case["output_mask"] = arr(layer.compute_mask(ids_t))
    case["upstream"] = arr(upstream)
    case["grad_weights"] = [arr(g) for g in grads]
    return case


def embedding_rnn_case(name, rnn_class):
    """Sequential: Embedding(7, 3, mask_zero=True) -> <rnn_class>(3) on
    pre-padded ids (leading zeros), so the mask is propagated by the model."""
    keras.backend.clear_session()
    rng = rng_for("recurrent/" + name)
    ids = rng.integers(1, 7, (3, 5))
    for row, n_pad in enumerate([2, 0, 4]):
        ids[row, :n_pad] = 0
    specs = [("Embedding", {"input_dim": 7, "output_dim": 3, "mask_zero": True}),
             (rnn_class, {"units": 3})]
    model = keras.Sequential([keras.Input((5,), dtype="int32")] +
                             [getattr(layers, c)(**cfg) for c, cfg in specs])
    layers_weights = []
    for layer in model.layers:
        ws = [normal(rng, w.shape, 0.5) for w in layer.get_weights()]
        layer.set_weights(ws)
        layers_weights.append(ws)
    ids_t = tf.constant(ids.astype(np.int32))
    variables = [w for layer in model.layers for w in layer.weights]
    with tf.GradientTape() as tape:
        y = model(ids_t, training=False)
        upstream = normal(rng, tuple(y.shape))
        objective = tf.reduce_sum(y * tf.constant(upstream))
    grads = [tf.convert_to_tensor(g) for g in tape.gradient(objective, variables)]
    grouped, i = [], 0
    for ws in layers_weights:
        grouped.append([arr(g) for g in grads[i:i + len(ws)]])
        i += len(ws)
    return {
        "name": name,
        "layers": [{"class": c, "config": cfg} for c, cfg in specs],
        "input": arr(ids),
        "layers_weights": [[arr(w) for w in ws] for ws in layers_weights],
        "output": arr(y),
        "upstream": arr(upstream),
        "grad_weights": grouped,
    }


def masked_sequence_loss_case(name):
    """model.evaluate of Embedding(mask_zero) -> SimpleRNN(return_sequences)
    -> TimeDistributed(Dense) with loss "mse": Keras drops the masked time
    steps from the loss and divides by the number of unmasked steps."""
    keras.backend.clear_session()
    rng = rng_for("recurrent/" + name)
    ids = rng.integers(1, 7, (3, 5))
    for row, n_pad in enumerate([2, 0, 4]):
        ids[row, :n_pad] = 0
    specs = [("Embedding", {"input_dim": 7, "output_dim": 3, "mask_zero": True}),
             ("SimpleRNN", {"units": 4, "return_sequences": True}),
             ("TimeDistributed", {"layer": {"class": "Dense", "config": {"units": 2}}})]
    model = keras.Sequential([keras.Input((5,), dtype="int32")] +
                             [make_layer(c, cfg) for c, cfg in specs])
    layers_weights = []
    for layer in model.layers:
        ws = [normal(rng, w.shape, 0.5) for w in layer.get_weights()]
        layer.set_weights(ws)
        layers_weights.append(ws)
    y_true = normal(rng, (3, 5, 2))
    model.compile(optimizer="sgd", loss="mse", jit_compile=False)
    loss = float(model.evaluate(ids, y_true, batch_size=3, verbose=0))
    y_pred = model.predict(ids, batch_size=3, verbose=0)
    per_step = ((y_pred.astype(np.float64) - y_true) ** 2).mean(axis=-1)
    valid = ids != 0
    masked_mean = float(per_step[valid].sum() / valid.sum())
    assert abs(loss - masked_mean) < 1e-5, (loss, masked_mean)
    return {
        "name": name,
        "layers": [{"class": c, "config": cfg} for c, cfg in specs],
        "loss": "mean_squared_error",
        "input": arr(ids),
        "layers_weights": [[arr(w) for w in ws] for ws in layers_weights],
        "y_true": arr(y_true),
        "output": arr(y_pred),
        "output_mask": arr(valid),
        # What model.evaluate reports: sum(masked per-step losses) / #unmasked.
        "loss_value": loss,
        # For contrast: the plain mean over all batch * time steps.
        "unmasked_mean": float(per_step.mean()),
    }


def make_recurrent_cases():
    cases = []
    B, T, D = 3, 5, 4
    seq = (B, T, D)
    mseq = (len(RNN_MASK), T, D)  # masked cases use batch 4

    def add(name, cls, cfg, shape=seq, **kw):
        cases.append(recurrent_case(name, cls, cfg, shape, **kw))

    # SimpleRNN --------------------------------------------------------------
    add("simplernn_default", "SimpleRNN", {"units": 3})
    add("simplernn_seq", "SimpleRNN", {"units": 3, "return_sequences": True})
    add("simplernn_backwards", "SimpleRNN", {"units": 3, "go_backwards": True})
    add("simplernn_backwards_seq", "SimpleRNN",
        {"units": 3, "return_sequences": True, "go_backwards": True})
    add("simplernn_relu", "SimpleRNN", {"units": 3, "activation": "relu"})
    add("simplernn_no_bias", "SimpleRNN", {"units": 3, "use_bias": False})
    add("simplernn_state", "SimpleRNN", {"units": 3, "return_state": True})
    add("simplernn_initial_state", "SimpleRNN", {"units": 3}, initial_state=True)
    add("simplernn_masked_seq", "SimpleRNN", {"units": 3, "return_sequences": True},
        mseq, mask=RNN_MASK)
    add("simplernn_masked_last", "SimpleRNN", {"units": 3}, mseq, mask=RNN_MASK)

    # LSTM -------------------------------------------------------------------
    add("lstm_default", "LSTM", {"units": 3})
    add("lstm_seq", "LSTM", {"units": 3, "return_sequences": True})
    add("lstm_backwards", "LSTM", {"units": 3, "go_backwards": True})
    add("lstm_backwards_seq", "LSTM",
        {"units": 3, "return_sequences": True, "go_backwards": True})
    add("lstm_state", "LSTM", {"units": 3, "return_state": True})
    add("lstm_initial_state", "LSTM", {"units": 3}, initial_state=True)
    add("lstm_masked_seq", "LSTM", {"units": 3, "return_sequences": True},
        mseq, mask=RNN_MASK)
    add("lstm_masked_last", "LSTM", {"units": 3}, mseq, mask=RNN_MASK)
    # Keras 3 hard_sigmoid is relu6(x + 3) / 6 (slope 1/6, not Keras 2's 0.2).
    add("lstm_hard_sigmoid_relu", "LSTM",
        {"units": 3, "recurrent_activation": "hard_sigmoid", "activation": "relu"})
    # unit_forget_bias only changes the initial bias: "bias_init" is the bias
    # of a freshly built layer (gate order i, f, c, o; forget slot = ones).
    for flag, suffix in [(True, "true"), (False, "false")]:
        cfg = {"units": 3, "unit_forget_bias": flag}
        fresh = layers.LSTM(**cfg)
        fresh.build(seq)
        add(f"lstm_unit_forget_bias_{suffix}", "LSTM", cfg)
        cases[-1]["bias_init"] = arr(fresh.get_weights()[2])
    # Outputs at masked steps of a return_sequences RNN (RNN default
    # zero_output_for_mask=False: previous output repeated; leading masked
    # steps repeat the zero initial output).
    add("zero_output_for_mask_check", "LSTM", {"units": 3, "return_sequences": True},
        mseq, mask=RNN_MASK)
    cases[-1]["masked_step_output"] = masked_step_behaviour(
        _data(cases[-1]["output"]), RNN_MASK)

    # GRU (reset_after=True is the Keras default; False is the "v1" GRU) -----
    for reset_after, prefix in [(True, "gru"), (False, "gru_reset_after_false")]:
        base = {"units": 3, "reset_after": reset_after}
        add(f"{prefix}_default", "GRU", dict(base))
        add(f"{prefix}_seq", "GRU", dict(base, return_sequences=True))
        add(f"{prefix}_backwards_seq", "GRU",
            dict(base, return_sequences=True, go_backwards=True))
        add(f"{prefix}_state", "GRU", dict(base, return_state=True))
        add(f"{prefix}_initial_state", "GRU", dict(base), initial_state=True)
        add(f"{prefix}_masked_seq", "GRU", dict(base, return_sequences=True),
            mseq, mask=RNN_MASK)
        add(f"{prefix}_masked_last", "GRU", dict(base), mseq, mask=RNN_MASK)

    # Bidirectional (weights: forward layer's, then backward layer's) ---------
    for merge_mode in ["concat", "sum", "mul", "ave"]:
        for rs in [True, False]:
            inner = {"units": 2, "return_sequences": rs}
            add(f"bidirectional_lstm_{merge_mode}{'_seq' if rs else ''}", "Bidirectional",
                {"merge_mode": merge_mode, "layer": {"class": "LSTM", "config": inner}})
    add("bidirectional_gru_concat_seq", "Bidirectional",
        {"merge_mode": "concat",
         "layer": {"class": "GRU", "config": {"units": 2, "return_sequences": True}}})
    add("bidirectional_simplernn_concat_seq", "Bidirectional",
        {"merge_mode": "concat",
         "layer": {"class": "SimpleRNN", "config": {"units": 2, "return_sequences": True}}})
    # Bidirectional forces zero_output_for_mask=True on its return_sequences
    # layers: masked steps are zeros here (unlike a bare LSTM).
    add("bidirectional_lstm_concat_seq_masked", "Bidirectional",
        {"merge_mode": "concat",
         "layer": {"class": "LSTM", "config": {"units": 2, "return_sequences": True}}},
        mseq, mask=RNN_MASK)
    cases[-1]["masked_step_output"] = masked_step_behaviour(
        _data(cases[-1]["output"]), RNN_MASK)

    # TimeDistributed ----------------------------------------------------------
    add("timedistributed_dense_relu", "TimeDistributed",
        {"layer": {"class": "Dense", "config": {"units": 3, "activation": "relu"}}})
    add("timedistributed_conv2d", "TimeDistributed",
        {"layer": {"class": "Conv2D", "config": {"filters": 2, "kernel_size": [3, 3]}}},
        (2, 3, 5, 5, 1))

    # Embedding ----------------------------------------------------------------
    cases.append(embedding_case("embedding", {"input_dim": 7, "output_dim": 3}))
    cases.append(embedding_case("embedding_mask_zero",
                                {"input_dim": 7, "output_dim": 3, "mask_zero": True}))
    for cls in ["LSTM", "GRU", "SimpleRNN"]:
        cases.append(embedding_rnn_case(f"embedding_{cls.lower()}_masked", cls))
    cases.append(masked_sequence_loss_case("masked_sequence_loss_evaluate"))
    return cases


# ---------------------------------------------------------------------------
# losses.json
# ---------------------------------------------------------------------------

LOSS_CLASSES = {
    "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
    "binary_crossentropy": keras.losses.BinaryCrossentropy,
    "mean_squared_error": keras.losses.MeanSquaredError,
    "mean_absolute_error": keras.losses.MeanAbsoluteError,
}


def loss_case(name, loss, config, y_true, y_pred, through=None):
    """Loss value (default reduction "sum_over_batch_size") and d loss / d y_pred.

    With `through` set, `y_pred` holds logits that go through
    keras.activations.softmax / sigmoid inside the tape, exactly as the output
    of a Dense(..., activation="softmax") layer would.
    """
    loss_fn = LOSS_CLASSES[loss](**config)
    if loss == "sparse_categorical_crossentropy":
        y_true_t = tf.constant(np.asarray(y_true).astype(np.int32))
    else:
        y_true_t = tf.constant(np.asarray(y_true, dtype=np.float32))
    y_pred_t = tf.constant(np.asarray(y_pred, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(y_pred_t)
        if through == "softmax":
            p = keras.activations.softmax(y_pred_t)
        elif through == "sigmoid":
            p = keras.activations.sigmoid(y_pred_t)
        else:
            p = y_pred_t
        value = loss_fn(y_true_t, p)
    grad = tape.gradient(value, y_pred_t)
    return {
        "name": name,
        "loss": loss,
        "config": config,
        "through": through,
        "y_true": arr(y_true),
        "y_pred": arr(y_pred),
        "loss_value": float(value.numpy()),
        "grad_y_pred": arr(grad),
    }


def make_loss_cases():
    cases = []
    add = lambda *a, **k: cases.append(loss_case(*a, **k))  # noqa: E731
    cce = "categorical_crossentropy"
    scce = "sparse_categorical_crossentropy"
    bce = "binary_crossentropy"

    # Categorical crossentropy ----------------------------------------------
    r = rng_for("losses/cce")
    n, c = 4, 5
    labels = r.integers(0, c, n)
    onehot = np.eye(c, dtype=np.float32)[labels]
    logits = normal(r, (n, c), 2.0)
    probs = numpy_softmax(logits)  # plain tensor: no Keras logits tag
    add("cce_probs", cce, {}, onehot, probs)
    # Exact 0 and 1 probabilities exercise the [1e-7, 1 - 1e-7] clipping.
    probs01 = np.array([[1, 0, 0, 0, 0],      # correct and certain
                        [0, 1, 0, 0, 0],      # wrong and certain -> clipped log
                        [0.2, 0.3, 0.5, 0, 0],
                        [0, 0, 0, 0.25, 0.75]], dtype=np.float32)
    add("cce_probs_with_0_and_1", cce, {}, np.eye(c, dtype=np.float32)[[0, 0, 3, 4]], probs01)
    add("cce_from_logits", cce, {"from_logits": True}, onehot, logits)
    add("cce_through_softmax", cce, {}, onehot, logits, through="softmax")
    soft_targets = numpy_softmax(normal(r, (n, c)))  # non-one-hot targets
    add("cce_soft_targets_probs", cce, {}, soft_targets, probs)
    add("cce_label_smoothing_probs", cce, {"label_smoothing": 0.1}, onehot, probs)
    add("cce_label_smoothing_from_logits", cce, {"label_smoothing": 0.1, "from_logits": True}, onehot, logits)

    # Sparse categorical crossentropy ---------------------------------------
    r = rng_for("losses/scce")
    labels = r.integers(0, c, n).astype(np.float32)
    logits = normal(r, (n, c), 2.0)
    probs = numpy_softmax(logits)
    add("scce_probs_labels_n", scce, {}, labels, probs)
    add("scce_probs_labels_n1", scce, {}, labels.reshape(n, 1), probs)
    add("scce_from_logits_labels_n", scce, {"from_logits": True}, labels, logits)
    add("scce_from_logits_labels_n1", scce, {"from_logits": True}, labels.reshape(n, 1), logits)
    add("scce_through_softmax", scce, {}, labels, logits, through="softmax")
    add("scce_probs_with_0_and_1", scce, {}, np.array([0, 0, 3, 4], np.float32), probs01)

    # Binary crossentropy ---------------------------------------------------
    r = rng_for("losses/bce")
    y1 = r.integers(0, 2, (4, 1)).astype(np.float32)
    y3 = r.integers(0, 2, (4, 3)).astype(np.float32)
    logits1 = normal(r, (4, 1), 2.0)
    logits3 = normal(r, (4, 3), 2.0)
    sig = lambda z: (1.0 / (1.0 + np.exp(-z.astype(np.float64)))).astype(np.float32)  # noqa: E731
    add("bce_probs_n1", bce, {}, y1, sig(logits1))
    add("bce_probs_n3", bce, {}, y3, sig(logits3))
    probs01 = np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 0.9], [1.0, 1.0, 0.5], [0.0, 0.0, 0.1]], np.float32)
    y01 = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 1], [1, 0, 0]], np.float32)
    add("bce_probs_with_0_and_1", bce, {}, y01, probs01)
    add("bce_from_logits_n1", bce, {"from_logits": True}, y1, logits1)
    add("bce_from_logits_n3", bce, {"from_logits": True}, y3, logits3)
    add("bce_through_sigmoid_n1", bce, {}, y1, logits1, through="sigmoid")
    add("bce_through_sigmoid_n3", bce, {}, y3, logits3, through="sigmoid")
    add("bce_label_smoothing_probs", bce, {"label_smoothing": 0.1}, y3, sig(logits3))
    add("bce_label_smoothing_from_logits", bce, {"label_smoothing": 0.1, "from_logits": True}, y3, logits3)

    # Regression losses -----------------------------------------------------
    r = rng_for("losses/regression")
    a3, b3 = normal(r, (4, 3)), normal(r, (4, 3))
    a1, b1 = normal(r, (5,)), normal(r, (5,))
    add("mse_n3", "mean_squared_error", {}, a3, b3)
    add("mse_n", "mean_squared_error", {}, a1, b1)
    add("mae_n3", "mean_absolute_error", {}, a3, b3)
    add("mae_n", "mean_absolute_error", {}, a1, b1)
    return cases


# ---------------------------------------------------------------------------
# optimizers.json
# ---------------------------------------------------------------------------

def jsonable_config(cfg):
    """Resolved optimizer hyper-parameters (floats/ints/bools/None only)."""
    out = {}
    for k, v in cfg.items():
        if isinstance(v, (bool, int, float, str)) or v is None:
            out[k] = v
        elif isinstance(v, (np.floating, np.integer)):
            out[k] = v.item()
    return out


def optimizer_case(name, optimizer, config, grad_scale=2.0, steps=3):
    rng = rng_for("optimizers/" + name)
    initial = [normal(rng, (3, 2)), normal(rng, (2,))]
    # Gradients scaled by 2 so that clipnorm 0.5 / clipvalue 0.1 really clip.
    gradients = [[normal(rng, (3, 2), grad_scale), normal(rng, (2,), grad_scale)]
                 for _ in range(steps)]
    variables = [keras.Variable(v, name=f"v{i}") for i, v in enumerate(initial)]
    opt = getattr(keras.optimizers, optimizer)(**config)
    after = []
    for grads in gradients:
        opt.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        after.append([arr(v.numpy()) for v in variables])
    return {
        "name": name,
        "optimizer": optimizer,
        "config": config,
        # Informational: every hyper-parameter as Keras resolved it (defaults).
        "resolved_config": jsonable_config(opt.get_config()),
        "initial": [arr(v) for v in initial],
        "gradients": [[arr(g) for g in grads] for grads in gradients],
        "after_step": after,
    }


def make_optimizer_cases():
    specs = [
        ("sgd_default", "SGD", {}),
        ("sgd_lr0.1_momentum0.9", "SGD", {"learning_rate": 0.1, "momentum": 0.9}),
        ("sgd_lr0.1_momentum0.9_nesterov", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
        ("adam_default", "Adam", {}),
        ("adam_amsgrad", "Adam", {"amsgrad": True}),
        ("adam_lr0.01", "Adam", {"learning_rate": 0.01}),
        ("rmsprop_default", "RMSprop", {}),
        ("rmsprop_momentum0.5_centered", "RMSprop", {"momentum": 0.5, "centered": True}),
        ("adagrad_default", "Adagrad", {}),
        ("sgd_clipnorm0.5", "SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
        ("sgd_clipvalue0.1", "SGD", {"learning_rate": 0.1, "clipvalue": 0.1}),
        ("adam_global_clipnorm0.5", "Adam", {"global_clipnorm": 0.5}),
    ]
    return [optimizer_case(*s) for s in specs]


# ---------------------------------------------------------------------------
# model_steps.json
# ---------------------------------------------------------------------------

def build_tiny_cnn():
    return keras.Sequential([
        keras.Input((6, 6, 1)),
        layers.Conv2D(3, (3, 3), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(5, activation="relu"),
        layers.Dense(4, activation="softmax"),
    ])


def weights_per_layer(model):
    return [[arr(w) for w in layer.get_weights()]
            for layer in model.layers if layer.weights]


def model_step_case(name, optimizer, config, loss="sparse_categorical_crossentropy", steps=2):
    keras.backend.clear_session()
    keras.utils.set_random_seed(GLOBAL_SEED)
    model = build_tiny_cnn()
    # Same initial weights and data for every case (shared generator name).
    rng = rng_for("model_steps/shared")
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([normal(rng, w.shape, 0.5) for w in layer.get_weights()])
    x = normal(rng, (5, 6, 6, 1))
    labels = np.array([0, 1, 2, 3, 1], dtype=np.int32)
    y = labels if loss == "sparse_categorical_crossentropy" else np.eye(4, dtype=np.float32)[labels]
    initial = weights_per_layer(model)

    # jit_compile=False: "auto" already resolves to False on CPU; explicit so
    # that a machine with a GPU produces the same (non-XLA) numbers.
    model.compile(optimizer=getattr(keras.optimizers, optimizer)(**config),
                  loss=loss, jit_compile=False)
    loss_fn = keras.losses.get(loss)
    losses, after = [], []
    for _ in range(steps):
        # Sanity check: train_on_batch returns the loss of the forward pass
        # done *before* the weight update (metrics are reset on every call).
        expected = float(np.mean(loss_fn(y, model(x, training=False))))
        got = float(model.train_on_batch(x, y))
        assert abs(got - expected) < 1e-5 * max(1.0, abs(expected)), (name, got, expected)
        losses.append(got)
        after.append(weights_per_layer(model))
    return {
        "name": name,
        "optimizer": optimizer,
        "config": config,
        "loss": loss,
        "layers": [f"{type(l).__name__}" for l in model.layers],
        "layers_weights_initial": initial,
        "x": arr(x),
        "y": arr(y),
        "losses": losses,
        "weights_after": after,
    }


def make_model_step_cases():
    return [
        model_step_case("sgd_lr0.1", "SGD", {"learning_rate": 0.1}),
        model_step_case("sgd_lr0.1_momentum0.9", "SGD", {"learning_rate": 0.1, "momentum": 0.9}),
        model_step_case("adam_lr0.01", "Adam", {"learning_rate": 0.01}),
        model_step_case("sgd_lr0.1_categorical", "SGD", {"learning_rate": 0.1},
                        loss="categorical_crossentropy"),
    ]


# ---------------------------------------------------------------------------
# summaries.json
# ---------------------------------------------------------------------------

def build_lenet():
    return keras.Sequential([
        layers.Conv2D(input_shape=(28, 28, 1), kernel_size=(5, 5), strides=(1, 1),
                      filters=32, padding="same", activation="relu"),
        layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2), padding="valid"),
        layers.Conv2D(kernel_size=(5, 5), strides=(1, 1), filters=48,
                      padding="same", activation="relu"),
        layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2), padding="valid"),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(84, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def build_lecture_cnn():
    return keras.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(10, activation="softmax"),
    ])


def build_imdb_rnn(rnn_layer):
    return keras.Sequential([
        keras.Input(shape=(200,)),
        layers.Embedding(10000, 32),
        rnn_layer,
        layers.Dense(1, activation="sigmoid"),
    ])


def build_stacked_lstm():
    return keras.Sequential([
        keras.Input(shape=(200,)),
        layers.Embedding(10000, 32),
        layers.LSTM(64, return_sequences=True),
        layers.LSTM(64),
        layers.Dense(1, activation="sigmoid"),
    ])


def build_char_lstm():
    return keras.Sequential([
        keras.Input(shape=(100,)),
        layers.Embedding(65, 32),
        layers.LSTM(128, return_sequences=True),
        layers.TimeDistributed(layers.Dense(65, activation="softmax")),
    ])


def summary_text(model, columns, line_length=None):
    """model.summary() text with the default line_length (or `line_length`).

    The default table width is min(88, terminal_columns - 4) for Sequential
    models, where the terminal size comes from $COLUMNS or, when stdout is not
    a terminal, the 80-column fallback. $COLUMNS is pinned here so the result
    does not depend on the shell the script runs in. (Functional models whose
    graph is not a plain chain use min(108, terminal_columns - 4) and add a
    "Connected to" column.)
    """
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        chunks = []
        # print_fn receives the whole rendered text in one call; it is
        # byte-identical to what summary() prints to a non-terminal stdout.
        model.summary(line_length=line_length,
                      print_fn=lambda s, **kwargs: chunks.append(s))
        return "".join(chunks)
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def summarize(builder):
    keras.backend.clear_session()  # default layer names: conv2d, conv2d_1, ...
    model = builder()
    count = lambda ws: int(sum(np.prod(w.shape) for w in ws))  # noqa: E731
    return {
        # 80 columns (non-terminal fallback, e.g. redirected output): width 76.
        "text": summary_text(model, 80),
        # Terminal at least 92 columns wide: Keras's cap of 88 characters.
        "text_wide": summary_text(model, 200),
        "layers": [{
            "name": l.name,
            "class": type(l).__name__,
            "output_shape": [None if d is None else int(d) for d in l.output.shape],
            "params": int(l.count_params()),
        } for l in model.layers],
        "total": int(model.count_params()),
        "trainable": count(model.trainable_weights),
        "non_trainable": count(model.non_trainable_weights),
    }


def make_summaries():
    return {
        "lenet": summarize(build_lenet),
        "cnn": summarize(build_lecture_cnn),
        "imdb_simplernn": summarize(lambda: build_imdb_rnn(layers.SimpleRNN(32))),
        "imdb_lstm": summarize(lambda: build_imdb_rnn(layers.LSTM(64))),
        "imdb_gru": summarize(lambda: build_imdb_rnn(layers.GRU(64))),
        "stacked_lstm": summarize(build_stacked_lstm),
        "char_lstm": summarize(build_char_lstm),
        "bidirectional_lstm": summarize(
            lambda: build_imdb_rnn(layers.Bidirectional(layers.LSTM(32)))),
    }


# ---------------------------------------------------------------------------
# text.json
# ---------------------------------------------------------------------------

PAD_SEQUENCES = [[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10, 11], [12]]


def pad_case(name, args):
    out = keras.utils.pad_sequences(PAD_SEQUENCES, **args)
    return {"name": name, "sequences": PAD_SEQUENCES, "args": args,
            "output": [[int(v) for v in row] for row in out]}


def make_pad_cases():
    cases = [pad_case("defaults", {})]
    for padding in ["pre", "post"]:
        for truncating in ["pre", "post"]:
            cases.append(pad_case(f"maxlen4_pad_{padding}_trunc_{truncating}",
                                  {"maxlen": 4, "padding": padding, "truncating": truncating}))
    cases.append(pad_case("value_minus1", {"value": -1}))
    cases.append(pad_case("maxlen4_post_value_minus1",
                          {"maxlen": 4, "padding": "post", "value": -1}))
    cases.append(pad_case("maxlen8_longer_than_all", {"maxlen": 8}))
    cases.append(pad_case("maxlen8_post", {"maxlen": 8, "padding": "post"}))
    return cases


# Keras 3 no longer exports the Keras 1 Tokenizer publicly
# (keras.preprocessing.text is gone); the deprecated class still ships here.
def _tokenizer_class():
    from keras.src.legacy.preprocessing.text import Tokenizer
    return Tokenizer


TOKENIZER_FIT_TEXTS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "My dog loves the cat; the cat doesn't love my dog.",
    "Is it raining? Yes, it's raining.",
    "Hello, World! Hello again...",
    "A quick-brown fox (very QUICK) jumps.",
    "Don't stop me now",
    "Mail me at test@example.com\tor\nhere",
]

TOKENIZER_TEXTS = [
    "The cat ate the homework",
    "An unseen zebra sat on my cat!",
    "HELLO hello, world?",
    "",
    "dog dog DOG cat fox",
]


def tokenizer_case(name, args):
    tok = _tokenizer_class()(**args)
    tok.fit_on_texts(TOKENIZER_FIT_TEXTS)
    return {
        "name": name,
        "args": args,
        "fit_texts": TOKENIZER_FIT_TEXTS,
        "texts": TOKENIZER_TEXTS,
        # Index order: counts descending, ties in order of first appearance
        # (stable sort); the OOV token, if any, always gets index 1.
        "word_index": sorted(([w, int(i)] for w, i in tok.word_index.items()),
                             key=lambda p: p[1]),
        # Order of first appearance in fit_texts.
        "word_counts": [[w, int(c)] for w, c in tok.word_counts.items()],
        "sequences": [[int(i) for i in s] for s in tok.texts_to_sequences(TOKENIZER_TEXTS)],
    }


def make_text():
    tokenizer_cases = [
        tokenizer_case("defaults", {}),
        tokenizer_case("num_words5", {"num_words": 5}),
        tokenizer_case("oov", {"oov_token": "<OOV>"}),
        tokenizer_case("num_words5_oov", {"num_words": 5, "oov_token": "<OOV>"}),
    ]
    default_filters = _tokenizer_class()().filters
    return {
        "pad_sequences": make_pad_cases(),
        "tokenizer_default_filters": default_filters,
        "tokenizer": tokenizer_cases,
    }


# ---------------------------------------------------------------------------
# functional.json
# ---------------------------------------------------------------------------

def build_functional_lenet():
    """The lecture LeNet (`build_lenet`) written with the functional API."""
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(kernel_size=(5, 5), strides=(1, 1), filters=32,
                      padding="same", activation="relu")(inputs)
    x = layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2), padding="valid")(x)
    x = layers.Conv2D(kernel_size=(5, 5), strides=(1, 1), filters=48,
                      padding="same", activation="relu")(x)
    x = layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2), padding="valid")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dense(84, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def build_two_inputs_concat():
    a = keras.Input((8,))
    b = keras.Input((4,))
    x = layers.Dense(16, activation="relu")(a)
    y = layers.Dense(16, activation="relu")(b)
    c = layers.Concatenate()([x, y])
    out = layers.Dense(1, activation="sigmoid")(c)
    return keras.Model([a, b], out)


def build_shared_layer():
    a = keras.Input((5,))
    b = keras.Input((5,))
    d = layers.Dense(3)
    out = layers.Add()([d(a), d(b)])
    return keras.Model([a, b], out)


def build_two_outputs():
    i = keras.Input((6,))
    h = layers.Dense(8, activation="relu")(i)
    o1 = layers.Dense(3, activation="softmax", name="class_out")(h)
    o2 = layers.Dense(1, name="value_out")(h)
    return keras.Model(i, [o1, o2])


def build_nested_model():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"),
                              layers.Dense(2)])
    i = keras.Input((4,))
    out = layers.Dense(1)(inner(i))
    return keras.Model(i, out)


def build_seq2seq():
    """The Keras character-level seq2seq example (12 / 13 tokens, latent 16)."""
    encoder_inputs = keras.Input((None, 12))
    encoder = layers.LSTM(16, return_state=True)
    _, state_h, state_c = encoder(encoder_inputs)
    decoder_inputs = keras.Input((None, 13))
    decoder_lstm = layers.LSTM(16, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    outputs = layers.Dense(13, activation="softmax")(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], outputs)


def build_cnn_lstm():
    i = keras.Input((5, 28, 28, 1))
    x = layers.TimeDistributed(layers.Conv2D(8, (3, 3), activation="relu"))(i)
    x = layers.TimeDistributed(layers.MaxPooling2D((2, 2)))(x)
    x = layers.TimeDistributed(layers.Flatten())(x)
    x = layers.LSTM(32)(x)
    out = layers.Dense(10, activation="softmax")(x)
    return keras.Model(i, out)


def _shape(s):
    return [None if d is None else int(d) for d in s]


def _history_refs(obj, out):
    """Collect "layer[node][tensor]" for every serialized Keras tensor in `obj`
    (dict keys sorted, like keras.tree.flatten of a node's (args, kwargs))."""
    if isinstance(obj, dict):
        if obj.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = obj["config"]["keras_history"]
            out.append(f"{name}[{node_index}][{tensor_index}]")
            return
        for key in sorted(obj):
            _history_refs(obj[key], out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _history_refs(v, out)


def model_connections(model):
    """{layer name: ["inbound_layer[node_index][tensor_index]", ...]} from
    model.get_config() (all inbound nodes of the layer, in order)."""
    conns = {}
    for layer_cfg in model.get_config()["layers"]:
        refs = []
        for node in layer_cfg["inbound_nodes"]:
            _history_refs(node["args"], refs)
            _history_refs(node["kwargs"], refs)
        conns[layer_cfg["name"]] = refs
    return conns


def summary_rows(model):
    """The table rows of an unwrapped (very wide) summary: lists of cells."""
    text = summary_text(model, 1000, line_length=600)
    rows = []
    for line in text.splitlines():
        if line.startswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
    header = [c.strip() for c in text.splitlines()[2].strip("┃").split("┃")]
    return header, rows


def summarize_functional(builder):
    keras.backend.clear_session()
    model = builder()
    count = lambda ws: int(sum(np.prod(w.shape) for w in ws))  # noqa: E731
    conns = model_connections(model)
    header, rows = summary_rows(model)
    sequential_like = "Connected to" not in header
    facts = []
    for l in model.layers:
        outs = l.output if isinstance(l.output, (list, tuple)) else [l.output]
        facts.append({
            "name": l.name,
            "class": type(l).__name__,
            # null for layers with several outputs (see output_shapes).
            "output_shape": _shape(outs[0].shape) if len(outs) == 1 else None,
            "output_shapes": [_shape(t.shape) for t in outs],
            "params": int(l.count_params()),
            "connected_to": conns[l.name],
        })
    # The summary lists the same layers in the same order; where it has a
    # "Connected to" column, it agrees with the config-derived connections.
    assert [r[0] for r in rows] == [f"{f['name']} ({f['class']})" for f in facts], rows
    if not sequential_like:
        for r, f in zip(rows, facts):
            assert r[3] == (", ".join(f["connected_to"]) or "-"), (r, f)
    config = model.get_config()
    as_list = lambda v: v if isinstance(v[0], list) else [v]  # noqa: E731
    return {
        # 80 columns (non-terminal fallback): width 76.
        "text": summary_text(model, 80),
        # Width 88 (terminal of 92 columns).
        "text_wide": summary_text(model, 92),
        # Keras's own cap on a wide terminal: 88 when `sequential_like`
        # (no "Connected to" column), else 108.
        "text_max": summary_text(model, 200),
        "sequential_like": sequential_like,
        "input_layers": as_list(config["input_layers"]),
        "output_layers": as_list(config["output_layers"]),
        # model.layers order (the summary's row order). "connected_to" comes
        # from get_config() (node indices count only this model's nodes).
        "layers": facts,
        "total": int(model.count_params()),
        "trainable": count(model.trainable_weights),
        "non_trainable": count(model.non_trainable_weights),
    }


def make_functional_summaries():
    return {
        "functional_lenet": summarize_functional(build_functional_lenet),
        "two_inputs_concat": summarize_functional(build_two_inputs_concat),
        "shared_layer": summarize_functional(build_shared_layer),
        "two_outputs": summarize_functional(build_two_outputs),
        "nested_model": summarize_functional(build_nested_model),
        "seq2seq": summarize_functional(build_seq2seq),
        "cnn_lstm": summarize_functional(build_cnn_lstm),
    }


def merge_case(name, layer_class, config, input_shapes):
    """Forward pass and input gradients of a weightless multi-input (merge) or
    shape layer; single-input layers are called on the tensor, not a list.
    The scalar is sum(output * upstream), as in `layer_case`."""
    rng = rng_for("functional/merge/" + name)
    xs = [normal(rng, s) for s in input_shapes]
    if layer_class in ("Maximum", "Minimum"):
        # No ties, so the gradient is unambiguous.
        flat = np.stack(xs).reshape(len(xs), -1)
        assert all(len(np.unique(flat[:, j])) == len(xs)
                   for j in range(flat.shape[1])), name
    layer = getattr(layers, layer_class)(**config)
    xs_t = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        for x_t in xs_t:
            tape.watch(x_t)
        y = layer(xs_t if len(xs_t) > 1 else xs_t[0], training=False)
        upstream = normal(rng, tuple(y.shape))
        objective = tf.reduce_sum(y * tf.constant(upstream))
    assert not layer.weights, name
    grads = tape.gradient(objective, xs_t)
    return {
        "name": name,
        "layer": layer_class,
        "config": config,
        "inputs": [arr(x) for x in xs],
        "output": arr(y),
        "upstream": arr(upstream),
        "grad_inputs": [arr(g) for g in grads],
    }


def make_merge_cases():
    pair = [(3, 4), (3, 4)]
    specs = [
        ("concatenate_axis_-1", "Concatenate", {"axis": -1}, [(2, 3), (2, 4)]),
        ("concatenate_axis1_3d", "Concatenate", {"axis": 1}, [(2, 3, 4), (2, 2, 4)]),
        ("add_3_inputs", "Add", {}, [(3, 4)] * 3),
        ("subtract", "Subtract", {}, pair),
        ("multiply", "Multiply", {}, pair),
        ("average", "Average", {}, pair),
        ("maximum", "Maximum", {}, pair),
        ("minimum", "Minimum", {}, pair),
        ("dot_axes1", "Dot", {"axes": 1, "normalize": False}, pair),
        ("dot_axes1_normalize", "Dot", {"axes": 1, "normalize": True}, pair),
        ("repeat_vector_3", "RepeatVector", {"n": 3}, [(2, 4)]),
        ("permute_2_1", "Permute", {"dims": [2, 1]}, [(2, 3, 4)]),
        ("flatten_3d", "Flatten", {}, [(2, 3, 4)]),
    ]
    return [merge_case(*s) for s in specs]


def set_random_layer_weights(model, rng):
    """Random normal * 0.5 weights for every layer (model.layers order)."""
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([normal(rng, w.shape, 0.5) for w in layer.get_weights()])


def multi_output_training_case():
    """Two train_on_batch steps of the "two_outputs" model with a loss dict
    and loss weights."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(GLOBAL_SEED)
    model = build_two_outputs()
    rng = rng_for("functional/multi_output_training")
    set_random_layer_weights(model, rng)
    x = normal(rng, (4, 6))
    y_class = rng.integers(0, 3, 4).astype(np.int32)
    y_value = normal(rng, (4, 1))
    initial_flat = [arr(w) for w in model.get_weights()]
    layers_weights = weights_per_layer(model)
    outputs_initial = [arr(o) for o in model(x, training=False)]
    loss = {"class_out": "sparse_categorical_crossentropy", "value_out": "mse"}
    loss_weights = {"class_out": 1.0, "value_out": 0.5}
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss,
                  loss_weights=loss_weights, jit_compile=False)
    metrics_names_before = list(model.metrics_names)
    results, after = [], []
    for _ in range(2):
        p_class, p_value = [np.asarray(o, np.float64) for o in model(x, training=False)]
        l_class = float(np.mean(-np.log(p_class[np.arange(4), y_class])))
        l_value = float(np.mean((p_value - y_value) ** 2))
        got = [float(v) for v in model.train_on_batch(
            x, {"class_out": y_class, "value_out": y_value})]
        # [weighted total, unweighted class_out loss, unweighted value_out loss]
        for g, e in zip(got, [l_class + 0.5 * l_value, l_class, l_value]):
            assert abs(g - e) < 1e-5 * max(1.0, abs(e)), (got, e)
        results.append(got)
        after.append([arr(w) for w in model.get_weights()])
    return {
        "name": "two_outputs_sgd",
        "model": "two_outputs",
        "optimizer": "SGD",
        "config": {"learning_rate": 0.1},
        "loss": loss,
        "loss_weights": loss_weights,
        "layers": [{"name": l.name, "class": type(l).__name__} for l in model.layers],
        # Per layer with weights, in model.layers order.
        "layers_weights": layers_weights,
        # model.get_weights() order (the same arrays, concatenated).
        "weights_flat": initial_flat,
        "x": arr(x),
        "y_class": arr(y_class),
        "y_value": arr(y_value),
        # model(x) before training: [class_out, value_out].
        "outputs_initial": outputs_initial,
        # metrics_names only lists the per-output losses once the model has
        # been trained (or evaluated) once.
        "metrics_names_before_training": metrics_names_before,
        "metrics_names": list(model.metrics_names),
        # train_on_batch return value per step, in metrics_names order.
        "train_on_batch": results,
        "weights_after": after,
    }


def seq2seq_step_case():
    """predict, then one train_on_batch (Adam 0.01) of the seq2seq model."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(GLOBAL_SEED)
    model = build_seq2seq()
    rng = rng_for("functional/seq2seq_step")
    set_random_layer_weights(model, rng)
    # One-hot token sequences.
    x_enc = np.eye(12, dtype=np.float32)[rng.integers(0, 12, (2, 4))]
    x_dec = np.eye(13, dtype=np.float32)[rng.integers(0, 13, (2, 5))]
    y = rng.integers(0, 13, (2, 5)).astype(np.int32)
    weights = [arr(w) for w in model.get_weights()]
    prediction = model.predict([x_enc, x_dec], verbose=0)
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", jit_compile=False)
    p = np.asarray(prediction, np.float64)
    expected = float(np.mean(-np.log(np.take_along_axis(p, y[..., None], -1))))
    loss = float(model.train_on_batch([x_enc, x_dec], y))
    assert abs(loss - expected) < 1e-5 * max(1.0, expected), (loss, expected)
    return {
        "name": "seq2seq_adam",
        "model": "seq2seq",
        "optimizer": "Adam",
        "config": {"learning_rate": 0.01},
        "loss": "sparse_categorical_crossentropy",
        "layers": [{"name": l.name, "class": type(l).__name__} for l in model.layers],
        "weights_flat": weights,
        "x_enc": arr(x_enc),
        "x_dec": arr(x_dec),
        "y": arr(y),
        "predict": arr(prediction),
        "loss_value": loss,
        "weights_after": [arr(w) for w in model.get_weights()],
    }


def make_functional():
    return {
        "summaries": make_functional_summaries(),
        "merge_layers": make_merge_cases(),
        "multi_output_training": multi_output_training_case(),
        "seq2seq_step": seq2seq_step_case(),
    }


# ---------------------------------------------------------------------------

def main():
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        repo_root, "Tests", "SwiftKerasTests", "Fixtures")
    os.makedirs(out_dir, exist_ok=True)
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}, numpy {np.__version__}")
    write_json(out_dir, "layers.json", make_layer_cases())
    write_json(out_dir, "losses.json", make_loss_cases())
    write_json(out_dir, "optimizers.json", make_optimizer_cases())
    write_json(out_dir, "model_steps.json", make_model_step_cases())
    write_json(out_dir, "summaries.json", make_summaries())
    write_json(out_dir, "recurrent.json", make_recurrent_cases())
    write_json(out_dir, "text.json", make_text())
    write_json(out_dir, "functional.json", make_functional(), sections=True)
    write_json(out_dir, "callbacks.json", callbacks.make_callbacks(), sections=True)
    import saving  # noqa: E402  (saving fixtures build on the files above)
    saving.write(out_dir)
    data.main(out_dir)
    # The newer layers, regularizers and constraints: their own module and files.
    import layers_more
    layers_more.write_all(out_dir)
    # Losses, optimizers and metrics beyond the lecture ones: training.py.
    import training
    training.write_all(out_dir)
    # The stateful metrics: metrics.py.
    import metrics
    metrics.write_all(out_dir)
    # MultiHeadAttention, Attention, AdditiveAttention: attention.py.
    import attention
    attention.write_all(out_dir)


if __name__ == "__main__":
    main()
