//! The neighbour-pair term (docs/METHOD.md, "The model", its neighbour terms):
//! each anchor and one of its nearest training rows get similar codes.

use super::{code_similarity, BatchLayout};
use crate::autodiff::{Tape, Var};
use crate::model::NeighbourTerms;
use crate::Tensor;

/// `λ_pair · mean_i (s_i·s_nb(i)/k − τ)²`, or one-sided `max(0, τ − s_i·s_nb(i)/k)²`,
/// τ = `pair_target`, over the anchors `sa` and the pair section of the compared
/// codes `sv`.
pub fn pair(tape: &mut Tape, cfg: &NeighbourTerms, sv: Var, sa: Var, layout: BatchLayout) -> Var {
    let n = layout.anchors;
    let sn = tape.slice_rows(sv, layout.pair_start(), n);
    let sim = code_similarity(tape, sa, sn);
    let short = if cfg.pair_one_sided {
        // Only pairs less similar than τ are pulled: nearer pairs keep their order.
        tape.hinge(cfg.pair_target, sim)
    } else {
        let target = tape.constant(Tensor::full(n, 1, cfg.pair_target));
        tape.sub(sim, target)
    };
    let sq = tape.square(short);
    let pl = tape.mean(sq);
    tape.scale(pl, cfg.lambda_pair)
}
