"""Keras reference values for callbacks, learning-rate schedules and the fit arguments
that come with them (written to callbacks.json by generate_fixtures.py).

Every case trains a small Dense model from fixed weights on data drawn from its own
seeded generator, with shuffle=False, so the Swift tests can replay it exactly.
"""

import contextlib
import glob
import io
import os
import shutil
import struct
import tempfile
import zlib

import numpy as np
import keras

GLOBAL_SEED = 1234


def arr(x):
    a = np.asarray(x, dtype=np.float32)
    return {"shape": [int(d) for d in a.shape], "data": [float(v) for v in a.reshape(-1)]}


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")) ^ GLOBAL_SEED)


def history_dict(history):
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


# ---------------------------------------------------------------------------
# Hook order

class Recorder(keras.callbacks.Callback):
    """Records every hook: [name, index or None, sorted log keys or None]."""

    def __init__(self):
        super().__init__()
        self.events = []

    def _record(self, name, index=None, logs=None):
        self.events.append([name, index, sorted(logs.keys()) if logs else None])


for _hook in ["train_begin", "train_end", "test_begin", "test_end", "predict_begin", "predict_end"]:
    setattr(Recorder, "on_" + _hook, (lambda h: lambda self, logs=None: self._record(h, None, logs))(_hook))
for _hook in ["epoch_begin", "epoch_end", "train_batch_begin", "train_batch_end", "test_batch_begin",
              "test_batch_end", "predict_batch_begin", "predict_batch_end"]:
    setattr(Recorder, "on_" + _hook, (lambda h: lambda self, i, logs=None: self._record(h, i, logs))(_hook))


def classifier(rng, features=4, classes=3):
    model = keras.Sequential([keras.Input((features,)), keras.layers.Dense(classes, activation="softmax")])
    model.set_weights([(rng.standard_normal((features, classes)) * 0.5).astype("float32"),
                       (rng.standard_normal((classes,)) * 0.1).astype("float32")])
    return model


def classification_data(rng, n, features=4, classes=3):
    x = rng.standard_normal((n, features)).astype("float32")
    y = rng.integers(0, classes, size=(n,)).astype("float32")
    return x, y


def hook_order_case():
    rng = rng_for("hook_order")
    x, y = classification_data(rng, 10)
    model = classifier(rng)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    calls = []
    recorder = Recorder()
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[recorder], shuffle=False,
              validation_data=(x[:5], y[:5]), validation_batch_size=3, validation_freq=2)
    calls.append({"call": "fit(batch_size=4, epochs=3, validation_data=5 samples, validation_batch_size=3, validation_freq=2)",
                  "events": recorder.events})
    recorder.events = []
    model.fit(x, y, batch_size=2, epochs=3, verbose=0, callbacks=[recorder], shuffle=False, steps_per_epoch=2,
              initial_epoch=1)
    calls.append({"call": "fit(batch_size=2, epochs=3, steps_per_epoch=2, initial_epoch=1)", "events": recorder.events})
    recorder.events = []
    model.evaluate(x, y, batch_size=6, verbose=0, callbacks=[recorder])
    calls.append({"call": "evaluate(batch_size=6)", "events": recorder.events})
    recorder.events = []
    model.predict(x, batch_size=6, verbose=0, callbacks=[recorder])
    calls.append({"call": "predict(batch_size=6)", "events": recorder.events})
    return {"x": arr(x), "y": arr(y), "calls": calls}


# ---------------------------------------------------------------------------
# Monitoring callbacks on a regression that overfits (validation loss falls, then rises)

def overfitting_regression(seed_name):
    rng = rng_for(seed_name)
    w_true = rng.standard_normal((8, 1)).astype("float32")
    x = rng.standard_normal((10, 8)).astype("float32")
    y = (x @ w_true + rng.standard_normal((10, 1))).astype("float32")
    x_val = rng.standard_normal((32, 8)).astype("float32")
    y_val = (x_val @ w_true).astype("float32")
    return x, y, x_val, y_val


