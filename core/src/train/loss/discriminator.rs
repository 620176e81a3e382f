//! The discriminator's loss (docs/METHOD.md, "The model"): low energy on real
//! features, at least the margin μ on synthetic ones.

use crate::autodiff::{Tape, Var};
use crate::model::graph::energy_rows;

/// The discriminator loss on one shard.
pub struct DiscLoss {
    pub loss: Var,
    /// This shard's share of the batch mean of E(x).
    pub energy_real: Var,
    /// This shard's share of the batch mean of E(x̃).
    pub energy_fake: Var,
}

/// `L_D = mean E(x) + mean max(0, μ − E(x̃))` over a batch of `batch_rows` rows,
/// this shard's share (its rows' sums divided by `batch_rows`); without a margin
/// yet (the first epoch, before μ is fixed) `L_D = mean E(x)`. `x_fake` must be a
/// constant.
pub fn disc_loss(
    tape: &mut Tape,
    disc: &[Var],
    x: Var,
    x_fake: Var,
    margin: Option<f32>,
    batch_rows: usize,
) -> DiscLoss {
    let inv = 1.0 / batch_rows as f32;
    let er = energy_rows(tape, disc, x);
    let er = tape.sum(er);
    let energy_real = tape.scale(er, inv);
    let ef = energy_rows(tape, disc, x_fake);
    let loss = match margin {
        Some(mu) => {
            let h = tape.hinge(mu, ef);
            let h = tape.sum(h);
            let h = tape.scale(h, inv);
            tape.add(energy_real, h)
        }
        None => energy_real,
    };
    let ef = tape.sum(ef);
    let energy_fake = tape.scale(ef, inv);
    DiscLoss { loss, energy_real, energy_fake }
}
