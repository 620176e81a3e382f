"""One index for every front end: an index file built, extended and shrunk by
the CLI reads the same in Python (len, ids, search results), and the reverse;
FAISS exports keep ids and removals; radius searches stop at their limit with
the CLI's message; writers of one file exclude one another; threads share an
index safely."""

from __future__ import annotations

import fcntl
import re
import threading

import numpy as np
import pytest

import sigah

from conftest import random_codes

import faiss  # noqa: E402  (scripts/test installs faiss-cpu)


def cli_knn(cli, index, q, k, tmp_path, *extra):
    np.save(tmp_path / "q.npy", q)
    cli("search", "--index", index, "--queries", tmp_path / "q.npy", "--k", k, "--out", tmp_path / "r", "--quiet",
        *extra)
    return np.load(tmp_path / "r.dist.npy"), np.load(tmp_path / "r.ids.npy")


def test_a_cli_built_extended_and_shrunk_index_reads_the_same_in_python(tmp_path, cli):
    codes = random_codes(1000, 8, seed=21)
    np.save(tmp_path / "c.npy", codes)
    np.save(tmp_path / "ids.npy", np.arange(5000, 6000, dtype=np.int64))
    ix = tmp_path / "p.sigah"
    cli("index", "build", "--codes", tmp_path / "c.npy", "--ids", tmp_path / "ids.npy", "--out", ix, "--quiet")
    more = random_codes(50, 8, seed=22)
    np.save(tmp_path / "more.npy", more)
    cli("index", "add", "--index", ix, "--codes", tmp_path / "more.npy", "--quiet")
    cli("index", "remove", "--index", ix, "--id", "5000,5001", "--quiet")
    py = sigah.HammingIndex.open(ix)
    # Was: 1000 (the removed codes counted), ids [0 1 2], remove_ids([5002]) == 0.
    assert len(py) == py.ntotal == 1048 and py.stored == 1050
    np.testing.assert_array_equal(py.ids[:3], [5002, 5003, 5004])
    np.testing.assert_array_equal(py.ids[-50:], np.arange(6000, 6050))
    np.testing.assert_array_equal(py.codes, np.concatenate([codes[2:], more]))
    q = np.concatenate([codes[:5], more[:5], random_codes(20, 8, seed=23)])
    D, I = cli_knn(cli, ix, q, 12, tmp_path)
    Dp, Ip = py.search(q, 12)
    np.testing.assert_array_equal(Dp, D)
    np.testing.assert_array_equal(Ip, I)
    assert not np.isin(I, [5000, 5001]).any()
    # Removing in Python is a tombstone, as the CLI's: the removed codes stay gone.
    assert py.remove_ids(np.array([5002])) == 1
    assert len(py) == 1047 and 5002 not in py.ids
    assert 5000 not in py.search(codes[:1], 3)[1]
    # allow= and engine= as --allow and --engine.
    np.save(tmp_path / "allow.npy", np.arange(5100, 5200, dtype=np.int64))
    for engine in ["scan", "mih", "auto"]:
        D, I = cli_knn(cli, ix, q, 7, tmp_path, "--allow", tmp_path / "allow.npy", "--engine", engine)
        Dp, Ip = sigah.HammingIndex.open(ix).search(q, 7, allow=np.arange(5100, 5200), engine=engine)
        np.testing.assert_array_equal(Dp, D)
        np.testing.assert_array_equal(Ip, I)
    with pytest.raises(ValueError, match="allow: id 77 is not in the index"):
        py.search(q, 3, allow=np.array([77]))
    with pytest.raises(ValueError, match="engine: 'fast' is not one of"):
        py.search(q, 3, engine="fast")


def test_a_python_written_index_reads_the_same_in_the_cli(tmp_path, cli):
    codes = random_codes(6000, 8, seed=24)
    ids = np.arange(6000, dtype=np.int64) * 7 + 3
    ix = sigah.HammingIndex(codes, ids=ids)
    ix.build_multi_index()
    path = tmp_path / "py.sigah"
    ix.save(path)
    more = random_codes(100, 8, seed=25)
    assert sigah.HammingIndex.add_to_file(path, more, ids=np.arange(10**6, 10**6 + 100)) == 6100
    assert sigah.HammingIndex.remove_from_file(path, ids[:10]) == 10
    info = cli("index", "info", path).stdout
    assert "codes: 6090 (6100 stored, 10 removed)" in info and "ids: custom int64" in info
    assert "tables stored in the file" in info  # the tables survived the add (rebuilt) and the removal
    py = sigah.HammingIndex.open(path)
    assert len(py) == 6090 and py.multi_index_m > 0
    q = np.concatenate([codes[:10], more[:5], random_codes(10, 8, seed=26)])
    D, I = cli_knn(cli, path, q, 9, tmp_path)
    Dp, Ip = py.search(q, 9)
    np.testing.assert_array_equal(Dp, D)
    np.testing.assert_array_equal(Ip, I)
    assert not np.isin(I, ids[:10]).any()
    # The same rules and messages as `sigah index add/remove`.
    with pytest.raises(ValueError, match="id 3 is not in the index"):
        sigah.HammingIndex.remove_from_file(path, np.array([3]))
    with pytest.raises(ValueError, match="id 73 is already in the index"):
        sigah.HammingIndex.add_to_file(path, more[:1], ids=np.array([73]))
    assert len(sigah.HammingIndex.open(path)) == 6090