def regression_model():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    return model


def check_margin(values, min_delta, what):
    """Decisions must not hinge on float noise: every value is more than 1e-4 (relative)
    away from the threshold it is compared with (the best so far, less min_delta)."""
    for i in range(1, len(values)):
        best = min(values[:i])
        assert abs(values[i] + min_delta - best) > 1e-4 * abs(best), (what, i, values)


def early_stopping_case():
    x, y, x_val, y_val = overfitting_regression("early_stopping")
    model = regression_model()
    model.compile(keras.optimizers.SGD(0.1), "mse")
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, batch_size=5, epochs=30, validation_data=(x_val, y_val), verbose=0,
                        shuffle=False, callbacks=[stopper])
    check_margin(history.history["val_loss"], 0, "early_stopping")
    return {"x": arr(x), "y": arr(y), "x_val": arr(x_val), "y_val": arr(y_val), "learning_rate": 0.1,
            "batch_size": 5, "epochs": 30, "patience": 2, "history": history_dict(history),
            "epochs_run": history.epoch, "stopped_epoch": stopper.stopped_epoch, "best_epoch": stopper.best_epoch,
            "weights_after": [arr(w) for w in model.get_weights()]}


def reduce_lr_case():
    x, y, x_val, y_val = overfitting_regression("early_stopping")
    model = regression_model()
    model.compile(keras.optimizers.SGD(0.1), "mse")
    reducer = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=1,
                                                min_lr=0.01, min_delta=1e-4)
    history = model.fit(x, y, batch_size=5, epochs=14, validation_data=(x_val, y_val), verbose=0,
                        shuffle=False, callbacks=[reducer])
    check_margin(history.history["val_loss"], 1e-4, "reduce_lr")
    return {"x": arr(x), "y": arr(y), "x_val": arr(x_val), "y_val": arr(y_val), "learning_rate": 0.1,
            "batch_size": 5, "epochs": 14, "factor": 0.5, "patience": 1, "cooldown": 1, "min_lr": 0.01,
            "min_delta": 1e-4, "history": history_dict(history),
            "weights_after": [arr(w) for w in model.get_weights()]}


# ---------------------------------------------------------------------------
# CSVLogger files

def csv_logger_case():
    rng = rng_for("csv_logger")
    x, y = classification_data(rng, 12)
    weights = classifier(rng).get_weights()
    files = {}
    with tempfile.TemporaryDirectory() as folder:
        def run(name, callbacks, **fit_args):
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            model = classifier(rng)
            model.set_weights(weights)
            model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
            model.fit(x, y, batch_size=4, verbose=0, shuffle=False, callbacks=callbacks, **fit_args)
            with open(callbacks[-1].filename, "rb") as f:
                files[name] = f.read().decode("utf-8")

        path = os.path.join(folder, "log.csv")
        run("validation", keras.callbacks.CSVLogger(path), epochs=3, validation_data=(x[:6], y[:6]))
        run("appended", keras.callbacks.CSVLogger(path, append=True), epochs=5, initial_epoch=3,
            validation_data=(x[:6], y[:6]))
        run("no_validation_semicolon", keras.callbacks.CSVLogger(os.path.join(folder, "b.csv"), separator=";"),
            epochs=2)
        halve = keras.callbacks.LearningRateScheduler(lambda epoch, rate: rate * 0.5)
        run("with_learning_rate", [halve, keras.callbacks.CSVLogger(os.path.join(folder, "c.csv"))], epochs=3,
            validation_data=(x[:6], y[:6]))
    return {"x": arr(x), "y": arr(y), "weights": [arr(w) for w in weights], "files": files}


# ---------------------------------------------------------------------------
# Learning-rate schedules

