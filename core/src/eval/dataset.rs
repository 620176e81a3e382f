//! Datasets (docs/eval.md, "Protocol"): a base set, held-out queries, and what is relevant to
//! each query: same label, or its K Euclidean nearest base vectors (from a
//! `gt.ivecs` file or computed exactly here).
//!
//! Exact ground truth: `‖q − b‖² = ‖q‖² − 2 q·b + ‖b‖²` with the `q·b` terms from
//! the GEMM kernel, blockwise (query blocks in parallel, base tiles in turn). That
//! formula cancels catastrophically for near neighbours, so f32 rounding can
//! reorder near-ties. It is therefore only a filter: every base item whose f32
//! distance is within a proven error bound of the k-th smallest is kept as a
//! candidate, and the candidates are re-ranked by the exact distance in f64
//! (summed squared differences), ties to the smaller id. The result is the exact
//! top-k of the f64 distance, the same as a float64 brute force.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::metrics::Relevance;
use crate::dots::neg2_dot_tiles;
use crate::io::vectors::{load_ivecs, load_labels, load_queries, load_vectors, load_vectors_with, CsvOptions, Format};
use crate::{Error, Result, Tensor};

/// Base vectors, queries and relevance, all checked to agree.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub base: Tensor,
    pub queries: Tensor,
    pub relevance: Relevance,
}

/// Where the relevance of a dataset comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum RelevanceSource {
    /// One label per base vector and per query (`.ivecs`, `.npy` or CSV files).
    Labels { base: PathBuf, queries: PathBuf, csv: CsvOptions },
    /// Per query the ids of its K nearest base vectors (`.ivecs`).
    GroundTruth(PathBuf),
    /// The K nearest base vectors, computed exactly.
    TopK(usize),
    /// A label column of the base and query CSV files themselves (`csv.label`
    /// must name it); it is removed from the vectors.
    CsvColumn(CsvOptions),
}

/// The default K of Euclidean relevance (docs/eval.md, "Protocol").
pub const DEFAULT_K: usize = 100;

impl Dataset {
    /// A dataset from its parts, checked: same dimension, relevance that fits.
    pub fn new(base: Tensor, queries: Tensor, relevance: Relevance) -> Result<Dataset> {
        if base.cols != queries.cols {
            return Err(Error::ShapeMismatch {
                op: "dataset",
                expected: format!("queries of dimension {} (as the base set)", base.cols),
                got: queries.cols.to_string(),
            });
        }
        relevance.check(base.rows, queries.rows)?;
        Ok(Dataset { base, queries, relevance })
    }

    /// Loads a dataset from files and checks that its parts agree; every mismatch
    /// names the file at fault.
    pub fn load(base: &Path, queries: &Path, source: &RelevanceSource) -> Result<Dataset> {
        let (base_t, queries_t, mut relevance) = load_with_relevances(base, queries, std::slice::from_ref(source))?;
        Dataset::new(base_t, queries_t, relevance.remove(0))
    }
}

/// Loads the base and query vectors once and computes every relevance in
/// `sources` against them (labels and Euclidean neighbours, say, so each method is
/// trained once and scored under both). Every mismatch names the file at fault.
pub fn load_with_relevances(
    base: &Path,
    queries: &Path,
    sources: &[RelevanceSource],
) -> Result<(Tensor, Tensor, Vec<Relevance>)> {
    let csv_column = sources.iter().find_map(|s| match s {
        RelevanceSource::CsvColumn(csv) => Some(csv),
        _ => None,
    });
    let (base_t, queries_t, column_labels) = match csv_column {
        Some(csv) => {
            let (b, bl) = load_csv_with_labels(base, csv)?;
            let (q, ql) = load_csv_with_labels(queries, csv)?;
            (b, q, Some((bl, ql)))
        }
        None => (load_vectors(base)?, load_queries(queries)?, None),
    };
    if queries_t.cols != base_t.cols {
        return Err(Error::data(
            queries,
            format!(
                "queries have dimension {}, but the base set {} has dimension {}",
                queries_t.cols,
                base.display(),
                base_t.cols
            ),
        ));
    }
    let mut relevances = Vec::with_capacity(sources.len());
    for source in sources {
        relevances.push(match source {
            RelevanceSource::Labels { base: bl, queries: ql, csv } => {
                let base_labels = load_labels(bl, csv)?;
                check_count(bl, base_labels.len(), "labels", base_t.rows, "base", base)?;
                let query_labels = load_labels(ql, csv)?;
                check_count(ql, query_labels.len(), "labels", queries_t.rows, "query", queries)?;
                Relevance::Labels { base: base_labels, queries: query_labels }
            }
            RelevanceSource::GroundTruth(p) => {
                let rows = load_ivecs(p)?;
                check_count(p, rows.len(), "ground-truth rows", queries_t.rows, "query", queries)?;
                Relevance::Neighbours { ids: ground_truth_ids(p, &rows, base_t.rows)? }
            }
            RelevanceSource::TopK(k) => {
                // Issue 13: k was clamped to n, so --gt-k 100000 over 2,000 vectors
                // made every base vector relevant and reported mAP 1.0.
                if *k > base_t.rows {
                    return Err(Error::data(
                        base,
                        format!(
                            "--gt-k {k} asks for more neighbours than the {} base vectors (every one would be relevant)",
                            base_t.rows
                        ),
                    ));
                }
                Relevance::Neighbours { ids: exact_knn(&base_t, &queries_t, *k)? }
            }
            RelevanceSource::CsvColumn(_) => {
                let (base, queries) = column_labels.clone().unwrap_or_default();
                Relevance::Labels { base, queries }
            }
        });
    }
    Ok((base_t, queries_t, relevances))
}

