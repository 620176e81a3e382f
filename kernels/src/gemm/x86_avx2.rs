//! AVX2+FMA micro-kernel: 8-lane `ymm` vectors, 16 architectural registers.
//!
//! Instructions in the depth loop: `vmovups ymm` (B micro-panel),
//! `vbroadcastss` + `vfmadd231ps ymm` (A). FMA latency 4-5, two per cycle: the
//! 6 × 16 tile (12 accumulators + 2 B vectors + 1 broadcast = 15 of 16 registers)
//! is the classic Haswell shape (BLIS `haswell` sgemm is 6 × 16 too).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::driver::KernelSpec;
use super::microkernel::{tile, Simd};

struct Avx2;

impl Simd for Avx2 {
    const LANES: usize = 8;
    type V = __m256;
    #[inline(always)]
    unsafe fn zero() -> __m256 {
        // SAFETY: AVX is enabled in the calling `#[target_feature]` wrapper.
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        // SAFETY: as for zero.
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        // SAFETY: the caller guarantees 8 readable floats at p (unaligned is fine).
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        // SAFETY: the caller guarantees 8 writable floats at p.
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn mul_add(acc: __m256, a: __m256, b: __m256) -> __m256 {
        // SAFETY: FMA is enabled in the calling wrapper.
        unsafe { _mm256_fmadd_ps(a, b, acc) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        // SAFETY: as for zero.
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        // SAFETY: as for zero.
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn prefetch(p: *const f32) {
        // SAFETY: a prefetch is only a hint; it never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
    }
}

const MR: usize = 6;
const NV: usize = 2;

/// # Safety
/// The CPU must support AVX2 and FMA; the pointer contract of [`tile`].
#[target_feature(enable = "avx2,fma")]
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
    // SAFETY: forwarded contract; AVX2+FMA are enabled on this function.
    unsafe { tile::<Avx2, MR, NV>(kc, alpha, a, b, beta, c, rsc, csc, rows, cols) }
}

pub(crate) const SPEC: KernelSpec =
    KernelSpec { name: "avx2", mr: MR, nr: NV * 8, kc: 256, mc: MR * 32, nc: 1024, kernel };
