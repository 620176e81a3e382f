//! Training throughput at 1 and at N threads, side by side in one process: the
//! default config's trainer is built once (sample, preprocessing, ITQ start, kNN
//! graph), then rounds of `--steps` training steps alternate between a 1-thread
//! and an N-thread rayon pool, so both see the same machine state. Prints each
//! round, the medians of training rows (anchors) per second and their ratio, and
//! the median of the rounds' own ratios.
//!
//!     cargo run --release -p sigah-benches --example train_scaling -- FILE.fvecs [--threads 2] [--rounds 5] [--steps 20]

use std::time::Instant;

use sigah_core::io::load_training_vectors;
use sigah_core::model::SigahConfig;
use sigah_core::train::{training_sample, Trainer};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| v.parse().expect(name))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().expect("usage: train_scaling FILE [--threads N] [--rounds R] [--steps S]");
    let (threads, rounds, steps) = (arg(&args, "--threads", 2), arg(&args, "--rounds", 5), arg(&args, "--steps", 20));
    let data = load_training_vectors(path.as_ref()).expect("readable vectors");
    let cfg = SigahConfig::default();
    let data = training_sample(&data, &cfg).unwrap_or(data);
    let pools: Vec<_> =
        [1, threads].iter().map(|&t| rayon::ThreadPoolBuilder::new().num_threads(t).build().expect("pool")).collect();
    let clock = Instant::now();
    let mut trainer = pools[1].install(|| Trainer::new(&data, &cfg)).expect("a valid config");
    println!("{} x {}: trainer built in {:.1} s", data.rows, data.cols, clock.elapsed().as_secs_f64());
    let b = cfg.optimiser.batch_size;
    let mut next = 0;
    let mut rates = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for (k, pool) in pools.iter().enumerate() {
            let clock = Instant::now();
            pool.install(|| {
                for _ in 0..steps {
                    let start = (next * b) % (data.rows - b + 1);
                    let idx: Vec<usize> = (start..start + b).collect();
                    trainer.step(&data, &idx).expect("finite losses");
                    next += 1;
                }
            });
            let rate = (steps * b) as f64 / clock.elapsed().as_secs_f64();
            println!("round {round}: {} thread(s): {rate:.0} rows/s", pool.current_num_threads());
            rates[k].push(rate);
        }
    }
    let (one, many) = (median(rates[0].clone()), median(rates[1].clone()));
    // Each round's two measurements ran back to back, so their ratio cancels
    // the slower drifts of a shared machine; its median is the figure to quote.
    let paired = median(rates[1].iter().zip(&rates[0]).map(|(m, o)| m / o).collect());
    println!(
        "median rows/s: 1 thread {one:.0}, {threads} threads {many:.0}, ratio {:.2}; median paired ratio {paired:.2}",
        many / one
    );
}
