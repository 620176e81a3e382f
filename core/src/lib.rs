//! sigah-core: everything between the kernels and the command line, one folder per
//! stage of the pipeline (docs/ARCHITECTURE.md):
//!
//! file → [`io`] (loaders, every file format) → [`model`] (config, preprocessing,
//! networks, encoder) ← [`train`] (the trainer, its losses and neighbour terms)
//! → model file ([`io`]) → [`codes`] → [`index`] (Hamming search) → [`eval`]
//! (metrics, datasets, baselines, reports).
//!
//! Below them: [`tensor`], [`autodiff`] (the tape) and [`adam`]. One error type,
//! [`Error`]; loaders never panic.

pub mod adam;
pub mod autodiff;
pub mod codes;
mod dots;
pub mod error;
pub mod eval;
pub mod index;
pub mod io;
pub mod model;
pub mod tensor;
pub mod train;

/// The paths `sigah_core::baselines` and `sigah_core::faiss`, which the CLI's
/// search and benchmark commands still name.
pub use eval::baselines;
pub use io::faiss;

pub use codes::Codes;
pub use error::{Error, Result};
pub use tensor::Tensor;
