//! `sigah.HammingIndex`: exact k-NN and range search with FAISS's conventions
//! (`IndexBinaryFlat`): `search` returns `(D int32 [nq, k], I int64 [nq, k])`
//! padded with `D = 2^31 − 1`, `I = −1` when k exceeds the index size, and
//! `range_search` returns `(lims uint64 [nq+1], D int32, I int64)` of the codes at
//! distance strictly below the radius, as FAISS's binary range search does.
//!
//! User ids (`ids=`) are a map from sigah's row numbers, kept here: the core's
//! index numbers its codes 0..n in insertion order.

use std::collections::HashSet;
use std::io::Read;
use std::path::PathBuf;

use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use sigah_core::index::HammingIndex as Core;
use sigah_core::io::INDEX_MAGIC;
use sigah_core::Codes;

use crate::{arrays, to_py};

type Pair<'py> = (Bound<'py, PyArray2<i32>>, Bound<'py, PyArray2<i64>>);

#[pyclass(module = "sigah", name = "HammingIndex")]
pub struct HammingIndex {
    index: Core,
    /// `ids[row]` is the user's id of row `row`; `None`: ids are the rows.
    ids: Option<Vec<i64>>,
}

impl HammingIndex {
    fn queries(&self, q: &Bound<'_, PyAny>) -> PyResult<Codes> {
        let q = arrays::codes("q", q)?;
        if q.bits() != self.index.bits() {
            return Err(PyValueError::new_err(format!(
                "q: queries are {}-bit codes ({} bytes) but the index holds {}-bit codes ({} bytes)",
                q.bits(),
                q.bytes_per_code(),
                self.index.bits(),
                self.index.bits() / 8
            )));
        }
        Ok(q)
    }

    fn user_id(&self, row: i64) -> i64 {
        match (&self.ids, row) {
            (Some(ids), r) if r >= 0 => ids[r as usize],
            _ => row,
        }
    }
}

#[pymethods]
impl HammingIndex {
    #[new]
    #[pyo3(signature = (codes, ids=None))]
    fn new(codes: &Bound<'_, PyAny>, ids: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let codes = arrays::codes("codes", codes)?;
        let ids = ids.map(|i| arrays::ids("ids", i, Some(codes.len()))).transpose()?;
        Ok(Self { index: Core::from_codes(codes), ids })
    }

