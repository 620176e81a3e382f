"""Long calls release the GIL: another Python thread keeps running during fit,
encode and search."""

from __future__ import annotations

import threading
import time

import numpy as np

import sigah

from conftest import SMALL, random_codes


def ticks_during(call) -> tuple[int, float]:
    """How many times a Python loop in another thread ran while `call` ran."""
    done = threading.Event()
    count = [0]

    def spin():
        while not done.is_set():
            count[0] += 1
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    t.start()
    start = time.perf_counter()
    try:
        call()
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        t.join()
    return count[0], elapsed


def test_fit_encode_and_search_release_the_gil(mnist):
    base = np.concatenate([mnist[0]] * 2)
    n, secs = ticks_during(lambda: sigah.SiGAH(bits=32, threads=1, **dict(SMALL, epochs=3)).fit(base))
    # With the GIL held the loop could not run at all; released, it ticks about
    # once per millisecond (a loaded machine may be much slower: ask for 10 %).
    assert secs > 0.3 and n > 0.1 * secs * 1000 * 0.1, (n, secs)
    codes = random_codes(400_000, 8, seed=1)
    ix = sigah.HammingIndex(codes)
    q = random_codes(200, 8, seed=2)
    n, secs = ticks_during(lambda: [ix.search(q, 10) for _ in range(5)])
    assert n >= 3, (n, secs)


def test_concurrent_searches_from_threads_agree():
    codes = random_codes(20_000, 8, seed=3)
    ix = sigah.HammingIndex(codes)
    q = random_codes(64, 8, seed=4)
    expect = ix.search(q, 5)
    out = [None] * 4

    def run(i):
        out[i] = ix.search(q, 5)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for d, i in out:
        np.testing.assert_array_equal(d, expect[0])
        np.testing.assert_array_equal(i, expect[1])
