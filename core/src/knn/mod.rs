//! Exact and approximate k-nearest-neighbour search, the one home both stages
//! above it use: evaluation's ground truth ([`exact_knn`], `ground_truth.rs`:
//! queries against a base set, exact in f64) and the k-nearest-neighbour graph of
//! the training set (squared Euclidean distance on the preprocessed vectors) for
//! the trainer's neighbour terms (docs/METHOD.md). Both run the GEMM tile loop of
//! `tiles.rs`.
//!
//! The graph is exact (`exact.rs`: blocked GEMM distances, a bounded top-k per row) while
//! `n²·d` fits [`EXACT_FMAS`]; past it approximate (`approx.rs`: each row's exact
//! nearest among the rows of the k-means cells nearest its own), with recall@50
//! ≥ 0.9 measured on clustered data at 200k–1M rows ([`recall_at`] measures it on
//! any graph). Both are deterministic and identical at any thread count.

mod approx;
mod exact;
mod ground_truth;
mod tiles;

use rayon::prelude::*;

pub use approx::Ivf;
pub use ground_truth::exact_knn;

use crate::model::Preprocess;
use crate::Tensor;

/// The exact graph costs `n²·d` multiply-adds. Up to this many it is exact:
/// 100k × 256 (2.6e12) took 63 s of one core's time, so ≈ 32 s on 2 idle cores
/// (`benches/examples/knn_scale.rs`). Past it the approximate search costs
/// `n · budget · d` (200k × 128: 21 s of CPU against ≈ 4 min exact), but its
/// recall depends on the data, so exact is kept as long as it is affordable.
const EXACT_FMAS: f64 = 3e12;

/// The approximate search's parameters: cells of about 1,000 rows, each row
/// compared with the ≥ 16,384 rows of the cells nearest its own.
pub const IVF: Ivf = Ivf { cell: 1024, budget: 16_384, iters: 8, sample_per_cell: 32 };

/// Rows preprocessed per task when materialising the training set.
const PRE_ROWS: usize = 1024;

/// The preprocessed rows of `data` (`n × out_dim`, row-major). Blocks are fixed
/// by n and each block's projection runs on its own thread, so the values do not
/// depend on the thread count.
fn preprocess_all(data: &Tensor, pre: &Preprocess) -> (Vec<f32>, usize) {
    let (n, d) = (data.rows, pre.out_dim());
    let mut x = vec![0f32; n * d];
    x.par_chunks_mut(PRE_ROWS * d.max(1)).enumerate().for_each(|(b, out)| {
        let rows: Vec<usize> = (b * PRE_ROWS..b * PRE_ROWS + out.len() / d.max(1)).collect();
        out.copy_from_slice(&pre.batch(data, &rows).data);
    });
    (x, d)
}

/// For every row of `data`, its `k` nearest other rows, nearest first, ties by
/// (distance, index): `n × k` ids, row-major, and the `k` used (capped at n − 1).
/// Exact while `n²·d` ≤ [`EXACT_FMAS`], else approximate (see the module doc).
pub fn knn_graph(data: &Tensor, pre: &Preprocess, k: usize) -> (Vec<u32>, usize) {
    let n = data.rows;
    let k = k.min(n.saturating_sub(1));
    if k == 0 {
        return (Vec::new(), 0);
    }
    let (x, d) = preprocess_all(data, pre);
    if (n as f64).powi(2) * d as f64 <= EXACT_FMAS {
        let norms = exact::norms(&x, d);
        (exact::graph(&exact::Points { x: &x, norms: &norms, d }, k), k)
    } else {
        (approx::graph(&x, d, k, &IVF), k)
    }
}

/// The exact graph whatever n is (what [`knn_graph`] returns within budget).
pub fn knn_graph_exact(data: &Tensor, pre: &Preprocess, k: usize) -> (Vec<u32>, usize) {
    let k = k.min(data.rows.saturating_sub(1));
    let (x, d) = preprocess_all(data, pre);
    let norms = exact::norms(&x, d);
    (exact::graph(&exact::Points { x: &x, norms: &norms, d }, k), k)
}

/// The approximate graph with `params` whatever n is ([`knn_graph`] returns it
/// with [`IVF`] past budget).
pub fn knn_graph_approx(data: &Tensor, pre: &Preprocess, k: usize, params: &Ivf) -> (Vec<u32>, usize) {
    let k = k.min(data.rows.saturating_sub(1));
    if k == 0 {
        return (Vec::new(), 0);
    }
    let (x, d) = preprocess_all(data, pre);
    (approx::graph(&x, d, k, params), k)
}

/// `m` evenly spaced rows of `0..n` (all of them when `m ≥ n`): the sample
/// [`recall_at`] is measured on.
pub fn sample_rows(n: usize, m: usize) -> Vec<usize> {
    let m = m.min(n);
    (0..m).map(|j| j * n / m).collect()
}

/// Recall@k of `graph` (`n × graph_k` ids, as [`knn_graph`] returns) on the rows
/// `sample`: the mean over those rows of the fraction of their exact `k` nearest
/// (ties by index, as the exact graph) found among the graph's first `k`. Costs
/// `|sample| · n · d` multiply-adds. `k` is capped at `graph_k`; 1 for an empty
/// sample or k = 0.
pub fn recall_at(data: &Tensor, pre: &Preprocess, graph: &[u32], graph_k: usize, k: usize, sample: &[usize]) -> f64 {
    let k = k.min(graph_k);
    if k == 0 || sample.is_empty() {
        return 1.0;
    }
    let (x, d) = preprocess_all(data, pre);
    let norms = exact::norms(&x, d);
    let truth = exact::of_rows(&exact::Points { x: &x, norms: &norms, d }, sample, k);
    let found: usize = sample
        .iter()
        .zip(truth.chunks_exact(k))
        .map(|(&i, t)| {
            let got = &graph[i * graph_k..i * graph_k + k];
            t.iter().filter(|j| got.contains(j)).count()
        })
        .sum();
    found as f64 / (sample.len() * k) as f64
}

#[cfg(test)]
mod tests;
