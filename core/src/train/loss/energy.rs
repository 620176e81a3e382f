//! The generator's adversarial term (docs/METHOD.md, "The model"): the
//! discriminator's energy of the synthetic features, which the generator lowers.

use crate::autodiff::{Tape, Var};
use crate::model::graph::energy_rows;

/// `Σ E(x̃) / batch_rows` over a shard's synthetic features `x_fake`, `disc` the
/// discriminator's weights as constants (gradients flow through its input only).
pub fn energy(tape: &mut Tape, disc: &[Var], x_fake: Var, batch_rows: usize) -> Var {
    let ef = energy_rows(tape, disc, x_fake);
    let ef = tape.sum(ef);
    tape.scale(ef, 1.0 / batch_rows as f32)
}
