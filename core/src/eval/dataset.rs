//! Datasets (docs/eval.md, "Protocol"): a base set, held-out queries, and what is relevant to
//! each query: same label, or its K Euclidean nearest base vectors (from a
//! `gt.ivecs` file or computed exactly).
//!
//! The exact ground truth itself is computed in `knn/ground_truth.rs`, the one
//! home of exact and approximate k-NN, which the trainer's neighbour graph shares.

use std::path::{Path, PathBuf};

use super::metrics::Relevance;
use super::recall::RECALL_K;
use crate::io::vectors::{load_ivecs, load_labels, load_queries, load_vectors, load_vectors_with, CsvOptions, Format};
use crate::knn::exact_knn;
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
                // Earlier builds clamped k to n, so --gt-k 100000 over 2,000 vectors
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
/// (the row is sorted nearest first). Also returns each query's first
/// [`RECALL_K`] neighbours, the true top 10 of recall 10@C whatever `k` is, and the
/// file's `distance`.
pub fn load_ann_benchmarks(path: &Path, k: Option<usize>) -> Result<(Dataset, Vec<Vec<u32>>, Option<String>)> {
    let file = crate::io::hdf5::load_ann(path)?;
    let listed = file.neighbors.first().map_or(0, Vec::len);
    let truth = file.neighbors.iter().map(|row| row[..row.len().min(RECALL_K)].to_vec()).collect();
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
    Ok((dataset, truth, file.distance))
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

#[cfg(test)]
#[path = "dataset_tests.rs"]
mod tests;