/// An HDF5 file in the ann-benchmarks layout as a dataset (`io/hdf5.rs`): `train`
/// is the base, `test` the queries, and each query's relevant items are its
/// `neighbors` row, the file's own ground truth; with `k`, only its first `k`
/// (the row is sorted nearest first). Also returns the file's `distance`.
pub fn load_ann_benchmarks(path: &Path, k: Option<usize>) -> Result<(Dataset, Option<String>)> {
    let file = crate::io::hdf5::load_ann(path)?;
    let listed = file.neighbors.first().map_or(0, Vec::len);
    let mut ids = file.neighbors;
    if let Some(k) = k {
        if k == 0 || k > listed {
            return Err(Error::data(
                path,
                format!("--gt-k {k}: the file lists {listed} neighbours per query ('neighbors'); give 1 to {listed}"),
            ));
        }
        ids.iter_mut().for_each(|row| row.truncate(k));
    }
    let dataset = Dataset::new(file.train, file.test, Relevance::Neighbours { ids })?;
    Ok((dataset, file.distance))
}

/// A CSV vector file and its label column.
fn load_csv_with_labels(path: &Path, csv: &CsvOptions) -> Result<(Tensor, Vec<i32>)> {
    if Format::of(path)? != Format::Csv || csv.label.is_none() {
        return Err(Error::data(path, "labels from a column need CSV vector files and a named label column"));
    }
    let (t, labels) = load_vectors_with(path, csv)?;
    Ok((t, labels.unwrap_or_default()))
}

fn check_count(path: &Path, got: usize, what: &str, want: usize, set: &str, set_path: &Path) -> Result<()> {
    if got != want {
        return Err(Error::data(
            path,
            format!("{got} {what}, but the {set} file {} has {want} vectors", set_path.display()),
        ));
    }
    Ok(())
}

/// Ground-truth ids from `.ivecs` rows, each checked to be a base index.
pub fn ground_truth_ids(path: &Path, rows: &[Vec<i32>], n_base: usize) -> Result<Vec<Vec<u32>>> {
    rows.iter()
        .enumerate()
        .map(|(q, row)| {
            row.iter()
                .map(|&id| {
                    u32::try_from(id).ok().filter(|&i| (i as usize) < n_base).ok_or_else(|| {
                        Error::data(
                            path,
                            format!("row {q}: id {id} is not a base index (the base set has {n_base} vectors)"),
                        )
                    })
                })
                .collect()
        })
        .collect()
}

/// Queries per parallel task, and base rows per GEMM tile (a 32 × 4096 f32 block
/// of dot products is 512 KB: it stays in L2 while it is scanned).
const QUERY_BLOCK: usize = 32;
const BASE_TILE: usize = 4096;

/// The `k` nearest base vectors of each query by Euclidean distance, exactly
/// (ties to the smaller id); `k` is capped at the base size.
pub fn exact_knn(base: &Tensor, queries: &Tensor, k: usize) -> Result<Vec<Vec<u32>>> {
    check_knn_args(base, queries, k)?;
    let k = k.min(base.rows);
    let base_norms: Vec<f64> = (0..base.rows).map(|i| sq_norm(base.row(i))).collect();
    let max_base_norm = base_norms.iter().copied().fold(0.0f64, f64::max).sqrt();
    let blocks: Vec<Vec<Vec<u32>>> = (0..queries.rows)
        .step_by(QUERY_BLOCK)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|q0| {
            let q1 = (q0 + QUERY_BLOCK).min(queries.rows);
            let (cands, err) = candidates(base, &base_norms, max_base_norm, queries, q0..q1, k);
            cands
                .into_iter()
                .zip(err)
                .enumerate()
                .map(|(qi, (mut c, e))| {
                    prune(&mut c, k, 2.0 * e);
                    refine(base, queries.row(q0 + qi), &c, k)
                })
                .collect()
        })
        .collect();
    Ok(blocks.into_iter().flatten().collect())
}

