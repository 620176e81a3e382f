//! The k-nearest-neighbour graph of the training set (squared Euclidean distance
//! on the preprocessed vectors), for the neighbour-pair term (docs/METHOD.md).
//! Exact while `n²·d` fits a budget of a few seconds (mnist5k's 4,500 × 784 takes
//! about one); past it each vector's neighbours come from a pool of evenly spaced
//! rows, so the cost grows linearly in n.

use sigah_kernels::gemm::{gemm, MatMut};

use super::Preprocess;
use crate::Tensor;

/// Rows per distance block (a block is `BLOCK × pool` floats).
const BLOCK: usize = 256;

/// The exact search costs `n · pool · d` multiply-adds. Up to this budget (a few
/// seconds on 2 cores) the pool is the whole training set; past it the pool
/// shrinks to fit, but never below [`MIN_POOL`] rows.
const FLOP_BUDGET: f64 = 2e11;
/// The smallest pool: with more training vectors than fit the budget, each
/// vector's neighbours are its nearest among this many evenly spaced rows.
const MIN_POOL: usize = 4096;

/// The rows the neighbours are searched among: all `n` when the exact search fits
/// [`FLOP_BUDGET`], else `P` evenly spaced rows `⌊j·n/P⌋`.
fn pool(n: usize, d: usize) -> Vec<usize> {
    let fit = (FLOP_BUDGET / (n.max(1) as f64 * d.max(1) as f64)) as usize;
    let p = n.min(fit.max(MIN_POOL));
    (0..p).map(|j| j * n / p).collect()
}

/// For every row of `data`, its `k` nearest other rows among the pool (all rows
/// when the exact search fits the budget), nearest first, ties by index: `n × k`
/// ids, row-major, and the `k` used (capped at the pool size − 1). Works on
/// blocks of preprocessed rows, so memory is the pool plus one block.
pub fn knn_graph(data: &Tensor, pre: &Preprocess, k: usize) -> (Vec<u32>, usize) {
    knn_among(data, pre, k, &pool(data.rows, data.cols))
}

/// [`knn_graph`] with the pool given.
fn knn_among(data: &Tensor, pre: &Preprocess, k: usize, pool: &[usize]) -> (Vec<u32>, usize) {
    let n = data.rows;
    let p = pool.len();
    let k = k.min(p.saturating_sub(1));
    let xp = pre.batch(data, pool);
    let norms: Vec<f32> = (0..p).map(|j| xp.row(j).iter().map(|v| v * v).sum()).collect();
    let mut out = vec![0u32; n * k];
    let mut dots = vec![0f32; BLOCK * p];
    let mut order: Vec<usize> = Vec::with_capacity(p);
    let mut ids: Vec<usize> = Vec::with_capacity(BLOCK);
    for start in (0..n).step_by(BLOCK) {
        let rows = BLOCK.min(n - start);
        ids.clear();
        ids.extend(start..start + rows);
        let xb = pre.batch(data, &ids);
        gemm(1.0, xb.view(), xp.view().t(), 0.0, MatMut::new(&mut dots[..rows * p], rows, p));
        for r in 0..rows {
            let i = start + r;
            // ‖x_i − x_j‖² up to the constant ‖x_i‖²: ‖x_j‖² − 2 x_i·x_j.
            let dist = |j: usize| norms[j] - 2.0 * dots[r * p + j];
            order.clear();
            order.extend((0..p).filter(|&j| pool[j] != i));
            if k < order.len() {
                order.select_nth_unstable_by(k, |&a, &b| dist(a).total_cmp(&dist(b)).then(a.cmp(&b)));
                order.truncate(k);
            }
            order.sort_by(|&a, &b| dist(a).total_cmp(&dist(b)).then(a.cmp(&b)));
            for (o, &j) in out[i * k..(i + 1) * k].iter_mut().zip(&order) {
                *o = pool[j] as u32;
            }
        }
    }
    (out, k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_of_points_on_a_line() {
        // Points at 0, 1, 3, 7, 8 on a line: nearest of 0 is 1 then 3; of 3 is 1
        // (distance 2) then 0 (distance 3); of 7 is 8 then 3.
        let data = Tensor::new(5, 1, vec![0.0, 1.0, 3.0, 7.0, 8.0]);
        let pre = Preprocess::fit(&data, 0).unwrap();
        let (g, k) = knn_graph(&data, &pre, 2);
        assert_eq!(k, 2);
        assert_eq!(g, vec![1, 2, 0, 2, 1, 0, 4, 2, 3, 2]);
        // k capped at n − 1.
        let (g, k) = knn_graph(&data, &pre, 10);
        assert_eq!((k, g.len()), (4, 20));
    }

    #[test]
    fn the_pool_is_everything_within_budget_and_spaced_past_it() {
        assert_eq!(pool(4500, 784).len(), 4500);
        let p = pool(1_000_000, 960);
        assert_eq!(p.len(), MIN_POOL);
        assert_eq!((p[0], p[1], *p.last().unwrap()), (0, 244, 999_755));
        // Points 0..10 on a line, pool {0, 4, 8}: the nearest pool rows of 5 are 4
        // then 8 (distance 3; 0 is at 5); of 4 (in the pool) are 8 and 0 (tie at
        // distance 4, lower index first: 0), never itself.
        let data = Tensor::new(10, 1, (0..10).map(|i| i as f32).collect());
        let pre = Preprocess::fit(&data, 0).unwrap();
        let (g, k) = knn_among(&data, &pre, 2, &[0, 4, 8]);
        assert_eq!(k, 2);
        assert_eq!(&g[10..12], &[4, 8]);
        assert_eq!(&g[8..10], &[0, 8]);
        assert!(g.iter().all(|&j| [0, 4, 8].contains(&j)));
    }
}
