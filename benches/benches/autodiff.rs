//! One training step of a 256×784→512→64 MLP on the autodiff tape (see
//! `sigah_benches::mlp`): forward, backward, gradients read back, tape reset
//! (buffers recycled), at 1 and 2 threads. The peer is the same step in PyTorch
//! on CPU, `benches/reference/autodiff_step.py`; `benches/reference/autodiff_vs_torch.sh`
//! runs both alternately in one go and prints the ratios. Throughput is labelled in
//! FLOPs of the step's GEMMs.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigah_benches::mlp::{Mlp, B, D, FLOPS, H, K};
use sigah_core::autodiff::Tape;

fn bench(c: &mut Criterion) {
    let mlp = Mlp::new();
    let mut group = c.benchmark_group("autodiff/mlp_step");
    group.throughput(Throughput::Elements(FLOPS as u64));
    group.sample_size(20);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a rayon pool");
        let mut tape = Tape::new();
        let id = BenchmarkId::new(sigah_kernels::isa::selected().name(), format!("{B}x{D}x{H}x{K}/{threads}t"));
        group.bench_function(id, |bencher| bencher.iter(|| pool.install(|| mlp.step(&mut tape))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
