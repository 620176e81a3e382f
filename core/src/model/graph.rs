//! The SiGAH computation graphs on the autodiff tape (DESIGN §1): the generator
//! (hash encoder → sign STE → LISTA → dictionary) and the auto-encoder
//! discriminator's energy, and the two losses built from them.
//!
//! Batches are row-major (`B × d`): a linear layer `y = W x + c` is
//! `Y = X·Wᵀ + c` (`matmul_nt`), with W stored `out × in` as in PyTorch.

use super::config::{DecoderKind, SigahConfig};
use super::params::{GenLayout, Net, DISC_B0, DISC_B1, DISC_W0, DISC_W1};
use crate::autodiff::{Tape, Var};

/// The generator's nodes that the trainer reads back.
pub struct GenVars {
    /// One var per generator parameter, in [`Net`] order.
    pub params: Vec<Var>,
    /// The code values s = sign(u) ∈ {−1, +1}, `B × k`.
    pub s: Var,
    /// The synthetic features x̃, `B × d`.
    pub x_fake: Var,
}

/// Puts each tensor of `net` on the tape, as a parameter (gradient wanted) or as a
/// constant (used in the other player's step: its weights get no gradient).
pub fn leaves(tape: &mut Tape, net: &Net, trainable: bool) -> Vec<Var> {
    // Copies into buffers the tape recycles across resets (no allocation per step).
    net.tensors.iter().map(|t| if trainable { tape.param_from(t) } else { tape.constant_from(t) }).collect()
}

/// `Y = X·Wᵀ + c`.
fn linear(tape: &mut Tape, x: Var, w: Var, c: Var) -> Var {
    let y = tape.matmul_nt(x, w);
    tape.add_bias(y, c)
}

/// The generator on the (already preprocessed) batch `x`.
pub fn generator(
    tape: &mut Tape,
    net: &Net,
    layout: &GenLayout,
    cfg: &SigahConfig,
    x: Var,
    trainable: bool,
) -> GenVars {
    let p = leaves(tape, net, trainable);
    // Hash encoder: ReLU hidden layers, then a linear layer to the k code values u.
    let mut h = x;
    let last = layout.enc.len() - 1;
    for (i, &(w, c)) in layout.enc.iter().enumerate() {
        h = linear(tape, h, p[w], p[c]);
        if i < last {
            h = tape.relu(h);
        }
    }
    // Binary code with the hard-tanh straight-through gradient.
    let s = tape.sign_ste(h);
    // Decoder input: the sparse latent recovered by LISTA, or the code itself.
    let code = match (cfg.decoder, layout.lista) {
        (DecoderKind::Lista, Some((phi, theta, eta))) => {
            let (phi, theta, eta) = (p[phi], p[theta], p[eta]);
            // Row form of z₀ = S_θ(η Φᵀ s): Z₀ = S_θ(η · S·Φ).
            let v = tape.matmul(s, phi);
            let v = tape.scale_by(v, eta);
            let mut z = tape.soft_threshold(v, theta);
            // T refinements z ← S_θ(z + η Φᵀ(s − Φ z)); row form Z + η (S − Z·Φᵀ)·Φ.
            for _ in 0..cfg.lista_steps {
                let pz = tape.matmul_nt(z, phi);
                let r = tape.sub(s, pz);
                let g = tape.matmul(r, phi);
                let g = tape.scale_by(g, eta);
                let v = tape.add(z, g);
                z = tape.soft_threshold(v, theta);
            }
            z
        }
        _ => s,
    };
    let x_fake = linear(tape, code, p[layout.dict_w], p[layout.dict_b]);
    GenVars { params: p, s, x_fake }
}

/// The per-row energy `E(v) = ‖A(v) − v‖² / d` of the auto-encoder
/// discriminator whose leaves are `disc`, as a `B × 1` column.
pub fn energy_rows(tape: &mut Tape, disc: &[Var], v: Var) -> Var {
    let h = linear(tape, v, disc[DISC_W0], disc[DISC_B0]);
    let h = tape.relu(h);
    let a = linear(tape, h, disc[DISC_W1], disc[DISC_B1]);
    let diff = tape.sub(a, v);
    let sq = tape.square(diff);
    tape.mean_rows(sq)
}

/// The nodes of the discriminator loss.
pub struct DiscLoss {
    pub loss: Var,
    /// Batch mean of E(x).
    pub energy_real: Var,
    /// Batch mean of E(x̃).
    pub energy_fake: Var,
}

/// `L_D = mean E(x) + mean max(0, μ − E(x̃))`; without a margin yet (the first
/// epoch, before μ is fixed) `L_D = mean E(x)`. `x_fake` must be a constant.
pub fn disc_loss(tape: &mut Tape, disc: &[Var], x: Var, x_fake: Var, margin: Option<f32>) -> DiscLoss {
    let er = energy_rows(tape, disc, x);
    let energy_real = tape.mean(er);
    let ef = energy_rows(tape, disc, x_fake);
    let energy_fake = tape.mean(ef);
    let loss = match margin {
        Some(mu) => {
            let h = tape.hinge(mu, ef);
            let h = tape.mean(h);
            tape.add(energy_real, h)
        }
        None => energy_real,
    };
    DiscLoss { loss, energy_real, energy_fake }
}

/// The nodes of the generator loss.
pub struct GenLoss {
    pub loss: Var,
    /// `mean ‖x − x̃‖² / d`.
    pub recon: Var,
    /// Batch mean of E(x̃) (only with the adversarial term).
    pub energy_fake: Option<Var>,
}

/// `L_G = E(x̃) + λ_rec ‖x − x̃‖²/d + λ_bal Σ_j (mean_batch s_j)²`, batch means.
/// `disc` are the discriminator's weights as constants (gradients flow through its
/// input only); `None` drops the energy term (the non-adversarial ablation).
pub fn gen_loss(tape: &mut Tape, cfg: &SigahConfig, disc: Option<&[Var]>, x: Var, g: &GenVars) -> GenLoss {
    let diff = tape.sub(x, g.x_fake);
    let sq = tape.square(diff);
    let recon = tape.mean(sq);
    let mut loss = tape.scale(recon, cfg.lambda_rec);
    let ms = tape.mean_cols(g.s);
    let ms2 = tape.square(ms);
    let bal = tape.sum(ms2);
    let bal = tape.scale(bal, cfg.lambda_bal);
    loss = tape.add(loss, bal);
    let mut energy_fake = None;
    if let Some(disc) = disc {
        let ef = energy_rows(tape, disc, g.x_fake);
        let ef = tape.mean(ef);
        loss = tape.add(loss, ef);
        energy_fake = Some(ef);
    }
    GenLoss { loss, recon, energy_fake }
}
