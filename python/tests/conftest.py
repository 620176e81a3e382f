"""Shared fixtures: the MNIST sample shipped in data/mnist5k, small configs that
train in seconds, and the `sigah` binary for comparisons with the command line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
MNIST = ROOT / "data" / "mnist5k"

# A SiGAH config small enough to train in a second or two on 2 cores.
SMALL = dict(epochs=2, hidden=[64], input_pca=32, disc_hidden=32, batch_size=128, list_k=20, rank_pos=20)


def read_xvecs(path: Path, dtype) -> np.ndarray:
    """texmex .bvecs / .ivecs: each row is an int32 dimension, then the values."""
    raw = np.fromfile(path, dtype=np.uint8)
    d = int(raw[:4].view(np.int32)[0])
    item = np.dtype(dtype).itemsize
    rows = raw.reshape(-1, 4 + d * item)
    return np.ascontiguousarray(rows[:, 4:]).view(dtype).reshape(len(rows), d)


@pytest.fixture(scope="session")
def mnist():
    """(base uint8 [1000, 784], queries uint8 [200, 784], base labels, query labels)."""
    base = read_xvecs(MNIST / "base.bvecs", np.uint8)[:1000]
    query = read_xvecs(MNIST / "query.bvecs", np.uint8)[:200]
    bl = read_xvecs(MNIST / "base_labels.ivecs", np.int32)[:1000, 0]
    ql = read_xvecs(MNIST / "query_labels.ivecs", np.int32)[:200, 0]
    return base, query, bl, ql


@pytest.fixture(scope="session")
def sigah_bin() -> Path:
    """The `sigah` binary (SIGAH_BIN, else target/debug or target/release)."""
    for p in [os.environ.get("SIGAH_BIN"), ROOT / "target/debug/sigah", ROOT / "target/release/sigah"]:
        if p and Path(p).is_file():
            return Path(p)
    pytest.fail("no sigah binary: run `cargo build -p sigah-cli` (scripts/test does) or set SIGAH_BIN")


@pytest.fixture
def cli(sigah_bin):
    """Runs `sigah ARGS...` and returns its completed process; fails on a non-zero exit."""

    def run(*args, check=True):
        p = subprocess.run([str(sigah_bin), *map(str, args)], capture_output=True, text=True)
        if check and p.returncode != 0:
            pytest.fail(f"sigah {' '.join(map(str, args))} exited {p.returncode}: {p.stderr}")
        return p

    return run


def random_codes(n: int, nbytes: int, seed: int, distinct_bytes: int = 256) -> np.ndarray:
    """Random codes; a small `distinct_bytes` makes many equal distances (ties)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, distinct_bytes, size=(n, nbytes), dtype=np.uint8)
