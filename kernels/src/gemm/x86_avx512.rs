//! AVX-512F micro-kernel: 16-lane `zmm` vectors, 32 architectural registers.
//!
//! Instructions in the depth loop: `vmovups zmm` (B micro-panel), `vfmadd231ps zmm,
//! zmm, m32{1to16}` (A broadcast folded into the FMA as a memory operand). On Intel
//! cores with two 512-bit FMA ports (Skylake-SP and later Xeons) an FMA has latency 4
//! and throughput 2 per cycle, so at least 8 independent accumulators are needed;
//! the tile uses MR × NV of them (see `SPEC`).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::driver::KernelSpec;
use super::microkernel::{tile, Simd};

struct Avx512;

impl Simd for Avx512 {
    const LANES: usize = 16;
    type V = __m512;
    #[inline(always)]
    unsafe fn zero() -> __m512 {
        // SAFETY: AVX-512F is enabled in the calling `#[target_feature]` wrapper.
        unsafe { _mm512_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        // SAFETY: as for zero.
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        // SAFETY: the caller guarantees 16 readable floats at p (unaligned is fine).
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        // SAFETY: the caller guarantees 16 writable floats at p.
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn mul_add(acc: __m512, a: __m512, b: __m512) -> __m512 {
        // SAFETY: as for zero.
        unsafe { _mm512_fmadd_ps(a, b, acc) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        // SAFETY: as for zero.
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        // SAFETY: as for zero.
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn prefetch(p: *const f32) {
        // SAFETY: a prefetch is only a hint; it never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
    }
}

const MR: usize = 12;
const NV: usize = 2;

/// # Safety
/// The CPU must support AVX-512F; the pointer contract of [`tile`].
#[target_feature(enable = "avx512f,avx2,fma")]
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
    // SAFETY: forwarded contract; AVX-512F is enabled on this function.
    unsafe { tile::<Avx512, MR, NV>(kc, alpha, a, b, beta, c, rsc, csc, rows, cols) }
}

macro_rules! variant { ($name:ident, $mr:expr, $nv:expr) => {
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn $name(kc: usize, alpha: f32, a: *const f32, b: *const f32, beta: f32, c: *mut f32, rsc: usize, csc: usize, rows: usize, cols: usize) {
    unsafe { tile::<Avx512, $mr, $nv>(kc, alpha, a, b, beta, c, rsc, csc, rows, cols) }
}
}}
variant!(k8x48, 8, 3);
variant!(k6x64, 6, 4);
variant!(k14x32, 14, 2);
variant!(k16x16, 16, 1);
variant!(k4x96, 4, 6);
pub(crate) fn tune_spec() -> KernelSpec {
    match std::env::var("SIGAH_GEMM_TILE").as_deref() {
        Ok("8x48") => KernelSpec { mr: 8, nr: 48, mc: 8*16, kernel: k8x48, ..SPEC },
        Ok("6x64") => KernelSpec { mr: 6, nr: 64, mc: 6*16, kernel: k6x64, ..SPEC },
        Ok("14x32") => KernelSpec { mr: 14, nr: 32, mc: 14*16, kernel: k14x32, ..SPEC },
        Ok("16x16") => KernelSpec { mr: 16, nr: 16, mc: 16*16, kernel: k16x16, ..SPEC },
        Ok("4x96") => KernelSpec { mr: 4, nr: 96, mc: 4*16, kernel: k4x96, ..SPEC },
        _ => SPEC,
    }
}
pub(crate) const SPEC: KernelSpec =
    KernelSpec { name: "avx512", mr: MR, nr: NV * 16, kc: 256, mc: MR * 16, nc: 1024, kernel };
