"""Type stubs of sigah's native module (the classes are re-exported by ``sigah``).

Errors: ``ValueError`` for a wrong dtype, number of dimensions, NaN or infinity,
a width mismatch, k ≤ 0 or a bad config; ``OSError`` (or its subclasses such as
``FileNotFoundError``) for files; ``RuntimeError`` when training diverges. The
messages are those of the ``sigah`` command line.
"""

from __future__ import annotations

from os import PathLike
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Path = Union[str, PathLike[str]]
_Vectors = Union[npt.NDArray[np.float32], npt.NDArray[np.uint8]]
_Codes = npt.NDArray[np.uint8]
_Ints = npt.NDArray[np.integer[Any]]

class SiGAH:
    """Sparsity-induced generative adversarial hashing.

    ``bits`` (default 64) and ``seed`` (default 42, as ``sigah train``) override
    ``config_file`` (a JSON or TOML file, as ``sigah train --config``) and every
    other keyword is a key of that file (``epochs=5``, ``hidden=[256]``, ...), or
    one of its sections as a dict (``neighbours={"list_k": 50}``). ``preset``
    (``"full"`` or ``"fast"``, as ``sigah train --preset``) applies over the file
    and under the keywords: ``"fast"`` is ``adversarial=False``, the method
    ``sigah-noadv`` of ``sigah eval``.
    ``threads``: worker threads for fit and encode (None: one per core); the same
    data, config, seed and threads give the same model, byte for byte, as
    ``sigah train --threads``.
    """

    def __init__(
        self,
        bits: Optional[int] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
        config_file: Optional[_Path] = None,
        preset: Optional[str] = None,
        **config: Any,
    ) -> None: ...
    def fit(self, X: _Vectors, progress: Optional[Callable[[dict[str, Any]], object]] = None) -> SiGAH:
        """Trains on ``X`` ([n, d], float32 or uint8). ``progress`` is called after
        every epoch with that epoch's statistics (``epoch``, ``epochs``,
        ``loss_g``, ``loss_d``, ``recon_mse``, ``bit_imbalance``, ..., and ``terms``:
        each generator loss term by name); an exception
        it raises stops training and propagates. Quiet without it."""
    def encode(self, X: _Vectors) -> _Codes:
        """Packed codes ``uint8 [n, bits/8]``, bit j at ``(code[j//8] >> (j%8)) & 1``."""
    def save(self, path: _Path) -> None:
        """Writes the ``.safetensors`` model file (atomically), as ``sigah train``."""
    @staticmethod
    def load(path: _Path, threads: Optional[int] = None) -> SiGAH:
        """Reads a model file written by ``sigah train`` or :meth:`save`."""
    def to_bytes(self) -> bytes:
        """The bytes :meth:`save` writes."""
    @property
    def bits(self) -> int: ...
    @property
    def dim(self) -> Optional[int]: ...
    @property
    def is_fitted(self) -> bool: ...
    @property
    def config(self) -> dict[str, Any]:
        """Every hyper-parameter, section by section (``architecture``, ``optimiser``,
        ``loss``, ``neighbours``, ``training``), as a model file stores them."""
    @property
    def summary(self) -> Optional[dict[str, Any]]:
        """What training reported: epochs, training vectors, the last epoch's statistics."""

class _Linear:
    def fit(self, X: _Vectors) -> Any: ...
    def encode(self, X: _Vectors) -> _Codes: ...
    def params(self) -> Tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """``(mean [d], projection [d, bits])``: ``code = (X - mean) @ projection > 0``."""
    @property
    def bits(self) -> int: ...
    @property
    def is_fitted(self) -> bool: ...

class ITQ(_Linear):
    """Iterative quantisation, as ``sigah eval`` trains it (50 rotation updates)."""
    def __init__(self, bits: int = 64, seed: int = 0, iterations: int = 50) -> None: ...
    def fit(self, X: _Vectors) -> ITQ: ...

class PCAH(_Linear):
    """PCA hashing: one bit per top principal direction."""
    def __init__(self, bits: int = 64) -> None: ...
    def fit(self, X: _Vectors) -> PCAH: ...

class LSH(_Linear):
    """Sign-random-projection LSH with seeded Gaussian projections."""
    def __init__(self, bits: int = 64, seed: int = 0) -> None: ...
    def fit(self, X: _Vectors) -> LSH: ...

