//! SiGAH as a [`HashFunction`] and an evaluation [`Method`], so `sigah eval` runs it
//! beside the baselines through the same code path.

use crate::baselines::HashFunction;
use crate::eval::{Method, TrainOptions as EvalTrainOptions, TrainSet};
use crate::model::{SigahConfig, SigahModel, Silent, TrainOptions};
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
    let defaults = SigahConfig::default();
    let cfg = SigahConfig { bits: o.bits, seed: o.seed, epochs: o.epochs.unwrap_or(defaults.epochs), ..defaults };
    Ok(Box::new(SigahModel::train(t.x, &cfg, &TrainOptions::default(), &mut Silent)?))
}

/// The SiGAH evaluation method (`--methods sigah`).
pub fn sigah_method() -> Method {
    Method { name: "sigah", train: sigah_trainer }
}
