//! The listwise neighbourhood term (docs/METHOD.md, "The model", its neighbour
//! terms): over its batch, each anchor's code is nearest to its kNN rows.

use crate::autodiff::{Tape, Var};
use crate::model::SigahConfig;
use crate::Tensor;

/// The constants of the listwise neighbourhood term for one batch (built by the
/// sampler from the kNN graph): `anchors × rows` soft targets and additive mask,
/// and an `anchors × 1` weight (1 for anchors with a neighbour in the batch).
#[derive(Clone, Debug)]
pub struct ListTargets {
    pub target: Tensor,
    pub mask: Tensor,
    pub weight: Tensor,
    /// Anchors with weight 1.
    pub active: usize,
    /// The softmax temperature as a fraction of the bits
    /// ([`SigahConfig::list_temperature`] for the training data's dimension).
    pub temperature: f32,
}

/// The listwise term of anchors `first..first + count` (its share of the batch
/// total: the anchors' sums add up to it). `codes` are the compared codes of the
/// whole batch, anchors first.
///
/// Each anchor's softmax over the batch rows of −h/T (T the targets'
/// temperature, [`SigahConfig::list_temperature`]), h the relaxed Hamming
/// distance as a fraction of the bits; since h = (1 − c_a·c_j/k)/2, −h/T is
/// c_a·c_j/(2kT) up to a constant per row, which the softmax ignores.
/// Cross-entropy against its kNN rows.
pub fn list_loss(tape: &mut Tape, cfg: &SigahConfig, codes: Var, l: &ListTargets, first: usize, count: usize) -> Var {
    let sa = tape.slice_rows(codes, first, count);
    let sim = tape.matmul_nt(sa, codes);
    let logits = tape.scale(sim, 1.0 / (2.0 * l.temperature * cfg.architecture.bits as f32));
    let mask = tape.constant_rows_from(&l.mask, first, count);
    let logits = tape.add(logits, mask);
    let target = tape.constant_rows_from(&l.target, first, count);
    let xent = tape.softmax_xent(logits, target);
    let weight = tape.constant_rows_from(&l.weight, first, count);
    let xent = tape.mul(xent, weight);
    let ll = tape.sum(xent);
    tape.scale(ll, cfg.neighbours.lambda_list / l.active as f32)
}