def test_a_faiss_export_with_removals_and_ids_answers_as_sigah_search(tmp_path, cli):
    codes = random_codes(1000, 8, seed=27)
    np.save(tmp_path / "c.npy", codes)
    np.save(tmp_path / "ids.npy", np.arange(1000, dtype=np.int64) * 10 + 5)
    ix = tmp_path / "x.sigah"
    cli("index", "build", "--codes", tmp_path / "c.npy", "--ids", tmp_path / "ids.npy", "--out", ix, "--quiet")
    cli("index", "remove", "--index", ix, "--id", "5,15", "--quiet")
    p = cli("export", "--index", ix, "--format", "faiss", "--out", tmp_path / "x.faiss")
    assert "wrote 998 codes" in p.stderr
    f = faiss.read_index_binary(str(tmp_path / "x.faiss"))
    assert f.ntotal == 998
    # Was: an IndexBinaryFlat of all 1000 rows: the removed codes came back at
    # distance 0, with row numbers for ids.
    q = np.concatenate([codes[:2], random_codes(30, 8, seed=28)])
    D, I = cli_knn(cli, ix, q, 10, tmp_path)
    Df, If = f.search(q, 10)
    np.testing.assert_array_equal(Df, D)
    assert not np.isin(If, [5, 15]).any()
    # Ids equal wherever the distance is not tied at the 10th place (FAISS's
    # tie order is not (distance, id)).
    for qi in range(len(q)):
        inner = D[qi] < D[qi, -1]
        assert set(If[qi, inner]) == set(I[qi, inner])
        assert set(If[qi]) <= set(np.arange(1000) * 10 + 5)


def test_range_search_stops_at_its_limit_with_the_clis_message(tmp_path, cli):
    codes = random_codes(2000, 4, seed=29)
    q = random_codes(10, 4, seed=30)
    ix = sigah.HammingIndex(codes)
    with pytest.raises(MemoryError) as py_err:
        ix.range_search(q, 33, max_results=19_999)  # every code within 32 bits: 20,000 results
    np.save(tmp_path / "c.npy", codes)
    np.save(tmp_path / "q.npy", q)
    p = cli("search", "--index", tmp_path / "c.npy", "--queries", tmp_path / "q.npy", "--radius", 32,
            "--max-results", 19_999, "--out", tmp_path / "r.tsv", check=False)
    assert p.returncode == 2
    want = "radius 32 over 10 queries make more than 19999 results, over the limit of 19999"
    assert want in str(py_err.value) and want in p.stderr
    # The same text but for the setting's name in each front end.
    assert str(py_err.value).replace("max_results", "--max-results") in p.stderr
    lims, D, I = ix.range_search(q, 33, max_results=20_000)
    assert lims[-1] == 20_000
    # The default limit is half the available memory.
    with pytest.raises(MemoryError, match="half the available memory"):
        sigah.HammingIndex(random_codes(1, 4, seed=1)).search(q, 2**62)


