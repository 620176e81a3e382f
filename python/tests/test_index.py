"""HammingIndex: exact agreement with FAISS IndexBinaryFlat (distances, ids,
padding, range search) and with `sigah search`; ids, add, open, save."""

from __future__ import annotations

import numpy as np
import pytest

import sigah

from conftest import random_codes

import faiss  # noqa: E402  (scripts/test installs faiss-cpu; missing, the suite fails rather than skips)


def faiss_index(codes: np.ndarray):
    ix = faiss.IndexBinaryFlat(codes.shape[1] * 8)
    ix.add(codes)
    return ix


def same_as_faiss_up_to_ties(D, I, Df, If, codes, q):
    """FAISS and sigah agree on every distance; ids agree wherever the distance is
    not tied at the k-th place (FAISS's tie order is not (distance, id))."""
    np.testing.assert_array_equal(D, Df)
    for qi in range(len(q)):
        for r in range(D.shape[1]):
            if I[qi, r] < 0:
                assert If[qi, r] == -1
                continue
            # Every returned id is really at the reported distance.
            d = int(np.unpackbits(np.bitwise_xor(q[qi], codes[I[qi, r]])).sum())
            assert d == D[qi, r]
        kth = D[qi, -1]
        inner = D[qi] < kth
        assert set(I[qi, inner]) == set(If[qi, inner])


@pytest.mark.parametrize("nbytes", [1, 3, 8, 9, 16, 32, 64])
def test_search_equals_faiss(nbytes):
    codes = random_codes(3000, nbytes, seed=nbytes)
    q = random_codes(50, nbytes, seed=100 + nbytes)
    D, I = sigah.HammingIndex(codes).search(q, 10)
    Df, If = faiss_index(codes).search(q, 10)
    assert D.dtype == np.int32 and I.dtype == np.int64 and D.shape == I.shape == (50, 10)
    same_as_faiss_up_to_ties(D, I, Df, If, codes, q)
    # Without ties the ids are exactly FAISS's.
    distinct = np.all(D[:, :-1] < D[:, 1:], axis=1)
    np.testing.assert_array_equal(I[distinct], If[distinct])


def test_ties_are_ordered_by_id_and_match_a_brute_force_sort():
    codes = random_codes(500, 2, seed=1, distinct_bytes=4)  # 16 bits, many ties
    q = random_codes(20, 2, seed=2, distinct_bytes=4)
    D, I = sigah.HammingIndex(codes).search(q, 30)
    bits = np.unpackbits(codes, axis=1)
    for qi in range(len(q)):
        d = (bits != np.unpackbits(q[qi])).sum(1)
        order = np.lexsort((np.arange(len(codes)), d))[:30]
        np.testing.assert_array_equal(I[qi], order)
        np.testing.assert_array_equal(D[qi], d[order])
    Df, If = faiss_index(codes).search(q, 30)
    np.testing.assert_array_equal(D, Df)


def test_k_larger_than_the_index_pads_as_faiss():
    codes = random_codes(7, 8, seed=3)
    q = random_codes(4, 8, seed=4)
    D, I = sigah.HammingIndex(codes).search(q, 12)
    Df, If = faiss_index(codes).search(q, 12)
    np.testing.assert_array_equal(D, Df)
    np.testing.assert_array_equal(I[:, 7:], If[:, 7:])
    assert (I[:, 7:] == -1).all() and (D[:, 7:] == np.iinfo(np.int32).max).all()
    assert sorted(I[0, :7]) == list(range(7))


@pytest.mark.parametrize("radius", [0, 1, 20, 29, 64, 65])
def test_range_search_equals_faiss(radius):
    codes = random_codes(2000, 8, seed=5)
    q = np.concatenate([codes[:3], random_codes(10, 8, seed=6)])
    lims, D, I = sigah.HammingIndex(codes).range_search(q, radius)
    lf, Df, If = faiss_index(codes).range_search(q, radius)
    assert lims.dtype == np.uint64 and D.dtype == np.int32 and I.dtype == np.int64
    np.testing.assert_array_equal(lims, lf)
    for qi in range(len(q)):
        ours = sorted(zip(I[lims[qi]:lims[qi + 1]], D[lims[qi]:lims[qi + 1]]))
        theirs = sorted(zip(If[lf[qi]:lf[qi + 1]], Df[lf[qi]:lf[qi + 1]].astype(np.int32)))
        assert ours == theirs
        # Ours are in ascending (distance, id) order.
        seg = list(zip(D[lims[qi]:lims[qi + 1]], I[lims[qi]:lims[qi + 1]]))
        assert seg == sorted(seg)
    if radius >= 1:
        assert lims[1] >= 1  # the first queries are in the index (distance 0)
    if radius == 65:
        assert lims[-1] == 2000 * len(q)


def test_results_equal_sigah_search(tmp_path, cli):
    codes = random_codes(1500, 8, seed=7)
    q = random_codes(30, 8, seed=8)
    np.save(tmp_path / "base.npy", codes)
    np.save(tmp_path / "q.npy", q)
    cli("search", "--index", tmp_path / "base.npy", "--queries", tmp_path / "q.npy", "--k", 15,
        "--out", tmp_path / "r", "--quiet")
    D, I = sigah.HammingIndex.open(tmp_path / "base.npy").search(q, 15)
    np.testing.assert_array_equal(I, np.load(tmp_path / "r.ids.npy"))
    np.testing.assert_array_equal(D, np.load(tmp_path / "r.dist.npy"))
    # `sigah search --radius R` is inclusive: range_search(q, R + 1).
    cli("search", "--index", tmp_path / "base.npy", "--queries", tmp_path / "q.npy", "--radius", 22,
        "--out", tmp_path / "rr", "--quiet")
    lims, Dr, Ir = sigah.HammingIndex(codes).range_search(q, 23)
    cli_ids = np.load(tmp_path / "rr.ids.npy")
    for qi in range(len(q)):
        row = cli_ids[qi][cli_ids[qi] >= 0]
        np.testing.assert_array_equal(row, Ir[lims[qi]:lims[qi + 1]])


