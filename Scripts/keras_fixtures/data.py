"""Reference files and values for SwiftKeras's data loading ("bring your own data").

Called by generate_fixtures.py (`data.main(out_dir)`), or alone:

    python Scripts/keras_fixtures/data.py [OUTPUT_DIR]

Writes under OUTPUT_DIR/data/ (OUTPUT_DIR defaults to Tests/SwiftKerasTests/Fixtures):

    npy/*.npy, npy/*.npz   arrays written by numpy.save / numpy.savez(_compressed)
    numpy.json             what each of those files holds (dtype, shape, values)
    from_swift/            .npy/.npz files written by SwiftKeras (committed; the
                           Swift tests write them again and compare)
    from_swift.json        what numpy.load reads from those files

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

def main(out_dir):
    data_dir = os.path.join(out_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    make_numpy(data_dir)


if __name__ == "__main__":
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo_root, "Tests", "SwiftKerasTests", "Fixtures"))
