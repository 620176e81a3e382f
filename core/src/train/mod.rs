//! Training a SiGAH model: the sample and schedule (`schedule.rs`), the starting
//! state (`init.rs`, with ITQ's projection from `itq_init.rs` and the
//! preprocessing fitted by `fit_preprocess.rs`), the neighbour graph (`crate::knn`) and
//! the batches drawn from it (`sampler.rs`), the losses, one file per term (`loss/`), one data-parallel
//! step (`step.rs`), and the epoch loop with checkpoints (`trainer.rs`).
//! `method.rs` registers SiGAH as a hash method for the evaluation.

mod fit_preprocess;
mod init;
mod itq_init;
mod loss;
mod method;
mod observer;
mod sampler;
mod schedule;
mod step;
mod trainer;

pub use method::sigah_methods;
pub use observer::{Silent, TrainObserver};
pub use schedule::{training_sample, Schedule};
pub use trainer::{CheckpointOptions, Trainer};
