//! sigah-core: everything between the kernels and the command line, one folder per
//! stage of the pipeline (docs/ARCHITECTURE.md):
//!
//! file → [`io`] (loaders, every file format) → [`model`] (config, preprocessing,
//! networks, encoder) → [`hash`] (the linear hash functions LSH, PCAH, ITQ and the
//! `HashFunction`/`Method` interface) and [`knn`] (exact and approximate k-NN) →
//! [`train`] (the trainer, its losses and neighbour terms) and [`eval`] (the
//! protocol, metrics, datasets, reports) at the top. [`codes`] (packed codes) and
//! [`index`] (Hamming search) serve both.
//!
//! Below them: [`tensor`], [`autodiff`] (the tape) and [`adam`]. One error type,
//! [`Error`]; loaders never panic.

pub mod adam;
pub mod autodiff;
pub mod codes;
pub mod error;
pub mod eval;
pub mod hash;
pub mod index;
pub mod io;
pub mod knn;
pub mod model;
pub mod tensor;
pub mod train;

/// The path `sigah_core::faiss`, which the CLI's search and index commands name.
pub use io::faiss;

pub use codes::Codes;
pub use error::{Error, Result};
pub use tensor::Tensor;
