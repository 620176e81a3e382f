"""sigah: learned binary codes for vectors and exact Hamming search.

Hash methods (numpy in, numpy out; scikit-learn's ``fit`` / FAISS's shapes)::

    model = sigah.SiGAH(bits=64, seed=42).fit(X)       # X float32 or uint8 [n, d]
    codes = model.encode(X)                             # uint8 [n, bits/8]
    model.save("model.safetensors")                     # the file `sigah train` writes

    index = sigah.HammingIndex(codes)                   # or HammingIndex.open("codes.npy")
    D, I = index.search(model.encode(Q), k=10)          # int32 / int64 [nq, k], as FAISS

Bit order: bit j of a code is ``(code[j // 8] >> (j % 8)) & 1`` (LSB first), as
FAISS and the `sigah` command line store it. ``numpy.packbits`` is MSB first by
default: pack with :func:`pack_bits` (``bitorder="little"``) to get sigah's order.

The native module releases the GIL during training, encoding and search, and runs
on a rayon pool: ``threads=None`` uses one worker per core. A ``HammingIndex`` may
be shared between threads: searches run together, ``add`` and ``remove_ids``
wait for them. ``HammingIndex`` is sigah-core's index, so a file written by
``sigah index build|add|remove`` and one written by ``HammingIndex.save`` /
``add_to_file`` / ``remove_from_file`` are the same file, and its writers take
turns (a lock beside the file).
"""

from __future__ import annotations

import numpy as _np

from ._native import (
    HammingIndex,
    ITQ,
    LSH,
    PCAH,
    SiGAH,
    __version__,
    evaluate,
    exact_knn,
    isa,
)

__all__ = [
    "SiGAH",
    "ITQ",
    "PCAH",
    "LSH",
    "HammingIndex",
    "evaluate",
    "exact_knn",
    "pack_bits",
    "unpack_bits",
    "isa",
    "__version__",
]


def pack_bits(bits: _np.ndarray) -> _np.ndarray:
    """Packs a boolean (or 0/1) array ``[n, nbits]`` into sigah codes ``uint8 [n, nbits/8]``.

    Bit j goes to ``byte[j // 8]`` at position ``j % 8`` (LSB first), the order of
    sigah, FAISS and the codes Milvus stores. ``nbits`` must be a multiple of 8.
    """
    b = _np.asarray(bits)
    if b.ndim != 2:
        raise ValueError(f"bits: expected a 2-D array [n, nbits], got {b.ndim} dimensions")
    if b.shape[1] % 8 != 0:
        raise ValueError(f"bits: {b.shape[1]} bits per code is not a multiple of 8")
    return _np.packbits(b.astype(bool), axis=1, bitorder="little")


def unpack_bits(codes: _np.ndarray) -> _np.ndarray:
    """The bits of sigah codes ``uint8 [n, bytes]`` as a ``uint8`` 0/1 array ``[n, 8 * bytes]``
    (column j is bit j: the inverse of :func:`pack_bits`)."""
    c = _np.asarray(codes)
    if c.dtype != _np.uint8 or c.ndim != 2:
        raise ValueError(f"codes: expected uint8 [n, bits/8], got {c.dtype} with {c.ndim} dimensions")
    return _np.unpackbits(c, axis=1, bitorder="little")
