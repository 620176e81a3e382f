//! The elementwise kernels on every instruction set this CPU runs, on the
//! trainer's shape (a 256 × 512 hidden activation), ids
//! `elementwise/<op>/<isa>`. The scalar reference is the peer: it is what LLVM
//! makes of the plain loops (it auto-vectorises some of them), so the ratio is
//! what the hand-written paths buy. Throughput is in elements.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigah_benches::pseudo_random_f32;
use sigah_kernels::elementwise as ew;
use sigah_kernels::isa;

const ROWS: usize = 256;
const COLS: usize = 512;

fn bench(c: &mut Criterion) {
    let n = ROWS * COLS;
    let x = pseudo_random_f32(n, 1);
    let dy = pseudo_random_f32(n, 2);
    let theta: Vec<f32> = pseudo_random_f32(COLS, 3).iter().map(|v| v.abs() * 0.5).collect();
    let bias = pseudo_random_f32(COLS, 4);
    let mut out = vec![0.0f32; n];
    let mut row = vec![0.0f32; COLS];

    let mut group = c.benchmark_group("elementwise");
    group.throughput(Throughput::Elements(n as u64));
    for level in isa::available() {
        let name = level.name();
        group.bench_function(BenchmarkId::new("relu_forward", name), |b| {
            b.iter(|| ew::relu_forward_with(level, &x, &mut out))
        });
        group.bench_function(BenchmarkId::new("relu_backward", name), |b| {
            b.iter(|| ew::relu_backward_with(level, &x, &dy, &mut out))
        });
        group.bench_function(BenchmarkId::new("bias_add", name), |b| {
            b.iter(|| ew::bias_add_with(level, &mut out, &bias))
        });
        group.bench_function(BenchmarkId::new("bias_grad", name), |b| {
            b.iter(|| ew::bias_grad_with(level, &dy, &mut row))
        });
        group.bench_function(BenchmarkId::new("soft_threshold_forward", name), |b| {
            b.iter(|| ew::soft_threshold_forward_with(level, &x, &theta, &mut out))
        });
        group.bench_function(BenchmarkId::new("soft_threshold_backward", name), |b| {
            b.iter(|| ew::soft_threshold_backward_with(level, &x, &theta, &dy, &mut out, &mut row))
        });
        // Keep the accumulators from growing without bound across iterations.
        out.iter_mut().for_each(|v| *v = 0.0);
        row.iter_mut().for_each(|v| *v = 0.0);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
