//! The one way every front end builds the config it runs (`sigah train`,
//! `sigah eval --sigah-config`, Python's `SiGAH(...)`): the base (the defaults,
//! or a checkpoint's config), then a config file, then a [`Preset`], then the
//! config keys given as arguments (Python's keyword arguments), then the flags;
//! then [`SigahConfig::validate`], which holds every check.

use std::path::Path;

use super::SigahConfig;
use crate::{Error, Result};

/// A named edit of the config, applied over the base and the file, before the
/// keys and flags (docs/RESULTS.md, "The fast preset", has what each costs and
/// scores). The `sigah-noadv` method of `sigah eval` is [`Preset::Fast`] too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preset {
    /// SiGAH as published, as the base and the file give it.
    #[default]
    Full,
    /// Without the adversarial term (no discriminator, no energy in L_G).
    Fast,
}

impl Preset {
    /// Every preset, by the name `--preset` and Python's `preset=` take.
    pub const ALL: [(&'static str, Preset); 2] = [("full", Preset::Full), ("fast", Preset::Fast)];

    /// The preset called `name` (one of [`Preset::ALL`]).
    pub fn from_name(name: &str) -> Result<Preset> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|&(_, p)| p).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
            Error::Config(format!("preset: unknown preset '{name}' (known: {})", names.join(", ")))
        })
    }

    /// Applies the preset's edit.
    pub fn apply(self, cfg: &mut SigahConfig) {
        if self == Preset::Fast {
            cfg.loss.adversarial = false;
        }
    }
}

/// What a front end sets over the base and the file. `None` keeps the value below.
#[derive(Clone, Debug, Default)]
pub struct ConfigLayers<'a> {
    /// A JSON or TOML config file (`SigahConfig::from_file`).
    pub file: Option<&'a Path>,
    pub preset: Preset,
    /// Config keys, flat or in sections, as a file holds them.
    pub keys: Option<serde_json::Value>,
    pub bits: Option<usize>,
    pub epochs: Option<usize>,
    pub train_size: Option<usize>,
    pub steps: Option<usize>,
    pub seed: Option<u64>,
    pub batch_size: Option<usize>,
}

impl ConfigLayers<'_> {
    /// `base`, then each layer in turn, validated. The file is validated on its
    /// own first, so a bad value in it is named with the file.
    pub fn build(&self, base: SigahConfig) -> Result<SigahConfig> {
        let mut cfg = match self.file {
            Some(file) => {
                let cfg = SigahConfig::from_file(file)?;
                cfg.validate().map_err(|e| in_file(file, e))?;
                cfg
            }
            None => base,
        };
        self.preset.apply(&mut cfg);
        if let Some(keys) = &self.keys {
            cfg = cfg.with_overrides(keys.clone()).map_err(Error::Config)?;
        }
        let set = |field: &mut usize, flag: Option<usize>| {
            if let Some(v) = flag {
                *field = v;
            }
        };
        set(&mut cfg.architecture.bits, self.bits);
        set(&mut cfg.training.epochs, self.epochs);
        set(&mut cfg.training.train_size, self.train_size);
        set(&mut cfg.training.max_steps, self.steps);
        set(&mut cfg.optimiser.batch_size, self.batch_size);
        if let Some(s) = self.seed {
            cfg.training.seed = s;
        }
        cfg.validate()?;
        Ok(cfg)
    }
}

/// A config error found in `file`, naming it.
fn in_file(file: &Path, e: Error) -> Error {
    match e {
        Error::Config(msg) => Error::Config(format!("{}: {msg}", file.display())),
        other => other,
    }
}
