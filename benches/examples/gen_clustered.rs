//! Clustered synthetic vectors for the training-scaling runs (docs/PERFORMANCE.md,
//! "Training: throughput"): a Gaussian
//! mixture whose kNN structure is not trivial, written as `.fvecs` row by row (the
//! whole set is never held in memory, so 1M × 960 = 3.8 GB streams in a few MB).
//!
//!     cargo run --release -p sigah-benches --example gen_clustered -- \
//!         --n 1000000 --d 128 --out /work/data/clustered/1m_128.fvecs \
//!         [--seed 0] [--clusters 1000] [--queries 2000 --query-out Q.fvecs]
//!
//! The mixture, all drawn from `--seed` (ChaCha8, stream 0):
//! - `clusters / 25` super-centres ~ N(0, I); each cluster centre is a super-centre
//!   plus N(0, 0.6² I), so clusters come in overlapping families;
//! - cluster weights log-normal (σ = 0.8): sizes differ by about 10× between the
//!   smallest and the largest;
//! - anisotropic spread: a point is `centre + A_k z + s_k ⊙ e` with `A_k` a random
//!   d × 8 factor (a few long directions, length 0.9 on average) and `s_k` a per-cluster,
//!   per-dimension scale 0.3·exp(0.5·N(0,1)), z, e ~ N(0, I).
//!
//! Base rows use ChaCha8 stream 1, query rows stream 2, so the queries are held out
//! from the same mixture and the output is a pure function of the arguments (and
//! does not depend on whether queries are asked for).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Rank of each cluster's low-rank factor (its "long" directions).
const RANK: usize = 8;

struct Args {
    n: usize,
    d: usize,
    out: PathBuf,
    seed: u64,
    clusters: usize,
    queries: usize,
    query_out: Option<PathBuf>,
}

fn usage() -> ! {
    eprintln!(
        "usage: gen_clustered --n N --d D --out FILE.fvecs [--seed S] [--clusters C] \
         [--queries Q --query-out FILE.fvecs]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args { n: 0, d: 0, out: PathBuf::new(), seed: 0, clusters: 1000, queries: 0, query_out: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let val = it.next().unwrap_or_else(|| usage());
        let num = || val.parse::<usize>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--n" => a.n = num(),
            "--d" => a.d = num(),
            "--out" => a.out = PathBuf::from(&val),
            "--seed" => a.seed = val.parse().unwrap_or_else(|_| usage()),
            "--clusters" => a.clusters = num(),
            "--queries" => a.queries = num(),
            "--query-out" => a.query_out = Some(PathBuf::from(&val)),
            _ => usage(),
        }
    }
    if a.n == 0 || a.d == 0 || a.clusters == 0 || a.out.as_os_str().is_empty() {
        usage();
    }
    if (a.queries > 0) != a.query_out.is_some() {
        eprintln!("--queries and --query-out go together");
        usage();
    }
    a
}

/// The mixture's parameters.
struct Mixture {
    d: usize,
    weights: WeightedIndex<f64>,
    /// clusters × d
    centres: Vec<f32>,
    /// clusters × d (per-dimension spread)
    scales: Vec<f32>,
    /// clusters × RANK × d (rows are the long directions)
    factors: Vec<f32>,
}

impl Mixture {
    fn new(d: usize, clusters: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(0);
        let mut normal = move || -> f32 { StandardNormal.sample(&mut rng) };
        let families = (clusters / 25).max(1);
        let supers: Vec<f32> = (0..families * d).map(|_| normal()).collect();
        let mut centres = Vec::with_capacity(clusters * d);
        let mut scales = Vec::with_capacity(clusters * d);
        let mut factors = Vec::with_capacity(clusters * RANK * d);
        let mut raw_weights = Vec::with_capacity(clusters);
        for k in 0..clusters {
            let f = k % families;
            for j in 0..d {
                centres.push(supers[f * d + j] + 0.6 * normal());
            }
            let sk = 0.3 * (0.3 * normal()).exp();
            for _ in 0..d {
                scales.push(sk * (0.5 * normal()).exp());
            }
            // Each long direction is N(0, I/d) scaled so its length is ~0.9·exp(0.4·N).
            for _ in 0..RANK {
                let len = 0.9 * (0.4 * normal()).exp() / (d as f32).sqrt();
                for _ in 0..d {
                    factors.push(len * normal());
                }
            }
            raw_weights.push(f64::from((0.8 * normal()).exp()));
        }
        let weights = WeightedIndex::new(&raw_weights).expect("positive weights");
        Self { d, weights, centres, scales, factors }
    }

    /// Writes `n` rows drawn with ChaCha8 `stream` of `seed` to `path` as .fvecs.
    fn write(&self, path: &PathBuf, n: usize, seed: u64, stream: u64) -> std::io::Result<()> {
        let d = self.d;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        let mut out = BufWriter::with_capacity(8 << 20, File::create(path)?);
        let mut row = vec![0f32; d];
        let mut z = [0f32; RANK];
        let dim = i32::try_from(d).expect("d fits in i32").to_le_bytes();
        let start = Instant::now();
        let step = (n / 20).max(1);
        for i in 0..n {
            let k = self.weights.sample(&mut rng);
            let c = &self.centres[k * d..(k + 1) * d];
            let s = &self.scales[k * d..(k + 1) * d];
            for (r, (&cj, &sj)) in row.iter_mut().zip(c.iter().zip(s)) {
                let e: f32 = StandardNormal.sample(&mut rng);
                *r = cj + sj * e;
            }
            for zi in z.iter_mut() {
                *zi = StandardNormal.sample(&mut rng);
            }
            let fk = &self.factors[k * RANK * d..(k + 1) * RANK * d];
            for (zr, dir) in z.iter().zip(fk.chunks_exact(d)) {
                for (r, &a) in row.iter_mut().zip(dir) {
                    *r += zr * a;
                }
            }
            out.write_all(&dim)?;
            for v in &row {
                out.write_all(&v.to_le_bytes())?;
            }
            if (i + 1) % step == 0 {
                eprintln!("  {}: {}/{} rows, {:.1} s", path.display(), i + 1, n, start.elapsed().as_secs_f64());
            }
        }
        out.flush()
    }
}

fn main() -> std::io::Result<()> {
    let a = parse_args();
    let mix = Mixture::new(a.d, a.clusters, a.seed);
    mix.write(&a.out, a.n, a.seed, 1)?;
    if let Some(q) = &a.query_out {
        mix.write(q, a.queries, a.seed, 2)?;
    }
    eprintln!("wrote {} × {} to {}", a.n, a.d, a.out.display());
    Ok(())
}
