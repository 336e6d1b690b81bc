"""Reference files and values for SwiftKeras's data loading ("bring your own data").

Called by generate_fixtures.py (`data.main(out_dir)`), or alone:

    python Scripts/keras_fixtures/data.py [OUTPUT_DIR]

Writes under OUTPUT_DIR/data/ (OUTPUT_DIR defaults to Tests/SwiftKerasTests/Fixtures):

    npy/*.npy, npy/*.npz   arrays written by numpy.save / numpy.savez(_compressed)
    numpy.json             what each of those files holds (dtype, shape, values)
    from_swift/            .npy/.npz files written by SwiftKeras (committed; the
                           Swift tests write them again and compare)
    from_swift.json        what numpy.load reads from those files
    images/                PNG and JPEG files (TensorFlow and PIL encoders)
    images.json            tf.io.decode_image of each, per channel count
    resize.json            keras.ops.image.resize and affine_transform results
    folders/               class folders of images and texts
    folders.json           image_dataset_from_directory / text_dataset_from_directory:
                           class names, file order, splits, decoded batches
    random_state.json      numpy RandomState(seed).shuffle permutations
    preprocessing.json     TextVectorization vocabularies and outputs, Normalization
                           adapt results, and the serialized configs of the
                           preprocessing layers

Every file is deterministic: zip timestamps are pinned, random values come from
generators seeded by the case name, so re-running reproduces the committed bytes.
"""

import contextlib
import json
import os
import sys
import time
import unittest.mock
import zlib

import numpy as np

SEED = 1234


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")) ^ SEED)


def values(a):
    """Flat values as JSON numbers (bools as 0/1; inf and nan as strings)."""
    out = []
    for v in np.asarray(a).reshape(-1).tolist():
        v = float(v)
        out.append(v if np.isfinite(v) else ("nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")))
    return out


def write_json(path, obj):
    """One top-level entry per line: compact and diff-friendly."""
    compact = lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False)  # noqa: E731
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(obj, list):
            f.write("[\n" + ",\n".join(compact(c) for c in obj) + "\n]\n")
        else:
            f.write("{\n" + ",\n".join(f"{json.dumps(k)}: {compact(v)}" for k, v in obj.items()) + "\n}\n")


@contextlib.contextmanager
def pinned_zip_time():
    """zipfile stamps entries with the current local time: pin it for repeatable archives."""
    with unittest.mock.patch("time.time", return_value=946684800.0), \
            unittest.mock.patch("time.localtime", return_value=time.gmtime(946684800.0)):
        yield


# ---------------------------------------------------------------------------
# NumPy files
# ---------------------------------------------------------------------------

def numpy_arrays():
    """name -> (array, how it is saved)."""
    r = rng_for("npy")
    f4 = r.standard_normal((2, 3)).astype(np.float32)
    cases = {
        "f4_c": (f4, {}),
        "f4_scalar": (np.array(3.5, dtype=np.float32), {}),
        "f4_vector": (np.arange(5, dtype=np.float32) - 2.5, {}),
        "f4_empty": (np.zeros((0, 3), dtype=np.float32), {}),
        "f4_4d": (r.standard_normal((1, 2, 3, 4)).astype(np.float32), {}),
        "f4_wide_first_axis": (np.zeros((123456, 0), dtype=np.float32), {}),
        "f4_big_endian": (r.standard_normal((3, 2)).astype(">f4"), {}),
        "f8_fortran": (np.asfortranarray(r.standard_normal((3, 4, 2))), {}),
        "f8_c": (np.array([[0.1, -2.5e-3], [1e30, 7.0]]), {}),
        "f2": (np.array([0, 1, -2.5, 65504, 6e-8, -np.inf, 0.333], dtype=np.float16), {}),
        "i1": (np.array([-128, -1, 0, 127], dtype=np.int8), {}),
        "i2": (np.array([-32768, 12345, 32767], dtype=np.int16), {}),
        "i4": (np.array([[-(2 ** 24), 7], [2 ** 24, -3]], dtype=np.int32), {}),
        "i8": (np.array([3, -9, 2 ** 40, 0], dtype=np.int64), {}),
        "i8_big_endian": (np.array([1, -2, 300], dtype=">i8"), {}),
        "u1": (np.array([[0, 255], [17, 128]], dtype=np.uint8), {}),
        "u2": (np.array([0, 65535], dtype=np.uint16), {}),
        "u4": (np.array([0, 16777216], dtype=np.uint32), {}),
        "u8": (np.array([5, 2 ** 63], dtype=np.uint64), {}),
        "b1": (np.array([[True, False, True]]), {}),
        "f4_fortran_big_endian": (np.asfortranarray(r.standard_normal((2, 3)).astype(">f4")), {}),
        "f4_version2": (np.arange(6, dtype=np.float32).reshape(2, 3), {"version": (2, 0)}),
        "f4_version3": (np.arange(4, dtype=np.float32), {"version": (3, 0)}),
        # Files SwiftKeras must refuse, naming the file and the reason.
        "bad_complex": (np.array([1 + 2j], dtype=np.complex64), {}),
        "bad_strings": (np.array(["ab", "c"]), {}),
        "bad_inexact_int": (np.array([2 ** 24 + 1], dtype=np.int64), {}),
    }
    return cases


