"""Writes the HDF5 files the Rust tests and the `hdf5` fuzz target start from,
with h5py (as ann-benchmarks does): small valid files in the ann-benchmarks
layout, and small files whose datasets claim huge shapes (HDF5 allocates
storage late, so a dataset of 10^12 rows costs a few hundred bytes until it is
written). Run from the repository root with the reference venv
(benches/reference/setup.sh):  .venv-ref/bin/python fuzz/make_hdf5_seeds.py
"""
import os

import h5py
import numpy as np

root = os.path.dirname(os.path.abspath(__file__))
seeds = os.path.join(root, "seeds", "hdf5")
claims = os.path.join(root, "..", "core", "tests", "data")
os.makedirs(seeds, exist_ok=True)
os.makedirs(claims, exist_ok=True)

rng = np.random.default_rng(7)
train = rng.integers(-8, 8, size=(12, 4)).astype(np.float32)
test = rng.integers(-8, 8, size=(3, 4)).astype(np.float32)
d = ((test[:, None, :] - train[None, :, :]) ** 2).sum(-1)
nb = np.argsort(d, axis=1, kind="stable")[:, :5].astype(np.int32)


def ann(path, **kw):
    # track_times=False: the same bytes on every run.
    with h5py.File(path, "w", track_order=False) as f:
        f.attrs["distance"] = "euclidean"
        f.create_dataset("train", data=kw.get("train", train), track_times=False, **kw.get("opts", {}))
        f.create_dataset("test", data=kw.get("test", test), track_times=False)
        f.create_dataset("neighbors", data=nb, track_times=False)
        f.create_dataset("distances", data=np.sqrt(np.take_along_axis(d, nb, 1)), track_times=False)


ann(os.path.join(seeds, "ann_f32"))
ann(os.path.join(seeds, "ann_f64_gzip"), train=train.astype(np.float64), opts={"chunks": (4, 4), "compression": "gzip"})
ann(os.path.join(seeds, "ann_u8_chunked"), train=(train + 8).astype(np.uint8), test=(test + 8).astype(np.uint8),
    opts={"chunks": (5, 2)})

with h5py.File(os.path.join(claims, "huge_chunked.hdf5"), "w") as f:
    f.create_dataset("train", shape=(10**12, 128), dtype=np.float32, chunks=(1024, 128), track_times=False)
with h5py.File(os.path.join(claims, "huge_contiguous.hdf5"), "w") as f:
    f.create_dataset("train", shape=(10**9, 128), dtype=np.float32, track_times=False)
print("wrote", sorted(os.listdir(seeds)), "and", sorted(os.listdir(claims)))
