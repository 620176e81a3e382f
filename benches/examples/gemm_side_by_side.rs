//! Interleaved GEMM timing for a noisy, shared machine: each repetition runs every
//! contender once, round robin, so load from other processes hits all of them alike;
//! prints the median GFLOP/s of each and its ratio to `matrixmultiply`.
//!
//!     cargo run --release -p sigah-benches --example gemm_side_by_side -- [reps] [MxKxN ...]

use std::time::Instant;

use sigah_benches::pseudo_random_f32;
use sigah_kernels::gemm::{gemm_with, MatMut, MatRef};
use sigah_kernels::isa::{self, Isa};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(15);
    let mut shapes: Vec<(usize, usize, usize)> = args
        .iter()
        .skip(1)
        .filter_map(|s| {
            let v: Vec<usize> = s.split('x').filter_map(|t| t.parse().ok()).collect();
            (v.len() == 3).then(|| (v[0], v[1], v[2]))
        })
        .collect();
    if shapes.is_empty() {
        shapes = vec![(256, 784, 512), (256, 512, 784), (256, 960, 1024), (1024, 1024, 1024), (4096, 128, 64)];
    }
    let levels: Vec<Isa> = isa::available().into_iter().filter(|&l| l >= Isa::Avx2).collect();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    for (m, k, n) in shapes {
        let a = pseudo_random_f32(m * k, 1);
        let b = pseudo_random_f32(k * n, 2);
        let mut c = vec![0.0f32; m * n];
        let mut names: Vec<String> = levels.iter().map(|l| l.name().to_string()).collect();
        names.push("matrixmultiply".into());
        names.push(format!("{}-2threads", isa::selected()));
        let mut times = vec![Vec::new(); names.len()];
        for rep in 0..reps + 1 {
            for (idx, name) in names.iter().enumerate() {
                let t = Instant::now();
                if idx < levels.len() {
                    let (av, bv) = (MatRef::new(&a, m, k), MatRef::new(&b, k, n));
                    gemm_with(levels[idx], false, 1.0, av, bv, 0.0, MatMut::new(&mut c, m, n));
                } else if name == "matrixmultiply" {
                    // SAFETY: contiguous row-major m×k, k×n and m×n buffers.
                    unsafe {
                        matrixmultiply::sgemm(
                            m,
                            k,
                            n,
                            1.0,
                            a.as_ptr(),
                            k as isize,
                            1,
                            b.as_ptr(),
                            n as isize,
                            1,
                            0.0,
                            c.as_mut_ptr(),
                            n as isize,
                            1,
                        )
                    };
                } else {
                    two.install(|| {
                        let (av, bv) = (MatRef::new(&a, m, k), MatRef::new(&b, k, n));
                        gemm_with(isa::selected(), true, 1.0, av, bv, 0.0, MatMut::new(&mut c, m, n))
                    });
                }
                if rep > 0 {
                    times[idx].push(t.elapsed().as_secs_f64());
                }
            }
        }
        let flop = 2.0 * (m * k * n) as f64;
        for t in &mut times {
            t.sort_by(f64::total_cmp);
        }
        // Median (what is reported) and best (least disturbed by other processes).
        let median: Vec<f64> = times.iter().map(|t| flop / t[t.len() / 2] / 1e9).collect();
        let best: Vec<f64> = times.iter().map(|t| flop / t[0] / 1e9).collect();
        let mm = levels.len();
        for (i, name) in names.iter().enumerate() {
            println!(
                "{m}x{k}x{n} {name:>16} median {:7.1} GFLOP/s (x{:.2} of matrixmultiply)  best {:7.1} (x{:.2})",
                median[i],
                median[i] / median[mm],
                best[i],
                best[i] / best[mm]
            );
        }
    }
}
