//! The autodiff MLP step (`sigah_benches::mlp`) timed for the side-by-side script
//! `benches/reference/autodiff_vs_torch.sh`: prints one JSON line with the median
//! step time, in the same form as `reference/autodiff_step.py`.
//!
//!     cargo run --release -p sigah-benches --example autodiff_step -- [threads=1] [runs=100]

use std::time::Instant;

use sigah_benches::mlp::{Mlp, B, D, FLOPS, H, K};
use sigah_core::autodiff::Tape;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("usage: autodiff_step [threads] [runs]"));
    let threads = args.next().unwrap_or(1);
    let runs = args.next().unwrap_or(100).max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a rayon pool");
    let mlp = Mlp::new();
    let mut tape = Tape::new();
    let mut sink = 0.0f32;
    let mut times: Vec<f64> = pool.install(|| {
        for _ in 0..10 {
            sink += mlp.step(&mut tape);
        }
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                sink += mlp.step(&mut tape);
                start.elapsed().as_secs_f64()
            })
            .collect()
    });
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{{\"impl\":\"sigah\",\"isa\":\"{}\",\"threads\":{threads},\"shape\":\"{B}x{D}x{H}x{K}\",\"median_ms\":{:.4},\"gflops\":{:.2},\"check\":{sink}}}",
        sigah_kernels::isa::selected().name(),
        median * 1e3,
        FLOPS as f64 / median / 1e9
    );
}
