#!/usr/bin/env python3
"""Keras reference values for the stateful metrics (Tests/SwiftKerasTests/MetricTests.swift).

Usage:
    python metrics.py [OUTPUT_DIR]

generate_fixtures.py calls `write_all(out_dir)` after writing its own files. Writes
metrics.json with the sections:

    cases    a metric (class name and config), several batches of fixed y_true / y_pred
             (and sample weights), and result() after each batch
    configs  keras.saving.serialize_keras_object of metrics with arguments
    names    the strings keras.metrics.get takes, with the class they resolve to
    fits     short fits of small models with Keras's string metrics: every history entry

Same conventions as generate_fixtures.py: arrays as {"shape", "data"}, every case seeded
from its own name, deterministic output.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate_fixtures import GLOBAL_SEED, arr, keras, np, numpy_softmax, rng_for, write_json  # noqa: E402


def metric_case(name, class_name, config, batches):
    """`batches`: (y_true, y_pred) or (y_true, y_pred, sample_weight) tuples."""
    metric = getattr(keras.metrics, class_name)(**config)
    encoded, results = [], []
    for batch in batches:
        y_true, y_pred = np.asarray(batch[0], np.float32), np.asarray(batch[1], np.float32)
        entry = {"y_true": arr(y_true), "y_pred": arr(y_pred)}
        if len(batch) > 2:
            weight = np.asarray(batch[2], np.float32)
            metric.update_state(y_true, y_pred, sample_weight=weight)
            entry["sample_weight"] = arr(weight)
        else:
            metric.update_state(y_true, y_pred)
        encoded.append(entry)
        results.append(arr(np.asarray(metric.result())))
    return {"name": name, "class_name": class_name, "config": config, "batches": encoded, "results": results}


def probabilities(rng, shape):
    """Uniform in [0, 1) with a few exact 0, 0.5 and 1 (threshold and bucket edges)."""
    p = rng.uniform(0, 1, shape).astype(np.float32)
    flat = p.reshape(-1)
    flat[:: 7] = 0.5
    flat[3:: 11] = 0.0
    flat[5:: 13] = 1.0
    return p


def binary_labels(rng, shape):
    return (rng.uniform(0, 1, shape) < 0.5).astype(np.float32)


def one_hot(ids, classes):
    return np.eye(classes, dtype=np.float32)[ids]


def make_cases():
    cases = []

    def add(name, class_name, config, batches):
        cases.append(metric_case(name, class_name, config, batches))

    def binary_batches(name, shape=(6, 1), count=3, weighted=False):
        r = rng_for(name)
        out = []
        for _ in range(count):
            batch = (binary_labels(r, shape), probabilities(r, shape))
            out.append(batch + (r.uniform(0, 2, shape[0]).astype(np.float32),) if weighted else batch)
        return out

    def class_batches(name, classes=5, rows=6, count=3, weighted=False, sparse=False, ties=False):
        r = rng_for(name)
        out = []
        for _ in range(count):
            ids = r.integers(0, classes, rows)
            pred = numpy_softmax(r.standard_normal((rows, classes)).astype(np.float32))
            if ties:
                pred[0, :] = 1.0 / classes
                pred[1, :2] = pred[1, :2].max()
            labels = ids.astype(np.float32) if sparse else one_hot(ids, classes)
            batch = (labels, pred)
            out.append(batch + (r.uniform(0, 2, rows).astype(np.float32),) if weighted else batch)
        return out

    def regression_batches(name, shape=(6, 3), count=3, weighted=False):
        r = rng_for(name)
        out = []
        for _ in range(count):
            batch = (r.standard_normal(shape).astype(np.float32), r.standard_normal(shape).astype(np.float32))
            out.append(batch + (r.uniform(0, 2, shape[0]).astype(np.float32),) if weighted else batch)
        return out

    # Accuracies.
    add("binary_accuracy", "BinaryAccuracy", {}, binary_batches("binary_accuracy"))
    add("binary_accuracy_threshold", "BinaryAccuracy", {"threshold": 0.7}, binary_batches("binary_accuracy_threshold"))
    add("binary_accuracy_weighted", "BinaryAccuracy", {}, binary_batches("binary_accuracy_weighted", weighted=True))
    add("binary_accuracy_multilabel", "BinaryAccuracy", {}, binary_batches("binary_accuracy_multilabel", shape=(4, 3)))
    add("categorical_accuracy", "CategoricalAccuracy", {}, class_batches("categorical_accuracy", ties=True))
    add("categorical_accuracy_weighted", "CategoricalAccuracy", {}, class_batches("categorical_accuracy_weighted", weighted=True))
    add("sparse_categorical_accuracy", "SparseCategoricalAccuracy", {}, class_batches("sparse_categorical_accuracy", sparse=True, ties=True))
    add("sparse_categorical_accuracy_weighted", "SparseCategoricalAccuracy", {},
        class_batches("sparse_categorical_accuracy_weighted", sparse=True, weighted=True))
    add("top_k_categorical_accuracy", "TopKCategoricalAccuracy", {}, class_batches("top_k_categorical_accuracy", classes=8, ties=True))
    add("top_k_categorical_accuracy_k2", "TopKCategoricalAccuracy", {"k": 2},
        class_batches("top_k_categorical_accuracy_k2", ties=True, weighted=True))
    add("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy", {},
        class_batches("sparse_top_k_categorical_accuracy", classes=8, sparse=True, ties=True))
    add("sparse_top_k_categorical_accuracy_k2", "SparseTopKCategoricalAccuracy", {"k": 2},
        class_batches("sparse_top_k_categorical_accuracy_k2", sparse=True, ties=True, weighted=True))

    # Precision and recall.
    for cls in ["Precision", "Recall"]:
        key = cls.lower()
        add(key, cls, {}, binary_batches(key))
        add(f"{key}_weighted", cls, {}, binary_batches(f"{key}_weighted", weighted=True))
        add(f"{key}_threshold", cls, {"thresholds": 0.3}, binary_batches(f"{key}_threshold", shape=(4, 3)))
        add(f"{key}_thresholds", cls, {"thresholds": [0.2, 0.5, 0.9]}, binary_batches(f"{key}_thresholds", shape=(4, 3)))
        add(f"{key}_even_thresholds", cls, {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]},
            binary_batches(f"{key}_even_thresholds", shape=(8, 1), weighted=True))
        add(f"{key}_top_k", cls, {"top_k": 2}, binary_batches(f"{key}_top_k", shape=(4, 5)))
        add(f"{key}_class_id", cls, {"class_id": 1}, binary_batches(f"{key}_class_id", shape=(6, 3), weighted=True))
        add(f"{key}_top_k_class_id", cls, {"top_k": 2, "class_id": 3, "thresholds": 0.4},
            binary_batches(f"{key}_top_k_class_id", shape=(6, 5)))

    # AUC: both curves, the three summations, other threshold counts, given thresholds, logits.
    add("auc", "AUC", {}, binary_batches("auc", shape=(8, 1)))
    add("auc_weighted", "AUC", {}, binary_batches("auc_weighted", shape=(8, 1), weighted=True))
    add("auc_pr", "AUC", {"curve": "PR"}, binary_batches("auc_pr", shape=(8, 1)))
    add("auc_pr_weighted", "AUC", {"curve": "PR"}, binary_batches("auc_pr_weighted", shape=(8, 1), weighted=True))
    add("auc_minoring", "AUC", {"summation_method": "minoring"}, binary_batches("auc_minoring", shape=(8, 1)))
    add("auc_majoring", "AUC", {"summation_method": "majoring"}, binary_batches("auc_majoring", shape=(8, 1)))
    add("auc_pr_minoring", "AUC", {"curve": "PR", "summation_method": "minoring"}, binary_batches("auc_pr_minoring", shape=(8, 1)))
    add("auc_pr_majoring", "AUC", {"curve": "PR", "summation_method": "majoring"}, binary_batches("auc_pr_majoring", shape=(8, 1)))
    add("auc_5_thresholds", "AUC", {"num_thresholds": 5}, binary_batches("auc_5_thresholds", shape=(8, 1)))
    add("auc_pr_7_thresholds", "AUC", {"num_thresholds": 7, "curve": "PR"}, binary_batches("auc_pr_7_thresholds", shape=(8, 1)))
    add("auc_given_thresholds", "AUC", {"thresholds": [0.1, 0.4, 0.45, 0.8]}, binary_batches("auc_given_thresholds", shape=(8, 1)))
    add("auc_given_even_thresholds", "AUC", {"thresholds": [0.25, 0.5, 0.75], "curve": "PR"},
        binary_batches("auc_given_even_thresholds", shape=(8, 1)))
    add("auc_multilabel_rows", "AUC", {}, binary_batches("auc_multilabel_rows", shape=(4, 3), weighted=True))
    r = rng_for("auc_from_logits")
    add("auc_from_logits", "AUC", {"from_logits": True},
        [(binary_labels(r, (8, 1)), (r.standard_normal((8, 1)) * 3).astype(np.float32)) for _ in range(3)])

    # Regression metrics.
    for cls, key in [("MeanAbsoluteError", "mean_absolute_error"), ("MeanSquaredError", "mean_squared_error"),
                     ("RootMeanSquaredError", "root_mean_squared_error")]:
        add(key, cls, {}, regression_batches(key))
        add(f"{key}_weighted", cls, {}, regression_batches(f"{key}_weighted", weighted=True))
        add(f"{key}_rank1_targets", cls, {}, regression_batches(f"{key}_rank1_targets", shape=(5, 1)))

    # F1Score.
    for average in [None, "micro", "macro", "weighted"]:
        key = f"f1_score_{average}"
        add(key, "F1Score", {"average": average}, class_batches(key, classes=4, rows=8, ties=True))
        add(f"{key}_threshold", "F1Score", {"average": average, "threshold": 0.3},
            binary_batches(f"{key}_threshold", shape=(6, 4), weighted=True))
    return cases


def jsonable(value):
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def make_configs():
    metrics = {
        "binary_accuracy": keras.metrics.BinaryAccuracy(threshold=0.7, name="strict"),
        "categorical_accuracy": keras.metrics.CategoricalAccuracy(),
        "sparse_categorical_accuracy": keras.metrics.SparseCategoricalAccuracy(),
        "top_k_categorical_accuracy": keras.metrics.TopKCategoricalAccuracy(k=3),
        "sparse_top_k_categorical_accuracy": keras.metrics.SparseTopKCategoricalAccuracy(),
        "precision": keras.metrics.Precision(),
        "precision_arguments": keras.metrics.Precision(thresholds=[0.3, 0.6], top_k=2, class_id=1, name="p"),
        "recall": keras.metrics.Recall(thresholds=0.4, name="r"),
        "auc": keras.metrics.AUC(name="auc"),
        "auc_pr": keras.metrics.AUC(curve="PR", summation_method="minoring", num_thresholds=50, name="pr"),
        "auc_thresholds": keras.metrics.AUC(thresholds=[0.2, 0.5], from_logits=True, name="auc_t"),
        "mean_absolute_error": keras.metrics.MeanAbsoluteError(),
        "mean_squared_error": keras.metrics.MeanSquaredError(),
        "root_mean_squared_error": keras.metrics.RootMeanSquaredError(),
        "f1_score": keras.metrics.F1Score(),
        "f1_score_arguments": keras.metrics.F1Score(average="weighted", threshold=0.4, name="f1"),
    }
    return {key: jsonable(keras.saving.serialize_keras_object(m)) for key, m in metrics.items()}


def make_names():
    names = {}
    for name in ["accuracy", "acc", "binary_accuracy", "BinaryAccuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                 "top_k_categorical_accuracy", "TopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy",
                 "precision", "Precision", "recall", "auc", "AUC", "mae", "MAE", "mean_absolute_error", "mse", "MSE",
                 "mean_squared_error", "root_mean_squared_error", "RootMeanSquaredError", "f1_score", "F1Score"]:
        if name in ("accuracy", "acc"):
            names[name] = {"class_name": None}
            continue
        # (The object's own name carries Keras's process-wide counter, "precision_9"; compile
        # renames it to the string given.)
        names[name] = {"class_name": type(keras.metrics.get(name)).__name__}
    for name in ["rmse", "f1", "top_k_accuracy"]:
        try:
            keras.metrics.get(name)
            names[name] = {"class_name": "?"}
        except ValueError:
            names[name] = {"class_name": None, "error": True}
    return names


def make_fits():
    """Two epochs of a logistic regression on a small binary problem, from fixed weights, in
    batches of 4 without shuffling, validated on fixed data: every history entry."""
    fits = []
    r = rng_for("fits/binary")
    x = r.standard_normal((12, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], np.float32) + 0.3 * r.standard_normal(12) > 0).astype(np.float32).reshape(12, 1)
    xv = r.standard_normal((6, 3)).astype(np.float32)
    yv = (xv @ np.array([1.0, -2.0, 0.5], np.float32) > 0).astype(np.float32).reshape(6, 1)
    kernel = (r.standard_normal((3, 1)) * 0.5).astype(np.float32)
    bias = np.array([0.1], np.float32)
    for name, metrics in [("binary_metrics", ["accuracy", "precision", "recall", "auc"]),
                          ("regression_metrics", ["mae", "mse", "root_mean_squared_error", "binary_accuracy"])]:
        keras.utils.set_random_seed(GLOBAL_SEED)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
        model.set_weights([kernel, bias])
        model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.5), metrics=metrics)
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, validation_data=(xv, yv), verbose=0)
        fits.append({"name": name, "metrics": metrics, "x": arr(x), "y": arr(y), "x_val": arr(xv), "y_val": arr(yv),
                     "kernel": arr(kernel), "bias": arr(bias), "learning_rate": 0.5, "batch_size": 4, "epochs": 2,
                     "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
                     "compile_config_metrics": jsonable(model.get_compile_config()["metrics"])})
    return fits


def write_all(out_dir):
    keras.utils.set_random_seed(GLOBAL_SEED)
    write_json(out_dir, "metrics.json",
               {"cases": make_cases(), "configs": make_configs(), "names": make_names(), "fits": make_fits()},
               sections=True)


if __name__ == "__main__":
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo_root, "Tests", "SwiftKerasTests", "Fixtures")
    os.makedirs(target, exist_ok=True)
    write_all(target)
