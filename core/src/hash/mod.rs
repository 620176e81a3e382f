//! The linear hash functions (docs/eval.md, "Baselines"): LSH, PCAH and ITQ, and
//! the interface every hash method implements, the SiGAH model included. A stage
//! of its own below both `train/` (ITQ's rotation starts the model, PCA fits its
//! preprocessing) and `eval/` (the baselines it compares against).
//!
//! All three baselines are linear: `code = 1[(x − mean) · W > 0]` with a `d × k`
//! projection `W` (random Gaussian for LSH, the top-k principal directions for
//! PCAH, those directions times a learned rotation for ITQ). They share
//! [`LinearHash`] (`linear.rs`); the heavy products go through sigah's GEMM, and the small dense
//! linear algebra (symmetric eigendecomposition, k × k SVD) through `nalgebra`.

mod itq;
mod linear;
mod lsh;
mod method;
mod pca;

pub use itq::{procrustes, train_itq, train_itq_from, ItqTrace};
pub use linear::{column_mean, covariance, HashFunction, LinearHash};
pub use lsh::train_lsh;
pub use method::{baseline_methods, select_methods, Method, MethodOptions, TrainFn, TrainSet, ITQ_ITERATIONS};
pub use pca::{pca, train_pcah, train_pcah_from, Pca};

#[cfg(test)]
mod tests;
