//! Exact k-nearest-neighbour search by blocks: a block of query rows against
//! runs of candidate rows, `QB × CB` distances at a time from one GEMM (the
//! tile loop is `tiles.rs`, shared with evaluation's ground truth), each
//! row keeping a bounded top-k that rejects a candidate with one comparison
//! against its current k-th distance. Memory is one `QB × CB` block per thread,
//! whatever n is.
//!
//! Determinism: the blocks are fixed by n alone (never by the thread count) and
//! each GEMM runs on the calling thread, so every distance has the same bits at
//! any thread count; a row's top-k is the unique k smallest under the total order
//! (distance, id), so it does not depend on the order candidates arrive in.

use rayon::prelude::*;
use sigah_kernels::isa::{self, Isa};

use super::tiles::neg2_dot_tiles;

/// Query rows per block: the candidate panel packed by the GEMM is reused this
/// many times, so packing costs 1/QB of the multiply-adds.
pub(super) const QB: usize = 128;
/// Candidate rows per GEMM: the `QB × CB` block (1 MiB) stays in L2 between the
/// GEMM that writes it and the scan that reads it.
pub(super) const CB: usize = 2048;
/// Distances checked at once against the k-th: the test vectorises, and the
/// branch on its result is almost never taken once the top-k has filled.
const LANE: usize = 16;

/// Row-major `rows × d` preprocessed vectors with their squared norms.
pub(super) struct Points<'a> {
    pub x: &'a [f32],
    pub norms: &'a [f32],
    pub d: usize,
}

/// The squared norm of each `d`-row of `x`, summed in order.
pub(super) fn norms(x: &[f32], d: usize) -> Vec<f32> {
    x.chunks_exact(d.max(1)).map(|r| r.iter().map(|v| v * v).sum()).collect()
}

/// The k smallest (distance, id) of each of `rows` query rows, sorted.
pub(super) struct TopK {
    k: usize,
    dist: Vec<f32>,
    ids: Vec<u32>,
    len: Vec<usize>,
}

impl TopK {
    pub(super) fn new(rows: usize, k: usize) -> Self {
        Self { k, dist: vec![0.0; rows * k], ids: vec![0; rows * k], len: vec![0; rows] }
    }

    /// A candidate at a distance above this can never enter row `r`; at equal
    /// distance it enters only with a smaller id than the k-th's.
    #[inline]
    pub(super) fn threshold(&self, r: usize) -> f32 {
        if self.len[r] < self.k {
            f32::INFINITY
        } else {
            self.dist[r * self.k + self.k - 1]
        }
    }

    /// Offers `(dd, id)` to row `r` (which must not hold `id` already).
    #[inline]
    pub(super) fn offer(&mut self, r: usize, dd: f32, id: u32) {
        let (k, len) = (self.k, self.len[r]);
        let dist = &mut self.dist[r * k..(r + 1) * k];
        let ids = &mut self.ids[r * k..(r + 1) * k];
        let before = |p: usize| dist[p] < dd || dist[p] == dd && ids[p] < id;
        if len == k && before(k - 1) {
            return;
        }
        let pos = (0..len).find(|&p| !before(p)).unwrap_or(len);
        let end = len.min(k - 1);
        dist.copy_within(pos..end, pos + 1);
        ids.copy_within(pos..end, pos + 1);
        dist[pos] = dd;
        ids[pos] = id;
        self.len[r] = (len + 1).min(k);
    }

    /// Row `r`'s ids, nearest first (fewer than k if it saw fewer candidates).
    pub(super) fn row(&self, r: usize) -> &[u32] {
        &self.ids[r * self.k..r * self.k + self.len[r]]
    }
}

/// Updates `top` (one row per query) with every candidate row in `cand` (rows
/// `range` of `pts`, ids `ids[j]` or the row number itself when `ids` is None),
/// never a query's own id. `q` holds the `qn` query rows, `qid` their ids; `buf`
/// is scratch of at least `QB × CB`.
pub(super) fn scan(
    isa: Isa,
    q: &[f32],
    qid: &[u32],
    pts: &Points<'_>,
    ids: Option<&[u32]>,
    range: std::ops::Range<usize>,
    top: &mut TopK,
    buf: &mut [f32],
) {
    let (d, qn) = (pts.d, qid.len());
    // −2·q·c (tiles.rs): the distance up to ‖q‖² is ‖c‖² − 2 q·c, one
    // addition per candidate in the scan below.
    neg2_dot_tiles(isa, q, qn, pts.x, d, range, CB, buf, |c0, w, dots| {
        let norms = &pts.norms[c0..c0 + w];
        for r in 0..qn {
            let row = &dots[r * w..(r + 1) * w];
            for j0 in (0..w).step_by(LANE) {
                let j1 = (j0 + LANE).min(w);
                let thr = top.threshold(r);
                let mut hit = false;
                for (n, v) in norms[j0..j1].iter().zip(&row[j0..j1]) {
                    hit |= n + v <= thr;
                }
                if !hit {
                    continue;
                }
                for j in j0..j1 {
                    let dd = norms[j] + row[j];
                    let id = ids.map_or((c0 + j) as u32, |ids| ids[c0 + j]);
                    if dd <= top.threshold(r) && id != qid[r] {
                        top.offer(r, dd, id);
                    }
                }
            }
        }
    });
}

/// The exact graph: for every row of `pts`, its `k` nearest other rows, nearest
/// first, ties by id; `n × k` ids row-major. Parallel over blocks of `QB` rows.
pub(super) fn graph(pts: &Points<'_>, k: usize) -> Vec<u32> {
    let (n, d) = (pts.norms.len(), pts.d);
    let mut out = vec![0u32; n * k];
    if k == 0 {
        return out;
    }
    let isa = isa::selected();
    out.par_chunks_mut(QB * k).enumerate().for_each_init(
        || vec![0f32; QB * CB],
        |buf, (b, out)| {
            let (start, rows) = (b * QB, out.len() / k);
            let qid: Vec<u32> = (start as u32..(start + rows) as u32).collect();
            let mut top = TopK::new(rows, k);
            let q = &pts.x[start * d..(start + rows) * d];
            scan(isa, q, &qid, pts, None, 0..n, &mut top, buf);
            for r in 0..rows {
                out[r * k..(r + 1) * k].copy_from_slice(top.row(r));
            }
        },
    );
    out
}

/// The exact `k` nearest of the rows `sample` among all rows of `pts` (as in
/// [`graph`]), `sample.len() × k` ids.
pub(super) fn of_rows(pts: &Points<'_>, sample: &[usize], k: usize) -> Vec<u32> {
    let (n, d) = (pts.norms.len(), pts.d);
    let isa = isa::selected();
    let blocks: Vec<Vec<u32>> = sample
        .par_chunks(QB)
        .map_init(
            || vec![0f32; QB * CB],
            |buf, rows| {
                let q: Vec<f32> = rows.iter().flat_map(|&i| &pts.x[i * d..(i + 1) * d]).copied().collect();
                let qid: Vec<u32> = rows.iter().map(|&i| i as u32).collect();
                let mut top = TopK::new(rows.len(), k);
                scan(isa, &q, &qid, pts, None, 0..n, &mut top, buf);
                (0..rows.len()).flat_map(|r| top.row(r).to_vec()).collect()
            },
        )
        .collect();
    blocks.concat()
}
