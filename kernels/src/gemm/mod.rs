//! Single-precision GEMM: `C ← α·A·B + β·C` over strided matrix views.
//!
//! Transposes are views, not flags: `a.t()` swaps the strides, so the three cases
//! backprop needs (A·B, A·Bᵀ, Aᵀ·B) and the fourth are one function. When `β == 0`
//! C is written without being read (BLAS semantics: NaN in C does not propagate).
//!
//! Layout of this module: `scalar.rs` is the reference (three loops); `driver.rs` is
//! the packed, cache-blocked loop nest and the rayon split; `pack.rs` the packing;
//! `microkernel.rs` the register-blocked tile written once over a vector trait; one
//! file per instruction set instantiates it (`x86_avx2.rs`, `x86_avx512.rs`,
//! `portable.rs` over `wide`, `aarch64_neon.rs`).
//!
//! Threads split only rows or columns of C, never the depth, and the depth blocking
//! depends only on K, so the result is bitwise the same for any thread count.

#[cfg(target_arch = "aarch64")]
mod aarch64_neon;
mod driver;
mod mat;
mod microkernel;
mod pack;
mod portable;
mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_avx2;
#[cfg(target_arch = "x86_64")]
mod x86_avx512;

pub use mat::{MatMut, MatRef};
pub use scalar::gemm_scalar;

use mat::check_shapes;

use crate::Isa;

/// `C ← α·A·B + β·C` on the level chosen by [`crate::isa::selected`], multi-threaded
/// with rayon (current pool) when the product is large enough to pay for it
/// (m·k·n ≥ 2^20). The result is bitwise the same whatever the pool size: threads
/// take disjoint rows or columns of C and never split the depth.
///
/// # Panics
/// If the shapes do not agree (see [`MatMut::new`] and [`MatRef::new`] too).
pub fn gemm(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    gemm_with(crate::isa::selected(), true, alpha, a, b, beta, c)
}

/// [`gemm`] on a given level; `parallel = false` keeps it on the calling thread.
/// [`Isa::Scalar`] runs the reference [`gemm_scalar`]; the other levels run the
/// packed, blocked driver with their micro-kernel, so results can differ between
/// levels in the last bits (FMA vs separate multiply-add, summation blocks).
///
/// # Panics
/// If the shapes do not agree, or if `isa` is not supported by this CPU.
pub fn gemm_with(isa: Isa, parallel: bool, alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    check_shapes("gemm", &a, &b, &c);
    assert!(isa.is_supported(), "gemm: {isa} is not supported by this CPU");
    match kernel_for(isa) {
        Some(spec) => driver::run(spec, parallel, alpha, a, b, beta, c),
        None => gemm_scalar(alpha, a, b, beta, c),
    }
}

/// The micro-kernel and blocking for a level; `None` for [`Isa::Scalar`], which runs
/// the plain reference.
fn kernel_for(isa: Isa) -> Option<&'static driver::KernelSpec> {
    match isa.without_tiles() {
        Isa::Scalar => None,
        Isa::Portable => Some(&portable::SPEC),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => Some(&x86_avx2::SPEC),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => Some(&x86_avx512::SPEC),
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => Some(&aarch64_neon::SPEC),
        // Levels of another architecture are never supported here (asserted above).
        #[allow(unreachable_patterns)]
        _ => None,
    }
}
