//! The ranking term (docs/METHOD.md, "The model", its neighbour terms): a nearer
//! training row's code must be nearer than a farther one's by a margin.

use super::{code_similarity, BatchLayout};
use crate::autodiff::{Tape, Var};
use crate::model::NeighbourTerms;

/// `λ_rank · mean_i max(0, m − (s_a·s_p/k − s_a·s_n/k)/2)`: the positive's Hamming
/// distance as a fraction of the bits, (1 − s_a·s_p/k)/2, must be below the
/// negative's by the margin m = `rank_margin`. `sa` are the anchors of the
/// compared codes `sv`.
pub fn rank(tape: &mut Tape, cfg: &NeighbourTerms, sv: Var, sa: Var, layout: BatchLayout) -> Var {
    let n = layout.anchors;
    let sp = tape.slice_rows(sv, layout.rank_start(), n);
    let sn = tape.slice_rows(sv, layout.rank_start() + n, n);
    let simp = code_similarity(tape, sa, sp);
    let simn = code_similarity(tape, sa, sn);
    let gap = tape.sub(simp, simn);
    let gap = tape.scale(gap, 0.5);
    let h = tape.hinge(cfg.rank_margin, gap);
    let rl = tape.mean(h);
    tape.scale(rl, cfg.lambda_rank)
}
