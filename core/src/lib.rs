//! sigah-core: everything between the kernels and the command line: tensors and
//! autodiff, the SiGAH model and trainer, baselines, packed codes and the Hamming
//! index, metrics, and file I/O. One error type, [`Error`]; loaders never panic.

pub mod adam;
pub mod autodiff;
pub mod baselines;
pub mod codes;
pub mod dataset;
pub mod error;
pub mod eval;
pub mod faiss;
pub mod index;
pub mod io;
pub mod metrics;
pub mod model;
pub mod tensor;

pub use codes::Codes;
pub use error::{Error, Result};
pub use tensor::Tensor;
