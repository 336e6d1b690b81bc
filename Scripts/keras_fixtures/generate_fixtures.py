#!/usr/bin/env python3
"""Generate Keras reference values ("golden fixtures") for the SwiftKeras tests.

Usage:
    python generate_fixtures.py [OUTPUT_DIR]

OUTPUT_DIR defaults to Tests/SwiftKerasTests/Fixtures relative to the repository
root (two levels above this script). The script only uses Keras's public API on
the TensorFlow backend and writes five JSON files:

    layers.json       forward pass + gradients of single layers
    losses.json       loss values + d(loss)/d(y_pred)
    optimizers.json   variable values after 3 optimizer steps
    model_steps.json  two `train_on_batch` steps of a tiny CNN
    summaries.json    `model.summary()` text and per-layer facts of two models

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

GLOBAL_SEED = 1234
np.random.seed(GLOBAL_SEED)
keras.utils.set_random_seed(GLOBAL_SEED)
# Deprecation warnings such as "Do not pass an `input_shape` argument" are
# irrelevant here (the lecture models use that style on purpose).
warnings.filterwarnings("ignore")


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


def write_json(out_dir, filename, obj):
    """Write `obj`; a list is written one case per line (compact, diff-friendly)."""
    path = os.path.join(out_dir, filename)
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(obj, list):
            f.write("[\n")
            f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in obj))
            f.write("\n]\n")
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


def summary_text(model, columns):
    """model.summary() text with the default line_length.

    The default table width is min(88, terminal_columns - 4) for Sequential
    models, where the terminal size comes from $COLUMNS or, when stdout is not
    a terminal, the 80-column fallback. $COLUMNS is pinned here so the result
    does not depend on the shell the script runs in.
    """
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        chunks = []
        # print_fn receives the whole rendered text in one call; it is
        # byte-identical to what summary() prints to a non-terminal stdout.
        model.summary(print_fn=lambda s, **kwargs: chunks.append(s))
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
    return {"lenet": summarize(build_lenet), "cnn": summarize(build_lecture_cnn)}


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


if __name__ == "__main__":
    main()