fn check_knn_args(base: &Tensor, queries: &Tensor, k: usize) -> Result<()> {
    if base.cols != queries.cols {
        return Err(Error::ShapeMismatch {
            op: "exact_knn",
            expected: format!("queries of dimension {}", base.cols),
            got: queries.cols.to_string(),
        });
    }
    if k == 0 || base.rows == 0 {
        return Err(Error::Config(format!(
            "exact k-NN needs k ≥ 1 and a base set, got k = {k}, {} base vectors",
            base.rows
        )));
    }
    if base.rows > u32::MAX as usize {
        return Err(Error::Config("exact k-NN: more than 2^32 base vectors".into()));
    }
    Ok(())
}

fn sq_norm(r: &[f32]) -> f64 {
    r.iter().map(|&v| v as f64 * v as f64).sum::<f64>()
}

/// For the queries `rows`: each one's candidates (approximate f32 distance, id),
/// a superset of its true k nearest, and the error bound of its f32 distances.
fn candidates(
    base: &Tensor,
    base_norms: &[f64],
    max_base_norm: f64,
    queries: &Tensor,
    rows: std::ops::Range<usize>,
    k: usize,
) -> (Vec<Vec<(f32, u32)>>, Vec<f64>) {
    let (d, q0, qb) = (base.cols, rows.start, rows.len());
    let q_norms: Vec<f64> = rows.clone().map(|q| sq_norm(queries.row(q))).collect();
    // Error bound of the f32 formula for query q against any base vector:
    // a length-d dot product in any summation order is off by at most
    // γ_d·‖q‖‖b‖ (γ_d ≈ d·u), and the norms and the two additions add a few u
    // more of (‖q‖ + ‖b‖)². f32::EPSILON = 2u makes the bound generous.
    let err: Vec<f64> =
        q_norms.iter().map(|&n| (d as f64 + 4.0) * f32::EPSILON as f64 * (n.sqrt() + max_base_norm).powi(2)).collect();
    let mut cands: Vec<Vec<(f32, u32)>> = vec![Vec::new(); qb];
    let mut bound = vec![f32::INFINITY; qb];
    let mut dots = vec![0.0f32; qb * BASE_TILE];
    let q = &queries.data[q0 * d..rows.end * d];
    let isa = sigah_kernels::isa::selected();
    neg2_dot_tiles(isa, q, qb, &base.data, d, 0..base.rows, BASE_TILE, &mut dots, |b0, w, out| {
        for (qi, row) in out.chunks_exact(w).enumerate() {
            let qn = q_norms[qi] as f32;
            let c = &mut cands[qi];
            for (j, &dot) in row.iter().enumerate() {
                let approx = qn + dot + base_norms[b0 + j] as f32;
                if approx <= bound[qi] {
                    c.push((approx, (b0 + j) as u32));
                }
            }
            if c.len() >= 4 * k + 1024 {
                bound[qi] = prune(c, k, 2.0 * err[qi]);
            }
        }
    });
    (cands, err)
}

/// The k nearest of the candidates `c` to `q` by their exact (f64) distances,
/// ties to the smaller id.
fn refine(base: &Tensor, q: &[f32], c: &[(f32, u32)], k: usize) -> Vec<u32> {
    let mut exact: Vec<(f64, u32)> = c
        .iter()
        .map(|&(_, id)| {
            let b = base.row(id as usize);
            (q.iter().zip(b).map(|(&x, &y)| (x as f64 - y as f64).powi(2)).sum(), id)
        })
        .collect();
    exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    exact.into_iter().take(k).map(|(_, id)| id).collect()
}

/// Keeps the candidates whose approximate distance is within `tol` of the k-th
/// smallest, and returns that threshold. Any true top-k item survives: its
/// approximate distance is at most (true k-th distance + e) ≤ (approximate k-th +
/// 2e), with e the per-item error bound and `tol = 2e`.
fn prune(c: &mut Vec<(f32, u32)>, k: usize, tol: f64) -> f32 {
    if c.len() <= k {
        return f32::INFINITY;
    }
    let (_, kth, _) = c.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
    let threshold = (kth.0 as f64 + tol) as f32;
    c.retain(|&(a, _)| a <= threshold);
    threshold
}

#[cfg(test)]
#[path = "dataset_tests.rs"]
mod tests;