SCHEDULE_STEPS = [0, 1, 2, 3, 5, 9, 10, 11, 19, 20, 21, 29, 30, 45, 50, 51, 99, 100, 101, 150, 199, 200, 250, 1000]


def schedule_cases():
    s = keras.optimizers.schedules
    cases = [
        ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
        ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True}),
        ("PiecewiseConstantDecay", {"boundaries": [10, 50, 100], "values": [1.0, 0.5, 0.1, 0.01]}),
        ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 100, "end_learning_rate": 0.01, "power": 2.0}),
        ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 100, "end_learning_rate": 0.01, "power": 0.5,
                             "cycle": True}),
        ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
        ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True}),
        ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.1}),
        ("CosineDecay", {"initial_learning_rate": 0.01, "decay_steps": 100, "alpha": 0.0, "warmup_target": 0.2,
                         "warmup_steps": 20}),
        ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 20, "t_mul": 2.0, "m_mul": 0.5,
                                 "alpha": 0.01}),
        ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 20, "t_mul": 1.0, "m_mul": 0.8}),
    ]
    out = []
    for class_name, config in cases:
        schedule = getattr(s, class_name)(**config)
        out.append({"class": class_name, "config": config, "steps": SCHEDULE_STEPS,
                    "values": [float(keras.ops.convert_to_numpy(schedule(step))) for step in SCHEDULE_STEPS]})
    return out


def schedule_training_case():
    """Three SGD steps with momentum under ExponentialDecay: the rate is read at each step."""
    rng = rng_for("schedule_training")
    x, y = classification_data(rng, 6)
    model = classifier(rng)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.5, decay_steps=1, decay_rate=0.5)
    model.compile(keras.optimizers.SGD(schedule, momentum=0.9), "sparse_categorical_crossentropy")
    before = [arr(w) for w in model.get_weights()]
    for _ in range(3):
        model.train_on_batch(x, y)
    return {"x": arr(x), "y": arr(y), "weights_before": before,
            "weights_after": [arr(w) for w in model.get_weights()],
            "learning_rate_after": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))}


# ---------------------------------------------------------------------------
# class_weight, sample_weight, steps_per_epoch, initial_epoch, validation_freq

def weighted_case():
    rng = rng_for("weighted_training")
    x, y = classification_data(rng, 12)
    sample_weight = rng.uniform(0.2, 2.0, size=(12,)).astype("float32")
    weights = classifier(rng).get_weights()
    out = {"x": arr(x), "y": arr(y), "per_sample": arr(sample_weight), "weights": [arr(w) for w in weights]}

    def fresh():
        model = classifier(rng)
        model.set_weights(weights)
        model.compile(keras.optimizers.SGD(0.2), "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    model = fresh()
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False, class_weight=class_weight)
    out["class_weight"] = {"class_weight": {str(k): v for k, v in class_weight.items()},
                           "history": history_dict(history), "weights_after": [arr(w) for w in model.get_weights()]}
    model = fresh()
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False, sample_weight=sample_weight,
                        validation_split=0.25)
    out["sample_weight"] = {"history": history_dict(history), "weights_after": [arr(w) for w in model.get_weights()],
                            "validation_split": 0.25}
    model = fresh()
    out["evaluate_sample_weight"] = [float(v) for v in model.evaluate(x, y, batch_size=5, verbose=0,
                                                                       sample_weight=sample_weight)]
    return out


def epochs_and_steps_case():
    rng = rng_for("epochs_and_steps")
    x, y = classification_data(rng, 10)
    weights = classifier(rng).get_weights()
    out = {"x": arr(x), "y": arr(y), "weights": [arr(w) for w in weights], "runs": []}
    runs = [
        {"batch_size": 2, "epochs": 4, "steps_per_epoch": 2},
        {"batch_size": 4, "epochs": 5, "initial_epoch": 2, "validation_freq": [3, 5]},
        {"batch_size": 3, "epochs": 4, "validation_freq": 2, "validation_batch_size": 2},
    ]
    for args in runs:
        model = classifier(rng)
        model.set_weights(weights)
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
        validation = {} if "steps_per_epoch" in args else {"validation_data": (x[:4], y[:4])}
        history = model.fit(x, y, verbose=0, shuffle=False, **validation, **args)
        out["runs"].append({"args": args, "validation_samples": 0 if not validation else 4,
                            "history": history_dict(history), "epochs_run": history.epoch,
                            "weights_after": [arr(w) for w in model.get_weights()]})
    return out


