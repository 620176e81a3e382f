//! The approximate graph for training sets too large for the exact one: k-means
//! cells, and each cell's rows searched exactly (the blocked GEMM scan of
//! `exact.rs`) among the rows of the cells whose centroids are nearest to its
//! own, until about `budget` candidate rows. Each row's neighbours are then its
//! exact nearest within that candidate set, so the cost is `n · budget · d`
//! instead of `n² · d`, and recall is what `recall_at` measures.
//!
//! Deterministic at any thread count: the k-means sample and start come from a
//! fixed seed, every assignment is an argmin over GEMM distances computed in
//! blocks fixed by n, centroid sums run in row order, and every task's result
//! depends only on its own cell.

use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use sigah_kernels::gemm::{gemm_with, MatMut, MatRef};
use sigah_kernels::isa::{self, Isa};

use super::exact::{norms, scan, Points, TopK, CB, QB};

/// The approximate search's parameters (the default, [`super::IVF`], is what
/// `knn_graph` uses; the bench varies them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ivf {
    /// Mean rows per k-means cell.
    pub cell: usize,
    /// Candidate rows per query: the nearest cells are taken until they hold this
    /// many rows.
    pub budget: usize,
    /// Lloyd iterations.
    pub iters: usize,
    /// k-means is fitted on at most this many rows per cell.
    pub sample_per_cell: usize,
}

/// Seed of the k-means sample and start: fixed, so the graph is a function of
/// the data alone.
const SEED: u64 = 0x006b_6e6e_5f69_7666;

/// For each of the `rows` vectors of `x`, the nearest of the centroids `cent`
/// (`c × d`, norms `cn`), ties to the lower index. Parallel over fixed blocks.
fn assign(isa: Isa, x: &[f32], d: usize, cent: &[f32], cn: &[f32]) -> Vec<u32> {
    let c = cn.len();
    let mut out = vec![0u32; x.len() / d];
    out.par_chunks_mut(QB).zip(x.par_chunks(QB * d)).for_each(|(out, q)| {
        let rows = out.len();
        let mut dots = vec![0f32; rows * c];
        let b = MatRef::new(cent, c, d).t();
        gemm_with(isa, false, -2.0, MatRef::new(q, rows, d), b, 0.0, MatMut::new(&mut dots, rows, c));
        for (r, o) in out.iter_mut().enumerate() {
            let row = &dots[r * c..(r + 1) * c];
            let mut best = (f32::INFINITY, 0);
            for (j, (n, v)) in cn.iter().zip(row).enumerate() {
                if n + v < best.0 {
                    best = (n + v, j);
                }
            }
            *o = best.1 as u32;
        }
    });
    out
}

/// `c` k-means centroids (`c × d`) of the rows of `x`, fitted on a seeded sample.
fn kmeans(isa: Isa, x: &[f32], d: usize, c: usize, p: &Ivf) -> Vec<f32> {
    let n = x.len() / d;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut rows: Vec<usize> = sample(&mut rng, n, (c * p.sample_per_cell).min(n)).into_vec();
    rows.sort_unstable();
    let xs: Vec<f32> = rows.iter().flat_map(|&i| &x[i * d..(i + 1) * d]).copied().collect();
    let m = rows.len();
    // Start from c distinct sample rows (the sample is in random order of draw
    // before sorting, so evenly spaced sorted rows are as good as random ones).
    let mut cent: Vec<f32> = (0..c).flat_map(|j| &xs[(j * m / c) * d..(j * m / c + 1) * d]).copied().collect();
    for _ in 0..p.iters {
        let cn = norms(&cent, d);
        let a = assign(isa, &xs, d, &cent, &cn);
        let mut sum = vec![0f64; c * d];
        let mut count = vec![0usize; c];
        for (r, &j) in a.iter().enumerate() {
            let j = j as usize;
            count[j] += 1;
            for (s, &v) in sum[j * d..(j + 1) * d].iter_mut().zip(&xs[r * d..(r + 1) * d]) {
                *s += v as f64;
            }
        }
        // An empty cell keeps its centroid: it costs nothing in the search.
        for j in (0..c).filter(|&j| count[j] > 0) {
            for (o, s) in cent[j * d..(j + 1) * d].iter_mut().zip(&sum[j * d..(j + 1) * d]) {
                *o = (s / count[j] as f64) as f32;
            }
        }
    }
    cent
}

/// The approximate graph of the rows of `x` (`n × d`, row-major): `n × k` ids,
/// nearest first, ties by id. Needs `k < n`.
pub(super) fn graph(x: &[f32], d: usize, k: usize, p: &Ivf) -> Vec<u32> {
    let n = x.len() / d;
    let isa = isa::selected();
    let c = n.div_ceil(p.cell).max(1);
    let cent = kmeans(isa, x, d, c, p);
    let cn = norms(&cent, d);
    let cell = assign(isa, x, d, &cent, &cn);
    // The rows sorted by cell (then id), so each cell is one run of rows.
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&i| (cell[i as usize], i));
    let mut start = vec![0usize; c + 1];
    for &j in &cell {
        start[j as usize + 1] += 1;
    }
    for j in 0..c {
        start[j + 1] += start[j];
    }
    let xs: Vec<f32> = order.iter().flat_map(|&i| &x[i as usize * d..(i as usize + 1) * d]).copied().collect();
    let ns = norms(&xs, d);
    let pts = Points { x: &xs, norms: &ns, d };
    // Each cell's probe list: cells by centroid distance from its own (itself
    // first), until they hold `budget` rows — at least k + 1, so every row finds k.
    let mut cd = vec![0f32; c * c];
    gemm_with(
        isa,
        false,
        -2.0,
        MatRef::new(&cent, c, d),
        MatRef::new(&cent, c, d).t(),
        0.0,
        MatMut::new(&mut cd, c, c),
    );
    let want = p.budget.max(k + 1);
    let probes: Vec<Vec<usize>> = (0..c)
        .into_par_iter()
        .map(|a| {
            let mut by: Vec<usize> = (0..c).filter(|&b| b != a).collect();
            by.sort_by(|&u, &v| (cn[u] + cd[a * c + u]).total_cmp(&(cn[v] + cd[a * c + v])).then(u.cmp(&v)));
            let mut list = vec![a];
            let mut held = start[a + 1] - start[a];
            for b in by {
                if held >= want {
                    break;
                }
                held += start[b + 1] - start[b];
                list.push(b);
            }
            list
        })
        .collect();
    // Tasks: blocks of at most QB rows of one cell, in cell order.
    let tasks: Vec<(usize, usize, usize)> = (0..c)
        .flat_map(|a| {
            let end = start[a + 1];
            (start[a]..end).step_by(QB).map(move |s| (a, s, (s + QB).min(end)))
        })
        .collect();
    let found: Vec<Vec<u32>> = tasks
        .par_iter()
        .map_init(
            || vec![0f32; QB * CB],
            |buf, &(a, s, e)| {
                let mut top = TopK::new(e - s, k);
                let qid = &order[s..e];
                for &b in &probes[a] {
                    scan(isa, &xs[s * d..e * d], qid, &pts, Some(&order), start[b]..start[b + 1], &mut top, buf);
                }
                (0..e - s).flat_map(|r| top.row(r).to_vec()).collect()
            },
        )
        .collect();
    let mut out = vec![0u32; n * k];
    for (&(_, s, e), ids) in tasks.iter().zip(&found) {
        for (r, nb) in (s..e).zip(ids.chunks_exact(k)) {
            let i = order[r] as usize;
            out[i * k..(i + 1) * k].copy_from_slice(nb);
        }
    }
    out
}