def test_a_second_python_writer_waits_then_raises_and_changes_nothing(tmp_path):
    path = tmp_path / "x.sigah"
    sigah.HammingIndex(random_codes(100, 8, seed=31)).save(path)
    before = path.read_bytes()
    with open(tmp_path / ".x.sigah.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another sigah writer holds it
        msg = re.escape(f"{path} is being written by another process (waited 0.2 s")
        with pytest.raises(TimeoutError, match=msg):
            sigah.HammingIndex.remove_from_file(path, np.array([1]), wait=0.2)
        with pytest.raises(TimeoutError, match=msg):
            sigah.HammingIndex(random_codes(5, 8, seed=32)).save(path, wait=0.2)
        assert path.read_bytes() == before
        assert len(sigah.HammingIndex.open(path)) == 100  # readers are not blocked
    assert sigah.HammingIndex.remove_from_file(path, np.array([1]), wait=0) == 1


def test_searches_adds_and_removals_from_threads_at_once():
    # Was: RuntimeError: Already borrowed.
    codes = random_codes(50_000, 8, seed=33)
    ix = sigah.HammingIndex(codes)
    q = random_codes(32, 8, seed=34)
    errors = []

    def guard(f):
        def run():
            try:
                f()
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(e)
        return run

    def search():
        for _ in range(20):
            D, I = ix.search(q, 5)
            assert D.shape == (32, 5)
            ix.range_search(q[:2], 20)

    def add():
        for r in range(20):
            ix.add(random_codes(100, 8, seed=100 + r))

    def remove():
        for r in range(20):
            ix.remove_ids(np.arange(r * 50, r * 50 + 50))

    ts = [threading.Thread(target=guard(f)) for f in [search, search, add, remove]]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors
    assert len(ix) == 50_000 + 2000 - 1000
    assert not np.isin(ix.ids, np.arange(1000)).any()


def test_open_knows_files_by_their_bytes_with_the_clis_message(tmp_path, cli):
    # A safetensors header (a u64 length, then JSON): what a model file starts with.
    fake = tmp_path / "m.npy"
    fake.write_bytes((20).to_bytes(8, "little") + b'{"a": 1}' + b" " * 12)
    with pytest.raises(OSError) as e:
        sigah.HammingIndex.open(fake)
    p = cli("search", "--index", fake, "--queries", fake, "--k", 1, "--out", tmp_path / "r", check=False)
    assert "this is a sigah model (safetensors), not codes or a sigah index" in str(e.value)
    assert p.returncode == 2 and str(e.value) in p.stderr


def _python_writer(args):
    """One writer process: add (codes, ids) or remove ids, through the file's lock."""
    path, add, ids, seed = args
    import sigah as s  # a fresh interpreter under spawn
    from conftest import random_codes as rc
    if add:
        s.HammingIndex.add_to_file(path, rc(len(ids), 8, seed=seed), ids=np.array(ids), wait=60)
    else:
        s.HammingIndex.remove_from_file(path, np.array(ids), wait=60)
    return True


def test_python_and_cli_writers_at_once_lose_nothing(tmp_path, sigah_bin):
    import multiprocessing
    import subprocess

    path = tmp_path / "x.sigah"
    sigah.HammingIndex(random_codes(1000, 8, seed=40)).save(path)
    expect = set(range(1000))
    ctx = multiprocessing.get_context("spawn")
    for rnd in range(2):
        jobs = []
        for w in range(4):  # Python processes: 2 adding, 2 removing
            ids = list(range(10_000 * (rnd + 1) + 100 * w, 10_000 * (rnd + 1) + 100 * w + 30)) if w < 2 \
                else list(range(100 * (rnd * 4 + w), 100 * (rnd * 4 + w) + 20))
            jobs.append((str(path), w < 2, ids, 50 + rnd * 8 + w))
        clis = []
        for w in range(4):  # CLI processes: 2 adding, 2 removing
            ids = list(range(50_000 * (rnd + 1) + 100 * w, 50_000 * (rnd + 1) + 100 * w + 30)) if w < 2 \
                else list(range(100 * (rnd * 4 + w) + 50, 100 * (rnd * 4 + w) + 70))
            np.save(tmp_path / f"i{rnd}{w}.npy", np.array(ids, dtype=np.int64))
            if w < 2:
                np.save(tmp_path / f"c{rnd}{w}.npy", random_codes(30, 8, seed=90 + rnd * 8 + w))
                args = ["index", "add", "--index", path, "--codes", tmp_path / f"c{rnd}{w}.npy"]
            else:
                args = ["index", "remove", "--index", path]
            args += ["--ids", tmp_path / f"i{rnd}{w}.npy", "--wait", "60", "--quiet"]
            clis.append((subprocess.Popen([str(sigah_bin), *map(str, args)], stderr=subprocess.PIPE), ids, w < 2))
        with ctx.Pool(4) as pool:
            assert all(pool.map(_python_writer, jobs))
        for (_, add, ids, _) in jobs:
            expect = expect | set(ids) if add else expect - set(ids)
        for p, ids, add in clis:
            assert p.wait() == 0, p.stderr.read()
            expect = expect | set(ids) if add else expect - set(ids)
        assert sorted(sigah.HammingIndex.open(path).ids) == sorted(expect), rnd
    assert len(expect) == 1000 + 2 * 120 - 2 * 80


def test_range_search_under_ulimit_v_raises_memory_error_not_aborts():
    # Was: "memory allocation ... failed", the interpreter aborted (exit 134).
    import subprocess
    import sys

    script = """
import resource, numpy as np, sigah
codes = np.random.default_rng(0).integers(0, 256, (1_000_000, 8), dtype=np.uint8)
ix = sigah.HammingIndex(codes)
vm = int([l for l in open("/proc/self/status") if l.startswith("VmSize:")][0].split()[1]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + (1 << 30), resource.RLIM_INFINITY))
try:
    ix.range_search(codes[:2000], 10**6)
except MemoryError as e:
    print(e)
"""
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("radius 999999 over 2000 queries make more than "), p.stdout
    assert "(half the available memory at 28 bytes each; max_results raises it)" in p.stdout
