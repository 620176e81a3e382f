//! `sigah.evaluate` and `sigah.exact_knn`: the numbers `sigah eval` reports,
//! from codes the caller made, and the ground truth `sigah eval --gt-k` computes.

use numpy::PyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use sigah_core::eval::metrics::{evaluate as core_evaluate, AtN, Relevance};
use sigah_core::eval::recall::{curve_candidates, recall_at_candidates, CANDIDATES, RECALL_K};

use crate::{arrays, to_py};

/// The metrics of `query_codes` ranked against `base_codes` under `relevance`:
/// `(base_labels, query_labels)` (same label = relevant) or a 2-D integer array of
/// each query's relevant base ids (its Euclidean nearest neighbours). Recall 10@C
/// scores against `truth`, each query's true nearest base ids nearest first (its
/// first 10 count), by default a neighbour-array `relevance`; with labels and no
/// `truth` its keys are None.
#[pyfunction]
#[pyo3(signature = (base_codes, query_codes, relevance, truth=None))]
pub fn evaluate<'py>(
    py: Python<'py>,
    base_codes: &Bound<'py, PyAny>,
    query_codes: &Bound<'py, PyAny>,
    relevance: &Bound<'py, PyAny>,
    truth: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let base = arrays::codes("base_codes", base_codes)?;
    let queries = arrays::codes("query_codes", query_codes)?;
    let rel = if let Ok(t) = relevance.cast::<PyTuple>() {
        if t.len() != 2 {
            return Err(PyValueError::new_err(format!(
                "relevance: a tuple must be (base_labels, query_labels), got {} items",
                t.len()
            )));
        }
        Relevance::Labels {
            base: arrays::labels("base_labels", &t.get_item(0)?)?,
            queries: arrays::labels("query_labels", &t.get_item(1)?)?,
        }
    } else {
        Relevance::Neighbours { ids: arrays::neighbour_ids("relevance", relevance)? }
    };
    let truth = match (truth, &rel) {
        (Some(t), _) => Some(arrays::neighbour_ids("truth", t)?),
        (None, Relevance::Neighbours { ids }) => Some(ids.clone()),
        (None, Relevance::Labels { .. }) => None,
    };
    let m = py.detach(|| core_evaluate(&base, &queries, &rel)).map_err(to_py)?;
    let recall = match &truth {
        Some(t) => Some(
            py.detach(|| recall_at_candidates(&base, &queries, t, RECALL_K, &curve_candidates(base.len())))
                .map_err(to_py)?,
        ),
        None => None,
    };
    let at = |n| m.at(n).unwrap_or(AtN { n, precision: 0.0, recall: 0.0 });
    let out = PyDict::new(py);
    out.set_item("relevance", rel.name())?;
    out.set_item("queries", m.queries)?;
    out.set_item("map", m.map)?;
    out.set_item("p_at_100", at(100).precision)?;
    out.set_item("r_at_100", at(100).recall)?;
    out.set_item("p_at_1000", at(1000).precision)?;
    out.set_item("r_at_1000", at(1000).recall)?;
    out.set_item("p_r2", m.p_r2)?;
    let r10 = |c: usize| recall.as_ref().and_then(|r| r.iter().find(|p| p.c == c)).map(|p| p.recall);
    for (key, c) in ["recall_10_at_10", "recall_10_at_100", "recall_10_at_1000"].into_iter().zip(CANDIDATES) {
        out.set_item(key, r10(c))?;
    }
    if let Some(r) = &recall {
        let curve = PyList::empty(py);
        for p in r {
            let d = PyDict::new(py);
            d.set_item("c", p.c)?;
            d.set_item("recall", p.recall)?;
            curve.append(d)?;
        }
        out.set_item("recall_10_curve", curve)?;
    } else {
        out.set_item("recall_10_curve", py.None())?;
    }
    let at_n = PyList::empty(py);
    for a in &m.at_n {
        let d = PyDict::new(py);
        d.set_item("n", a.n)?;
        d.set_item("precision", a.precision)?;
        d.set_item("recall", a.recall)?;
        at_n.append(d)?;
    }
    out.set_item("at_n", at_n)?;
    let pr = PyList::empty(py);
    for p in &m.pr_curve {
        let d = PyDict::new(py);
        d.set_item("radius", p.radius)?;
        d.set_item("precision", p.precision)?;
        d.set_item("recall", p.recall)?;
        pr.append(d)?;
    }
    out.set_item("pr_curve", pr)?;
    Ok(out)
}

/// The `k` exact Euclidean nearest base vectors of each query (ties to the smaller
/// id; k capped at the base size): int64 `[nq, min(k, n)]`.
#[pyfunction]
pub fn exact_knn<'py>(
    py: Python<'py>,
    base: &Bound<'py, PyAny>,
    queries: &Bound<'py, PyAny>,
    k: i64,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    if k <= 0 {
        return Err(PyValueError::new_err(format!("k must be at least 1, got {k}")));
    }
    let base = arrays::vectors("base", base)?;
    let queries = arrays::vectors("queries", queries)?;
    let rows = py.detach(|| sigah_core::knn::exact_knn(&base, &queries, k as usize)).map_err(to_py)?;
    let width = rows.first().map_or(0, Vec::len);
    let flat: Vec<i64> = rows.iter().flatten().map(|&i| i64::from(i)).collect();
    arrays::matrix(py, rows.len(), width, flat)
}
