#!/usr/bin/env python3
"""Keras reference values for the losses, optimizers and metrics beyond the lecture ones
(the SwiftKeras tests in Tests/SwiftKerasTests/Training*).

Usage:
    python training.py [OUTPUT_DIR]

generate_fixtures.py calls `write_all(out_dir)` after writing its own files. Writes:

    training_losses.json      sections: "cases" (loss value under its reduction and
                              d loss / d y_pred, through a softmax or sigmoid where noted,
                              with sample weights where given), "configs" (get_config of
                              losses with arguments) and "names" (the strings
                              keras.losses.get takes, with the function they resolve to)

Same conventions as generate_fixtures.py: arrays as {"shape", "data"}, every case seeded
from its own name, deterministic output.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate_fixtures import (  # noqa: E402
    GLOBAL_SEED, arr, keras, normal, np, numpy_softmax, rng_for, tf, write_json)


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

def loss_case(name, class_name, config, y_true, y_pred, through=None, sample_weight=None):
    """The loss of `class_name(**config)` and its gradient with respect to y_pred. With
    `through`, y_pred holds logits that pass keras.activations.softmax / sigmoid inside the
    tape, as the output of a Dense layer with that activation."""
    loss_fn = getattr(keras.losses, class_name)(**config)
    y_true_t = tf.constant(np.asarray(y_true, dtype=np.float32))
    y_pred_t = tf.constant(np.asarray(y_pred, dtype=np.float32))
    kwargs = {}
    if sample_weight is not None:
        kwargs["sample_weight"] = tf.constant(np.asarray(sample_weight, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(y_pred_t)
        p = y_pred_t
        if through == "softmax":
            p = keras.activations.softmax(y_pred_t)
        elif through == "sigmoid":
            p = keras.activations.sigmoid(y_pred_t)
        value = loss_fn(y_true_t, p, **kwargs)
        objective = tf.reduce_sum(value)
    grad = tape.gradient(objective, y_pred_t)
    case = {
        "name": name,
        "class_name": class_name,
        "config": config,
        "through": through,
        "y_true": arr(y_true),
        "y_pred": arr(y_pred),
        "value": arr(value.numpy()),
        # Of sum(value): the value itself when it is reduced to a scalar.
        "grad_y_pred": arr(grad),
    }
    if sample_weight is not None:
        case["sample_weight"] = arr(sample_weight)
    return case


def make_loss_cases():
    cases = []
    add = lambda *a, **k: cases.append(loss_case(*a, **k))  # noqa: E731
    r = rng_for("training/losses")
    a, b = normal(r, (4, 3)), normal(r, (4, 3))
    a1, b1 = normal(r, (6,)), normal(r, (6,))
    big = normal(r, (3, 4), 4.0), normal(r, (3, 4), 4.0)
    seq = normal(r, (2, 3, 4)), normal(r, (2, 3, 4))
    pos = r.uniform(0.0, 3.0, (4, 3)).astype(np.float32), r.uniform(0.05, 3.0, (4, 3)).astype(np.float32)
    weights = r.uniform(0.0, 2.0, (4,)).astype(np.float32)

    # Regression ---------------------------------------------------------------
    for cls in ["Huber", "LogCosh", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError"]:
        add(f"{cls}_n3", cls, {}, a, b)
        add(f"{cls}_n", cls, {}, a1, b1)
        add(f"{cls}_large", cls, {}, *big)
        add(f"{cls}_sequence", cls, {}, *seq)
    add("Huber_delta0.5", "Huber", {"delta": 0.5}, a, b)
    add("Huber_delta2_large", "Huber", {"delta": 2.0}, *big)
    # Exactly on the kink: |error| = delta.
    add("Huber_at_delta", "Huber", {}, np.array([[0.0, 1.0, -1.0]], np.float32), np.array([[1.0, 0.0, 0.0]], np.float32))
    add("LogCosh_huge_error", "LogCosh", {}, np.array([[0.0, 50.0, -60.0]], np.float32), np.array([[100.0, 0.0, 0.0]], np.float32))
    # MAPE with zero labels (divided by epsilon) and an exact prediction (abs at 0).
    add("MeanAbsolutePercentageError_zero_labels", "MeanAbsolutePercentageError", {},
        np.array([[0.0, 2.0, -1.0], [1.0, 0.0, 3.0]], np.float32), np.array([[0.001, 2.0, 0.5], [1.5, -0.2, 3.0]], np.float32))
    add("MeanSquaredLogarithmicError_positive", "MeanSquaredLogarithmicError", {}, *pos)
    # Negative predictions and labels are clamped at epsilon (no gradient below it).
    add("MeanSquaredLogarithmicError_negative", "MeanSquaredLogarithmicError", {},
        np.array([[-1.0, 0.0, 2.0]], np.float32), np.array([[0.5, -0.5, 1.0]], np.float32))
    add("CosineSimilarity_n3", "CosineSimilarity", {}, a, b)
    add("CosineSimilarity_sequence", "CosineSimilarity", {}, *seq)
    add("CosineSimilarity_axis1", "CosineSimilarity", {"axis": 1}, *seq)
    add("CosineSimilarity_axis0", "CosineSimilarity", {"axis": 0}, a, b)
    add("CosineSimilarity_zero_label_row", "CosineSimilarity", {},
        np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], np.float32), np.array([[0.3, -0.2, 0.5], [1.0, 2.0, 3.0]], np.float32))

    # Probabilistic ------------------------------------------------------------
    probs_true = numpy_softmax(normal(r, (4, 5)))
    probs_pred = numpy_softmax(normal(r, (4, 5), 2.0))
    add("KLDivergence_probs", "KLDivergence", {}, probs_true, probs_pred)
    onehot = np.eye(5, dtype=np.float32)[[0, 3, 1, 4]]
    add("KLDivergence_onehot", "KLDivergence", {}, onehot, probs_pred)
    add("KLDivergence_clipped", "KLDivergence", {},
        np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], np.float32), np.array([[0.0, 0.4, 1.2], [1.0, 0.0, 0.0]], np.float32))
    add("Poisson_counts", "Poisson", {}, np.floor(pos[0]), pos[1])
    add("Poisson_zero_prediction", "Poisson", {}, np.array([[0.0, 1.0, 2.0]], np.float32), np.array([[0.0, 0.5, 3.0]], np.float32))

    # Hinge --------------------------------------------------------------------
    signs = np.where(r.uniform(size=(4, 3)) > 0.5, 1.0, -1.0).astype(np.float32)
    bits = (signs > 0).astype(np.float32)
    for cls in ["Hinge", "SquaredHinge"]:
        add(f"{cls}_signs", cls, {}, signs, a)
        add(f"{cls}_binary_labels", cls, {}, bits, a)
        # On the kink: 1 - y*p = 0.
        add(f"{cls}_at_margin", cls, {}, np.array([[1.0, -1.0, 1.0]], np.float32), np.array([[1.0, -1.0, 0.5]], np.float32))
        add(f"{cls}_sequence", cls, {}, (seq[0] > 0).astype(np.float32), seq[1])
    add("CategoricalHinge_onehot", "CategoricalHinge", {}, onehot, normal(r, (4, 5)))
    add("CategoricalHinge_ties", "CategoricalHinge", {},
        np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32), np.array([[0.2, 0.5, 0.5, 0.1], [3.0, 0.1, 0.3, 3.0]], np.float32))
    add("CategoricalHinge_zero_margin", "CategoricalHinge", {},
        np.array([[1, 0, 0]], np.float32), np.array([[1.5, 0.5, 0.2]], np.float32))

    # Focal crossentropies -------------------------------------------------------
    logits = normal(r, (4, 5), 2.0)
    probs = numpy_softmax(logits)
    cfc = "CategoricalFocalCrossentropy"
    add(f"{cfc}_probs", cfc, {}, onehot, probs)
    add(f"{cfc}_from_logits", cfc, {"from_logits": True}, onehot, logits)
    add(f"{cfc}_through_softmax", cfc, {}, onehot, logits, through="softmax")
    add(f"{cfc}_alpha_gamma", cfc, {"alpha": 0.5, "gamma": 1.5}, onehot, probs)
    add(f"{cfc}_gamma0", cfc, {"gamma": 0.0, "alpha": 1.0}, onehot, probs)
    add(f"{cfc}_label_smoothing", cfc, {"label_smoothing": 0.1}, onehot, probs)
    add(f"{cfc}_with_0_and_1", cfc, {}, np.eye(3, dtype=np.float32)[[0, 1, 2]],
        np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]], np.float32))
    bfc = "BinaryFocalCrossentropy"
    y3 = r.integers(0, 2, (4, 3)).astype(np.float32)
    logits3 = normal(r, (4, 3), 2.0)
    sig = (1.0 / (1.0 + np.exp(-logits3.astype(np.float64)))).astype(np.float32)
    add(f"{bfc}_probs", bfc, {}, y3, sig)
    add(f"{bfc}_from_logits", bfc, {"from_logits": True}, y3, logits3)
    add(f"{bfc}_through_sigmoid", bfc, {}, y3, logits3, through="sigmoid")
    add(f"{bfc}_class_balancing", bfc, {"apply_class_balancing": True, "alpha": 0.3}, y3, sig)
    add(f"{bfc}_gamma3_from_logits", bfc, {"gamma": 3.0, "from_logits": True}, y3, logits3)
    add(f"{bfc}_label_smoothing", bfc, {"label_smoothing": 0.2}, y3, sig)
    add(f"{bfc}_with_0_and_1", bfc, {}, np.array([[1, 0, 1], [0, 1, 0]], np.float32),
        np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.5]], np.float32))
    add(f"{bfc}_n1", bfc, {}, y3[:, :1], sig[:, :1])

    # Reductions and sample weights ---------------------------------------------
    for reduction in ["sum", "mean", "mean_with_sample_weight", "none", "sum_over_batch_size"]:
        add(f"Huber_reduction_{reduction}", "Huber", {"reduction": reduction}, a, b, sample_weight=weights)
        add(f"Poisson_reduction_{reduction}_unweighted", "Poisson", {"reduction": reduction}, np.floor(pos[0]), pos[1])
    add(f"{bfc}_none_sequence", bfc, {"reduction": "none"}, (seq[0] > 0).astype(np.float32), seq[1], through="sigmoid")
    add("CosineSimilarity_none_axis1", "CosineSimilarity", {"reduction": "none", "axis": 1}, *seq)
    add("LogCosh_weighted", "LogCosh", {}, a, b, sample_weight=weights)
    return cases


def make_loss_configs():
    """get_config of losses built with arguments."""
    specs = [
        ("Huber", {}), ("Huber", {"delta": 2.0}), ("LogCosh", {}), ("KLDivergence", {}), ("Poisson", {"reduction": "sum"}),
        ("Hinge", {}), ("SquaredHinge", {}), ("CategoricalHinge", {}), ("CosineSimilarity", {}),
        ("CosineSimilarity", {"axis": 1}), ("MeanAbsolutePercentageError", {}), ("MeanSquaredLogarithmicError", {}),
        ("CategoricalFocalCrossentropy", {}),
        ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0, "from_logits": True, "label_smoothing": 0.1}),
        ("BinaryFocalCrossentropy", {}),
        ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 3.0, "reduction": "mean"}),
        ("BinaryCrossentropy", {"from_logits": True}), ("MeanSquaredError", {"reduction": "none"}),
    ]
    out = []
    for class_name, config in specs:
        loss = getattr(keras.losses, class_name)(**config)
        out.append({"class_name": class_name, "arguments": config, "config": loss.get_config(),
                    "serialized": keras.saving.serialize_keras_object(loss)})
    return out


def make_loss_names():
    """Each string keras.losses.get takes, with the function name (or class) it gives."""
    names = ["huber", "log_cosh", "kl_divergence", "kld", "KLD", "poisson", "hinge", "squared_hinge",
             "categorical_hinge", "cosine_similarity", "mean_absolute_percentage_error", "mape", "MAPE",
             "mean_squared_logarithmic_error", "msle", "MSLE", "categorical_focal_crossentropy",
             "binary_focal_crossentropy", "bce", "BCE", "mse", "MSE", "mae", "MAE", "Huber", "LogCosh", "KLDivergence",
             "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "CosineSimilarity", "MeanAbsolutePercentageError",
             "MeanSquaredLogarithmicError", "CategoricalFocalCrossentropy", "BinaryFocalCrossentropy"]
    out = {}
    for name in names:
        obj = keras.losses.get(name)
        out[name] = obj.get_config()["name"] if isinstance(obj, keras.losses.Loss) else obj.__name__
    for bad in ["huber_loss", "logcosh", "focal", "Kld"]:
        try:
            keras.losses.get(bad)
            out[bad] = "accepted"
        except ValueError:
            out[bad] = None
    return out


def write_all(out_dir):
    keras.utils.set_random_seed(GLOBAL_SEED)
    write_json(out_dir, "training_losses.json",
               {"cases": make_loss_cases(), "configs": make_loss_configs(), "names": make_loss_names()}, sections=True)


if __name__ == "__main__":
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo_root, "Tests", "SwiftKerasTests", "Fixtures")
    os.makedirs(target, exist_ok=True)
    write_all(target)