def make_numpy(data_dir):
    folder = os.path.join(data_dir, "npy")
    os.makedirs(folder, exist_ok=True)
    facts = {}
    for name, (a, how) in numpy_arrays().items():
        path = os.path.join(folder, name + ".npy")
        if "version" in how:
            with open(path, "wb") as f:
                np.lib.format.write_array(f, a, version=how["version"])
        else:
            np.save(path, a)
        if a.dtype.kind in "biuf":
            facts[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": values(np.ascontiguousarray(a))}
    r = rng_for("npz")
    x, y = r.standard_normal((4, 3)).astype(np.float32), np.arange(4, dtype=np.int64)
    with pinned_zip_time():
        np.savez(os.path.join(folder, "named.npz"), x_train=x, y_train=y)
        np.savez(os.path.join(folder, "positional.npz"), x, y)
        np.savez_compressed(os.path.join(folder, "compressed.npz"), images=np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
                            weights=np.linspace(-1, 1, 5))
    facts["named.npz"] = {"x_train": values(x), "y_train": values(y)}
    facts["positional.npz"] = {"arr_0": values(x), "arr_1": values(y)}
    facts["compressed.npz"] = {"images": values(np.arange(24).reshape(2, 3, 4)), "weights": values(np.linspace(-1, 1, 5))}
    write_json(os.path.join(data_dir, "numpy.json"), facts)

    # Files written by SwiftKeras (committed; see DataFilesTests): what numpy reads from them.
    swift_dir = os.path.join(data_dir, "from_swift")
    read_back = {}
    if os.path.isdir(swift_dir):
        for name in sorted(os.listdir(swift_dir)):
            path = os.path.join(swift_dir, name)
            if name.endswith(".npy"):
                a = np.load(path)
                read_back[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": values(a)}
            elif name.endswith(".npz"):
                with np.load(path) as z:
                    read_back[name] = {key: {"dtype": z[key].dtype.str, "shape": list(z[key].shape), "values": values(z[key])}
                                       for key in z.files}
    write_json(os.path.join(data_dir, "from_swift.json"), read_back)


# ---------------------------------------------------------------------------
# Images, resizing, affine transforms
# ---------------------------------------------------------------------------

def tf_module():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    return tf


def image_files():
    """name -> encoded bytes, written by TensorFlow's encoders and PIL."""
    import io
    from PIL import Image
    tf = tf_module()
    r = rng_for("images")
    gray = r.integers(0, 256, (7, 5, 1), dtype=np.uint8)
    rgb = r.integers(0, 256, (6, 9, 3), dtype=np.uint8)
    rgba = r.integers(0, 256, (5, 4, 4), dtype=np.uint8)
    gray_alpha = r.integers(0, 256, (4, 6, 2), dtype=np.uint8)
    gray16 = r.integers(0, 65536, (3, 5, 1), dtype=np.uint16)
    rgb16 = r.integers(0, 65536, (4, 3, 3), dtype=np.uint16)
    smooth = np.clip(np.add.outer(np.arange(16) * 12, np.arange(16) * 5)[..., None] + np.array([0, 40, 90]), 0, 255).astype(np.uint8)
    files = {
        "gray.png": tf.io.encode_png(gray).numpy(),
        "rgb.png": tf.io.encode_png(rgb).numpy(),
        "rgba.png": tf.io.encode_png(rgba).numpy(),
        "gray_alpha.png": tf.io.encode_png(gray_alpha).numpy(),
        "gray16.png": tf.io.encode_png(gray16).numpy(),
        "rgb16.png": tf.io.encode_png(rgb16).numpy(),
        "gray.jpg": tf.io.encode_jpeg(np.repeat(np.repeat(gray, 2, 0), 3, 1), quality=90).numpy(),
        "rgb.jpg": tf.io.encode_jpeg(smooth, quality=85).numpy(),
        "rgb_444.jpg": tf.io.encode_jpeg(rgb, quality=95, chroma_downsampling=False).numpy(),
    }
    palette = Image.fromarray(r.integers(0, 4, (5, 6), dtype=np.uint8), mode="P")
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 250, 10] + [0] * 756)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG", transparency=1)
    files["palette_trns.png"] = buffer.getvalue()
    bits = Image.fromarray(r.integers(0, 2, (6, 10), dtype=np.uint8) * 255).convert("1")
    buffer = io.BytesIO()
    bits.save(buffer, format="PNG")
    files["one_bit.png"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.fromarray(smooth).save(buffer, format="JPEG", quality=80, progressive=True)
    files["progressive.jpg"] = buffer.getvalue()
    return files


def make_images(data_dir):
    tf = tf_module()
    folder = os.path.join(data_dir, "images")
    os.makedirs(folder, exist_ok=True)
    facts = {}
    for name, data in sorted(image_files().items()):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        entry = {}
        for channels in (0, 1, 2, 3, 4):
            try:
                img = tf.io.decode_image(data, channels=channels, expand_animations=False).numpy()
                entry[str(channels)] = {"shape": list(img.shape), "values": values(img)}
            except Exception as error:  # noqa: BLE001  (TF refuses some channel counts for JPEG)
                entry[str(channels)] = {"error": type(error).__name__}
        facts[name] = entry
    write_json(os.path.join(data_dir, "images.json"), facts)


def make_resize(data_dir):
    import keras
    cases = []
    r = rng_for("resize")
    for (h, w, c), (th, tw) in [((5, 7, 1), (3, 4)), ((4, 4, 3), (9, 6)), ((6, 3, 2), (6, 5)), ((8, 8, 1), (3, 3)),
                                ((3, 10, 1), (7, 2)), ((2, 2, 1), (5, 5))]:
        x = (r.random((2, h, w, c)) * 255).astype(np.float32)
        for interpolation in ("bilinear", "nearest"):
            for mode in ("stretch", "crop", "pad"):
                y = keras.ops.image.resize(x, (th, tw), interpolation=interpolation, crop_to_aspect_ratio=mode == "crop",
                                           pad_to_aspect_ratio=mode == "pad", fill_value=-1.0)
                cases.append({"name": f"{h}x{w}x{c}_to_{th}x{tw}_{interpolation}_{mode}", "kind": "resize",
                              "input": {"shape": list(x.shape), "values": values(x)}, "size": [th, tw],
                              "interpolation": interpolation, "mode": mode,
                              "output": {"shape": list(y.shape), "values": values(y)}})
    for fill_mode in ("reflect", "wrap", "constant", "nearest"):
        for interpolation in ("bilinear", "nearest"):
            x = (r.random((2, 6, 5, 2)) * 10).astype(np.float32)
            angle = np.deg2rad([33.0, -125.0])
            transforms = []
            for a, (tx, ty, s) in zip(angle, [(0.7, -1.2, 1.3), (-2.5, 0.4, 0.6)]):
                cx, cy = (5 - 1) / 2, (6 - 1) / 2
                a0, a1 = s * np.cos(a), -s * np.sin(a)
                b0, b1 = s * np.sin(a), s * np.cos(a)
                transforms.append([a0, a1, tx + cx - cx * a0 - cy * a1, b0, b1, ty + cy - cx * b0 - cy * b1, 0.0, 0.0])
            transforms = np.array(transforms, dtype=np.float32)
            y = keras.ops.image.affine_transform(x, transforms, interpolation=interpolation, fill_mode=fill_mode, fill_value=-3.0)
            cases.append({"name": f"affine_{fill_mode}_{interpolation}", "kind": "affine", "fill_mode": fill_mode,
                          "interpolation": interpolation, "input": {"shape": list(x.shape), "values": values(x)},
                          "transforms": values(transforms), "output": {"shape": list(y.shape), "values": values(y)}})
    write_json(os.path.join(data_dir, "resize.json"), cases)


# ---------------------------------------------------------------------------
# Class folders
# ---------------------------------------------------------------------------

FOLDER_TREE = {
    # class -> files (relative); names chosen so Python's sort differs from naive orders.
    "b_dogs": ["Zed.png", "a.PNG", "b.jpeg", "nested/x.png", "nested/deeper/y.jpg", "nested two/z.png", "note.txt", "w.txt"],
    "a_cats": ["10.png", "9.png", "B.jpg", "ä.png", "readme.md", "c.TXT"],
    "c": ["only.png", "sub/deep.txt", "skip.gif.bak"],
}


def make_folders(data_dir):
    import keras
    tf = tf_module()
    root = os.path.join(data_dir, "folders")
    r = rng_for("folders")
    for cls, names in FOLDER_TREE.items():
        for name in names:
            path = os.path.join(root, cls, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            lower = name.lower()
            h, w = int(r.integers(4, 9)), int(r.integers(4, 9))
            img = r.integers(0, 256, (h, w, 3), dtype=np.uint8)
            if lower.endswith(".png"):
                data = tf.io.encode_png(img).numpy()
            elif lower.endswith((".jpg", ".jpeg")):
                data = tf.io.encode_jpeg(img, quality=90).numpy()
            else:
                data = f"{cls} says: {name}, {'é' * 3} {int(r.integers(0, 1000))}".encode("utf-8")
            with open(path, "wb") as f:
                f.write(data)
    with open(os.path.join(root, "stray.png"), "wb") as f:
        f.write(tf.io.encode_png(np.zeros((2, 2, 3), dtype=np.uint8)).numpy())

    def rel(paths):
        return [os.path.relpath(p, root) for p in paths]

    facts = {}
    quiet = {"verbose": False}
    ds = keras.utils.image_dataset_from_directory(root, image_size=(4, 5), batch_size=4, shuffle=False, **quiet)
    images, labels = [], []
    for x, y in ds:
        images.append(x.numpy())
        labels.append(y.numpy())
    facts["images_unshuffled"] = {"class_names": ds.class_names, "file_paths": rel(ds.file_paths),
                                  "labels": values(np.concatenate(labels)),
                                  "images": {"shape": list(np.concatenate(images).shape), "values": values(np.concatenate(images))}}
    for mode in ("categorical", "binary"):
        try:
            ds = keras.utils.image_dataset_from_directory(root, image_size=(4, 5), batch_size=4, shuffle=False, label_mode=mode,
                                                          class_names=["c", "a_cats"] if mode == "binary" else None, **quiet)
            ys = np.concatenate([y.numpy() for _, y in ds])
            facts[f"labels_{mode}"] = {"class_names": ds.class_names, "file_paths": rel(ds.file_paths),
                                       "labels": {"shape": list(ys.shape), "values": values(ys)}}
        except ValueError as error:
            facts[f"labels_{mode}"] = {"error": str(error)}
    gray = keras.utils.image_dataset_from_directory(root, image_size=(3, 3), batch_size=None, shuffle=False, color_mode="grayscale",
                                                    interpolation="nearest", crop_to_aspect_ratio=True, **quiet)
    first = [x.numpy() for x, _ in gray.take(3)]
    facts["grayscale_crop_nearest"] = {"images": {"shape": [3] + list(first[0].shape), "values": values(np.stack(first))}}
    for seed in (1337, 7):
        for split in (0.25, 0.5):
            train, val = keras.utils.image_dataset_from_directory(root, image_size=(4, 4), seed=seed, validation_split=split,
                                                                  subset="both", **quiet)
            single = keras.utils.image_dataset_from_directory(root, image_size=(4, 4), seed=seed, validation_split=split,
                                                              subset="validation", **quiet)
            facts[f"split_{seed}_{split}"] = {"training": rel(train.file_paths), "validation": rel(val.file_paths),
                                              "validation_alone": rel(single.file_paths)}
    texts = keras.utils.text_dataset_from_directory(root, batch_size=2, shuffle=False, max_length=12, **quiet)
    strings, labels = [], []
    for x, y in texts:
        strings += [s.decode("utf-8", errors="replace") for s in x.numpy()]
        labels += y.numpy().tolist()
    facts["texts_unshuffled"] = {"class_names": texts.class_names, "texts": strings, "labels": labels}
    train, val = keras.utils.text_dataset_from_directory(root, seed=99, validation_split=0.4, subset="both", **quiet)
    facts["texts_split"] = {"training": len(list(train.unbatch())), "validation": len(list(val.unbatch()))}
    write_json(os.path.join(data_dir, "folders.json"), facts)

    shuffles = {}
    for seed in (0, 1, 1337, 999999, 2 ** 32 - 1):
        for n in (1, 2, 5, 23, 100):
            items = list(range(n))
            np.random.RandomState(seed).shuffle(items)
            shuffles[f"{seed}_{n}"] = items
    write_json(os.path.join(data_dir, "random_state.json"), shuffles)


# ---------------------------------------------------------------------------
# Preprocessing layers
# ---------------------------------------------------------------------------

TEXTS = [
    "The cat sat on the mat. The END!",
    "the dog's bone -- a dog, a DOG; and a cat?",
    "Über   straße\tTAB\nnewline  ÜBER [UNK] [unk]",
    "",
    "x y z x y x",
    "e-mail: me@example.com (tab\u00a0nbsp) 3.14 don't",
]
QUERIES = ["the cat and the dog", "unknown words only", "", "x x x y straße ÜBER über", "The END"]


def make_preprocessing(data_dir):
    import keras
    from keras import layers
    # Layer names in the configs count from a fresh session, whoever ran before.
    keras.utils.clear_session()
    cases = []
    text_configs = {
        "default_int": {"output_sequence_length": 7},
        "int_ragged_to_longest": {},
        "max_tokens": {"max_tokens": 8, "output_sequence_length": 5},
        "bigrams": {"ngrams": 2, "output_sequence_length": 12},
        "characters": {"split": "character", "output_sequence_length": 10, "max_tokens": 20},
        "lower_only": {"standardize": "lower", "output_sequence_length": 6},
        "strip_only": {"standardize": "strip_punctuation", "output_sequence_length": 6},
        "no_standardize": {"standardize": None, "output_sequence_length": 6},
        "multi_hot": {"output_mode": "multi_hot"},
        "count_max_tokens": {"output_mode": "count", "max_tokens": 6},
        "count_padded": {"output_mode": "count", "max_tokens": 30, "pad_to_max_tokens": True},
        "tf_idf": {"output_mode": "tf_idf"},
    }
    for name, config in text_configs.items():
        layer = layers.TextVectorization(**config)
        layer.adapt(TEXTS)
        out = np.asarray(layer(np.array(QUERIES)))
        cases.append({"name": name, "config": config, "vocabulary": layer.get_vocabulary(),
                      "idf": values(layer._lookup_layer.idf_weights_const) if config.get("output_mode") == "tf_idf" else None,
                      "output": {"shape": list(out.shape), "values": values(out)}})
    given = layers.TextVectorization(vocabulary=["cat", "dog", "the"], output_sequence_length=4)
    out = np.asarray(given(np.array(QUERIES)))
    cases.append({"name": "given_vocabulary", "config": {"vocabulary": ["cat", "dog", "the"], "output_sequence_length": 4},
                  "vocabulary": given.get_vocabulary(), "idf": None, "output": {"shape": list(out.shape), "values": values(out)}})

    r = rng_for("normalization")
    norm_cases = []
    for name, axis, shape in [("last_axis", -1, (6, 3)), ("all_axes", None, (4, 5)), ("two_axes", (1, 2), (5, 2, 3)),
                              ("middle_axis", 1, (4, 3, 2))]:
        x = (r.standard_normal(shape) * 3 + 7).astype(np.float32)
        layer = layers.Normalization(axis=axis)
        layer.adapt(x)
        probe = (r.standard_normal(shape) * 3 + 7).astype(np.float32)
        out = np.asarray(layer(probe))
        inverted = layers.Normalization(axis=axis, invert=True, mean=np.asarray(layer.adapt_mean), variance=np.asarray(layer.adapt_variance))
        back = np.asarray(inverted(out))
        norm_cases.append({"name": name, "axis": [axis] if isinstance(axis, int) else (list(axis) if axis else []),
                           "data": {"shape": list(shape), "values": values(x)}, "probe": {"shape": list(shape), "values": values(probe)},
                           "mean": values(layer.adapt_mean), "variance": values(layer.adapt_variance),
                           "output": {"shape": list(out.shape), "values": values(out)}, "inverted": values(back)})

    configs = {}
    examples = {
        "rescaling": (layers.Rescaling(1.0 / 255), (None, 4, 4, 3)),
        "rescaling_offset": (layers.Rescaling(1.0 / 127.5, offset=-1.0), (None, 8)),
        "normalization": (layers.Normalization(), (None, 3)),
        "normalization_given": (layers.Normalization(axis=-1, mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True), (None, 2)),
        "resizing": (layers.Resizing(32, 24), (None, 28, 28, 1)),
        "resizing_crop": (layers.Resizing(16, 16, interpolation="nearest", crop_to_aspect_ratio=True), (None, 20, 30, 3)),
        "random_flip": (layers.RandomFlip("horizontal", seed=7), (None, 8, 8, 3)),
        "random_rotation": (layers.RandomRotation(0.1), (None, 8, 8, 1)),
        "random_rotation_pair": (layers.RandomRotation((-0.2, 0.05), fill_mode="constant", fill_value=1.0, seed=3), (None, 8, 8, 1)),
        "random_zoom": (layers.RandomZoom(0.2), (None, 8, 8, 1)),
        "random_zoom_both": (layers.RandomZoom((-0.3, 0.1), width_factor=(0.1, 0.2), fill_mode="nearest", interpolation="nearest"),
                             (None, 8, 8, 1)),
        "random_translation": (layers.RandomTranslation(0.1, 0.2), (None, 8, 8, 1)),
        "text_vectorization": (layers.TextVectorization(max_tokens=100, output_sequence_length=10), None),
    }
    for name, (layer, shape) in examples.items():
        if shape is not None:
            layer.build(shape)
        configs[name] = keras.saving.serialize_keras_object(layer)
    write_json(os.path.join(data_dir, "preprocessing.json"),
               {"texts": TEXTS, "queries": QUERIES, "text_vectorization": cases, "normalization": norm_cases, "configs": configs})


# ---------------------------------------------------------------------------

def main(out_dir):
    data_dir = os.path.join(out_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    make_numpy(data_dir)
    make_images(data_dir)
    make_resize(data_dir)
    make_folders(data_dir)
    make_preprocessing(data_dir)


if __name__ == "__main__":
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo_root, "Tests", "SwiftKerasTests", "Fixtures"))
