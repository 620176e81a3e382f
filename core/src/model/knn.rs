//! The exact k-nearest-neighbour graph of the training set (squared Euclidean
//! distance on the preprocessed vectors), for the neighbour pairs of the
//! similarity term (docs/METHOD.md). Cost O(n²·d) through the GEMM, in blocks of
//! rows so the distance block stays small: about a second for mnist5k's 4,500
//! × 784 on 2 cores.

use sigah_kernels::gemm::{gemm, MatMut, MatRef};

use super::Preprocess;
use crate::Tensor;

/// Rows per distance block (a block is `BLOCK × n` floats).
const BLOCK: usize = 256;

/// For every row of `data`, its `k` nearest other rows, nearest first, ties by
/// index: `n × k` ids, row-major. `k` is capped at `n − 1`.
pub fn knn_graph(data: &Tensor, pre: &Preprocess, k: usize) -> (Vec<u32>, usize) {
    let n = data.rows;
    let k = k.min(n.saturating_sub(1));
    let mut x = data.clone();
    pre.apply(&mut x.data);
    let norms: Vec<f32> = (0..n).map(|i| x.row(i).iter().map(|v| v * v).sum()).collect();
    let mut out = vec![0u32; n * k];
    let mut dots = vec![0f32; BLOCK * n];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for start in (0..n).step_by(BLOCK) {
        let rows = BLOCK.min(n - start);
        let a = MatRef::new(&x.data[start * x.cols..(start + rows) * x.cols], rows, x.cols);
        gemm(1.0, a, x.view().t(), 0.0, MatMut::new(&mut dots[..rows * n], rows, n));
        for r in 0..rows {
            let i = start + r;
            // ‖x_i − x_j‖² up to the constant ‖x_i‖²: ‖x_j‖² − 2 x_i·x_j.
            let dist = |j: usize| norms[j] - 2.0 * dots[r * n + j];
            order.clear();
            order.extend((0..n).filter(|&j| j != i));
            if k < order.len() {
                order.select_nth_unstable_by(k, |&a, &b| dist(a).total_cmp(&dist(b)).then(a.cmp(&b)));
                order.truncate(k);
            }
            order.sort_by(|&a, &b| dist(a).total_cmp(&dist(b)).then(a.cmp(&b)));
            for (o, &j) in out[i * k..(i + 1) * k].iter_mut().zip(&order) {
                *o = j as u32;
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
        let pre = Preprocess::fit(&data).unwrap();
        let (g, k) = knn_graph(&data, &pre, 2);
        assert_eq!(k, 2);
        assert_eq!(g, vec![1, 2, 0, 2, 1, 0, 4, 2, 3, 2]);
        // k capped at n − 1.
        let (g, k) = knn_graph(&data, &pre, 10);
        assert_eq!((k, g.len()), (4, 20));
    }
}
