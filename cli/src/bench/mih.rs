//! `sigah bench mih`: multi-index hashing against the linear scan on the same
//! codes, side by side in one process (alternating runs, medians), with the
//! results checked identical. Codes are uniform random, or the codes of real
//! vectors (`--vectors`, hashed by LSH or ITQ; or `--codes`, already encoded, say
//! by a SiGAH model) replicated to `--n` with a few random bit flips per copy.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sigah_core::hash::{train_itq, train_lsh, HashFunction};
use sigah_core::index::{Engine, HammingIndex, SearchOptions};
use sigah_core::io::vectors::load_vectors;
use sigah_core::Codes;
use sigah_kernels::rng::splitmix64;

use super::common::{random_codes, Sizes};
use crate::Common;

/// How real vectors become codes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Hash {
    /// Signs of random Gaussian projections (any width).
    Lsh,
    /// Iterative quantisation (at most one bit per input dimension).
    Itq,
}

/// Raw `sigah bench mih` arguments.
#[derive(Args, Debug)]
pub struct MihBenchArgs {
    #[command(flatten)]
    sizes: Sizes,
    /// Neighbours per query, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100")]
    k: Vec<usize>,
    #[arg(long, value_name = "FILE", requires = "query_vectors", help = crate::train::with_formats("Real base vectors to hash instead of uniform codes"))]
    vectors: Option<PathBuf>,
    #[arg(long, value_name = "FILE", requires = "vectors", help = crate::train::with_formats("Real query vectors, hashed the same way"))]
    query_vectors: Option<PathBuf>,
    /// Real base codes (uint8 .npy, e.g. from `sigah encode`), replicated to --n.
    #[arg(long, value_name = "CODES.npy", requires = "query_codes", conflicts_with = "vectors")]
    codes: Option<PathBuf>,
    /// Real query codes, with --codes.
    #[arg(long, value_name = "CODES.npy", requires = "codes")]
    query_codes: Option<PathBuf>,
    /// The hash for --vectors.
    #[arg(long, value_enum, default_value = "lsh")]
    hash: Hash,
    /// Random bit flips in each replicated copy of a real code (copy 0 is exact).
    #[arg(long, default_value_t = 3)]
    flips: usize,
    /// Substrings per code (default: the index's automatic choice).
    #[arg(long)]
    m: Option<usize>,
    /// Minimum seconds to measure each engine for (medians are reported).
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Write the base and query codes as BASE.npy / QUERIES.npy with this prefix
    /// (for a side-by-side FAISS run on the same codes).
    #[arg(long, value_name = "PREFIX")]
    save_codes: Option<PathBuf>,
    /// Write the automatic engine's distances of each k as PREFIX.k<K>.dist.npy
    /// (int32 [queries, k]), to check them against FAISS's.
    #[arg(long, value_name = "PREFIX")]
    save_dist: Option<PathBuf>,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: Common,
}

/// Copies of `codes` up to `n`: copy 0 exact, copy c with `flips` random bits flipped.
fn replicate(codes: &Codes, n: usize, flips: usize) -> anyhow::Result<Codes> {
    let (bits, row, n0) = (codes.bits(), codes.bytes_per_code(), codes.len());
    anyhow::ensure!(n0 > 0, "no codes to replicate");
    let mut bytes = Vec::with_capacity(n * row);
    for i in 0..n {
        let mut code = codes.code_bytes(i % n0).to_vec();
        if i >= n0 {
            for f in 0..flips {
                let j = (splitmix64((i * 31 + f) as u64) % bits as u64) as usize;
                code[j / 8] ^= 1 << (j % 8);
            }
        }
        bytes.extend(code);
    }
    Ok(Codes::from_bytes(bits, &bytes)?)
}

fn real_codes(args: &MihBenchArgs, base: &Path, queries: &Path) -> anyhow::Result<(Codes, Codes)> {
    let x = load_vectors(base)?;
    let q = load_vectors(queries)?;
    let t = Instant::now();
    let hash: Box<dyn HashFunction> = match args.hash {
        Hash::Lsh => Box::new(train_lsh(&x, args.sizes.bits, 1)?),
        Hash::Itq => Box::new(train_itq(&x, args.sizes.bits, 1, 50)?.0),
    };
    let codes = hash.encode(&x)?;
    let qcodes = hash.encode(&q)?;
    if !args.json {
        eprintln!("sigah: hashed {} base and {} query vectors in {:.1} s", x.rows, q.rows, t.elapsed().as_secs_f64());
    }
    let base = replicate(&codes, args.sizes.n, args.flips)?;
    let nq = args.sizes.queries.min(qcodes.len());
    Ok((base, Codes::from_bytes(args.sizes.bits, &qcodes.as_bytes()[..nq * qcodes.bytes_per_code()])?))
}

