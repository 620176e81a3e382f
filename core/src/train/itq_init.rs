//! Initialising the encoder's linear path from ITQ (docs/METHOD.md): training then
//! starts from ITQ's codes, and the reconstruction, adversarial and similarity
//! objectives refine them instead of searching from a random projection.

use crate::hash::{train_itq, ITQ_ITERATIONS};
use crate::model::{Preprocess, SigahConfig};
use crate::{Result, Tensor};

/// The `k × out_dim` weight `W_lin` (PyTorch `out × in` layout) of the linear
/// path on preprocessed inputs whose codes are ITQ's: with ITQ's projection `P R`
/// on centred data, `W_lin[j]` acting on `x − mean` is `(P R)[:, j] / σ_j`
/// (mapped onto the preprocessing's output by [`Preprocess::weight_on_output`]; ITQ's
/// directions lie in the span of an input projection to at least k
/// dimensions, so the map is exact there), σ_j the standard
/// deviation of the j-th ITQ projection over `data`. The division keeps the
/// sign (the bit) and gives each code value unit spread, so the hard-tanh
/// straight-through window `|u| ≤ 1` holds about two thirds of the data.
///
/// ITQ gives at most one bit per input dimension: with `bits > d` the first
/// `k₀` rows (`k₀` = d rounded down to a multiple of 8) come from ITQ and the
/// function returns those only; the caller keeps its random rows for the rest.
pub fn itq_weight(data: &Tensor, pre: &Preprocess, cfg: &SigahConfig) -> Result<Option<Tensor>> {
    let k = cfg.architecture.bits.min(pre.out_dim().min(data.rows.saturating_sub(1)) / 8 * 8);
    if k == 0 {
        return Ok(None);
    }
    let (hash, _) = train_itq(data, k, cfg.training.seed, ITQ_ITERATIONS)?;
    let u = hash.project(data)?; // n × k, zero mean
    let d = data.cols;
    let mut sd = vec![0f64; k];
    for i in 0..u.rows {
        for (s, &v) in sd.iter_mut().zip(u.row(i)) {
            *s += (v as f64).powi(2);
        }
    }
    let sd: Vec<f64> = sd.iter().map(|s| (s / u.rows.max(1) as f64).sqrt().max(1e-12)).collect();
    let mut w = Tensor::zeros(k, d);
    for j in 0..k {
        for i in 0..d {
            w.data[j * d + i] = (hash.proj.at(i, j) as f64 / sd[j]) as f32;
        }
    }
    Ok(Some(pre.weight_on_output(w)))
}