    /// Opens a uint8 codes `.npy` (memory-mapped) or a sigah index file (as
    /// `sigah search --index` does).
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let index = py.detach(|| -> sigah_core::Result<Core> {
            let mut head = [0u8; 8];
            let mut file = std::fs::File::open(&path).map_err(|e| sigah_core::Error::io(&path, e))?;
            let n = file.read(&mut head).map_err(|e| sigah_core::Error::io(&path, e))?;
            if n == 8 && &head == INDEX_MAGIC {
                return Core::open(&path);
            }
            Ok(Core::from_codes(Codes::open_npy(&path)?))
        });
        Ok(Self { index: index.map_err(to_py)?, ids: None })
    }

    /// Appends codes; with ids on an index that has ids (or none on one without).
    #[pyo3(signature = (codes, ids=None))]
    fn add(&mut self, codes: &Bound<'_, PyAny>, ids: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let codes = arrays::codes("codes", codes)?;
        if codes.bits() != self.index.bits() {
            return Err(PyValueError::new_err(format!(
                "codes: {}-bit codes cannot be added to an index of {}-bit codes",
                codes.bits(),
                self.index.bits()
            )));
        }
        let new_ids = ids.map(|i| arrays::ids("ids", i, Some(codes.len()))).transpose()?;
        match (&mut self.ids, new_ids) {
            (Some(have), Some(new)) => have.extend(new),
            (None, None) => {}
            (Some(_), None) => return Err(PyValueError::new_err("ids: this index has ids: give one per added code")),
            (None, Some(new)) => {
                // From now on every row has an explicit id: the old rows keep theirs.
                let mut all: Vec<i64> = (0..self.index.len() as i64).collect();
                all.extend(new);
                self.ids = Some(all);
            }
        }
        self.index.add(&codes).map_err(to_py)
    }

    /// Removes the codes with these ids (row numbers without `ids=`); returns how
    /// many were removed. The others keep their ids, as in FAISS's
    /// `IndexBinaryIDMap`; O(n): the codes are copied once. Today's core index
    /// has no removal, so this rebuilds it.
    fn remove_ids(&mut self, py: Python<'_>, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        let gone: HashSet<i64> = arrays::ids("ids", ids, None)?.into_iter().collect();
        let n = self.index.len();
        let current: Vec<i64> = self.ids.clone().unwrap_or_else(|| (0..n as i64).collect());
        let keep: Vec<usize> = (0..n).filter(|&r| !gone.contains(&current[r])).collect();
        if keep.len() == n {
            return Ok(0);
        }
        let (bits, row) = (self.index.bits(), self.index.bits() / 8);
        let codes = py.detach(|| {
            let bytes = self.index.codes().as_bytes();
            let mut kept = Vec::with_capacity(keep.len() * row);
            for &r in &keep {
                kept.extend_from_slice(&bytes[r * row..(r + 1) * row]);
            }
            Codes::from_bytes(bits, &kept)
        });
        self.index = Core::from_codes(codes.map_err(to_py)?);
        self.ids = Some(keep.iter().map(|&r| current[r]).collect());
        Ok(n - keep.len())
    }

    /// The k nearest codes of each query: `(D, I)` as FAISS returns them.
    fn search<'py>(&self, py: Python<'py>, q: &Bound<'py, PyAny>, k: i64) -> PyResult<Pair<'py>> {
        if k <= 0 {
            return Err(PyValueError::new_err(format!("k must be at least 1, got {k}")));
        }
        let q = self.queries(q)?;
        let k = k as usize;
        let (d, mut i) = py.detach(|| self.index.knn(&q, k)).map_err(to_py)?;
        let d: Vec<i32> = d.into_iter().map(|v| i32::try_from(v).unwrap_or(i32::MAX)).collect();
        if self.ids.is_some() {
            i.iter_mut().for_each(|r| *r = self.user_id(*r));
        }
        Ok((arrays::matrix(py, q.len(), k, d)?, arrays::matrix(py, q.len(), k, i)?))
    }

    /// Every code at distance < `radius` of each query: `(lims, D, I)` as FAISS
    /// returns them; query i's results are `D[lims[i]:lims[i+1]]`, in ascending
    /// (distance, id) order.
    #[allow(clippy::type_complexity)]
    fn range_search<'py>(
        &self,
        py: Python<'py>,
        q: &Bound<'py, PyAny>,
        radius: i64,
    ) -> PyResult<(Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<i32>>, Bound<'py, PyArray1<i64>>)> {
        let q = self.queries(q)?;
        let (mut lims, mut d, mut i) = (vec![0u64], Vec::new(), Vec::new());
        if radius > 0 {
            // Strictly below `radius`: the core's radius is inclusive.
            let r = u32::try_from(radius - 1).unwrap_or(u32::MAX);
            let lists = py.detach(|| self.index.radius(&q, r)).map_err(to_py)?;
            for list in lists {
                for (dist, row) in list {
                    d.push(dist as i32);
                    i.push(self.user_id(row));
                }
                lims.push(d.len() as u64);
            }
        } else {
            lims.resize(q.len() + 1, 0);
        }
        Ok((PyArray1::from_vec(py, lims), PyArray1::from_vec(py, d), PyArray1::from_vec(py, i)))
    }

    /// Writes a sigah index file (checksummed; `open` maps it). Ids are not part
    /// of today's file format, so an index with ids refuses.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        if self.ids.is_some() {
            return Err(PyOSError::new_err(format!(
                "{}: the sigah index file does not store ids: save the codes and the ids separately",
                path.display()
            )));
        }
        py.detach(|| self.index.save(&path)).map_err(to_py)
    }

    /// The codes, uint8 `[n, bits/8]` (a copy).
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u8>>> {
        arrays::codes_out(py, self.index.codes())
    }
    /// The ids, int64 `[n]` (rows 0..n without `ids=`).
    #[getter]
    fn ids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        match &self.ids {
            Some(ids) => PyArray1::from_slice(py, ids),
            None => PyArray1::from_vec(py, (0..self.index.len() as i64).collect()),
        }
    }
    #[getter]
    fn bits(&self) -> usize {
        self.index.bits()
    }
    /// Bytes per code (FAISS's `code_size`).
    #[getter]
    fn code_size(&self) -> usize {
        self.index.bits() / 8
    }
    /// Number of codes (FAISS's `ntotal`).
    #[getter]
    fn ntotal(&self) -> usize {
        self.index.len()
    }
    fn __len__(&self) -> usize {
        self.index.len()
    }
    fn __repr__(&self) -> String {
        format!("HammingIndex(bits={}, ntotal={}, ids={})", self.index.bits(), self.index.len(), self.ids.is_some())
    }
}
