//! The model file: one `.safetensors` file holding every weight by
//! name (see [`crate::model::params`]) plus `preprocess.mean`, and string metadata:
//!
//! | key | value |
//! |---|---|
//! | `format` | `sigah-model` |
//! | `format_version` | [`FORMAT_VERSION`] |
//! | `method` | `sigah` |
//! | `bits`, `d`, `seed` | integers |
//! | `preprocessing` | JSON `{"mean": "preprocess.mean", "scale": s}`: `x ↦ (x − mean) / s`; with `"proj": "preprocess.proj"` (a `d × p` tensor P), `x ↦ (x − mean)·P / s` |
//! | `config` | the full [`SigahConfig`] as JSON |
//! | `training` | the [`TrainingSummary`] as JSON |
//!
//! Nothing time- or machine-dependent is stored, so identical training gives
//! identical bytes.

use std::collections::BTreeMap;
use std::path::Path;

use super::stfile::{self, stored_shape, StFile};
use crate::model::params::{discriminator_spec, generator_spec, Net};
use crate::model::{Preprocess, SigahConfig, SigahModel, TrainingSummary};
use crate::{Error, Result, Tensor};

/// The model file format this build writes. Version 3 stores the config in
/// sections (`architecture`, `optimiser`, `loss`, `neighbours`, `training`);
/// version 2 dropped the config keys of [`crate::model::config::REMOVED`] and
/// renamed `sim_knn_target` to `pair_target`. Versions 1 and 2 still read: their
/// flat config keys are moved into their sections (the removed keys must be off).
pub const FORMAT_VERSION: u32 = 3;

/// The oldest model file format this build reads.
const OLDEST_READ: u32 = 1;

const MEAN: &str = "preprocess.mean";
const PROJ: &str = "preprocess.proj";

/// (name, stored shape, values) of each tensor of a file.
pub(crate) type NamedTensors<'a> = Vec<(String, Vec<usize>, &'a [f32])>;

#[derive(serde::Serialize, serde::Deserialize)]
struct PreprocessingMeta {
    mean: String,
    scale: f32,
    /// Absent in files without an input projection (and in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proj: Option<String>,
}

impl SigahModel {
    /// The metadata map and the tensors of the model file (the checkpoint adds to both).
    pub(crate) fn file_contents(&self) -> (BTreeMap<String, String>, NamedTensors<'_>) {
        let mut meta = BTreeMap::new();
        meta.insert("format".into(), "sigah-model".into());
        meta.insert("format_version".into(), FORMAT_VERSION.to_string());
        meta.insert("method".into(), "sigah".into());
        meta.insert("bits".into(), self.bits().to_string());
        meta.insert("d".into(), self.dim().to_string());
        meta.insert("seed".into(), self.config.training.seed.to_string());
        let proj = self.preprocess.proj.as_ref().map(|_| PROJ.to_string());
        let pre = PreprocessingMeta { mean: MEAN.into(), scale: self.preprocess.scale, proj };
        meta.insert("preprocessing".into(), serde_json::to_string(&pre).expect("serialises"));
        meta.insert("config".into(), self.config.to_json());
        meta.insert("training".into(), serde_json::to_string(&self.summary).expect("serialises"));
        let mut tensors = vec![(MEAN.to_string(), stored_shape(1, self.dim()), &self.preprocess.mean.data[..])];
        if let Some(p) = &self.preprocess.proj {
            tensors.push((PROJ.to_string(), stored_shape(p.rows, p.cols), &p.data[..]));
        }
        for net in [&self.gen, &self.disc] {
            for (name, t) in net.names.iter().zip(&net.tensors) {
                tensors.push((name.clone(), stored_shape(t.rows, t.cols), &t.data[..]));
            }
        }
        (meta, tensors)
    }

