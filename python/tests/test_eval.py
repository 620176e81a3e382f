"""evaluate / exact_knn give the numbers `sigah eval` reports; the baselines'
codes equal those `sigah eval --save-codes` writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sigah

KEYS = ["map", "p_at_100", "r_at_100", "p_at_1000", "r_at_1000", "p_r2"]


@pytest.fixture(scope="module")
def cli_eval(tmp_path_factory, mnist, sigah_bin):
    import subprocess

    d = tmp_path_factory.mktemp("eval")
    base, query, bl, ql = mnist
    np.save(d / "base.npy", base)
    np.save(d / "query.npy", query)
    np.save(d / "bl.npy", bl)
    np.save(d / "ql.npy", ql)
    p = subprocess.run(
        [str(sigah_bin), "eval", "--base", d / "base.npy", "--queries", d / "query.npy",
         "--base-labels", d / "bl.npy", "--query-labels", d / "ql.npy", "--gt-k", "50",
         "--methods", "itq,pcah,lsh", "--bits", "16,32", "--seed", "3",
         "--save-codes", d / "codes", "--report", d / "r.json", "--quiet"],
        capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return d, json.loads((d / "r.json").read_text())["results"]


@pytest.mark.parametrize("cls", ["itq", "pcah", "lsh"])
@pytest.mark.parametrize("bits", [16, 32])
def test_baseline_codes_and_metrics_equal_sigah_eval(cli_eval, mnist, cls, bits):
    d, rows = cli_eval
    base, query, bl, ql = mnist
    hash_fn = {"itq": sigah.ITQ(bits, seed=3), "pcah": sigah.PCAH(bits), "lsh": sigah.LSH(bits, seed=3)}[cls]
    hash_fn.fit(base)
    b, q = hash_fn.encode(base), hash_fn.encode(query)
    np.testing.assert_array_equal(b, np.load(d / "codes" / f"{cls}_{bits}_base.npy"))
    np.testing.assert_array_equal(q, np.load(d / "codes" / f"{cls}_{bits}_query.npy"))
    gt = sigah.exact_knn(base, query, 50)
    for rel, relevance in [("label", (bl, ql)), ("l2top50", gt)]:
        ours = sigah.evaluate(b, q, relevance=relevance)
        row = next(r for r in rows if (r["method"], r["bits"], r["relevance"]) == (cls, bits, rel))
        assert ours["relevance"] == rel
        for k in KEYS:
            assert ours[k] == row[k], k  # exactly the same floats
        assert ours["at_n"] == row["at_n"] and ours["pr_curve"] == row["pr_curve"]
    assert 0.05 < ours["map"] < 1


def test_exact_knn_is_the_euclidean_ground_truth(mnist):
    base, query = mnist[0][:300].astype(np.float32), mnist[1][:20].astype(np.float32)
    gt = sigah.exact_knn(base, query, 5)
    assert gt.dtype == np.int64 and gt.shape == (20, 5)
    d = ((query[:, None, :].astype(np.float64) - base[None].astype(np.float64)) ** 2).sum(-1)
    brute = np.argsort(d, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(gt, brute)
    assert sigah.exact_knn(base[:3], query, 10).shape == (20, 3)  # k capped at n


def test_params_reproduce_the_codes(mnist):
    x = mnist[0].astype(np.float32)
    for h in [sigah.ITQ(32, seed=1), sigah.PCAH(32), sigah.LSH(32, seed=1)]:
        codes = h.fit(x).encode(x)
        mean, proj = h.params()
        v = (x - mean).astype(np.float64) @ proj.astype(np.float64)
        ours = sigah.unpack_bits(codes).astype(bool)
        clear = np.abs(v) > 1e-3 * np.abs(v).max()  # GEMM rounding only matters near 0
        np.testing.assert_array_equal(ours[clear], (v > 0)[clear])
        assert h.is_fitted and h.bits == 32


def test_recall_10_at_c_hand_computed():
    # Base [0b11, 0b1, 0b101, 0, 0x80]. Query 0x00: distances [2, 1, 2, 0, 1],
    # ranking 3, 1, 4, 0, 2 (ties by id); truth {0, 4}. Query 0xff: distances
    # [6, 7, 6, 8, 7], ranking 0, 2, 1, 4, 3; truth {3, 0}. Share of the truth among
    # the first C: C=1: 0 and 1/2; C=2: 0 and 1/2 (the other tie order, 3, 4, would
    # give query 0 1/2); from C=5 (and every C capped at the 5 codes): 1 and 1.
    base = np.array([[0b11], [0b1], [0b101], [0], [0x80]], dtype=np.uint8)
    query = np.array([[0], [0xFF]], dtype=np.uint8)
    truth = np.array([[0, 4], [3, 0]])
    labels = (np.zeros(5, dtype=np.int32), np.zeros(2, dtype=np.int32))
    r = sigah.evaluate(base, query, relevance=labels, truth=truth)
    assert [(p["c"], p["recall"]) for p in r["recall_10_curve"]] == [
        (1, 0.25), (2, 0.25), (5, 1.0), (10, 1.0), (100, 1.0), (1000, 1.0)]
    assert (r["recall_10_at_10"], r["recall_10_at_100"], r["recall_10_at_1000"]) == (1.0, 1.0, 1.0)
    # A neighbour-array relevance is its own truth; labels without truth have none.
    assert sigah.evaluate(base, query, relevance=truth)["recall_10_curve"] == r["recall_10_curve"]
    none = sigah.evaluate(base, query, relevance=labels)
    assert none["recall_10_at_100"] is None and none["recall_10_curve"] is None
    with pytest.raises(ValueError, match="base id 9"):
        sigah.evaluate(base, query, relevance=labels, truth=np.array([[0], [9]]))


@pytest.mark.parametrize("bits", [16, 32])
def test_recall_10_at_c_equals_sigah_eval(cli_eval, mnist, bits):
    # sigah eval scores recall 10@C against the exact top 10 computed there.
    d, rows = cli_eval
    base, query = mnist[0], mnist[1]
    b = np.load(d / "codes" / f"itq_{bits}_base.npy")
    q = np.load(d / "codes" / f"itq_{bits}_query.npy")
    ours = sigah.evaluate(b, q, relevance=sigah.exact_knn(base, query, 10))
    for rel in ["label", "l2top50"]:
        row = next(r for r in rows if (r["method"], r["bits"], r["relevance"]) == ("itq", bits, rel))
        for k in ["recall_10_at_10", "recall_10_at_100", "recall_10_at_1000", "recall_10_curve"]:
            assert ours[k] == row[k], k
    assert 0.05 < ours["recall_10_at_10"] < ours["recall_10_at_100"] <= 1
