//! `sigah bench gemm`: GFLOP/s of sigah's GEMM on this machine.

use clap::Args;
use sigah_kernels::gemm::{gemm, MatMut, MatRef};

use super::common::{median_seconds, Timing};

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

pub fn run(args: GemmArgs) -> anyhow::Result<()> {
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
        outln!("{report}");
    } else {
        outln!(
            "gemm {m}x{k}x{n}: {gflops:.1} GFLOP/s (median of {} runs, {:.3} ms), isa {isa}, {threads} thread(s)",
            runs,
            median * 1e3
        );
    }
    Ok(())
}
