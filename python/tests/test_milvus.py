"""Milvus for real: a Milvus Lite server (pymilvus + milvus-lite, installed by
scripts/test) gets sigah's codes and must return sigah's distances."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import sigah
from sigah import milvus

from conftest import ROOT, random_codes

import pymilvus  # noqa: E402,F401  (scripts/test installs it; missing, the suite fails rather than skips)


@pytest.fixture
def client(tmp_path):
    c = milvus.connect(str(tmp_path / "milvus.db"))
    yield c
    c.close()


def check_distances(D_m, I_m, codes, q, D_s):
    np.testing.assert_array_equal(D_m, D_s)
    for qi, row in enumerate(I_m):
        for r, i in enumerate(row):
            assert i >= 0
            assert np.unpackbits(q[qi] ^ codes[i]).sum() == D_m[qi, r]


def test_the_example_trains_inserts_searches_and_agrees(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("milvus_example", ROOT / "examples" / "milvus.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    rc = example.main(["--uri", str(tmp_path / "ex.db"), "--epochs", "1", "--bits", "32", "--k", "10"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "distances equal to sigah's: 1000/1000" in out


@pytest.mark.parametrize("nbytes", [1, 8, 32])
def test_milvus_hamming_equals_sigah(client, nbytes):
    codes = random_codes(2000, nbytes, seed=nbytes)
    q = np.concatenate([codes[:5], random_codes(20, nbytes, seed=99)])
    milvus.create_collection(client, "c", nbytes * 8)
    assert milvus.insert(client, "c", codes, batch=700) == 2000
    D_m, I_m = milvus.search(client, "c", q, 8)
    D_s, _ = sigah.HammingIndex(codes).search(q, 8)
    check_distances(D_m, I_m, codes, q, D_s)
    assert (D_m[:5, 0] == 0).all()
    if nbytes > 1:  # 8-bit codes repeat: another row may tie at distance 0
        assert (I_m[:5, 0] == np.arange(5)).all()


def test_bulk_files_with_ids_through_the_insert_api(tmp_path, client):
    """Milvus Lite has no bulk insert: the files export_bulk writes go in through
    the insert API (a cluster would bulk-insert the same folder)."""
    codes = random_codes(1500, 8, seed=4)
    ids = np.arange(1500, dtype=np.int64) * 7 + 1_000_000
    np.save(tmp_path / "codes.npy", codes)
    np.save(tmp_path / "ids.npy", ids)
    assert milvus.main(["export", "--codes", str(tmp_path / "codes.npy"), "--ids", str(tmp_path / "ids.npy"),
                        "--out", str(tmp_path / "bulk")]) == 0
    got_ids = np.load(tmp_path / "bulk" / "id.npy")
    got_codes = np.load(tmp_path / "bulk" / "code.npy")
    assert got_ids.dtype == np.int64 and got_codes.dtype == np.uint8 and got_codes.shape == (1500, 8)
    np.testing.assert_array_equal(got_ids, ids)
    np.testing.assert_array_equal(got_codes, codes)
    milvus.create_collection(client, "bulk", 64)
    assert milvus.insert_files(client, "bulk", tmp_path / "bulk") == 1500
    q = codes[[10, 20, 30]]
    D_m, I_m = milvus.search(client, "bulk", q, 5)
    D_s, I_s = sigah.HammingIndex(codes, ids=ids).search(q, 5)
    np.testing.assert_array_equal(D_m, D_s)
    np.testing.assert_array_equal(I_m[:, 0], ids[[10, 20, 30]])
    pos = (I_m - 1_000_000) // 7
    check_distances(D_m, pos, codes, q, D_s)


def test_k_beyond_the_collection_pads_like_sigah(client):
    codes = random_codes(6, 4, seed=5)
    milvus.create_collection(client, "small", 32)
    milvus.insert(client, "small", codes)
    D_m, I_m = milvus.search(client, "small", codes[:2], 9)
    D_s, I_s = sigah.HammingIndex(codes).search(codes[:2], 9)
    np.testing.assert_array_equal(D_m, D_s)
    assert (I_m[:, 6:] == -1).all() and (I_s[:, 6:] == -1).all()


def test_bad_input_to_the_helpers(client):
    with pytest.raises(ValueError, match="bits must be a positive multiple of 8"):
        milvus.create_collection(client, "x", 12)
    with pytest.raises(ValueError, match="expected uint8"):
        milvus.insert(client, "x", np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="k must be at least 1"):
        milvus.search(client, "x", np.zeros((1, 4), np.uint8), 0)
    with pytest.raises(ValueError, match="expected 2 integers"):
        milvus.export_bulk(np.zeros((2, 4), np.uint8), "/nonexistent-unused", ids=np.arange(3))


def test_cli_export_writes_the_bulk_files(tmp_path, client, cli):
    """`sigah export --format milvus` writes the arrays export_bulk writes (ids
    0..n without custom ids); they go in through the insert API, and Milvus's
    distances equal sigah's. A file where the folder should be is refused."""
    codes = random_codes(700, 4, seed=8)
    np.save(tmp_path / "codes.npy", codes)
    cli("export", "--index", tmp_path / "codes.npy", "--format", "milvus", "--out", tmp_path / "cli", "--quiet")
    milvus.export_bulk(codes, tmp_path / "py")
    for name in ["id.npy", "code.npy"]:
        got, want = np.load(tmp_path / "cli" / name), np.load(tmp_path / "py" / name)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    milvus.create_collection(client, "cli", 32)
    assert milvus.insert_files(client, "cli", tmp_path / "cli") == 700
    q = codes[[1, 2, 3]]
    D_m, I_m = milvus.search(client, "cli", q, 7)
    D_s, _ = sigah.HammingIndex(codes).search(q, 7)
    np.testing.assert_array_equal(D_m, D_s)
    check_distances(D_m, I_m, codes, q, D_s)
    (tmp_path / "afile").write_text("x")
    p = cli("export", "--index", tmp_path / "codes.npy", "--format", "milvus", "--out", tmp_path / "afile", check=False)
    assert p.returncode == 2 and "is a file" in p.stderr
    assert (tmp_path / "afile").read_text() == "x"
