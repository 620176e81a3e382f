//! Interleaved GEMM timing for a noisy, shared machine: each repetition runs every
//! contender once, round robin, so load from other processes hits all of them alike;
//! prints the median GFLOP/s of each and its ratio to `matrixmultiply`.
//!
//!     cargo run --release -p sigah-benches --example gemm_side_by_side -- [reps] [MxKxN[:ta|:tb] ...]
//!
//! A row `fma-peak` times a register-only loop of independent FMAs on the best
//! vector width (no memory traffic): the core's attainable FMA peak under the same
//! load, to express GEMM speed as a fraction of it.
//!
//! `:ta` passes A as the transpose view of a stored K×M matrix (Aᵀ·B in backprop),
//! `:tb` passes B as the transpose of a stored N×K matrix (A·Bᵀ).

use std::time::Instant;

use sigah_benches::pseudo_random_f32;
use sigah_kernels::gemm::{gemm_with, MatMut, MatRef};
use sigah_kernels::isa::{self, Isa};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(15);
    let mut shapes: Vec<(usize, usize, usize, &str)> = args
        .iter()
        .skip(1)
        .filter_map(|s| {
            let (dims, trans) = s.split_once(':').unwrap_or((s, ""));
            let v: Vec<usize> = dims.split('x').filter_map(|t| t.parse().ok()).collect();
            (v.len() == 3).then(|| (v[0], v[1], v[2], trans))
        })
        .collect();
    if shapes.is_empty() {
        shapes = [(256, 784, 512), (256, 512, 784), (256, 960, 1024), (1024, 1024, 1024), (4096, 128, 64)]
            .map(|(m, k, n)| (m, k, n, ""))
            .to_vec();
    }
    let levels: Vec<Isa> = isa::available().into_iter().filter(|&l| l >= Isa::Avx2).collect();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    for (m, k, n, trans) in shapes {
        // (row stride, column stride) of each operand's view.
        let (rsa, csa) = if trans == "ta" { (1, m) } else { (k, 1) };
        let (rsb, csb) = if trans == "tb" { (1, k) } else { (n, 1) };
        let a = pseudo_random_f32(m * k, 1);
        let b = pseudo_random_f32(k * n, 2);
        let mut c = vec![0.0f32; m * n];
        let mut names: Vec<String> = levels.iter().map(|l| l.name().to_string()).collect();
        names.push("matrixmultiply".into());
        names.push(format!("{}-2threads", isa::selected()));
        names.push("fma-peak".into());
        let mut times = vec![Vec::new(); names.len()];
        for rep in 0..reps + 1 {
            for (idx, name) in names.iter().enumerate() {
                let t = Instant::now();
                if idx < levels.len() {
                    let (av, bv) = (MatRef::strided(&a, m, k, rsa, csa), MatRef::strided(&b, k, n, rsb, csb));
                    gemm_with(levels[idx], false, 1.0, av, bv, 0.0, MatMut::new(&mut c, m, n));
                } else if name == "matrixmultiply" {
                    // SAFETY: the strides describe m×k, k×n and m×n matrices inside a, b, c.
                    unsafe {
                        matrixmultiply::sgemm(
                            m,
                            k,
                            n,
                            1.0,
                            a.as_ptr(),
                            rsa as isize,
                            csa as isize,
                            b.as_ptr(),
                            rsb as isize,
                            csb as isize,
                            0.0,
                            c.as_mut_ptr(),
                            n as isize,
                            1,
                        )
                    };
                } else if name == "fma-peak" {
                    // As many FMAs as the product, in registers only.
                    std::hint::black_box(fma_peak(m * k * n));
                } else {
                    two.install(|| {
                        let (av, bv) = (MatRef::strided(&a, m, k, rsa, csa), MatRef::strided(&b, k, n, rsb, csb));
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
                "{m}x{k}x{n}{trans:>3} {name:>16} median {:7.1} GFLOP/s (x{:.2} of matrixmultiply)  best {:7.1} (x{:.2})",
                median[i],
                median[i] / median[mm],
                best[i],
                best[i] / best[mm]
            );
        }
    }
}

/// Runs `fmas` multiply-adds (rounded up to whole iterations) as 12 independent
/// chains of 16-lane (AVX-512) or 8-lane (AVX2) FMAs, more than latency 4 × two FMA
/// pipes need; returns a value that depends on every chain.
fn fma_peak(fmas: usize) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if isa::Isa::Avx512.is_supported() {
            // SAFETY: AVX-512F was detected just above.
            return unsafe { fma_loop_avx512(fmas.div_ceil(12 * 16)) };
        }
        if isa::Isa::Avx2.is_supported() {
            // SAFETY: AVX2 and FMA were detected just above.
            return unsafe { fma_loop_avx2(fmas.div_ceil(12 * 8)) };
        }
    }
    let _ = fmas;
    f32::NAN
}

/// Twelve named accumulators (an array here compiled to a register rotation with
/// extra moves that halved the rate).
macro_rules! fma_chains {
    ($fma:ident, $zero:expr, $x:expr, $y:expr, $iters:expr) => {{
        let (mut c0, mut c1, mut c2, mut c3, mut c4, mut c5) = ($zero, $zero, $zero, $zero, $zero, $zero);
        let (mut c6, mut c7, mut c8, mut c9, mut c10, mut c11) = ($zero, $zero, $zero, $zero, $zero, $zero);
        for _ in 0..$iters {
            c0 = $fma(c0, $x, $y);
            c1 = $fma(c1, $x, $y);
            c2 = $fma(c2, $x, $y);
            c3 = $fma(c3, $x, $y);
            c4 = $fma(c4, $x, $y);
            c5 = $fma(c5, $x, $y);
            c6 = $fma(c6, $x, $y);
            c7 = $fma(c7, $x, $y);
            c8 = $fma(c8, $x, $y);
            c9 = $fma(c9, $x, $y);
            c10 = $fma(c10, $x, $y);
            c11 = $fma(c11, $x, $y);
        }
        [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11]
    }};
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_loop_avx512(iters: usize) -> f32 {
    use std::arch::x86_64::*;
    let (x, y) = (_mm512_set1_ps(std::hint::black_box(0.999)), _mm512_set1_ps(std::hint::black_box(1e-3)));
    let acc = fma_chains!(_mm512_fmadd_ps, _mm512_setzero_ps(), x, y, iters);
    acc.iter().map(|&a| _mm512_reduce_add_ps(a)).sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_loop_avx2(iters: usize) -> f32 {
    use std::arch::x86_64::*;
    let (x, y) = (_mm256_set1_ps(std::hint::black_box(0.999)), _mm256_set1_ps(std::hint::black_box(1e-3)));
    let acc = fma_chains!(_mm256_fmadd_ps, _mm256_setzero_ps(), x, y, iters);
    let mut out = [0.0f32; 8];
    for a in acc {
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), a) };
        for (o, l) in out.iter_mut().zip(lanes) {
            *o += l;
        }
    }
    out.iter().sum()
}
