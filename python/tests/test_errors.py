"""Every bad-input class of docs/ROBUSTNESS.md's Python table raises the named
exception with the message it documents, and the interpreter survives."""

from __future__ import annotations

import numpy as np
import pytest

import sigah

from conftest import SMALL, random_codes

X = np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32)
CODES = random_codes(50, 8, seed=0)


@pytest.fixture(scope="module")
def fitted():
    return {
        "sigah": sigah.SiGAH(bits=16, **dict(SMALL, input_pca=0)).fit(X),
        "itq": sigah.ITQ(16).fit(X),
        "pcah": sigah.PCAH(16).fit(X),
        "lsh": sigah.LSH(16).fit(X),
    }


METHODS = ["sigah", "itq", "pcah", "lsh"]


def fresh(name):
    return {"sigah": lambda: sigah.SiGAH(bits=16, **dict(SMALL, input_pca=0)), "itq": lambda: sigah.ITQ(16),
            "pcah": lambda: sigah.PCAH(16), "lsh": lambda: sigah.LSH(16)}[name]()


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("bad, msg", [
    (X.astype(np.float64), "dtype float64 is not supported: pass float32 or uint8"),
    (X.astype(np.int32), "dtype int32 is not supported"),
    (X[0], "expected a 2-D array of vectors"),
    (X[None], "got 3 dimensions"),
    (X.tolist(), "expected a numpy array of vectors"),
    (X[:, :0], r"vectors of dimension 0 \(shape \[300, 0\]\)"),
])
def test_fit_and_encode_reject_wrong_dtype_and_dimensions(fitted, name, bad, msg):
    with pytest.raises(ValueError, match=msg):
        fresh(name).fit(bad)
    with pytest.raises(ValueError, match=msg):
        fitted[name].encode(bad)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_infinity_are_rejected_with_their_place(fitted, name, value):
    bad = X.copy()
    bad[7, 3] = value
    with pytest.raises(ValueError, match=r"X: row 7, column 3 is .*NaN or infinity"):
        fresh(name).fit(bad)
    with pytest.raises(ValueError, match="row 7, column 3"):
        fitted[name].encode(bad)


@pytest.mark.parametrize("name", METHODS)
def test_encode_rejects_another_dimension_and_untrained(fitted, name):
    with pytest.raises(ValueError, match="vectors have dimension 15, but the .*expects dimension 16"):
        fitted[name].encode(X[:, :15].copy())
    with pytest.raises(ValueError, match="not trained"):
        fresh(name).encode(X)


@pytest.mark.parametrize("name", METHODS)
def test_non_contiguous_input_is_accepted_and_equals_a_copy(fitted, name):
    wide = np.repeat(X, 2, axis=1)[:, ::2]  # strided view of X's values
    fortran = np.asfortranarray(X)
    assert not wide.flags.c_contiguous and not fortran.flags.c_contiguous
    expect = fitted[name].encode(X)
    np.testing.assert_array_equal(fitted[name].encode(wide), expect)
    np.testing.assert_array_equal(fitted[name].encode(fortran), expect)
    codes = np.asfortranarray(expect)
    D, I = sigah.HammingIndex(codes).search(expect[::3], 4)
    D2, I2 = sigah.HammingIndex(expect).search(np.ascontiguousarray(expect[::3]), 4)
    np.testing.assert_array_equal(D, D2)
    np.testing.assert_array_equal(I, I2)


