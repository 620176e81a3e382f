//! sigah's numeric kernels.
//!
//! Every op has a scalar reference that reads like the math (`*_scalar` or the
//! `scalar` submodule) and SIMD paths chosen at run time, once per call, by
//! [`isa::selected`]. The portable path uses `wide` (SSE2 on baseline x86-64, NEON
//! on aarch64); the AVX2+FMA and AVX-512 paths are `std::arch` intrinsics inside
//! `#[target_feature]` functions, so the binary runs on any x86-64.
//!
//! Kernels have no error type: a shape or length mismatch is a caller bug and
//! panics with a message naming the op and the shapes (see each `# Panics`).

pub mod elementwise;
pub mod gemm;
pub mod hamming;
pub mod isa;
pub mod rng;
pub mod threads;

pub use isa::Isa;