class HammingIndex:
    """Exact Hamming search over packed codes: sigah-core's index (custom ids,
    removal by id, multi-index hashing tables, allow-lists), with FAISS
    ``IndexBinaryFlat`` / ``IndexBinaryIDMap``'s conventions for results. ``ids``
    (int64 [n], ≥ 0) replace the positions in results. Safe to share between
    threads: searches run together, ``add`` / ``remove_ids`` exclude them."""

    def __init__(self, codes: _Codes, ids: Optional[_Ints] = None) -> None: ...
    @staticmethod
    def open(path: _Path) -> HammingIndex:
        """A uint8 codes ``.npy`` or a sigah index file (known by its first bytes),
        memory-mapped, with the tables ``sigah search`` would use. Replace such a
        file by renaming a new one over it, never by writing into it."""
    def add(self, codes: _Codes, ids: Optional[_Ints] = None) -> None:
        """Appends codes: with ``ids`` (none already in the index), else the ids
        after the largest (as ``sigah index add``)."""
    def remove_ids(self, ids: _Ints) -> int:
        """Removes the codes with these ids (tombstones: the others keep their ids);
        an id not in the index raises ValueError and removes nothing."""
    def build_multi_index(self, m: Optional[int] = None) -> None:
        """Builds the multi-index hashing tables (m chosen from bits and n when None)."""
    def search(
        self,
        q: _Codes,
        k: int,
        allow: Optional[_Ints] = None,
        engine: str = "auto",
        max_results: Optional[int] = None,
    ) -> Tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
        """``(D int32 [nq, k], I int64 [nq, k])`` in ascending (distance, id) order,
        padded with ``D = 2**31 - 1`` and ``I = -1`` when ``k`` exceeds the codes
        searched. ``allow``: only these ids; ``engine``: ``"auto"``, ``"scan"`` or
        ``"mih"`` (as ``--engine``); ``nq * k`` over ``max_results`` (default: half
        the available memory) raises MemoryError."""
    def range_search(
        self,
        q: _Codes,
        radius: int,
        allow: Optional[_Ints] = None,
        engine: str = "auto",
        max_results: Optional[int] = None,
    ) -> Tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
        """``(lims [nq+1], D, I)``: query i's codes at distance < ``radius`` (strictly,
        as FAISS) are ``I[lims[i]:lims[i+1]]``. ``sigah search --radius R`` (inclusive)
        equals ``range_search(q, R + 1)``. Never holds more than ``max_results``
        results: past it, MemoryError with ``sigah search``'s message."""
    def save(self, path: _Path, wait: float = 30.0) -> None:
        """Writes a sigah index file (ids, removals, tables), as ``sigah index
        build``: under the file's writers' lock, waiting up to ``wait`` seconds
        for another writer (then TimeoutError, the file unchanged)."""
    @staticmethod
    def add_to_file(path: _Path, codes: _Codes, ids: Optional[_Ints] = None, wait: float = 30.0) -> int:
        """``sigah index add``: the whole read-modify-write under the writers'
        lock. Returns the live codes in the file."""
    @staticmethod
    def remove_from_file(path: _Path, ids: _Ints, wait: float = 30.0) -> int:
        """``sigah index remove`` under the writers' lock. Returns how many were removed."""
    @property
    def codes(self) -> _Codes:
        """The live codes (a copy), in position order."""
    @property
    def ids(self) -> npt.NDArray[np.int64]:
        """The live codes' ids, in position order."""
    @property
    def bits(self) -> int: ...
    @property
    def code_size(self) -> int: ...
    @property
    def ntotal(self) -> int:
        """The live codes (removed ones do not count)."""
    @property
    def stored(self) -> int:
        """Codes stored, removed ones included."""
    @property
    def multi_index_m(self) -> int:
        """Substrings of the multi-index tables held (0: none)."""
    def __len__(self) -> int: ...

def evaluate(
    base_codes: _Codes,
    query_codes: _Codes,
    relevance: Union[Tuple[_Ints, _Ints], _Ints],
    truth: Optional[_Ints] = None,
) -> dict[str, Any]:
    """The numbers of ``sigah eval``: ``map``, ``p_at_100``, ``r_at_100``,
    ``p_at_1000``, ``r_at_1000``, ``p_r2``, ``recall_10_at_10``,
    ``recall_10_at_100``, ``recall_10_at_1000``, ``at_n``, ``pr_curve``,
    ``recall_10_curve``. ``relevance`` is ``(base_labels, query_labels)`` or an
    integer array ``[nq, K]`` of each query's relevant base ids (see
    :func:`exact_knn`). Recall 10@C (the share of each query's true 10 nearest
    among its first C Hamming candidates, docs/eval.md) is scored against
    ``truth``, each query's true nearest ids nearest first (its first 10 count),
    by default an array ``relevance``; with labels and no ``truth`` those keys
    are ``None``."""

def exact_knn(base: _Vectors, queries: _Vectors, k: int) -> npt.NDArray[np.int64]:
    """Each query's ``k`` exact Euclidean nearest base vectors (ties to the smaller
    id), as ``sigah eval --gt-k`` computes them: int64 ``[nq, min(k, n)]``."""

def isa() -> str:
    """The instruction set sigah's kernels use on this CPU."""
