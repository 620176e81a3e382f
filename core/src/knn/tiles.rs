//! The blocked-GEMM loop both exact Euclidean k-NN searches run: the ground truth
//! of evaluation (`ground_truth.rs`, [`exact_knn`](super::exact_knn)) and the
//! training set's neighbour graph (`exact.rs`). Squared
//! distances are `‖q‖² + ‖c‖² − 2 q·c`; the `−2 q·c` part of a block of queries
//! against a tile of candidates comes from one GEMM (scaling by −2, a power of
//! two, is exact), and each caller scans the tile with its own bound.

use std::ops::Range;

use sigah_kernels::gemm::{gemm_with, MatMut, MatRef};
use sigah_kernels::Isa;

/// Calls `scan(c0, w, dots)` for consecutive tiles of at most `tile` rows of
/// `range`, where `dots` is the row-major `qn × w` block of `−2 q·c` between the
/// `qn` query rows `q` and candidate rows `c0..c0 + w` of `x` (rows of `d`
/// floats). `buf` holds at least `qn · tile` floats. Each GEMM runs on the calling
/// thread (callers spread query blocks over the pool), so the values do not
/// depend on the thread count.
pub(crate) fn neg2_dot_tiles(
    isa: Isa,
    q: &[f32],
    qn: usize,
    x: &[f32],
    d: usize,
    range: Range<usize>,
    tile: usize,
    buf: &mut [f32],
    mut scan: impl FnMut(usize, usize, &[f32]),
) {
    let queries = MatRef::new(q, qn, d);
    for c0 in range.clone().step_by(tile) {
        let w = tile.min(range.end - c0);
        let cand = MatRef::new(&x[c0 * d..(c0 + w) * d], w, d);
        let dots = &mut buf[..qn * w];
        gemm_with(isa, false, -2.0, queries, cand.t(), 0.0, MatMut::new(dots, qn, w));
        scan(c0, w, dots);
    }
}
