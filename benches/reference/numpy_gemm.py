#!/usr/bin/env python3
"""OpenBLAS (through numpy.matmul) on float32, one thread: the GEMM peer.

Prints one JSON object per shape: {"peer": "numpy", "m", "k", "n", "threads",
"repetitions", "median_s", "gflops"}. Usage:

    python benches/reference/numpy_gemm.py [--threads 1] [--seconds 1.0] [MxKxN ...]

The thread count must be fixed before numpy (and OpenBLAS) is imported, so the
environment variables are set first thing, from the command line.
"""
import argparse
import json
import os
import sys
import time

DEFAULT_SHAPES = ["256x784x512", "256x512x784", "256x960x1024", "1024x1024x1024", "4096x128x64"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shapes", nargs="*", default=DEFAULT_SHAPES, help="MxKxN")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum measuring time per shape")
    args = parser.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np  # after the thread count is set

    rng = np.random.default_rng(0)
    for shape in args.shapes:
        try:
            m, k, n = (int(x) for x in shape.lower().split("x"))
        except ValueError:
            sys.exit(f"numpy_gemm.py: shape {shape!r} is not MxKxN")
        a = rng.uniform(-0.5, 0.5, size=(m, k)).astype(np.float32)
        b = rng.uniform(-0.5, 0.5, size=(k, n)).astype(np.float32)
        out = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=out)  # warm-up: page faults, BLAS initialisation
        times = []
        start = time.perf_counter()
        while len(times) < 5 or (time.perf_counter() - start < args.seconds and len(times) < 10000):
            t = time.perf_counter()
            np.matmul(a, b, out=out)
            times.append(time.perf_counter() - t)
        times.sort()
        median = times[len(times) // 2]
        print(json.dumps({
            "peer": "numpy", "m": m, "k": k, "n": n, "threads": args.threads,
            "repetitions": len(times), "median_s": median, "gflops": 2.0 * m * k * n / median / 1e9,
        }), flush=True)


if __name__ == "__main__":
    main()