    /// Writes the model file atomically (temp file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let (meta, tensors) = self.file_contents();
        stfile::write(path, &tensors, &meta)
    }

    /// The bytes [`Self::save`] writes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let (meta, tensors) = self.file_contents();
        stfile::serialize(&tensors, &meta)
    }

    /// Parses model-file bytes already in memory (the fuzz target's entry point),
    /// with the checks of [`Self::load`]; `path` only names the source in errors.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Self> {
        let mut file = stfile::parse(path, bytes)?;
        let model = Self::from_file(path, &mut file, "sigah-model")?;
        file.check_all_taken(path)?;
        Ok(model)
    }

    /// Reads a model file, checking the format version, the config and every
    /// tensor's shape; errors name the file, the place and the problem.
    pub fn load(path: &Path) -> Result<Self> {
        let mut file = stfile::read(path)?;
        let model = Self::from_file(path, &mut file, "sigah-model")?;
        file.check_all_taken(path)?;
        Ok(model)
    }

    /// Takes the model's tensors out of `file` (the checkpoint leaves its own).
    pub(crate) fn from_file(path: &Path, file: &mut StFile, format: &str) -> Result<Self> {
        let got = file.meta(path, "format")?;
        if got != format {
            return Err(Error::format(path, 8, format!("format is {got:?}, expected {format:?}")));
        }
        let version = file.meta(path, "format_version")?;
        let version: u32 = version
            .parse()
            .map_err(|_| Error::format(path, 8, format!("format_version {version:?} is not a number")))?;
        if !(OLDEST_READ..=FORMAT_VERSION).contains(&version) {
            let why = if version > FORMAT_VERSION { "written by a newer sigah" } else { "not supported" };
            return Err(Error::format(
                path,
                8,
                format!(
                    "format version {version} is {why}; this build reads versions {OLDEST_READ} to {FORMAT_VERSION}"
                ),
            ));
        }
        let mut config = SigahConfig::from_metadata(path, file.meta(path, "config")?)?;
        config.validate().map_err(|e| Error::format(path, 8, format!("stored config: {e}")))?;
        let d: usize = file.meta_json(path, "d")?;
        let bits: usize = file.meta_json(path, "bits")?;
        if bits != config.architecture.bits || d == 0 {
            return Err(Error::format(path, 8, format!("bits {bits} / d {d} disagree with the stored config")));
        }
        let pre: PreprocessingMeta = file.meta_json(path, "preprocessing")?;
        if !(pre.scale > 0.0 && pre.scale.is_finite()) {
            return Err(Error::format(path, 8, format!("preprocessing scale {} must be positive", pre.scale)));
        }
        let summary: TrainingSummary = file.meta_json(path, "training")?;
        let mean = file.take(path, &pre.mean, 1, d)?;
        let proj = match &pre.proj {
            Some(name) => {
                let p = config.architecture.input_pca;
                if p == 0 || p >= d {
                    return Err(Error::format(
                        path,
                        8,
                        format!("an input projection is stored, but input_pca is {p} (d {d})"),
                    ));
                }
                Some(file.take(path, name, d, p)?)
            }
            // A file from before the projection existed: its config has the new
            // default, but its networks read all d inputs.
            None => {
                if config.architecture.input_pca < d {
                    config.architecture.input_pca = 0;
                }
                None
            }
        };
        let preprocess = Preprocess { mean, scale: pre.scale, proj };
        let features = preprocess.out_dim();
        let (gspec, layout) = generator_spec(&config, features);
        let take_all = |file: &mut StFile, spec: Vec<(String, usize, usize)>| -> Result<Net> {
            let mut net = Net { names: Vec::new(), tensors: Vec::new() };
            for (name, r, c) in spec {
                let t: Tensor = file.take(path, &name, r, c)?;
                net.names.push(name);
                net.tensors.push(t);
            }
            Ok(net)
        };
        let gen = take_all(file, gspec)?;
        let disc = take_all(file, discriminator_spec(&config, features))?;
        Ok(SigahModel { config, preprocess, gen, layout, disc, summary })
    }
}