# ---------------------------------------------------------------------------
# TensorBoard event files

def read_records(path):
    data = open(path, "rb").read()
    records, i = [], 0
    while i < len(data):
        (n,) = struct.unpack("<Q", data[i:i + 8])
        records.append(data[i + 12:i + 12 + n])
        i += 12 + n + 4
    return records


def tensorboard_case():
    """The event bytes TensorFlow writes for scalars, and the tags Keras's callback writes."""
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_accumulator

    out = {"scalars": [], "keras_tags": {}}
    with tempfile.TemporaryDirectory() as folder:
        writer = tf.summary.create_file_writer(os.path.join(folder, "raw"))
        scalars = [("epoch_loss", 0.5, 0), ("epoch_accuracy", 0.25, 3), ("batch_loss", 1e-3, 1234567)]
        with writer.as_default():
            for tag, value, step in scalars:
                tf.summary.scalar(tag, value, step=step)
        writer.close()
        (path,) = glob.glob(os.path.join(folder, "raw", "events.out.tfevents.*"))
        records = read_records(path)
        from tensorflow.core.util import event_pb2
        first = event_pb2.Event.FromString(records[0])
        out["file_version"] = first.file_version
        for (tag, value, step), record in zip(scalars, records[1:]):
            event = event_pb2.Event.FromString(record)
            out["scalars"].append({"tag": tag, "value": value, "step": step, "wall_time": event.wall_time,
                                   "event_hex": record.hex()})

        rng = rng_for("tensorboard")
        x, y = classification_data(rng, 8)
        model = classifier(rng)
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
        logdir = os.path.join(folder, "keras")
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False, validation_data=(x[:4], y[:4]),
                  callbacks=[keras.callbacks.TensorBoard(logdir, update_freq="batch", write_graph=False)])
        for run in ("train", "validation"):
            accumulator = event_accumulator.EventAccumulator(os.path.join(logdir, run))
            accumulator.Reload()
            out["keras_tags"][run] = {tag: [e.step for e in accumulator.Tensors(tag)]
                                      for tag in sorted(accumulator.Tags()["tensors"])}
    return out


def file_name_template_cases():
    """ModelCheckpoint's file paths: Python's str.format of epoch, batch and the logs."""
    logs = {k: float(np.float32(v)) for k, v in
            {"val_loss": 0.123456, "loss": 1.5, "accuracy": 0.98765, "val_accuracy": -0.5}.items()}
    templates = ["weights.{epoch:02d}-{val_loss:.2f}.keras", "model_{epoch}_{loss:.4f}.keras",
                 "ckpt-{epoch:03d}-{batch:04d}.weights.h5", "{{literal}}-{accuracy:.1%}.keras",
                 "m-{val_loss:.3e}.keras", "m-{val_loss}.keras", "m-{val_loss:g}.keras", "m-{epoch:5d}.keras",
                 "m-{val_accuracy:08.3f}.keras", "m-{loss:.3g}-{accuracy:.2}.keras"]
    return [{"template": t, "epoch": 7, "batch": 12, "logs": logs, "path": t.format(epoch=7, batch=12, **logs)}
            for t in templates]


