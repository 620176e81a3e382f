//! Portable micro-kernel over `wide::f32x8`, compiled for the build's baseline
//! (two SSE2 `xmm` halves on x86-64, two NEON `q` halves on aarch64). Without a
//! compile-time FMA feature `mul_add` is a multiply then an add (two roundings).
//!
//! Tile 6 × 8: 6 f32x8 accumulators = 12 of the 16 SSE registers, plus 2 for the B
//! vector and 1 broadcast.

use wide::f32x8;

use super::driver::KernelSpec;
use super::microkernel::{tile, Simd};

struct Portable;

impl Simd for Portable {
    const LANES: usize = 8;
    type V = f32x8;
    #[inline(always)]
    unsafe fn zero() -> f32x8 {
        f32x8::ZERO
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> f32x8 {
        f32x8::splat(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> f32x8 {
        // SAFETY: the caller guarantees 8 readable floats at p; f32x8 is plain data
        // (8 f32 lanes, no padding) and the read is unaligned.
        unsafe { std::ptr::read_unaligned(p as *const f32x8) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: f32x8) {
        // SAFETY: the caller guarantees 8 writable floats at p.
        unsafe { std::ptr::write_unaligned(p as *mut f32x8, v) }
    }
    #[inline(always)]
    unsafe fn mul_add(acc: f32x8, a: f32x8, b: f32x8) -> f32x8 {
        a.mul_add(b, acc)
    }
    #[inline(always)]
    unsafe fn mul(a: f32x8, b: f32x8) -> f32x8 {
        a * b
    }
    #[inline(always)]
    unsafe fn add(a: f32x8, b: f32x8) -> f32x8 {
        a + b
    }
}

const MR: usize = 6;
const NV: usize = 1;

/// # Safety
/// The pointer contract of [`tile`] (no instruction-set requirement beyond the build
/// target's baseline).
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
    // SAFETY: forwarded contract.
    unsafe { tile::<Portable, MR, NV>(kc, alpha, a, b, beta, c, rsc, csc, rows, cols) }
}

pub(crate) const SPEC: KernelSpec =
    KernelSpec { name: "portable", mr: MR, nr: NV * 8, kc: 256, mc: MR * 32, nc: 1024, kernel };
