#!/usr/bin/env python3
"""Interoperability check of `sigah export --format faiss`: FAISS loads sigah's
IndexBinaryFlat file with faiss.read_index_binary and finds the same neighbours
(distances exactly; neighbour ids exactly below each row's last distance, where
ties cannot make the sets differ) as
`sigah search` on the same codes.

    python faiss_check.py [--sigah target/release/sigah] [--n 20000] [--bits 64 72 128 256]

Exits non-zero on any difference.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import faiss
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sigah", default=os.path.join(os.path.dirname(__file__), "../../target/release/sigah"))
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--nq", type=int, default=50)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--bits", type=int, nargs="+", default=[64, 72, 128, 256])
    a = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        for bits in a.bits:
            rng = np.random.default_rng(bits)
            base = rng.integers(0, 256, (a.n, bits // 8), dtype=np.uint8)
            base[1] = base[0]  # a duplicate: equal distances, ranked by id
            q = rng.integers(0, 256, (a.nq, bits // 8), dtype=np.uint8)
            np.save(f"{d}/base.npy", base)
            np.save(f"{d}/q.npy", q)
            subprocess.run([a.sigah, "export", "--index", f"{d}/base.npy", "--format", "faiss",
                            "--out", f"{d}/base.faissindex", "--quiet"], check=True)
            subprocess.run([a.sigah, "search", "--index", f"{d}/base.npy", "--queries", f"{d}/q.npy",
                            "--k", str(a.k), "--out", f"{d}/res", "--quiet"], check=True)
            index = faiss.read_index_binary(f"{d}/base.faissindex")
            assert index.ntotal == a.n and index.d == bits, (index.ntotal, index.d)
            # The file holds exactly the codes.
            assert (faiss.vector_to_array(faiss.downcast_IndexBinary(index).xb).reshape(a.n, -1) == base).all()
            D, I = index.search(q, a.k)
            sd, si = np.load(f"{d}/res.dist.npy"), np.load(f"{d}/res.ids.npy")
            dist_ok = (D == sd).all()
            # Below each row's largest distance the neighbour sets are complete in both,
            # so they must be equal; at the largest distance a tie can keep different ids.
            ids_ok = True
            for r in range(a.nq):
                below = D[r] < D[r].max()
                ids_ok &= set(zip(D[r][below], I[r][below])) == set(zip(sd[r][sd[r] < D[r].max()], si[r][sd[r] < D[r].max()]))
            same_order = int(sum((I[r] == si[r]).all() for r in range(a.nq)))
            print(f"{bits:>4} bits: faiss.read_index_binary ok, distances {'equal' if dist_ok else 'DIFFER'}, "
                  f"neighbour sets {'equal' if ids_ok else 'DIFFER'}, identical id rows {same_order}/{a.nq}")
            failures += (not dist_ok) + (not ids_ok)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
