"""Put sigah codes into Milvus and search them there.

The same functions run against Milvus Lite (``uri="./codes.db"``, a local file:
what the tests use), a standalone server or a cluster (``uri="http://HOST:19530"``
plus ``token=`` if it has authentication): only the URI changes.

Milvus stores a ``BINARY_VECTOR`` of ``dim = bits`` as ``bits / 8`` bytes, and its
``HAMMING`` metric counts differing bits, so sigah's codes go in as they are:
byte ``j // 8``, bit ``j % 8`` (LSB first), as sigah and FAISS store them. Never
repack them with ``numpy.packbits``' default (MSB first) order on one side only:
see :func:`sigah.pack_bits`.

Bulk import: :func:`export_bulk` writes one ``.npy`` per field (``id.npy`` int64
``[n]``, ``code.npy`` uint8 ``[n, bits/8]``), the numpy layout of Milvus's bulk
insert (upload the folder to the cluster's object storage, then ``bulk_insert``
it). Milvus Lite has no bulk insert; :func:`insert_files` reads the same files
and inserts them through the insert API.

Needs ``pymilvus`` (and ``milvus-lite`` for local files); see
python/requirements-test.txt for the versions this is tested with.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Tuple

import numpy as np

ID_FIELD = "id"
CODE_FIELD = "code"
INT32_MAX = np.iinfo(np.int32).max


def _check_codes(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.dtype != np.uint8 or codes.ndim != 2 or codes.shape[1] == 0:
        raise ValueError(f"codes: expected uint8 [n, bits/8], got {codes.dtype} of shape {codes.shape}")
    return codes


def _ids(ids: Optional[np.ndarray], n: int, start: int = 0) -> np.ndarray:
    if ids is None:
        return np.arange(start, start + n, dtype=np.int64)
    ids = np.asarray(ids)
    if ids.shape != (n,) or ids.dtype.kind not in "iu":
        raise ValueError(f"ids: expected {n} integers, got {ids.dtype} of shape {ids.shape}")
    return ids.astype(np.int64)


def connect(uri: str, token: str = "", **kwargs: Any):
    """A ``pymilvus.MilvusClient``: a file path starts Milvus Lite on it, a URL
    connects to a server or cluster."""
    from pymilvus import MilvusClient

    return MilvusClient(uri=uri, token=token, **kwargs)


def create_collection(client, name: str, bits: int, index_type: str = "BIN_FLAT", drop: bool = False,
                      index_params: Optional[dict] = None) -> None:
    """A collection of an int64 primary key ``id`` and a ``BINARY_VECTOR`` ``code``
    of ``bits`` dimensions, indexed with ``index_type`` (``BIN_FLAT`` is exact;
    ``BIN_IVF_FLAT`` takes ``index_params={"nlist": ...}``) under metric ``HAMMING``."""
    from pymilvus import DataType, MilvusClient

    if bits <= 0 or bits % 8:
        raise ValueError(f"bits must be a positive multiple of 8, got {bits}")
    if drop and client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field(ID_FIELD, DataType.INT64, is_primary=True)
    schema.add_field(CODE_FIELD, DataType.BINARY_VECTOR, dim=bits)
    ip = client.prepare_index_params()
    ip.add_index(field_name=CODE_FIELD, index_type=index_type, metric_type="HAMMING", params=index_params or {})
    client.create_collection(name, schema=schema, index_params=ip)


def insert(client, name: str, codes: np.ndarray, ids: Optional[np.ndarray] = None, batch: int = 10_000) -> int:
    """Inserts codes (uint8 ``[n, bits/8]``) with ids (default ``0..n``) in batches;
    returns the number inserted."""
    codes = _check_codes(codes)
    ids = _ids(ids, len(codes))
    done = 0
    for lo in range(0, len(codes), batch):
        rows = [{ID_FIELD: int(i), CODE_FIELD: c.tobytes()} for i, c in zip(ids[lo:lo + batch], codes[lo:lo + batch])]
        done += client.insert(name, rows)["insert_count"]
    client.flush(name)
    return done


def search(client, name: str, queries: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """The k nearest codes of each query in the collection, as
    :meth:`sigah.HammingIndex.search` returns them: ``(D int32 [nq, k], I int64 [nq, k])``
    padded with ``2**31 - 1`` / ``-1``."""
    queries = _check_codes(queries)
    if k <= 0:
        raise ValueError(f"k must be at least 1, got {k}")
    client.load_collection(name)
    res = client.search(name, data=[q.tobytes() for q in queries], limit=k, anns_field=CODE_FIELD,
                        search_params={"metric_type": "HAMMING"}, output_fields=[])
    D = np.full((len(queries), k), INT32_MAX, dtype=np.int32)
    I = np.full((len(queries), k), -1, dtype=np.int64)
    for qi, hits in enumerate(res):
        for r, h in enumerate(hits):
            D[qi, r] = int(round(h["distance"]))
            I[qi, r] = h["id"]
    return D, I


def export_bulk(codes: np.ndarray, out_dir: os.PathLike | str, ids: Optional[np.ndarray] = None) -> Tuple[Path, Path]:
    """Writes ``out_dir/id.npy`` (int64 ``[n]``) and ``out_dir/code.npy`` (uint8
    ``[n, bits/8]``): one file per field, named by the field, as Milvus's bulk
    insert reads numpy files. Returns the two paths."""
    codes = _check_codes(codes)
    ids = _ids(ids, len(codes))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = out / f"{ID_FIELD}.npy", out / f"{CODE_FIELD}.npy"
    for path, arr in zip(paths, (ids, np.ascontiguousarray(codes))):
        tmp = path.with_suffix(".npy.tmp")
        with open(tmp, "wb") as f:
            np.save(f, arr)
        os.replace(tmp, path)  # no half-written file under the final name
    return paths


def insert_files(client, name: str, folder: os.PathLike | str) -> int:
    """Inserts what :func:`export_bulk` wrote (the path for Milvus Lite, which has
    no bulk insert); returns the number inserted."""
    folder = Path(folder)
    ids = np.load(folder / f"{ID_FIELD}.npy", mmap_mode="r")
    codes = np.load(folder / f"{CODE_FIELD}.npy", mmap_mode="r")
    if len(ids) != len(codes):
        raise ValueError(f"{folder}: {len(ids)} ids but {len(codes)} codes")
    return insert(client, name, np.asarray(codes), np.asarray(ids))


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m sigah.milvus export --codes C.npy --out DIR [--ids I.npy]``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m sigah.milvus", description="Milvus bulk-insert files from sigah codes")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="write DIR/id.npy and DIR/code.npy for Milvus bulk insert")
    e.add_argument("--codes", required=True, help="uint8 codes .npy [n, bits/8] (sigah encode's output)")
    e.add_argument("--ids", help="int64 ids .npy [n] (default 0..n)")
    e.add_argument("--out", required=True, help="output folder")
    a = p.parse_args(argv)
    codes = np.load(a.codes, mmap_mode="r")
    ids = np.load(a.ids) if a.ids else None
    paths = export_bulk(np.asarray(codes), a.out, ids)
    print(f"wrote {len(codes)} codes of {codes.shape[1] * 8} bits to {paths[0]} and {paths[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
