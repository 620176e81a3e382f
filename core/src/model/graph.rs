//! The SiGAH networks on the autodiff tape (docs/METHOD.md, "The model"): the generator (hash
//! encoder → sign STE → LISTA → dictionary) and the auto-encoder discriminator's
//! energy. The losses built from them are in `train/loss/`.
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
    /// The code values s = sign(u) ∈ {−1, +1} of the decoded rows.
    pub s: Var,
    /// The pre-sign values u, `B × k`.
    pub u: Var,
    /// The synthetic features x̃ of the first `decoded` rows, `decoded × d`.
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

/// The generator on the (already preprocessed) batch `x`: the hash encoder on
/// every row, the decoder on the first `decoded` rows (a batch's anchors: its
/// neighbour rows are there for their codes only, docs/METHOD.md).
pub fn generator(
    tape: &mut Tape,
    net: &Net,
    layout: &GenLayout,
    cfg: &SigahConfig,
    x: Var,
    decoded: usize,
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
    // The linear skip path: u = W_lin·x + (the ReLU branch).
    if let Some(w) = layout.skip {
        let lin = tape.matmul_nt(x, p[w]);
        let lin = tape.scale(lin, cfg.optimiser.skip_lr_scale);
        h = tape.add(h, lin);
    }
    // Binary code with the hard-tanh straight-through gradient.
    let u = h;
    let s = tape.sign_ste(h);
    let rows = tape.value(s).rows;
    let s = if decoded < rows { tape.slice_rows(s, 0, decoded) } else { s };
    // Decoder input: the sparse latent recovered by LISTA, or the code itself.
    let code = match (cfg.architecture.decoder, layout.lista) {
        (DecoderKind::Lista, Some((phi, theta, eta))) => {
            let (phi, theta, eta) = (p[phi], p[theta], p[eta]);
            // Row form of z₀ = S_θ(η Φᵀ s): Z₀ = S_θ(η · S·Φ).
            let v = tape.matmul(s, phi);
            let v = tape.scale_by(v, eta);
            let mut z = tape.soft_threshold(v, theta);
            // T refinements z ← S_θ(z + η Φᵀ(s − Φ z)); row form Z + η (S − Z·Φᵀ)·Φ.
            for _ in 0..cfg.architecture.lista_steps {
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
    GenVars { params: p, s, u, x_fake }
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