/// Median seconds of `f`, run at least 3 times and for at least `seconds`;
/// `a` and `b` alternate so both see the same machine load.
fn alternate(seconds: f64, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64, usize) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while ta.len() < 3 || (start.elapsed().as_secs_f64() < 2.0 * seconds && ta.len() < 200) {
        let t = Instant::now();
        a();
        ta.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        b();
        tb.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut ta), median(&mut tb), ta.len())
}

pub fn run(args: MihBenchArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    anyhow::ensure!(args.k.iter().all(|&k| k > 0), "--k must be at least 1");
    sigah_core::codes::check_bits(args.sizes.bits)?;
    let (base, queries, kind) = match (&args.vectors, &args.query_vectors, &args.codes, &args.query_codes) {
        (Some(b), Some(q), _, _) => {
            let (b, q) = real_codes(&args, b, q).with_context(|| format!("{}: cannot hash", b.display()))?;
            (b, q, "real")
        }
        (_, _, Some(b), Some(q)) => {
            let (b, q) = (Codes::read_npy(b)?, Codes::read_npy(q)?);
            anyhow::ensure!(b.bits() == q.bits(), "--codes has {} bits, --query-codes {}", b.bits(), q.bits());
            let nq = args.sizes.queries.min(q.len());
            let q = Codes::from_bytes(q.bits(), &q.as_bytes()[..nq * q.bytes_per_code()])?;
            (replicate(&b, args.sizes.n, args.flips)?, q, "real")
        }
        _ => (
            random_codes(args.sizes.n, args.sizes.bits, 1)?,
            random_codes(args.sizes.queries, args.sizes.bits, 2)?,
            "uniform",
        ),
    };
    if let Some(prefix) = &args.save_codes {
        base.write_npy(&prefix.with_extension("base.npy"))?;
        queries.write_npy(&prefix.with_extension("queries.npy"))?;
    }
    let (n, nq, bits) = (base.len(), queries.len(), base.bits());
    let mut index = HammingIndex::from_codes(base);
    let t = Instant::now();
    index.build_multi_index(args.m)?;
    let build = t.elapsed().as_secs_f64();
    let mi = index.multi_index().expect("built");
    let (m, table_bytes) = (mi.m(), mi.memory_bytes());
    let threads = rayon::current_num_threads();
    let scan = SearchOptions { engine: Engine::Scan, ..SearchOptions::default() };
    let auto = SearchOptions::default();
    for &k in &args.k {
        let want = index.search_knn(&queries, k, &scan)?;
        let got = index.search_knn(&queries, k, &auto)?;
        anyhow::ensure!(got == want, "multi-index results differ from the scan at k = {k}");
        if let Some(prefix) = &args.save_dist {
            let dist: Vec<i32> = got.0.iter().map(|&d| if d == u32::MAX { -1 } else { d as i32 }).collect();
            let path = PathBuf::from(format!("{}.k{k}.dist.npy", prefix.display()));
            sigah_core::io::npy::write(&path, &[nq, k], &dist)?;
        }
        let covered = index.multi_index_coverage(&queries, k)?;
        let (ts, ta, reps) = alternate(
            args.seconds,
            || drop(std::hint::black_box(index.search_knn(&queries, k, &scan))),
            || drop(std::hint::black_box(index.search_knn(&queries, k, &auto))),
        );
        let report = serde_json::json!({
            "op": "mih", "codes": kind, "n": n, "bits": bits, "queries": nq, "k": k, "threads": threads,
            "m": m, "build_s": build, "table_bytes_per_code": table_bytes as f64 / n as f64,
            "code_bytes_per_code": bits / 8, "scan_qps": nq as f64 / ts, "auto_qps": nq as f64 / ta,
            "speedup": ts / ta, "mih_answered": covered, "repetitions": reps, "identical": true,
        });
        if args.json {
            outln!("{report}");
        } else {
            outln!(
                "mih {kind} n={n} bits={bits} queries={nq} k={k} threads={threads}: scan {:.0} q/s, auto {:.0} q/s ({:.2}x), m={m}, {covered}/{nq} by the tables, tables {:.1} B/code + codes {} B/code, build {build:.2} s, identical",
                nq as f64 / ts,
                nq as f64 / ta,
                ts / ta,
                table_bytes as f64 / n as f64,
                bits / 8
            );
        }
    }
    Ok(())
}
