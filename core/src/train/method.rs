//! SiGAH as a [`HashFunction`] and as evaluation [`Method`]s, so `sigah eval` runs
//! it beside the baselines through the same code path.

use std::path::Path;

use super::{CheckpointOptions, Silent};
use crate::hash::{HashFunction, Method, MethodOptions, TrainSet};
use crate::model::{ConfigLayers, DecoderKind, Preset, SigahConfig, SigahModel};
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
    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::to_value(&self.config).unwrap_or_default())
    }
    fn save(&self, path: &Path) -> Option<Result<()>> {
        Some(SigahModel::save(self, path))
    }
}

/// `base` (the defaults, or what `--sigah-config` gave) with `preset`, at the
/// requested width, seed and (when given) epochs ([`ConfigLayers`], as `sigah
/// train` layers its flags), changed by `edit`, trained on the evaluation's
/// training set.
fn train_variant(
    base: &SigahConfig,
    t: &TrainSet<'_>,
    o: &MethodOptions,
    preset: Preset,
    edit: ConfigEdit,
) -> Result<Box<dyn HashFunction>> {
    let layers =
        ConfigLayers { preset, bits: Some(o.bits), seed: Some(o.seed), epochs: o.epochs, ..ConfigLayers::default() };
    let mut cfg = layers.build(base.clone())?;
    edit(&mut cfg);
    Ok(Box::new(SigahModel::train(t.x, &cfg, &CheckpointOptions::default(), &mut Silent)?))
}

/// How a variant changes the base config.
type ConfigEdit = fn(&mut SigahConfig);

/// SiGAH and its two ablations (docs/METHOD.md, "Second round"), each starting
/// from `base`: `sigah`, `sigah-noadv` ([`Preset::Fast`]: no adversarial term, no discriminator,
/// no energy in L_G), `sigah-linear` (`x̃ = D·s + c_D`, no compressed-sensing
/// decoder).
pub fn sigah_methods(base: SigahConfig) -> Vec<Method> {
    let variants: [(&'static str, Preset, ConfigEdit); 3] = [
        ("sigah", Preset::Full, |_| {}),
        ("sigah-noadv", Preset::Fast, |_| {}),
        ("sigah-linear", Preset::Full, |c| c.architecture.decoder = DecoderKind::Linear),
    ];
    variants
        .into_iter()
        .map(|(name, preset, edit)| {
            let base = base.clone();
            Method::new(name, move |t: &TrainSet<'_>, o: &MethodOptions| train_variant(&base, t, o, preset, edit))
        })
        .collect()
}
