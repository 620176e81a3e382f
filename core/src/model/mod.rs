//! The SiGAH model (DESIGN §1): config, preprocessing, parameters, the training
//! graphs, the trainer with checkpoints, the `.safetensors` model file and the
//! multi-threaded encoder.
//!
//! ```no_run
//! # use sigah_core::{model::{SigahConfig, SigahModel, TrainOptions, Silent}, Tensor};
//! # fn main() -> sigah_core::Result<()> {
//! let data = Tensor::zeros(1000, 128); // the training vectors, one per row
//! let cfg = SigahConfig { bits: 32, ..Default::default() };
//! let model = SigahModel::train(&data, &cfg, &TrainOptions::default(), &mut Silent)?;
//! let codes = model.encode(&data)?; // bit j = 1 iff u_j > 0
//! model.save(std::path::Path::new("model.safetensors"))?;
//! # Ok(()) }
//! ```

mod checkpoint;
pub mod config;
mod data;
mod encode;
mod file;
pub mod graph;
mod hash;
mod itq_init;
pub mod knn;
mod loss;
pub mod params;
pub mod preprocess;
mod sampler;
mod schedule;
mod step;
pub mod stfile;
mod train;

pub use checkpoint::checkpoint_config;
pub use config::{DecoderKind, SigahConfig};
pub use data::load_training_vectors;
pub use file::FORMAT_VERSION;
pub use hash::{sigah_method, sigah_methods};
pub use params::{GenLayout, Net};
pub use preprocess::Preprocess;
pub use schedule::{training_sample, Schedule};
pub use train::{EpochStats, Silent, TrainObserver, TrainOptions, Trainer, TrainingSummary};

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
        self.config.bits
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.preprocess.dim()
    }
}
