//! `sigah.HammingIndex`: the core's index (`sigah_core::index::HammingIndex`:
//! custom ids, removal by id, stored multi-index tables, allow-lists) with
//! FAISS's conventions for results (`IndexBinaryFlat` / `IndexBinaryIDMap`):
//! `search` returns `(D int32 [nq, k], I int64 [nq, k])` padded with
//! `D = 2^31 − 1`, `I = −1` when k exceeds the codes searched, and
//! `range_search` returns `(lims uint64 [nq+1], D int32, I int64)` of the codes
//! at distance strictly below the radius, as FAISS's binary range search does.
//!
//! Every rule (ids, removals, which file, which engine, how many results, one
//! writer per file) is the core's; this file converts numpy and maps errors.
//! Threads: the index sits behind a read/write lock taken with the GIL
//! released, so searches from many threads share it and `add` / `remove_ids`
//! wait for them (and they for it) instead of failing.

use std::path::PathBuf;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sigah_core::faiss::faiss_distances;
use sigah_core::index::{Engine, HammingIndex as Core, ResultLimit, SearchOptions};
use sigah_core::io::{open_for_search, save_index_file, update_index_file};
use sigah_core::Codes;

use crate::{arrays, to_py};

type Pair<'py> = (Bound<'py, PyArray2<i32>>, Bound<'py, PyArray2<i64>>);
type Ranges<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<i32>>, Bound<'py, PyArray1<i64>>);

/// The setting that raises the result limit, named in its message.
const KNOB: &str = "max_results";

#[pyclass(module = "sigah", name = "HammingIndex", frozen)]
pub struct HammingIndex {
    index: RwLock<Core>,
}

impl HammingIndex {
    fn wrap(index: Core) -> Self {
        Self { index: RwLock::new(index) }
    }
    // A panic cannot leave the index half-changed (every change is checked
    // before it is made), so a poisoned lock still guards a whole index.
    fn read(&self) -> RwLockReadGuard<'_, Core> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> RwLockWriteGuard<'_, Core> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Query codes of the index's width.
    fn queries(&self, py: Python<'_>, q: &Bound<'_, PyAny>) -> PyResult<Codes> {
        let q = arrays::codes("q", q)?;
        py.detach(|| self.read().check_width(&q, "q", "queries", None)).map_err(to_py)?;
        Ok(q)
    }
}

/// `engine=`: the CLI's `--engine`.
fn engine(name: &str) -> PyResult<Engine> {
    match name {
        "auto" => Ok(Engine::Auto),
        "scan" => Ok(Engine::Scan),
        "mih" => Ok(Engine::MultiIndex),
        other => Err(PyValueError::new_err(format!("engine: '{other}' is not one of 'auto', 'scan', 'mih'"))),
    }
}

fn wait(seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| PyValueError::new_err(format!("wait must be a number of seconds, 0 or more, got {seconds}")))
}

fn allow_list(allow: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    allow.map(|a| arrays::ids("allow", a, None)).transpose()
}

/// A search's error, an ids error named by `allow` (the only ids a search reads),
/// as `sigah search` names its `--allow` file.
fn search_error(e: sigah_core::Error) -> PyErr {
    match e {
        sigah_core::Error::Ids { reason } => PyValueError::new_err(format!("allow: {reason}")),
        e => to_py(e),
    }
}

fn new_codes(codes: &Bound<'_, PyAny>, ids: Option<&Bound<'_, PyAny>>) -> PyResult<(Codes, Option<Vec<i64>>)> {
    let codes = arrays::codes("codes", codes)?;
    let ids = ids.map(|i| arrays::ids("ids", i, Some(codes.len()))).transpose()?;
    Ok((codes, ids))
}

/// Appends `codes` (with `ids`, else the next ids), as `sigah index add`.
fn add_to(index: &mut Core, codes: &Codes, ids: Option<&[i64]>) -> sigah_core::Result<()> {
    index.check_width(codes, "codes", "codes to add", None)?;
    match ids {
        Some(ids) => index.add_with_ids(codes, ids),
        None => index.add(codes),
    }
}

#[pymethods]
impl HammingIndex {
    #[new]
    #[pyo3(signature = (codes, ids=None))]
    fn new(codes: &Bound<'_, PyAny>, ids: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let (codes, ids) = new_codes(codes, ids)?;
        let index = match ids {
            Some(ids) => Core::from_codes_with_ids(codes, ids).map_err(to_py)?,
            None => Core::from_codes(codes),
        };
        Ok(Self::wrap(index))
    }

