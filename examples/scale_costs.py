#!/usr/bin/env python3
"""Measures the costs docs/SCALE.md projects to a billion vectors, on this machine:
SiGAH training on a sample, encoding throughput, sigah's exact search, and Milvus
Lite's insert and search. Synthetic clustered float32 data (d = 128, the width of
SIFT-like descriptors) so nothing is downloaded.

    pip install ./python "pymilvus==2.5.18" "milvus-lite==2.5.1" "setuptools<70"
    python examples/scale_costs.py [--quick] [--milvus-n 200000]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

import sigah
from sigah import milvus


def clustered(n: int, d: int, seed: int, centres: int = 256) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, d)).astype(np.float32) * 4
    return c[rng.integers(0, centres, n)] + rng.standard_normal((n, d)).astype(np.float32)


CPU = {}


def timed(f, label=None):
    """(result, wall seconds); the CPU seconds of every thread go to CPU[label]: on
    a shared machine they, not the wall time, measure the work."""
    t, c = time.perf_counter(), time.process_time()
    out = f()
    if label:
        CPU[label] = time.process_time() - c
    return out, time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    p.add_argument("--milvus-n", type=int, default=200_000)
    a = p.parse_args()
    d, bits = 128, 64
    n_train, epochs = (5_000, 1) if a.quick else (20_000, 3)
    n_enc = 50_000 if a.quick else 500_000
    n_base = 100_000 if a.quick else 1_000_000
    nq, k = 1000, 10

    train = clustered(n_train, d, 1)
    _, secs1 = timed(lambda: sigah.SiGAH(bits=bits, epochs=1).fit(train), "train1")
    model, secs = timed(lambda: sigah.SiGAH(bits=bits, epochs=epochs).fit(train), "train")
    per_epoch = (CPU["train"] - CPU["train1"]) / (epochs - 1)
    print(f"train: {n_train} x {d}, {bits} bits (default config otherwise): 1 epoch {secs1:.1f} s wall "
          f"({CPU['train1']:.1f} CPU-s), {epochs} epochs {secs:.1f} s wall ({CPU['train']:.1f} CPU-s): "
          f"{per_epoch:.1f} CPU-s per epoch, {CPU['train1'] - per_epoch:.1f} CPU-s before the first")

    X = clustered(n_enc, d, 2)
    for threads in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            model.save(Path(tmp) / "m.safetensors")
            mt = sigah.SiGAH.load(Path(tmp) / "m.safetensors", threads=threads)
        _, secs = timed(lambda: mt.encode(X), "enc")
        print(f"encode: {n_enc} x {d} -> {bits} bits, {threads} thread(s): {n_enc / secs:,.0f} vectors/s wall, "
              f"{n_enc / CPU['enc']:,.0f} vectors per CPU-s")

    rng = np.random.default_rng(3)
    codes = rng.integers(0, 256, (n_base, bits // 8), dtype=np.uint8)
    q = rng.integers(0, 256, (nq, bits // 8), dtype=np.uint8)
    index = sigah.HammingIndex(codes)
    _, secs = timed(lambda: index.search(q, k), "search")
    print(f"sigah search: {n_base:,} codes of {bits} bits, {nq} queries, k={k}: {nq / secs:,.0f} queries/s wall, "
          f"{nq / CPU['search']:,.0f} queries per CPU-s")

    with tempfile.TemporaryDirectory() as tmp:
        client, secs = timed(lambda: milvus.connect(str(Path(tmp) / "m.db")))
        print(f"Milvus Lite start: {secs:.1f} s")
        milvus.create_collection(client, "c", bits)
        n = a.milvus_n
        _, secs = timed(lambda: milvus.insert(client, "c", codes[:n]))
        print(f"Milvus Lite insert (BIN_FLAT): {n:,} codes in {secs:.1f} s = {n / secs:,.0f} codes/s")
        client.load_collection("c")
        milvus.search(client, "c", q[:10], k)  # warm up
        (D, _), secs = timed(lambda: milvus.search(client, "c", q, k))
        print(f"Milvus Lite search: {n:,} codes, {nq} queries, k={k}: {nq / secs:,.0f} queries/s")
        Ds, _ = sigah.HammingIndex(codes[:n]).search(q, k)
        print(f"Milvus distances equal sigah's: {bool((D == Ds).all())}")
        client.close()
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
