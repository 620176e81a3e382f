#!/usr/bin/env python3
"""FAISS IndexBinaryFlat k-NN timing: the peer `sigah bench search` is measured
against (docs/PERFORMANCE.md, "Exact k-NN search vs FAISS"). Same codes as sigah when given --base/--queries .npy files
(uint8 [n, bits/8]); otherwise random codes from a fixed seed.

    python faiss_knn.py --base base.npy --queries q.npy --k 10 100 --threads 1 2 \
        [--save-dist PREFIX] [--json]

Prints one line (or JSON object) per (k, threads) with the median of --reps runs.
--save-dist PREFIX writes PREFIX.k<K>.dist.npy (int32) for the exactness check.
"""
import argparse
import json
import statistics
import time

import faiss
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base")
    ap.add_argument("--queries")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--nq", type=int, default=1000)
    ap.add_argument("--bits", type=int, default=64)
    ap.add_argument("--k", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--save-dist")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    base = np.load(a.base) if a.base else rng.integers(0, 256, (a.n, a.bits // 8), dtype=np.uint8)
    queries = np.load(a.queries) if a.queries else rng.integers(0, 256, (a.nq, a.bits // 8), dtype=np.uint8)
    bits = base.shape[1] * 8
    index = faiss.IndexBinaryFlat(bits)
    index.add(base)
    for threads in a.threads:
        faiss.omp_set_num_threads(threads)
        for k in a.k:
            index.search(queries[:10], k)  # warm-up
            times = []
            for _ in range(a.reps):
                t = time.perf_counter()
                D, _ = index.search(queries, k)
                times.append(time.perf_counter() - t)
            med = statistics.median(times)
            row = {
                "engine": "faiss", "n": len(base), "bits": bits, "queries": len(queries), "k": k,
                "threads": threads, "median_s": med, "queries_per_s": len(queries) / med,
                "comparisons_per_s": len(queries) * len(base) / med,
            }
            if a.save_dist:
                np.save(f"{a.save_dist}.k{k}.dist.npy", D.astype(np.int32))
            if a.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"faiss n={row['n']} bits={bits} queries={row['queries']} k={k} threads={threads}: "
                      f"{row['queries_per_s']:.0f} queries/s ({med * 1e3:.1f} ms)", flush=True)


if __name__ == "__main__":
    main()
