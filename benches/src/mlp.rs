//! The MLP training step the autodiff benchmarks time (criterion
//! `benches/autodiff.rs` and the side-by-side example `examples/autodiff_step.rs`);
//! its PyTorch twin is `reference/autodiff_step.py`.
//!
//! 256×784 → 512 → 64, layers `Y = X·Wᵀ + c` with W stored `out × in` (as the
//! model and PyTorch store it), loss = mean((relu(X·W1ᵀ + c1)·W2ᵀ + c2 − T)²),
//! X and T constants.

use sigah_core::autodiff::Tape;
use sigah_core::Tensor;

use crate::pseudo_random_f32;

pub const B: usize = 256;
pub const D: usize = 784;
pub const H: usize = 512;
pub const K: usize = 64;

/// FLOPs of one step's GEMMs: forward X·W1ᵀ and dW1 (no dX: X is a constant),
/// forward A·W2ᵀ, dA and dW2.
pub const FLOPS: usize = 2 * (2 * B * D * H) + 3 * (2 * B * H * K);

/// The data and weights of the step.
pub struct Mlp {
    pub x: Tensor,
    pub target: Tensor,
    pub w1: Tensor,
    pub c1: Tensor,
    pub w2: Tensor,
    pub c2: Tensor,
}

fn tensor(rows: usize, cols: usize, seed: u64, scale: f32) -> Tensor {
    Tensor::new(rows, cols, pseudo_random_f32(rows * cols, seed).into_iter().map(|v| v * scale).collect())
}

impl Default for Mlp {
    fn default() -> Self {
        Self::new()
    }
}

impl Mlp {
    /// Inputs in [−0.5, 0.5), Xavier-uniform weights, zero biases.
    pub fn new() -> Self {
        Mlp {
            x: tensor(B, D, 1, 1.0),
            target: tensor(B, K, 2, 1.0),
            w1: tensor(H, D, 3, 2.0 * (6.0 / (D + H) as f32).sqrt()),
            c1: Tensor::zeros(1, H),
            w2: tensor(K, H, 4, 2.0 * (6.0 / (H + K) as f32).sqrt()),
            c2: Tensor::zeros(1, K),
        }
    }

    /// One step on `tape` (reset first, so its buffers are recycled): forward,
    /// backward, gradients read. Returns the loss plus one gradient entry per
    /// parameter, so the work cannot be optimised away.
    pub fn step(&self, tape: &mut Tape) -> f32 {
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
