#!/usr/bin/env python3
"""Train SiGAH, encode, put the codes into Milvus, search there, and check that
Milvus's Hamming distances equal sigah's own exact search.

    pip install ./python "pymilvus==2.5.18" "milvus-lite==2.5.1" "setuptools<70"
    python examples/milvus.py                                   # Milvus Lite in ./sigah_milvus.db
    python examples/milvus.py --uri http://127.0.0.1:19530      # a Milvus server or cluster

Only the URI differs between Milvus Lite and a cluster. Data: the MNIST sample in
data/mnist5k, or your own float32/uint8 ``.npy`` files (--base, --queries).
Exits 1 if any distance differs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import sigah
from sigah import milvus

ROOT = Path(__file__).resolve().parents[1]


def read_bvecs(path: Path) -> np.ndarray:
    raw = np.fromfile(path, dtype=np.uint8)
    d = int(raw[:4].view(np.int32)[0])
    return np.ascontiguousarray(raw.reshape(-1, 4 + d)[:, 4:])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--uri", default="./sigah_milvus.db", help="a Milvus Lite file or http://HOST:19530")
    p.add_argument("--token", default="", help="user:password or an API key, for a server with authentication")
    p.add_argument("--base", type=Path, help="base vectors .npy [n, d] (default: the MNIST sample)")
    p.add_argument("--queries", type=Path, help="query vectors .npy [nq, d]")
    p.add_argument("--bits", type=int, default=64)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--collection", default="sigah_codes")
    a = p.parse_args(argv)

    if a.base is not None:
        base, queries = np.load(a.base), np.load(a.queries if a.queries else a.base)[:100]
    else:
        base = read_bvecs(ROOT / "data/mnist5k/base.bvecs")
        queries = read_bvecs(ROOT / "data/mnist5k/query.bvecs")[:100]

    t = time.perf_counter()
    model = sigah.SiGAH(bits=a.bits, epochs=a.epochs).fit(base)
    codes, qcodes = model.encode(base), model.encode(queries)
    print(f"trained and encoded {len(base)} x {base.shape[1]} vectors into {a.bits}-bit codes "
          f"in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    client = milvus.connect(a.uri, token=a.token)
    milvus.create_collection(client, a.collection, a.bits, drop=True)
    n = milvus.insert(client, a.collection, codes)
    D_m, I_m = milvus.search(client, a.collection, qcodes, a.k)
    print(f"Milvus at {a.uri}: inserted {n} codes and ran {len(qcodes)} queries in {time.perf_counter() - t:.1f} s")

    D_s, I_s = sigah.HammingIndex(codes).search(qcodes, a.k)
    # Distances must be equal; ids may differ only among codes tied at the same
    # distance (Milvus does not order ties by id), so each Milvus id is checked
    # at its reported distance instead.
    true = np.array([[np.unpackbits(qcodes[q] ^ codes[i]).sum() if i >= 0 else -1 for i in row]
                     for q, row in enumerate(I_m)])
    bad_d = int((D_m != D_s).sum())
    bad_i = int(((true != D_m) & (I_m >= 0)).sum())
    print(f"distances equal to sigah's: {D_m.size - bad_d}/{D_m.size}; ids at their distance: "
          f"{int((I_m >= 0).sum()) - bad_i}/{int((I_m >= 0).sum())}; same ids: {int((I_m == I_s).sum())}/{I_m.size}")
    client.close()
    return 1 if bad_d or bad_i else 0


if __name__ == "__main__":
    sys.exit(main())
