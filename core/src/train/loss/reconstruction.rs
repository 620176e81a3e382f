//! The reconstruction term (docs/METHOD.md, "The model"): the synthetic feature
//! x̃ must reproduce the real one.

use crate::autodiff::{Tape, Var};

/// The reconstruction of a shard, as its share of the batch mean.
pub struct Reconstruction {
    /// `Σ ‖x − x̃‖² / (batch_rows·d)` over the shard's rows (the statistic `recon_mse`).
    pub mse: Var,
    /// `weight · mse`, the term as it enters L_G.
    pub term: Var,
}

/// `λ_rec Σ ‖x − x̃‖² / (batch_rows·d)` over the rows of `x` (a shard of a batch
/// of `batch_rows` rows) against their synthetic features `x_fake`.
pub fn reconstruction(tape: &mut Tape, weight: f32, x: Var, x_fake: Var, batch_rows: usize) -> Reconstruction {
    let d = tape.value(x).cols;
    let diff = tape.sub(x, x_fake);
    let sq = tape.square(diff);
    let se = tape.sum(sq);
    let mse = tape.scale(se, 1.0 / (batch_rows * d) as f32);
    let term = tape.scale(mse, weight);
    Reconstruction { mse, term }
}
