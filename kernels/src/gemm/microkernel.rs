//! The register-blocked micro-kernel, written once over a small vector trait and
//! instantiated per instruction set by thin `#[target_feature]` wrappers (the
//! pattern of memchr's `Vector` trait and matrixmultiply's `kernel_target_*`).
//!
//! A micro-kernel call computes one `MR × NR` tile of C from a packed A micro-panel
//! (`kc` steps of `MR` values) and a packed B micro-panel (`kc` steps of `NR = NV ×
//! LANES` values): `MR × NV` vector accumulators stay in registers for the whole
//! depth loop, each step loads `NV` vectors of B, broadcasts `MR` values of A and
//! issues `MR × NV` FMAs. Vectors run along N because C is row-major in every call
//! the trainer makes, so a full tile's rows are written with plain vector stores.

/// The few vector operations the micro-kernel needs.
///
/// # Safety
/// Implementations are `unsafe` intrinsics: callers must run on a CPU with the
/// implementation's instruction set (guaranteed by the `#[target_feature]` wrapper
/// that instantiates the kernel, which dispatch only calls after detection), and
/// pointers must be valid for `LANES` floats.
pub(super) trait Simd {
    /// f32 lanes per vector.
    const LANES: usize;
    /// The vector type: exactly `LANES` f32 values, no padding.
    type V: Copy;
    unsafe fn zero() -> Self::V;
    unsafe fn splat(x: f32) -> Self::V;
    unsafe fn load(p: *const f32) -> Self::V;
    unsafe fn store(p: *mut f32, v: Self::V);
    /// `acc + a·b`, fused where the instruction set has FMA.
    unsafe fn mul_add(acc: Self::V, a: Self::V, b: Self::V) -> Self::V;
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// Hints that the cache line holding `p` will be read soon (no-op by default).
    #[inline(always)]
    unsafe fn prefetch(_p: *const f32) {}
}

/// `C[0..rows, 0..cols] ← α·(Ā·B̄) + β·C` for one tile, where Ā is a packed `MR × kc`
/// micro-panel and B̄ a packed `kc × NR` micro-panel (`NR = NV · S::LANES`), both
/// zero-padded past `rows` / `cols`. When `beta == 0`, C is not read.
///
/// The write-back does the same operations in the same order on every path (`α·t`,
/// then `β·c`, then the sum; `β == 1` skips the exact product), so a full tile and an
/// edge tile give bitwise the same value for an element: results cannot depend on
/// where tile boundaries fall, hence not on how the work was split between threads.
///
/// # Safety
/// The CPU must support `S`'s instruction set; `a` must be valid for `kc · MR` reads,
/// `b` for `kc · NR` reads; `c + i·rsc + j·csc` must be valid for reads and writes for
/// every `i < rows <= MR`, `j < cols <= NR`, and not be accessed concurrently.
#[inline(always)]
pub(super) unsafe fn tile<S: Simd, const MR: usize, const NV: usize>(
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
    let nr = NV * S::LANES;
    // SAFETY (whole body): the caller's contract above; every pointer offset below
    // stays inside the ranges it names.
    unsafe {
        // Start pulling the C tile toward L1 now, so its misses overlap the depth
        // loop instead of stalling the write-back (C rows are often 4 KiB apart, e.g.
        // N = 1024, and then compete for the same L1 set). Also when β == 0: the
        // stores need the lines too. A prefetch reads no value, so NaN stays unread.
        if cols > 0 {
            for i in 0..rows {
                for j in (0..cols).step_by(16) {
                    S::prefetch(c.add(i * rsc + j * csc));
                }
                S::prefetch(c.add(i * rsc + (cols - 1) * csc));
            }
        }
        let mut acc = [[S::zero(); NV]; MR];
        let (mut ap, mut bp) = (a, b);
        // The depth loop: the only hot loop of the whole GEMM.
        for _ in 0..kc {
            let mut bv = [S::zero(); NV];
            for v in 0..NV {
                bv[v] = S::load(bp.add(v * S::LANES));
            }
            for i in 0..MR {
                let ai = S::splat(*ap.add(i));
                for v in 0..NV {
                    acc[i][v] = S::mul_add(acc[i][v], ai, bv[v]);
                }
            }
            ap = ap.add(MR);
            bp = bp.add(nr);
        }

        let alpha_v = S::splat(alpha);
        if rows == MR && cols == nr && csc == 1 {
            // Full tile, contiguous rows: vector write-back.
            let beta_v = S::splat(beta);
            for i in 0..MR {
                let row = c.add(i * rsc);
                for v in 0..NV {
                    let p = row.add(v * S::LANES);
                    let x = S::mul(alpha_v, acc[i][v]);
                    let out = if beta == 0.0 {
                        x
                    } else if beta == 1.0 {
                        S::add(x, S::load(p))
                    } else {
                        S::add(x, S::mul(beta_v, S::load(p)))
                    };
                    S::store(p, out);
                }
            }
        } else {
            // Edge tile or strided C: spill the accumulators, then element by element.
            let mut spill = [[S::zero(); NV]; MR];
            for i in 0..MR {
                for v in 0..NV {
                    spill[i][v] = S::mul(alpha_v, acc[i][v]);
                }
            }
            let t = spill.as_ptr() as *const f32;
            for i in 0..rows {
                for j in 0..cols {
                    let x = *t.add(i * nr + j);
                    let p = c.add(i * rsc + j * csc);
                    *p = if beta == 0.0 {
                        x
                    } else if beta == 1.0 {
                        x + *p
                    } else {
                        x + beta * *p
                    };
                }
            }
        }
    }
}
