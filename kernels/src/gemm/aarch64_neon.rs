//! NEON micro-kernel (aarch64 Advanced SIMD): 4-lane `q` vectors, 32 registers.
//!
//! Tile 8 × 12: 24 accumulators + 3 B vectors + the broadcast A value = 28 of 32
//! registers; `fmla` has latency 4 and (on Neoverse N1/V1, Apple cores) 2-4 per
//! cycle, so 24 independent chains keep the pipes full.

use std::arch::aarch64::*;

use super::driver::KernelSpec;
use super::microkernel::{tile, Simd};

struct Neon;

impl Simd for Neon {
    const LANES: usize = 4;
    type V = float32x4_t;
    #[inline(always)]
    unsafe fn zero() -> float32x4_t {
        // SAFETY: NEON is enabled in the calling `#[target_feature]` wrapper.
        unsafe { vdupq_n_f32(0.0) }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> float32x4_t {
        // SAFETY: as for zero.
        unsafe { vdupq_n_f32(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> float32x4_t {
        // SAFETY: the caller guarantees 4 readable floats at p.
        unsafe { vld1q_f32(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: float32x4_t) {
        // SAFETY: the caller guarantees 4 writable floats at p.
        unsafe { vst1q_f32(p, v) }
    }
    #[inline(always)]
    unsafe fn mul_add(acc: float32x4_t, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: as for zero.
        unsafe { vfmaq_f32(acc, a, b) }
    }
    #[inline(always)]
    unsafe fn mul(a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: as for zero.
        unsafe { vmulq_f32(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: as for zero.
        unsafe { vaddq_f32(a, b) }
    }
}

const MR: usize = 8;
const NV: usize = 3;

/// # Safety
/// The CPU must support NEON; the pointer contract of [`tile`].
#[target_feature(enable = "neon")]
unsafe fn kernel(
    kc: usize,
    alpha: f32,
    a: *const f32,
    b: *const f32,
    beta: f32,
    c: *mut f32,
    rsc: usize,
    csc: usize,
    rows: usize,
    cols: usize,
) {
    // SAFETY: forwarded contract; NEON is enabled on this function.
    unsafe { tile::<Neon, MR, NV>(kc, alpha, a, b, beta, c, rsc, csc, rows, cols) }
}

pub(crate) const SPEC: KernelSpec =
    KernelSpec { name: "neon", mr: MR, nr: NV * 4, kc: 256, mc: MR * 16, nc: 1020, kernel };