def test_ids_replace_row_numbers_and_add_extends(tmp_path):
    codes = random_codes(100, 4, seed=9)
    ids = np.arange(100, dtype=np.int64) * 10 + 5
    ix = sigah.HammingIndex(codes, ids=ids)
    D, I = ix.search(codes[[3, 50]], 1)
    np.testing.assert_array_equal(I[:, 0], [35, 505])
    np.testing.assert_array_equal(D[:, 0], [0, 0])
    more = random_codes(10, 4, seed=10)
    ix.add(more, ids=np.arange(10) + 9000)
    assert ix.ntotal == len(ix) == 110 and ix.code_size == 4 and ix.bits == 32
    _, I = ix.search(more[[4]], 1)
    assert I[0, 0] == 9004
    lims, _, I = ix.range_search(more[[4]], 1)
    assert list(I) == [9004]
    np.testing.assert_array_equal(ix.ids[-10:], np.arange(10) + 9000)
    np.testing.assert_array_equal(ix.codes, np.concatenate([codes, more]))
    # Without ids= the added codes get the ids after the largest, as `sigah index add`.
    ix.add(more[:2])
    np.testing.assert_array_equal(ix.ids[-2:], [9010, 9011])
    with pytest.raises(ValueError, match="id 9004 is already in the index"):
        ix.add(more[:1], ids=np.array([9004]))
    # The index file stores the ids.
    ix.save(tmp_path / "x.sigah")
    np.testing.assert_array_equal(sigah.HammingIndex.open(tmp_path / "x.sigah").ids, ix.ids)
    # An index without ids: add without ids numbers rows; with ids, old rows keep theirs.
    plain = sigah.HammingIndex(codes)
    plain.add(more)
    assert plain.search(more[[2]], 1)[1][0, 0] == 102
    plain.add(more[:1], ids=np.array([777]))
    np.testing.assert_array_equal(plain.ids[[0, 99, 110]], [0, 99, 777])


def test_open_mapped_npy_and_index_file(tmp_path, cli):
    codes = random_codes(300, 16, seed=11)
    q = random_codes(5, 16, seed=12)
    np.save(tmp_path / "c.npy", codes)
    ix = sigah.HammingIndex.open(tmp_path / "c.npy")
    ix.save(tmp_path / "c.sigah")
    cli("export", "--index", tmp_path / "c.npy", "--format", "sigah", "--out", tmp_path / "cli.sigah", "--quiet")
    assert (tmp_path / "c.sigah").read_bytes() == (tmp_path / "cli.sigah").read_bytes()
    expect = sigah.HammingIndex(codes).search(q, 7)
    for path in ["c.npy", "c.sigah"]:
        got = sigah.HammingIndex.open(tmp_path / path).search(q, 7)
        np.testing.assert_array_equal(got[0], expect[0])
        np.testing.assert_array_equal(got[1], expect[1])
    # FAISS reads what `sigah export --format faiss` writes and finds the same.
    cli("export", "--index", tmp_path / "c.npy", "--format", "faiss", "--out", tmp_path / "c.faiss", "--quiet")
    Df, _ = faiss.read_index_binary(str(tmp_path / "c.faiss")).search(q, 7)
    np.testing.assert_array_equal(Df, expect[0])


def test_remove_ids_keeps_the_other_ids_as_faiss_idmap():
    codes = random_codes(800, 8, seed=13)
    q = random_codes(25, 8, seed=14)
    ids = np.arange(800, dtype=np.int64) * 3
    ix = sigah.HammingIndex(codes, ids=ids)
    ref = faiss.IndexBinaryIDMap(faiss.IndexBinaryFlat(64))
    ref.add_with_ids(codes, ids)
    gone = ids[::4]
    # An id that is not in the index is an error, as `sigah index remove` (FAISS
    # ignores it), and nothing is removed.
    with pytest.raises(ValueError, match="id 5 is not in the index"):
        ix.remove_ids(np.concatenate([gone, [5]]))
    assert ix.ntotal == 800
    assert ix.remove_ids(gone) == 200
    assert ref.remove_ids(gone) == 200
    assert ix.ntotal == 600 and not np.isin(ix.ids, ids[::4]).any()
    D, I = ix.search(q, 10)
    Df, If = ref.search(q, 10)
    np.testing.assert_array_equal(D, Df)
    kept = np.setdiff1d(ids, ids[::4])
    same_as_faiss_up_to_ties(D, I // 3, Df, If // 3, codes, q)
    assert np.isin(I, kept).all()
    with pytest.raises(ValueError, match="id 0 is not in the index"):
        ix.remove_ids(np.array([0]))  # removed already
    # Without ids= the ids are row numbers, which then stay fixed.
    plain = sigah.HammingIndex(codes[:10])
    assert plain.remove_ids(np.array([0, 1])) == 2
    assert plain.search(codes[[5]], 1)[1][0, 0] == 5
