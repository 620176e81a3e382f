//! What every benchmark command shares: how long to measure, the sizes of the
//! codes searched, the median timer and seeded random codes.

use std::time::Instant;

use clap::Args;
use sigah_core::Codes;
use sigah_kernels::rng::SplitMix64;

use crate::Common;

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

/// `n` random codes (`sigah_kernels::rng`, fixed seed: every run searches the
/// same codes).
pub fn random_codes(n: usize, bits: usize, seed: u64) -> anyhow::Result<Codes> {
    let mut rng = SplitMix64::new(seed);
    let bytes: Vec<u8> = (0..n * bits / 8).map(|_| rng.next_u64() as u8).collect();
    Ok(Codes::from_bytes(bits, &bytes)?)
}
