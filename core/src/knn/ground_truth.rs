//! Exact Euclidean k-NN of queries against a base set, the ground truth of
//! evaluation (docs/eval.md, "Protocol") and of `sigah.exact_knn`.
//!
//! `‖q − b‖² = ‖q‖² − 2 q·b + ‖b‖²` with the `q·b` terms from the GEMM kernel,
//! blockwise (query blocks in parallel, base tiles in turn: `tiles.rs`). That
//! formula cancels catastrophically for near neighbours, so f32 rounding can
//! reorder near-ties. It is therefore only a filter: every base item whose f32
//! distance is within a proven error bound of the k-th smallest is kept as a
//! candidate, and the candidates are re-ranked by the exact distance in f64
//! (summed squared differences), ties to the smaller id. The result is the exact
//! top-k of the f64 distance, the same as a float64 brute force.

use rayon::prelude::*;

use super::tiles::neg2_dot_tiles;
use crate::{Error, Result, Tensor};

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
