//! One training step of a 256×784→512→64 MLP on the autodiff tape: forward,
//! backward, gradients read back, tape reset (buffers recycled), at 1 and 2
//! threads. The peer is the same step in PyTorch on CPU:
//! `benches/reference/autodiff_step.py` (run it in the same session; it prints
//! the median in the same units). Throughput is labelled in FLOPs of the three
//! GEMMs per layer (forward, dX, dW; none for the constant input X).
//!
//! Layers are `Y = X·Wᵀ + c` with W stored `out × in` (as the model and PyTorch
//! store it); loss = mean((relu(X·W1ᵀ + c1)·W2ᵀ + c2 − T)²).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigah_benches::pseudo_random_f32;
use sigah_core::autodiff::Tape;
use sigah_core::Tensor;

const B: usize = 256;
const D: usize = 784;
const H: usize = 512;
const K: usize = 64;

struct Mlp {
    x: Tensor,
    target: Tensor,
    w1: Tensor,
    c1: Tensor,
    w2: Tensor,
    c2: Tensor,
}

fn tensor(rows: usize, cols: usize, seed: u64, scale: f32) -> Tensor {
    Tensor::new(rows, cols, pseudo_random_f32(rows * cols, seed).into_iter().map(|v| v * scale).collect())
}

impl Mlp {
    fn new() -> Self {
        Mlp {
            x: tensor(B, D, 1, 2.0),
            target: tensor(B, K, 2, 2.0),
            w1: tensor(H, D, 3, 2.0 * (6.0 / (D + H) as f32).sqrt()),
            c1: Tensor::zeros(1, H),
            w2: tensor(K, H, 4, 2.0 * (6.0 / (H + K) as f32).sqrt()),
            c2: Tensor::zeros(1, K),
        }
    }

    /// One step; returns the loss so the work cannot be optimised away.
    fn step(&self, tape: &mut Tape) -> f32 {
        tape.reset();
        let x = tape.constant_from(&self.x);
        let t = tape.constant_from(&self.target);
        let w1 = tape.param_from(&self.w1);
        let c1 = tape.param_from(&self.c1);
        let w2 = tape.param_from(&self.w2);
        let c2 = tape.param_from(&self.c2);
        let h = tape.matmul_nt(x, w1);
        let h = tape.add_bias(h, c1);
        let a = tape.relu(h);
        let y = tape.matmul_nt(a, w2);
        let y = tape.add_bias(y, c2);
        let diff = tape.sub(y, t);
        let sq = tape.square(diff);
        let loss = tape.mean(sq);
        tape.backward(loss);
        let g: f32 = [w1, c1, w2, c2].iter().map(|&p| tape.grad(p).map_or(0.0, |g| g.data[0])).sum();
        tape.value(loss).item() + g
    }
}

fn bench(c: &mut Criterion) {
    let mlp = Mlp::new();
    let mut group = c.benchmark_group("autodiff/mlp_step");
    // Forward X·W1ᵀ and dW1 (no dX: X is a constant); forward A·W2ᵀ, dA and dW2.
    let flops = 2 * (2 * B * D * H) + 3 * (2 * B * H * K);
    group.throughput(Throughput::Elements(flops as u64));
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
