#!/usr/bin/python3
"""Writes tests/data/npy/: small arrays saved by numpy itself, the oracle for descent's .npy/.npz
reader (tests/test_npy.cpp). Run once; the files are committed."""
import pathlib

import numpy as np

out = pathlib.Path(__file__).resolve().parent / "npy"
out.mkdir(exist_ok=True)

features = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4) / 8
np.save(out / "float32_2x3x4.npy", features)
np.save(out / "float64_5.npy", np.array([0.5, -1.25, 3e300, 1e-300, 0.0]))
np.save(out / "uint8_2x2.npy", np.array([[0, 255], [7, 128]], dtype=np.uint8))
np.save(out / "int64_4.npy", np.array([3, -1, 2 ** 40, 0], dtype=np.int64))
np.save(out / "fortran.npy", np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save(out / "big_endian.npy", np.arange(3, dtype=">f4"))
np.save(out / "int32.npy", np.arange(3, dtype=np.int32))
with open(out / "version2.npy", "wb") as f:  # the 4-byte header length of format 2.0
    np.lib.format.write_array(f, np.arange(6, dtype=np.float64).reshape(3, 2), version=(2, 0))

labels = np.array([0, 2, 1, 2, 0, 1], dtype=np.int64)
pixels = (np.arange(6 * 2 * 2) % 256).astype(np.uint8).reshape(6, 1, 2, 2)
np.savez(out / "images.npz", features=pixels, targets=labels)
np.savez_compressed(out / "images_compressed.npz", features=pixels, targets=labels)
np.savez(out / "regression.npz", x=np.linspace(0, 1, 8).reshape(4, 2), y=np.array([[0.1], [0.2], [0.3], [0.4]]))