    /// Opens a uint8 codes `.npy` or a sigah index file (told apart by their
    /// first bytes), memory-mapped, with the tables `sigah search` would use.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let index = py.detach(|| open_for_search(&path, Engine::Auto)).map_err(to_py)?;
        Ok(Self::wrap(index))
    }

    /// Appends codes: with `ids`, those ids (none may be in the index); without,
    /// the ids after the largest (the positions for an index without ids).
    #[pyo3(signature = (codes, ids=None))]
    fn add(&self, py: Python<'_>, codes: &Bound<'_, PyAny>, ids: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let (codes, ids) = new_codes(codes, ids)?;
        py.detach(|| add_to(&mut self.write(), &codes, ids.as_deref())).map_err(to_py)
    }

    /// Removes the codes with these ids (tombstones: the others keep their ids
    /// and positions, and the multi-index tables stay); returns how many. An id
    /// not in the index is an error and nothing is removed, as `sigah index remove`.
    fn remove_ids(&self, py: Python<'_>, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        let ids = arrays::ids("ids", ids, None)?;
        py.detach(|| self.write().remove(&ids)).map_err(to_py)
    }

    /// Builds the multi-index hashing tables (`m` substrings, chosen when None).
    #[pyo3(signature = (m=None))]
    fn build_multi_index(&self, py: Python<'_>, m: Option<usize>) -> PyResult<()> {
        py.detach(|| self.write().build_multi_index(m)).map_err(to_py)
    }

    /// The k nearest codes of each query: `(D, I)` as FAISS returns them.
    #[pyo3(signature = (q, k, allow=None, engine="auto", max_results=None))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        q: &Bound<'py, PyAny>,
        k: i64,
        allow: Option<&Bound<'py, PyAny>>,
        engine: &str,
        max_results: Option<u64>,
    ) -> PyResult<Pair<'py>> {
        if k <= 0 {
            return Err(PyValueError::new_err(format!("k must be at least 1, got {k}")));
        }
        let (q, k, allow, engine) = (self.queries(py, q)?, k as usize, allow_list(allow)?, self::engine(engine)?);
        let limit = ResultLimit::new(max_results, KNOB);
        let nq = q.len();
        limit.check((nq as u64).checked_mul(k as u64), &|| format!("{nq} queries × k = {k}")).map_err(to_py)?;
        let opts = SearchOptions { engine, allow: allow.as_deref(), ..SearchOptions::default() };
        let (d, i) = py.detach(|| self.read().search_knn(&q, k, &opts)).map_err(search_error)?;
        Ok((arrays::matrix(py, nq, k, faiss_distances(d))?, arrays::matrix(py, nq, k, i)?))
    }

    /// Every code at distance < `radius` of each query: `(lims, D, I)` as FAISS
    /// returns them, in ascending (distance, id) order. Holds at most
    /// `max_results` results (default: half the available memory), else raises
    /// MemoryError with `sigah search --radius`'s message.
    #[pyo3(signature = (q, radius, allow=None, engine="auto", max_results=None))]
    fn range_search<'py>(
        &self,
        py: Python<'py>,
        q: &Bound<'py, PyAny>,
        radius: i64,
        allow: Option<&Bound<'py, PyAny>>,
        engine: &str,
        max_results: Option<u64>,
    ) -> PyResult<Ranges<'py>> {
        let (q, allow, engine) = (self.queries(py, q)?, allow_list(allow)?, self::engine(engine)?);
        if radius <= 0 {
            return Ok((
                PyArray1::from_vec(py, vec![0; q.len() + 1]),
                PyArray1::from_vec(py, vec![]),
                PyArray1::from_vec(py, vec![]),
            ));
        }
        // Strictly below `radius`: the core's radius is inclusive.
        let r = u32::try_from(radius - 1).unwrap_or(u32::MAX);
        let limit = ResultLimit::new(max_results, KNOB);
        let opts = SearchOptions { engine, allow: allow.as_deref(), ..SearchOptions::default() };
        let out = py.detach(|| -> sigah_core::Result<_> {
            let lists = self.read().search_radius_limited(&q, r, &opts, &limit)?;
            let total: usize = lists.iter().map(Vec::len).sum();
            let (mut lims, mut d, mut i) =
                (Vec::with_capacity(lists.len() + 1), Vec::with_capacity(total), Vec::with_capacity(total));
            lims.push(0u64);
            for list in lists {
                for (dist, id) in list {
                    d.push(dist as i32);
                    i.push(id);
                }
                lims.push(d.len() as u64);
            }
            Ok((lims, d, i))
        });
        let (lims, d, i) = out.map_err(search_error)?;
        Ok((PyArray1::from_vec(py, lims), PyArray1::from_vec(py, d), PyArray1::from_vec(py, i)))
    }

    /// Writes a sigah index file (ids, removals and tables included; `open` maps
    /// it), as `sigah index build` does: under the file's writers' lock, waiting
    /// up to `wait` seconds for another writer.
    #[pyo3(signature = (path, wait=30.0))]
    fn save(&self, py: Python<'_>, path: PathBuf, wait: f64) -> PyResult<()> {
        let wait = self::wait(wait)?;
        py.detach(|| save_index_file(&self.read(), &path, wait)).map_err(to_py)
    }

    /// Adds codes to the index file at `path`, as `sigah index add`: the whole
    /// read-modify-write under the file's writers' lock. Returns the live codes.
    #[staticmethod]
    #[pyo3(signature = (path, codes, ids=None, wait=30.0))]
    fn add_to_file(
        py: Python<'_>,
        path: PathBuf,
        codes: &Bound<'_, PyAny>,
        ids: Option<&Bound<'_, PyAny>>,
        wait: f64,
    ) -> PyResult<usize> {
        let ((codes, ids), wait) = (new_codes(codes, ids)?, self::wait(wait)?);
        let done = py.detach(|| update_index_file(&path, wait, |index| add_to(index, &codes, ids.as_deref())));
        Ok(done.map_err(to_py)?.1.live_len())
    }

    /// Removes codes by id from the index file at `path`, as `sigah index
    /// remove`, under the writers' lock. Returns how many were removed.
    #[staticmethod]
    #[pyo3(signature = (path, ids, wait=30.0))]
    fn remove_from_file(py: Python<'_>, path: PathBuf, ids: &Bound<'_, PyAny>, wait: f64) -> PyResult<usize> {
        let (ids, wait) = (arrays::ids("ids", ids, None)?, self::wait(wait)?);
        let done = py.detach(|| update_index_file(&path, wait, |index| index.remove(&ids)));
        Ok(done.map_err(to_py)?.0)
    }

    /// The live codes, uint8 `[len, bits/8]` in position order (a copy).
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u8>>> {
        let codes = py.detach(|| -> sigah_core::Result<Codes> {
            let index = self.read();
            let mut live = Codes::zeros(0, index.bits())?;
            for p in (0..index.len()).filter(|&p| !index.is_removed(p)) {
                live.push(index.codes().code_bytes(p))?;
            }
            Ok(live)
        });
        arrays::codes_out(py, &codes.map_err(to_py)?)
    }
    /// The ids of the live codes, int64 `[len]`, in position order.
    #[getter]
    fn ids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        let ids = py.detach(|| {
            let index = self.read();
            (0..index.len()).filter(|&p| !index.is_removed(p)).map(|p| index.id_at(p)).collect::<Vec<i64>>()
        });
        PyArray1::from_vec(py, ids)
    }
    #[getter]
    fn bits(&self, py: Python<'_>) -> usize {
        py.detach(|| self.read().bits())
    }
    /// Bytes per code (FAISS's `code_size`).
    #[getter]
    fn code_size(&self, py: Python<'_>) -> usize {
        self.bits(py) / 8
    }
    /// Number of live codes (FAISS's `ntotal`; removed codes do not count).
    #[getter]
    fn ntotal(&self, py: Python<'_>) -> usize {
        py.detach(|| self.read().live_len())
    }
    /// Codes stored, removed ones included (`sigah index info`'s "stored").
    #[getter]
    fn stored(&self, py: Python<'_>) -> usize {
        py.detach(|| self.read().len())
    }
    /// The multi-index substrings of the tables the index holds (0: none).
    #[getter]
    fn multi_index_m(&self, py: Python<'_>) -> usize {
        py.detach(|| self.read().multi_index().map_or(0, |t| t.m()))
    }
    fn __len__(&self, py: Python<'_>) -> usize {
        self.ntotal(py)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let (bits, live, stored, ids) = py.detach(|| {
            let index = self.read();
            (index.bits(), index.live_len(), index.len(), index.ids().is_some())
        });
        format!("HammingIndex(bits={bits}, ntotal={live}, stored={stored}, ids={ids})")
    }
}
