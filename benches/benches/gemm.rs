//! GEMM on the training shapes: sigah on every instruction set this CPU runs (one
//! thread), the `matrixmultiply` crate in the same group (one thread), and sigah on
//! 2 threads for 1024³. Throughput is FLOPs (2·m·k·n per product), so criterion's
//! "elem/s" reads as FLOP/s. OpenBLAS (numpy) is measured side by side by
//! `benches/reference/gemm_vs_peers.sh`.
//!
//!     cargo bench -p sigah-benches --bench gemm
//!     cargo bench -p sigah-benches --bench gemm -- 256x784x512   # one group

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigah_benches::pseudo_random_f32;
use sigah_kernels::gemm::{gemm_with, MatMut, MatRef};
use sigah_kernels::isa;

/// M × K × N: batch 256 through 784/960-wide layers and back (forward, A·Bᵀ and
/// Aᵀ·B all have these sizes), a square reference, and a tall thin product.
const SHAPES: [(usize, usize, usize); 5] =
    [(256, 784, 512), (256, 512, 784), (256, 960, 1024), (1024, 1024, 1024), (4096, 128, 64)];

fn bench_gemm(c: &mut Criterion) {
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("1-thread pool");
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("2-thread pool");
    for (m, k, n) in SHAPES {
        let shape = format!("{m}x{k}x{n}");
        let a = pseudo_random_f32(m * k, 1);
        let b = pseudo_random_f32(k * n, 2);
        let mut out = vec![0.0f32; m * n];
        let mut group = c.benchmark_group(format!("gemm/{shape}"));
        group.throughput(Throughput::Elements(2 * (m * k * n) as u64));
        group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
        for level in isa::available() {
            if level == isa::Isa::Scalar {
                continue; // the reference is 50-100x slower and not a contender
            }
            group.bench_function(BenchmarkId::from_parameter(level.name()), |bench| {
                one.install(|| {
                    bench.iter(|| {
                        gemm_with(
                            level,
                            false,
                            1.0,
                            MatRef::new(black_box(&a), m, k),
                            MatRef::new(black_box(&b), k, n),
                            0.0,
                            MatMut::new(&mut out, m, n),
                        )
                    })
                })
            });
        }
        group.bench_function(BenchmarkId::from_parameter("matrixmultiply"), |bench| {
            bench.iter(|| {
                // SAFETY: a is m×k, b is k×n and out is m×n, all row-major and
                // contiguous, so every (row stride, column stride) access is in bounds.
                unsafe {
                    matrixmultiply::sgemm(
                        m,
                        k,
                        n,
                        1.0,
                        black_box(a.as_ptr()),
                        k as isize,
                        1,
                        black_box(b.as_ptr()),
                        n as isize,
                        1,
                        0.0,
                        out.as_mut_ptr(),
                        n as isize,
                        1,
                    )
                }
            })
        });
        if (m, k, n) == (1024, 1024, 1024) {
            let best = isa::selected();
            group.bench_function(BenchmarkId::from_parameter(format!("{}-2threads", best.name())), |bench| {
                two.install(|| {
                    bench.iter(|| {
                        gemm_with(
                            best,
                            true,
                            1.0,
                            MatRef::new(black_box(&a), m, k),
                            MatRef::new(black_box(&b), k, n),
                            0.0,
                            MatMut::new(&mut out, m, n),
                        )
                    })
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_gemm);
criterion_main!(benches);
