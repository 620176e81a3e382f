//! The SiGAH model: its config, the input preprocessing, the parameters, the
//! networks on the autodiff tape (`graph.rs`) and the multi-threaded encoder.
//! Training is in [`crate::train`], the model file in `io/model_file.rs`.
//!
//! ```no_run
//! # use sigah_core::{model::{SigahConfig, SigahModel}, train::{CheckpointOptions, Silent}, Tensor};
//! # fn main() -> sigah_core::Result<()> {
//! let data = Tensor::zeros(1000, 128); // the training vectors, one per row
//! let mut cfg = SigahConfig::default();
//! cfg.architecture.bits = 32;
//! let model = SigahModel::train(&data, &cfg, &CheckpointOptions::default(), &mut Silent)?;
//! let codes = model.encode(&data)?; // bit j = 1 iff u_j > 0
//! model.save(std::path::Path::new("model.safetensors"))?;
//! # Ok(()) }
//! ```

pub mod config;
mod encode;
pub mod graph;
pub mod params;
pub mod preprocess;
mod summary;
mod train_state;

pub use config::{
    Architecture, ConfigLayers, DecoderKind, Loss, NeighbourTerms, Optimiser, Preset, SigahConfig, Training,
};
pub use params::{GenLayout, Net};
pub use preprocess::Preprocess;
pub use summary::{EpochStats, LossTerms, TrainingSummary};
pub use train_state::TrainState;

/// A SiGAH model: the hash encoder (with its preprocessing), the decoder and the
/// discriminator it was trained with, and what training reported.
#[derive(Clone, Debug, PartialEq)]
pub struct SigahModel {
    pub config: SigahConfig,
    pub preprocess: Preprocess,
    /// The generator: encoder and decoder parameters.
    pub gen: Net,
    pub layout: GenLayout,
    /// The discriminator's parameters.
    pub disc: Net,
    pub summary: TrainingSummary,
}

impl SigahModel {
    /// Code length in bits.
    pub fn bits(&self) -> usize {
        self.config.architecture.bits
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.preprocess.dim()
    }
}
