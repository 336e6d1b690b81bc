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
    training_optimizers.json  sections: "cases" (variables after each of five steps of
                              AdamW, Nadam, Adamax, Adadelta, Lion and the base options
                              weight_decay / use_ema; every optimizer variable by Keras's
                              path at the end), "names", and "files": models Keras trained
                              and saved to training/*.keras with their optimizer state, and
                              the next train_on_batch step after that

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


# ---------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------

def jsonable(cfg):
    return {k: (v.item() if isinstance(v, (np.floating, np.integer)) else v) for k, v in cfg.items()
            if v is None or isinstance(v, (bool, int, float, str, np.floating, np.integer))}


def optimizer_case(name, class_name, config, steps=5, exclude=None):
    """`steps` apply_gradients calls on two variables (a 3x2 "kernel" and a 2 "bias"): the
    variables after each step and every optimizer variable (by Keras's path) at the end."""
    rng = rng_for("training/optimizers/" + name)
    initial = [normal(rng, (3, 2)), normal(rng, (2,))]
    gradients = [[normal(rng, (3, 2), 2.0), normal(rng, (2,), 2.0)] for _ in range(steps)]
    # One zero gradient entry and one sign flip exercise Lion's sign and Adamax's max.
    gradients[1][0][0, 0] = 0.0
    variables = [keras.Variable(initial[0], name="kernel"), keras.Variable(initial[1], name="bias")]
    opt = getattr(keras.optimizers, class_name)(**config)
    if exclude:
        opt.exclude_from_weight_decay(var_names=exclude)
    after = []
    for grads in gradients:
        opt.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        after.append([arr(v.numpy()) for v in variables])
    return {
        "name": name, "class_name": class_name, "config": config, "exclude_from_weight_decay": exclude,
        "resolved_config": jsonable(opt.get_config()),
        "initial": [arr(v) for v in initial], "gradients": [[arr(g) for g in grads] for grads in gradients],
        "after_step": after,
        "state": [{"path": v.path, "value": arr(v.numpy())} for v in opt.variables],
    }


def make_optimizer_cases():
    specs = [
        ("adamw_default", "AdamW", {}),
        ("adamw_wd0.1_lr0.01_amsgrad", "AdamW", {"weight_decay": 0.1, "learning_rate": 0.01, "amsgrad": True}),
        ("nadam_default", "Nadam", {}),
        ("nadam_lr0.01_beta0.8", "Nadam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99}),
        ("adamax_default", "Adamax", {}),
        ("adamax_lr0.02", "Adamax", {"learning_rate": 0.02, "beta_1": 0.5}),
        ("adadelta_default", "Adadelta", {}),
        ("adadelta_lr1_rho0.9", "Adadelta", {"learning_rate": 1.0, "rho": 0.9}),
        ("lion_default", "Lion", {}),
        ("lion_lr0.01_betas", "Lion", {"learning_rate": 0.01, "beta_1": 0.95, "beta_2": 0.98}),
        ("sgd_weight_decay", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.05}),
        ("adam_weight_decay_excluding_bias", "Adam", {"weight_decay": 0.2, "learning_rate": 0.01}),
        ("adam_ema", "Adam", {"use_ema": True, "learning_rate": 0.05}),
        ("sgd_ema_momentum0.5_overwrite2", "SGD", {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 2,
                                                   "learning_rate": 0.1}),
        ("nadam_ema_weight_decay", "Nadam", {"use_ema": True, "weight_decay": 0.01, "learning_rate": 0.01}),
        ("lion_clipnorm", "Lion", {"clipnorm": 0.5, "weight_decay": 0.1}),
        ("adadelta_clipvalue", "Adadelta", {"clipvalue": 0.1, "learning_rate": 1.0}),
    ]
    cases = []
    for name, cls, cfg in specs:
        cases.append(optimizer_case(name, cls, cfg, exclude=["bias"] if "excluding_bias" in name else None))
    return cases


def make_optimizer_names():
    out = {}
    for name in ["adamw", "AdamW", "nadam", "Nadam", "adamax", "Adamax", "adadelta", "Adadelta", "lion", "Lion", "ADAM"]:
        out[name] = type(keras.optimizers.get(name)).__name__
    return out


def make_optimizer_files(out_dir):
    """Small models trained two steps by Keras and saved (optimizer state included), then one
    more step: what a loaded model's next train_on_batch must give."""
    folder = os.path.join(out_dir, "training")
    os.makedirs(folder, exist_ok=True)
    cases = []
    for name, optimizer in [("nadam_ema", keras.optimizers.Nadam(learning_rate=0.01, use_ema=True, weight_decay=0.01)),
                            ("adamw", keras.optimizers.AdamW(learning_rate=0.01)),
                            ("lion", keras.optimizers.Lion(learning_rate=0.01)),
                            ("adamax", keras.optimizers.Adamax(learning_rate=0.01)),
                            ("adadelta", keras.optimizers.Adadelta(learning_rate=1.0))]:
        keras.utils.set_random_seed(GLOBAL_SEED)
        rng = rng_for("training/optimizer_files/" + name)
        x = normal(rng, (8, 4))
        y = rng.integers(0, 3, (8,)).astype(np.float32)
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(5, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.train_on_batch(x, y)
        model.train_on_batch(x, y)
        path = os.path.join(folder, f"{name}.keras")
        model.save(path)
        saved_state = [{"path": v.path, "value": arr(v.numpy())} for v in model.optimizer.variables]
        loss = model.train_on_batch(x, y)
        cases.append({"name": name, "file": f"training/{name}.keras", "x": arr(x), "y": arr(y),
                      "optimizer_state": saved_state, "next_loss": float(loss),
                      "weights_after_next_step": [arr(w) for w in model.get_weights()]})
    return cases


def write_all(out_dir):
    keras.utils.set_random_seed(GLOBAL_SEED)
    write_json(out_dir, "training_losses.json",
               {"cases": make_loss_cases(), "configs": make_loss_configs(), "names": make_loss_names()}, sections=True)
    keras.utils.set_random_seed(GLOBAL_SEED)
    write_json(out_dir, "training_optimizers.json",
               {"cases": make_optimizer_cases(), "names": make_optimizer_names(), "files": make_optimizer_files(out_dir)},
               sections=True)


if __name__ == "__main__":
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo_root, "Tests", "SwiftKerasTests", "Fixtures")
    os.makedirs(target, exist_ok=True)
    write_all(target)
