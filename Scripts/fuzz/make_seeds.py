"""Writes the small seed corpus of the data loaders' fuzz targets (corpus/<target>/).
Run with a Python that has numpy and tensorflow: python make_seeds.py"""
import gzip, io, os, struct, zipfile
import numpy as np
import tensorflow as tf

here = os.path.dirname(os.path.abspath(__file__))

def write(target, name, data):
    os.makedirs(os.path.join(here, "corpus", target), exist_ok=True)
    with open(os.path.join(here, "corpus", target, name), "wb") as f:
        f.write(data)

def idx(array, code):
    return struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape) + array.astype(array.dtype.newbyteorder(">")).tobytes()

def npy(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()

text = b"1\tA fine film, warm and <br />funny.\n0\tDull; I left early.\n1\tGreat!\n0\tNot good at all\n"
write("gzip", "text.gz", gzip.compress(text))
write("gzip", "plain.txt", text)
images = np.arange(3 * 2 * 2, dtype=np.uint8).reshape(3, 2, 2)
write("idx", "images-idx3-ubyte", idx(images, 0x08))
write("idx", "labels-idx1-ubyte.gz", gzip.compress(idx(np.array([1, 0, 9], dtype=np.uint8), 0x08)))
write("idx", "floats-idx2", idx(np.array([[0.5, -1.0], [2.0, 3.0]], dtype=np.float32), 0x0D))
write("tsv", "reviews.tsv", text * 3)
write("tsv", "reviews.tsv.gz", gzip.compress(text * 3))
write("tokenizer", "lines.txt", "The cat sat.\nthe CAT, the hat!\n\tnaïve café — 😀 words\n".encode())
write("npy", "float32.npy", npy(np.arange(6, dtype=np.float32).reshape(2, 3)))
write("npy", "int64_big.npy", npy(np.arange(4, dtype=">i8")))
write("npy", "bool_fortran.npy", npy(np.asfortranarray(np.array([[True, False], [False, True]]))))
write("npy", "float16.npy", npy(np.array([1.5, -2.0], dtype=np.float16)))
for name, compression in [("stored.npz", zipfile.ZIP_STORED), ("deflated.npz", zipfile.ZIP_DEFLATED)]:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        z.writestr("x.npy", npy(np.ones((2, 2), dtype=np.float32)))
        z.writestr("y.npy", npy(np.array([1, 2], dtype=np.uint8)))
    write("npz", name, out.getvalue())
write("csv", "numbers.csv", b"a,b,label\n1,2.5,0\n3,NA,1\n\n5,\"6\",0\n")
write("csv", "names.csv", b"kind;x;y\ncat;1;2\ndog;3;4\n\"c;at\";5;6\n")
pixels = tf.constant(np.arange(4 * 3 * 3, dtype=np.uint8).reshape(4, 3, 3) * 7)
write("image", "rgb.png", tf.io.encode_png(pixels).numpy())
write("image", "gray.png", tf.io.encode_png(pixels[:, :, :1]).numpy())
write("image", "rgba.png", tf.io.encode_png(tf.concat([pixels, pixels[:, :, :1]], 2)).numpy())
write("image", "rgb.jpg", tf.io.encode_jpeg(pixels).numpy())
write("image", "gray_progressive.jpg", tf.io.encode_jpeg(pixels[:, :, :1], progressive=True).numpy())
