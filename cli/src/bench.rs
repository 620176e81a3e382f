//! `sigah bench`: quick on-machine measurements of the kernels, for users who want
//! to know what their CPU does (the criterion suite in `benches/` is the real
//! benchmark with peers side by side).

use std::time::Instant;

use clap::{Args, Subcommand};
use sigah_kernels::gemm::{gemm, MatMut, MatRef};

use crate::Common;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// GFLOP/s of sigah's GEMM on an M×K by K×N product, and the ISA it chose.
    Gemm(GemmArgs),
    /// k-NN queries/s and comparisons/s of the Hamming index, per instruction set.
    Search(crate::bench_search::SearchBenchArgs),
    /// Multi-index hashing against the scan on uniform or real-vector codes.
    Mih(crate::bench_mih::MihBenchArgs),
}

#[derive(Args, Debug)]
pub struct GemmArgs {
    /// Rows of A and C.
    #[arg(long, default_value_t = 256)]
    m: usize,
    /// Columns of A, rows of B.
    #[arg(long, default_value_t = 784)]
    k: usize,
    /// Columns of B and C.
    #[arg(long, default_value_t = 512)]
    n: usize,
    #[command(flatten)]
    timing: Timing,
}

/// How long to measure and how to report: the arguments every timed benchmark
/// shares.
#[derive(Args, Debug)]
pub struct Timing {
    /// Minimum seconds to measure each case for (the median run is reported).
    #[arg(long, default_value_t = 1.0)]
    pub seconds: f64,
    /// Print one JSON object instead of lines of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: Common,
}

/// The codes a search benchmark runs on (`bench search`, `bench mih`).
#[derive(Args, Debug)]
pub struct Sizes {
    /// Database size: random codes, or real codes replicated up to it (`bench
    /// mih`); ignored with `bench search --base`.
    #[arg(long, default_value_t = 1_000_000)]
    pub n: usize,
    /// Bits per code (ignored with `bench search --base`).
    #[arg(long, default_value_t = 64)]
    pub bits: usize,
    /// Number of queries (ignored with `bench search --query-file`).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
}

/// The median seconds of `f`, run at least 3 times and until `seconds` have
/// passed (at most `max_runs` times), and the number of runs.
pub fn median_seconds(
    seconds: f64,
    max_runs: usize,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<(f64, usize)> {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 3 || (start.elapsed().as_secs_f64() < seconds && times.len() < max_runs) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times.len()))
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Gemm(args) => gemm_bench(args),
        BenchCommand::Search(args) => crate::bench_search::run(args),
        BenchCommand::Mih(args) => crate::bench_mih::run(args),
    }
}

fn gemm_bench(args: GemmArgs) -> anyhow::Result<()> {
    args.timing.common.apply()?;
    let (m, k, n) = (args.m, args.k, args.n);
    anyhow::ensure!(m > 0 && k > 0 && n > 0, "--m, --k and --n must be at least 1");
    anyhow::ensure!(m.saturating_mul(k).saturating_mul(n) <= 1 << 40, "--m x --k x --n is too large to benchmark");
    // Deterministic, well-scaled inputs; the values do not affect the speed.
    let a: Vec<f32> = (0..m * k).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
    let b: Vec<f32> = (0..k * n).map(|i| ((i * 104729) % 1000) as f32 / 1000.0 - 0.5).collect();
    let mut c = vec![0.0f32; m * n];
    let mut run_once = || gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, MatMut::new(&mut c, m, n));
    run_once(); // warm-up: page faults, thread pool start
    let (median, runs) = median_seconds(args.timing.seconds, 10_000, || {
        run_once();
        Ok(())
    })?;
    let gflops = 2.0 * (m * k * n) as f64 / median / 1e9;
    let isa = sigah_kernels::isa::selected();
    let threads = rayon::current_num_threads();
    if args.timing.json {
        let report = serde_json::json!({
            "op": "gemm", "m": m, "k": k, "n": n, "isa": isa.name(), "threads": threads,
            "repetitions": runs, "median_s": median, "gflops": gflops,
        });
        println!("{report}");
    } else {
        println!(
            "gemm {m}x{k}x{n}: {gflops:.1} GFLOP/s (median of {} runs, {:.3} ms), isa {isa}, {threads} thread(s)",
            runs,
            median * 1e3
        );
    }
    Ok(())
}
