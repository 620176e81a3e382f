//! AVX-512F micro-kernel: 16-lane `zmm` vectors, 32 architectural registers.
//!
//! Instructions in the depth loop: `vmovups zmm` (B micro-panel), `vfmadd231ps zmm,
//! zmm, m32{1to16}` (A broadcast folded into the FMA as a memory operand). On Intel
//! cores with two 512-bit FMA ports (Skylake-SP and later Xeons) an FMA has latency 4
//! and throughput 2 per cycle, so at least 8 independent accumulators are needed;
//! the tile uses MR × NV of them (see `SPEC`).
//!
//! Why AVX-512 stays the default for `Isa::Avx512`: measured side by side
//! (`benches/examples/gemm_side_by_side.rs`) on this project's machine (an Intel Xeon
//! with AVX-512 and two 512-bit FMA pipes), this kernel runs the training shapes at
//! 1.5-1.9× the AVX2 6 × 16 kernel (e.g. 256×784×512: 147 vs 91 GFLOP/s, medians of
//! one interleaved run; criterion on a loaded machine: 62 vs 41). On Zen 4, which executes a 512-bit FMA as two 256-bit halves,
//! the gap would shrink to the saving in instructions and registers; the AVX2
//! kernel stays selectable there with `SIGAH_ISA=avx2`.
//!
//! Tile 12 × 32 (24 zmm accumulators, 2 B vectors, broadcasts as memory operands =
//! 26 of 32 registers), the shape BLIS uses for SKX sgemm (32 × 12 there, column
//! major). Measured against 8 × 48, 6 × 64, 14 × 32 and 16 × 16: all within noise on
//! the 256-row shapes; 12 × 32 was best on 4096×128×64, where 8 × 48 lost 15-20%.

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
const NR: usize = NV * 16;

/// Stamps a `#[target_feature]` instance of [`tile`]: `$rows × $nv` vectors, reading
/// panels packed for the main 12 × 32 tile.
macro_rules! avx512_kernel {
    ($name:ident, $rows:literal, $nv:literal) => {
        /// # Safety
        /// The CPU must support AVX-512F; the pointer contract of [`tile`] with
        /// panels packed for the main tile.
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn $name(
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
            unsafe { tile::<Avx512, $rows, $nv, MR, NR>(kc, alpha, a, b, beta, c, rsc, csc, rows, cols) }
        }
    };
}

avx512_kernel!(kernel, 12, 2);
avx512_kernel!(edge_4x16, 4, 1);
avx512_kernel!(edge_8x16, 8, 1);
avx512_kernel!(edge_4x32, 4, 2);
avx512_kernel!(edge_12x16, 12, 1);
avx512_kernel!(edge_8x32, 8, 2);

/// Blocking: KC = 256 makes the B micro-panel 256 × 32 × 4 B = 32 KiB, most of the
/// 48 KiB L1D, with the 12 KiB A micro-panel streaming beside it; MC = 192 rows make
/// the packed A block 192 KiB of the 2 MiB L2; NC = 1024 columns make the packed B
/// block 1 MiB (L2). KC 128-512, MC 96-384 and NC 512/1024 measured within noise of
/// each other; these are the matrixmultiply KC/NC defaults with a larger MC, as
/// the 12-row tile needs more rows per block.
///
/// Edge kernels, cheapest first: the last row panel of a 256-row product has 4 live
/// rows (256 = 21 · 12 + 4) and the last column panel of N = 784 has 16 live columns.
pub(crate) const SPEC: KernelSpec = KernelSpec {
    mr: MR,
    nr: NR,
    kc: 256,
    mc: MR * 16,
    nc: 1024,
    kernel,
    edges: &[(4, 16, edge_4x16), (8, 16, edge_8x16), (4, 32, edge_4x32), (12, 16, edge_12x16), (8, 32, edge_8x32)],
};
