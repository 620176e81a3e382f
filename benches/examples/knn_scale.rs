//! Times the training set's kNN graph (`sigah_core::knn`) on generated
//! clustered Gaussian data, and measures the approximate graph's recall against
//! exact neighbours on a sample of rows. Nothing is written to disk.
//!
//! ```text
//! cargo run --release -p sigah-benches --example knn_scale -- \
//!     --n 100000 --d 256 --threads 2 --mode exact [--k 100] [--recall 500] [--reps 1] [--decay 0.5] [--centre 0.5] \
//!     [--cell 1024 --budget 16384]
//! ```
//!
//! Modes: `exact` (the blocked exact graph), `approx` (the k-means-cell search),
//! `auto` (`knn_graph`, which picks between them), `old` (the pre-issue-12 code:
//! a full `select_nth` per row, over a pool of evenly spaced rows past its FLOP
//! budget) and `old-exact` (that code with the pool forced to every row). Prints
//! one line per repetition: mode, n, d, threads, k, seconds, and recall@50 when
//! `--recall` rows are sampled.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use sigah_core::knn::{knn_graph, knn_graph_approx, knn_graph_exact, recall_at, sample_rows, Ivf, IVF};
use sigah_core::model::Preprocess;
use sigah_core::Tensor;
use sigah_kernels::gemm::{gemm, MatMut};

/// `n × d` rows from 100 Gaussian clusters of unequal sizes (weights ∝ 1/√(c+1)).
/// Each cluster is anisotropic: its dimension `t` (in its own random order) has
/// standard deviation `(1+t)^-decay` (`--decay`, 0.5 by default), so most of its
/// variance lies in a few directions, as in real embeddings; centres are
/// N(0, centre²·I) (`--centre`, 0.5 by default), so clusters overlap. Clusters are far larger than the approximate search's cells, which is
/// the hard case for it. Rows are in random order.
fn clustered(n: usize, d: usize, decay: f32, centre: f32, seed: u64) -> Tensor {
    const C: usize = 100;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = |rng: &mut ChaCha8Rng| -> f32 { StandardNormal.sample(rng) };
    let centres: Vec<f32> = (0..C * d).map(|_| centre * normal(&mut rng)).collect();
    let scales: Vec<Vec<(usize, f32)>> = (0..C)
        .map(|_| {
            let mut dims: Vec<usize> = (0..d).collect();
            for i in (1..d).rev() {
                dims.swap(i, rng.random_range(0..=i));
            }
            dims.into_iter().enumerate().map(|(t, dim)| (dim, (1.0 + t as f32).powf(-decay))).collect()
        })
        .collect();
    let w: Vec<f64> = (0..C).map(|c| 1.0 / ((c + 1) as f64).sqrt()).collect();
    let total: f64 = w.iter().sum();
    let mut cum = Vec::with_capacity(C);
    let mut acc = 0.0;
    for v in &w {
        acc += v / total;
        cum.push(acc);
    }
    let mut x = vec![0f32; n * d];
    for row in x.chunks_exact_mut(d) {
        let u: f64 = rng.random();
        let c = cum.iter().position(|&p| u <= p).unwrap_or(C - 1);
        row.copy_from_slice(&centres[c * d..(c + 1) * d]);
        for &(dim, s) in &scales[c] {
            row[dim] += s * normal(&mut rng);
        }
    }
    Tensor::new(n, d, x)
}

/// The pre-issue-12 `knn.rs`, kept verbatim in substance for the comparison: all
/// rows' neighbours among `pool`, a full `select_nth_unstable_by` per row.
fn old_knn(data: &Tensor, pre: &Preprocess, k: usize, pool: &[usize]) -> Vec<u32> {
    const BLOCK: usize = 256;
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
    out
}

/// The old code's pool: every row while `n²·d ≤ 2e11`, else `max(4096, 2e11/(n·d))`
/// evenly spaced rows.
fn old_pool(n: usize, d: usize) -> Vec<usize> {
    let fit = (2e11 / (n as f64 * d as f64)) as usize;
    let p = n.min(fit.max(4096));
    (0..p).map(|j| j * n / p).collect()
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.into())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |name: &str, default: &str| -> usize { arg(&args, name, default).parse().expect("a number") };
    let (n, d, threads, k) = (num("--n", "100000"), num("--d", "128"), num("--threads", "1"), num("--k", "100"));
    let (recall, reps) = (num("--recall", "0"), num("--reps", "1"));
    let mode = arg(&args, "--mode", "exact");
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().expect("the global pool");
    let decay: f32 = arg(&args, "--decay", "0.5").parse().expect("a number");
    let centre: f32 = arg(&args, "--centre", "0.5").parse().expect("a number");
    let data = clustered(n, d, decay, centre, 7);
    // The approximate search's parameters, default `IVF`.
    let ivf =
        Ivf { cell: num("--cell", &IVF.cell.to_string()), budget: num("--budget", &IVF.budget.to_string()), ..IVF };
    let pre = Preprocess::fit(&data, 0).expect("finite data");
    for _ in 0..reps {
        let t = Instant::now();
        let (g, gk) = match mode.as_str() {
            "exact" => knn_graph_exact(&data, &pre, k),
            "approx" => knn_graph_approx(&data, &pre, k, &ivf),
            "auto" => knn_graph(&data, &pre, k),
            "old" => (old_knn(&data, &pre, k, &old_pool(n, d)), k),
            "old-exact" => (old_knn(&data, &pre, k, &(0..n).collect::<Vec<_>>()), k),
            m => panic!("unknown mode {m}"),
        };
        let secs = t.elapsed().as_secs_f64();
        let r = if recall > 0 {
            format!("{:.4}", recall_at(&data, &pre, &g, gk, 50, &sample_rows(n, recall)))
        } else {
            "-".into()
        };
        println!("mode={mode} n={n} d={d} decay={decay} centre={centre} {ivf:?} threads={threads} k={gk} seconds={secs:.2} recall@50={r}");
    }
}