def model_checkpoint_case():
    """The files ModelCheckpoint writes: the best epochs by val_loss, and every 3 batches."""
    x, y, x_val, y_val = overfitting_regression("early_stopping")
    out = {}
    out_threshold = 0.265
    with tempfile.TemporaryDirectory() as folder:
        runs = {
            "best": keras.callbacks.ModelCheckpoint(os.path.join(folder, "best", "w.{epoch:02d}.weights.h5"),
                                                    save_best_only=True, save_weights_only=True),
            "every_3_batches": keras.callbacks.ModelCheckpoint(
                os.path.join(folder, "batches", "b.{epoch:02d}-{batch:02d}.weights.h5"), save_freq=3,
                save_weights_only=True),
        }
        for name, checkpoint in runs.items():
            model = regression_model()
            model.compile(keras.optimizers.SGD(0.1), "mse")
            history = model.fit(x, y, batch_size=5, epochs=8, validation_data=(x_val, y_val), verbose=0,
                                shuffle=False, callbacks=[checkpoint])
            out[name] = sorted(os.listdir(os.path.dirname(checkpoint.filepath)))
        check_margin(history.history["val_loss"], 0, "model_checkpoint")
        # Keras's messages at verbose 1 (the folder written as FOLDER), a threshold that the
        # first epochs do not beat, and the val_loss of each epoch.
        model = regression_model()
        model.compile(keras.optimizers.SGD(0.1), "mse")
        checkpoint = keras.callbacks.ModelCheckpoint(os.path.join(folder, "best.keras"), save_best_only=True,
                                                     verbose=1, initial_value_threshold=out_threshold)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            history = model.fit(x, y, batch_size=5, epochs=8, validation_data=(x_val, y_val), verbose=0,
                                shuffle=False, callbacks=[checkpoint])
        out["verbose_messages"] = printed.getvalue().replace(folder, "FOLDER")
        out["initial_value_threshold"] = out_threshold
        out["val_loss"] = [float(v) for v in history.history["val_loss"]]
    return out


class Interrupt(keras.callbacks.Callback):
    """Raises at the end of an epoch (after BackupAndRestore has backed it up)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


def backup_and_restore_case():
    """A fit interrupted after epoch 2, run again: it resumes at epoch 3 and ends as an
    uninterrupted run."""
    rng = rng_for("backup_and_restore")
    x, y = classification_data(rng, 12)
    weights = classifier(rng).get_weights()

    def fresh():
        model = classifier(rng)
        model.set_weights(weights)
        model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    unbroken = fresh()
    unbroken.fit(x, y, batch_size=4, epochs=5, verbose=0, shuffle=False)
    with tempfile.TemporaryDirectory() as folder:
        backup = os.path.join(folder, "backup")
        model = fresh()
        try:
            model.fit(x, y, batch_size=4, epochs=5, verbose=0, shuffle=False,
                      callbacks=[keras.callbacks.BackupAndRestore(backup), Interrupt(2)])
        except RuntimeError:
            pass
        model = fresh()
        history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, shuffle=False,
                            callbacks=[keras.callbacks.BackupAndRestore(backup)])
        left = os.path.exists(backup)
    return {"x": arr(x), "y": arr(y), "weights": [arr(w) for w in weights], "interrupted_after_epoch": 2,
            "resumed_epochs": history.epoch, "resumed_history": history_dict(history), "backup_left": left,
            "weights_after": [arr(w) for w in model.get_weights()],
            "unbroken_weights_after": [arr(w) for w in unbroken.get_weights()]}


def make_callbacks():
    return {
        "hook_order": hook_order_case(),
        "early_stopping": early_stopping_case(),
        "reduce_lr_on_plateau": reduce_lr_case(),
        "csv_logger": csv_logger_case(),
        "schedules": schedule_cases(),
        "schedule_training": schedule_training_case(),
        "weighted": weighted_case(),
        "epochs_and_steps": epochs_and_steps_case(),
        "tensorboard": tensorboard_case(),
        "file_name_templates": file_name_template_cases(),
        "model_checkpoint": model_checkpoint_case(),
        "backup_and_restore": backup_and_restore_case(),
    }