@pytest.mark.parametrize("kwargs, msg", [
    (dict(bits=12), "bits must be a multiple of 8"),
    (dict(bitz=3), "unknown field `bitz`"),
    (dict(epochs="many"), "invalid type"),
    (dict(lr_g=-1.0), "lr_g"),
    (dict(epochs=0), "epochs must be at least 1"),
    (dict(threads=0), "threads must be at least 1"),
])
def test_bad_config_raises_value_error_naming_the_key(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        sigah.SiGAH(**kwargs)


@pytest.mark.parametrize("cls", [sigah.ITQ, sigah.PCAH, sigah.LSH])
def test_baselines_reject_bad_widths(cls):
    with pytest.raises(ValueError, match="bits must be a multiple of 8"):
        cls(bits=10)
    with pytest.raises(ValueError, match="at most one bit per input dimension|at least 2 training vectors") \
            if cls is not sigah.LSH else pytest.raises(ValueError, match="at least 2 training vectors"):
        cls(bits=64).fit(X[:1] if cls is sigah.LSH else X)


@pytest.mark.parametrize("bad, msg", [
    (CODES.astype(np.int8), "dtype int8 is not supported: codes are uint8"),
    (np.unpackbits(CODES, axis=1).astype(bool), "sigah.pack_bits"),
    (CODES[0], "expected a 2-D array of packed codes"),
    (CODES[:, :0], "bits must be a multiple of 8 between 8 and 4096, got 0"),
    (random_codes(2, 600, 1), "got 4800"),
    ("codes", "expected a numpy array of packed codes"),
])
def test_codes_inputs_reject_wrong_dtype_dimensions_and_width(bad, msg):
    with pytest.raises(ValueError, match=msg):
        sigah.HammingIndex(bad)
    ix = sigah.HammingIndex(CODES)
    with pytest.raises(ValueError, match=msg):
        ix.search(bad, 1)
    with pytest.raises(ValueError, match=msg):
        sigah.evaluate(CODES, bad, relevance=np.zeros((len(CODES), 1), np.int64))


def test_width_mismatch_between_queries_and_index():
    ix = sigah.HammingIndex(CODES)
    q = random_codes(3, 4, seed=1)
    for call in [lambda: ix.search(q, 1), lambda: ix.range_search(q, 3), lambda: ix.add(q)]:
        with pytest.raises(ValueError, match="32-bit codes .* 64-bit codes"):
            call()
    with pytest.raises(ValueError, match="query codes of 64 bits"):
        sigah.evaluate(CODES, q, relevance=np.zeros((3, 1), np.int64))


@pytest.mark.parametrize("k", [0, -1, -(2**40)])
def test_k_must_be_positive(k):
    with pytest.raises(ValueError, match=f"k must be at least 1, got {k}"):
        sigah.HammingIndex(CODES).search(CODES, k)
    with pytest.raises(ValueError, match="k must be at least 1"):
        sigah.exact_knn(X, X, k)


def test_negative_radius_returns_nothing_as_faiss():
    lims, D, I = sigah.HammingIndex(CODES).range_search(CODES[:4], -3)
    assert list(lims) == [0] * 5 and len(D) == len(I) == 0


def test_bad_ids():
    with pytest.raises(ValueError, match="49 ids for 50 codes"):
        sigah.HammingIndex(CODES, ids=np.arange(49))
    with pytest.raises(ValueError, match="id -4 at position 2 is negative"):
        sigah.HammingIndex(CODES[:3], ids=np.array([1, 2, -4]))
    with pytest.raises(ValueError, match="dtype float64 is not supported: pass an integer array"):
        sigah.HammingIndex(CODES[:3], ids=np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="does not fit in int64"):
        sigah.HammingIndex(CODES[:1], ids=np.array([2**63], dtype=np.uint64))


def test_bad_relevance():
    with pytest.raises(ValueError, match="49 base labels|expected 50 base labels"):
        sigah.evaluate(CODES, CODES[:5], relevance=(np.zeros(49, np.int32), np.zeros(5, np.int32)))
    with pytest.raises(ValueError, match="a tuple must be"):
        sigah.evaluate(CODES, CODES[:5], relevance=(np.zeros(50, np.int32),))
    with pytest.raises(ValueError, match="names base id 50"):
        sigah.evaluate(CODES, CODES[:2], relevance=np.array([[0], [50]]))
    with pytest.raises(ValueError, match="-1 is not a base id"):
        sigah.evaluate(CODES, CODES[:2], relevance=np.array([[0], [-1]]))
    with pytest.raises(ValueError, match="at least one base code and one query"):
        sigah.evaluate(CODES, CODES[:0], relevance=np.zeros((0, 1), np.int64))


def test_files_raise_os_error_with_the_clis_message(tmp_path, fitted):
    missing = tmp_path / "missing.safetensors"
    with pytest.raises(FileNotFoundError, match="missing.safetensors"):
        sigah.SiGAH.load(missing)
    with pytest.raises(FileNotFoundError, match="missing.npy"):
        sigah.HammingIndex.open(tmp_path / "missing.npy")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    with pytest.raises(OSError, match="junk.safetensors"):
        sigah.SiGAH.load(junk)
    bad_npy = tmp_path / "bad.npy"
    np.save(bad_npy, np.zeros((3, 4), np.float32))
    with pytest.raises(OSError, match="bad.npy"):
        sigah.HammingIndex.open(bad_npy)
    np.save(tmp_path / "c.npy", CODES)
    sigah.HammingIndex(CODES).save(tmp_path / "c.sigah")
    raw = bytearray((tmp_path / "c.sigah").read_bytes())
    (tmp_path / "short.sigah").write_bytes(bytes(raw[:-5]))
    with pytest.raises(OSError, match="short.sigah"):
        sigah.HammingIndex.open(tmp_path / "short.sigah")
    with pytest.raises(OSError, match="no_dir"):
        fitted["sigah"].save(tmp_path / "no_dir" / "m.safetensors")
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        sigah.SiGAH(config_file=tmp_path / "nope.toml")
    (tmp_path / "c.json").write_text('{"bits": 64,\n "bitz": 3}')
    with pytest.raises(OSError, match=r"c.json: invalid config: unknown field `bitz`"):
        sigah.SiGAH(config_file=tmp_path / "c.json")
    with pytest.raises(ValueError, match="not trained"):
        sigah.SiGAH().save(tmp_path / "m.safetensors")
