//! The bit-balance term (docs/METHOD.md, "The model"): each bit should be set
//! in half of the codes.

use crate::autodiff::{Tape, Var};

/// `weight · Σ_j (mean_rows s_j)²` over the batch's sign codes `s` (`rows × k`).
pub fn balance(tape: &mut Tape, weight: f32, s: Var) -> Var {
    let ms = tape.mean_cols(s);
    let ms2 = tape.square(ms);
    let bal = tape.sum(ms2);
    tape.scale(bal, weight)
}
