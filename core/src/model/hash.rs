//! SiGAH as a [`HashFunction`] and an evaluation [`Method`], so `sigah eval` runs it
//! beside the baselines through the same code path.

use crate::baselines::HashFunction;
use crate::eval::{Method, TrainOptions as EvalTrainOptions, TrainSet};
use crate::model::{DecoderKind, SigahConfig, SigahModel, Silent, TrainOptions};
use crate::{Codes, Result, Tensor};

impl HashFunction for SigahModel {
    fn bits(&self) -> usize {
        SigahModel::bits(self)
    }
    fn dim(&self) -> usize {
        SigahModel::dim(self)
    }
    fn encode(&self, x: &Tensor) -> Result<Codes> {
        SigahModel::encode(self, x)
    }
}

/// Trains SiGAH with the default configuration at the requested width, seed and
/// (when given) epochs.
fn sigah_trainer(t: &TrainSet<'_>, o: &EvalTrainOptions) -> Result<Box<dyn HashFunction>> {
    train_variant(t, o, |_| {})
}

/// The ablation without the adversarial term (no discriminator, no energy in L_G).
fn noadv_trainer(t: &TrainSet<'_>, o: &EvalTrainOptions) -> Result<Box<dyn HashFunction>> {
    train_variant(t, o, |c| c.adversarial = false)
}

/// The ablation without the compressed-sensing decoder (`x̃ = D·s + c_D`).
fn linear_trainer(t: &TrainSet<'_>, o: &EvalTrainOptions) -> Result<Box<dyn HashFunction>> {
    train_variant(t, o, |c| c.decoder = DecoderKind::Linear)
}

/// The default configuration (or the one `--sigah-config` gave) at the requested
/// width, seed and (when given) epochs, changed by `edit`, trained on the evaluation's training set.
fn train_variant(
    t: &TrainSet<'_>,
    o: &EvalTrainOptions,
    edit: impl FnOnce(&mut SigahConfig),
) -> Result<Box<dyn HashFunction>> {
    let base = o.sigah.clone().unwrap_or_default();
    let mut cfg = SigahConfig { bits: o.bits, seed: o.seed, epochs: o.epochs.unwrap_or(base.epochs), ..base };
    edit(&mut cfg);
    Ok(Box::new(SigahModel::train(t.x, &cfg, &TrainOptions::default(), &mut Silent)?))
}

/// The SiGAH evaluation method (`--methods sigah`).
pub fn sigah_method() -> Method {
    Method { name: "sigah", train: sigah_trainer }
}

/// SiGAH and its two ablations (issue 6): `sigah`, `sigah-noadv` (no adversarial
/// term), `sigah-linear` (a linear decoder instead of the compressed-sensing one).
pub fn sigah_methods() -> Vec<Method> {
    vec![
        sigah_method(),
        Method { name: "sigah-noadv", train: noadv_trainer },
        Method { name: "sigah-linear", train: linear_trainer },
    ]
}
