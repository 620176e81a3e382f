//! The blocked GEMM driver: the five-loop nest of BLIS / matrixmultiply around a
//! micro-kernel, the packing buffers, and the rayon split.
//!
//! ```text
//! loop 5  jc: N in blocks of NC      (packed B block: KC × NC, lives in L3 / L2)
//! loop 4  pc: K in blocks of ≈KC     pack B[pc.., jc..]
//! loop 3  ic: M in blocks of MC      pack A[ic.., pc..]  (packed A block: MC × KC, in L2)
//! loop 2  jr: NC in steps of NR      (B micro-panel KC × NR stays in L1 ...)
//! loop 1  ir: MC in steps of MR      (... while A micro-panels stream from L2)
//!         micro-kernel: MR × NR tile of C, depth KC, accumulators in registers
//! ```
//!
//! Determinism: every element of C is accumulated in the same order whatever the
//! thread count, because the depth is never split between threads and the depth
//! blocks (loop 4) depend only on K and the kernel; threads only take disjoint
//! ranges of rows or columns of C (see [`run`]).

use std::cell::RefCell;

use rayon::prelude::*;

use super::pack::{pack_a, pack_b};
use super::{MatMut, MatRef};

/// A micro-kernel with its register and cache blocking.
///
/// `kernel(kc, α, Ā, B̄, β, c, rsc, csc, rows, cols)` has the contract of
/// [`super::microkernel::tile`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct KernelSpec {
    /// Rows of the register tile.
    pub mr: usize,
    /// Columns of the register tile.
    pub nr: usize,
    /// Target depth block: `kc · nr · 4` bytes of packed B should sit in L1.
    pub kc: usize,
    /// Rows of the packed A block (a multiple of `mr`): `mc · kc · 4` bytes in L2.
    pub mc: usize,
    /// Columns of the packed B block (a multiple of `nr`).
    pub nc: usize,
    pub kernel: KernelFn,
    /// Kernels for thin edge tiles, `(max rows, max cols, kernel)`, cheapest first;
    /// they read the same packed panels as `kernel` (see `microkernel::tile`).
    pub edges: &'static [(usize, usize, KernelFn)],
}

impl KernelSpec {
    /// The cheapest kernel that covers a `rows × cols` tile.
    fn kernel_for(&self, rows: usize, cols: usize) -> KernelFn {
        if rows < self.mr || cols < self.nr {
            for &(r, c, edge) in self.edges {
                if rows <= r && cols <= c {
                    return edge;
                }
            }
        }
        self.kernel
    }
}

/// `(kc, α, Ā, B̄, β, c, rsc, csc, rows, cols)`, see [`super::microkernel::tile`].
pub(crate) type KernelFn = unsafe fn(usize, f32, *const f32, *const f32, f32, *mut f32, usize, usize, usize, usize);

/// Below this many multiply-adds (m·k·n) a product runs on the calling thread:
/// 2^20 FMAs take ≈ 14 µs on one core at 150 GFLOP/s, while waking a sleeping rayon
/// worker and joining costs several µs; below that, a second thread cannot pay.
const PARALLEL_MIN_FMAS: usize = 1 << 20;

/// The C operand as raw parts, so that disjoint row/column ranges can be handed to
/// different threads.
#[derive(Clone, Copy)]
struct OutPtr {
    ptr: *mut f32,
    rs: usize,
    cs: usize,
}
// SAFETY: an OutPtr is only shared between threads that write disjoint elements of
// C (disjoint row or column ranges of a non-aliasing view, checked in `run`), and the
// `&mut` borrow it comes from outlives the rayon scope that uses it.
unsafe impl Send for OutPtr {}
// SAFETY: as for Send.
unsafe impl Sync for OutPtr {}

/// Whether no two elements of the `rows × cols` view share a memory slot, a
/// sufficient condition (rows or columns laid out one after another) that every
/// real layout meets. Only such views are written from several threads.
fn non_aliasing(rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    rows <= 1 && (cols <= 1 || cs > 0) || cols <= 1 && rs > 0 || cs > 0 && rs >= cols * cs || rs > 0 && cs >= rows * rs
}

/// `C ← α·A·B + β·C` with `spec`, splitting over rows or columns of C with rayon when
/// `parallel` and the product is large. Shapes are already checked.
pub(crate) fn run(
    spec: &KernelSpec,
    parallel: bool,
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    mut c: MatMut<'_>,
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    if m == 0 || n == 0 {
        return;
    }
    let out = OutPtr { ptr: c.data_mut().as_mut_ptr(), rs: c.row_stride(), cs: c.col_stride() };
    let threads = if parallel { crate::threads::available() } else { 1 };
    let small = m.saturating_mul(k).saturating_mul(n) < PARALLEL_MIN_FMAS;
    if threads <= 1 || small || !non_aliasing(m, n, out.rs, out.cs) {
        serial(spec, alpha, &a, &b, beta, out, 0, m, 0, n);
        return;
    }
    // Split the larger side of C into one chunk per thread, on tile boundaries; the
    // smaller operand is then packed by every thread, which costs less than
    // splitting the other way.
    let split_rows = m >= n;
    let (len, unit) = if split_rows { (m, spec.mr) } else { (n, spec.nr) };
    let tiles = len.div_ceil(unit);
    let per = tiles.div_ceil(threads.min(tiles)) * unit;
    let chunks = len.div_ceil(per);
    (0..chunks).into_par_iter().for_each(|t| {
        let (lo, hi) = (t * per, ((t + 1) * per).min(len));
        if split_rows {
            serial(spec, alpha, &a, &b, beta, out, lo, hi - lo, 0, n);
        } else {
            serial(spec, alpha, &a, &b, beta, out, 0, m, lo, hi - lo);
        }
    });
}

/// 64-byte aligned storage for packed panels (a cache line; whole AVX-512 vectors).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

thread_local! {
    /// Per-thread packing buffers, reused across calls: a fresh allocation of a
    /// megabyte is an mmap and hundreds of page faults per GEMM.
    static BUFFERS: RefCell<(Vec<Line>, Vec<Line>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

fn as_floats(buf: &mut Vec<Line>, len: usize) -> &mut [f32] {
    let lines = len.div_ceil(16);
    if buf.len() < lines {
        buf.resize(lines, Line([0.0; 16]));
    }
    let floats: &mut [f32] = {
        let lines = &mut buf[..lines];
        // SAFETY: `Line` is `repr(C)` over `[f32; 16]` with no padding (64 bytes, align
        // 64), so `lines.len() · 16` consecutive f32 values live at its address.
        unsafe { std::slice::from_raw_parts_mut(lines.as_mut_ptr() as *mut f32, lines.len() * 16) }
    };
    &mut floats[..len]
}

/// The depth blocks: ⌈k / kc⌉ blocks of nearly equal size (a 784-deep product is four
/// blocks of 196, not three of 256 and a thin one of 16 that would run at a fraction
/// of the speed). Depends only on `k` and `kc`, never on the thread split.
fn depth_blocks(k: usize, kc: usize) -> impl Iterator<Item = (usize, usize)> {
    let count = k.div_ceil(kc).max(1);
    let (base, extra) = (k / count, k % count);
    (0..count).map(move |i| (i * base + i.min(extra), base + usize::from(i < extra)))
}

/// The loop nest on the calling thread, for rows `r0 .. r0 + m` and columns
/// `c0 .. c0 + n` of C.
fn serial(
    spec: &KernelSpec,
    alpha: f32,
    a: &MatRef<'_>,
    b: &MatRef<'_>,
    beta: f32,
    out: OutPtr,
    r0: usize,
    m: usize,
    c0: usize,
    n: usize,
) {
    let k = a.cols();
    if k == 0 {
        scale(alpha, beta, out, r0, m, c0, n);
        return;
    }
    let (mr, nr) = (spec.mr, spec.nr);
    // Block steps are whole tiles, so only the last block of a side has an edge tile.
    let mc_step = (spec.mc / mr).max(1) * mr;
    let nc_step = (spec.nc / nr).max(1) * nr;
    let kc_max = k.div_ceil(k.div_ceil(spec.kc));
    let mc_max = mc_step.min(m.next_multiple_of(mr));
    let nc_max = nc_step.min(n.next_multiple_of(nr));
    BUFFERS.with(|cell| {
        // A nested call on this thread (not something gemm does) gets fresh buffers.
        let mut fresh = (Vec::new(), Vec::new());
        let mut guard = cell.try_borrow_mut();
        let (abuf, bbuf) = match guard.as_mut() {
            Ok(bufs) => {
                let bufs = &mut **bufs;
                (&mut bufs.0, &mut bufs.1)
            }
            Err(_) => (&mut fresh.0, &mut fresh.1),
        };
        let apack = as_floats(abuf, mc_max * kc_max);
        let bpack = as_floats(bbuf, nc_max * kc_max);
        // Loop 5: column blocks of C.
        for jc in (0..n).step_by(nc_step) {
            let ncb = nc_step.min(n - jc);
            // Loop 4: depth blocks; the first applies β, later ones accumulate.
            for (bi, (pc, kc)) in depth_blocks(k, spec.kc).enumerate() {
                pack_b(b, pc, kc, c0 + jc, ncb, nr, bpack);
                let beta_k = if bi == 0 { beta } else { 1.0 };
                // Loop 3: row blocks of C.
                for ic in (0..m).step_by(mc_step) {
                    let mcb = mc_step.min(m - ic);
                    pack_a(a, r0 + ic, mcb, pc, kc, mr, apack);
                    // Loop 2: micro-panels of B.
                    for jr in (0..ncb).step_by(nr) {
                        let cols = nr.min(ncb - jr);
                        let bp = bpack[jr * kc..].as_ptr();
                        // Whole-height tiles use one kernel; only the block's last
                        // row panel can be thinner (chosen once per column panel).
                        let tall = spec.kernel_for(mr, cols);
                        let last = spec.kernel_for((mcb - 1) % mr + 1, cols);
                        // Loop 1: micro-panels of A.
                        for ir in (0..mcb).step_by(mr) {
                            let rows = mr.min(mcb - ir);
                            let ap = apack[ir * kc..].as_ptr();
                            let (i, j) = (r0 + ic + ir, c0 + jc + jr);
                            let kernel = if rows < mr { last } else { tall };
                            // SAFETY: the packed panels hold kc·mr and kc·nr floats
                            // from ap / bp (pack_a/pack_b fill whole, zero-padded
                            // panels); tile (i.., j..) of rows × cols lies inside C,
                            // which the MatMut view guarantees is in bounds, and no
                            // other thread writes it (run() splits C disjointly).
                            // The kernels were chosen for a level this CPU supports,
                            // and each covers rows × cols (kernel_for).
                            unsafe {
                                let cp = out.ptr.add(i * out.rs + j * out.cs);
                                kernel(kc, alpha, ap, bp, beta_k, cp, out.rs, out.cs, rows, cols);
                            }
                        }
                    }
                }
            }
        }
    });
}

/// `C ← α·0 + β·C` for an empty product (k == 0); with `β == 0`, C is zeroed unread.
fn scale(alpha: f32, beta: f32, out: OutPtr, r0: usize, m: usize, c0: usize, n: usize) {
    for i in r0..r0 + m {
        for j in c0..c0 + n {
            // SAFETY: (i, j) is inside the C view, written by this thread only.
            unsafe {
                let p = out.ptr.add(i * out.rs + j * out.cs);
                // Same expression as the reference: α·0 + β·c.
                *p = if beta == 0.0 { alpha * 0.0 } else { alpha * 0.0 + beta * *p };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_blocks_cover_k_in_order_and_balanced() {
        for k in [1, 7, 255, 256, 257, 512, 784, 960, 1024, 1500] {
            let blocks: Vec<_> = depth_blocks(k, 256).collect();
            assert_eq!(blocks.len(), k.div_ceil(256));
            let mut next = 0;
            for &(start, len) in &blocks {
                assert_eq!(start, next, "k = {k}: blocks must be contiguous");
                assert!(len > 0 && len <= 256, "k = {k}: block of {len}");
                next += len;
            }
            assert_eq!(next, k);
            let (lo, hi) = blocks.iter().fold((usize::MAX, 0), |(lo, hi), &(_, l)| (lo.min(l), hi.max(l)));
            assert!(hi - lo <= 1, "k = {k}: unbalanced blocks {blocks:?}");
        }
        assert_eq!(depth_blocks(784, 256).map(|b| b.1).collect::<Vec<_>>(), vec![196; 4]);
    }

    #[test]
    fn aliasing_views_are_recognised() {
        assert!(non_aliasing(3, 4, 4, 1)); // row-major
        assert!(non_aliasing(3, 4, 1, 3)); // column-major
        assert!(non_aliasing(3, 4, 9, 2)); // gapped rows
        assert!(non_aliasing(1, 4, 0, 1)); // one row, any row stride
        assert!(!non_aliasing(3, 4, 1, 1)); // rows overlap
        assert!(!non_aliasing(3, 4, 2, 1)); // row i + 1 starts inside row i
        assert!(!non_aliasing(3, 4, 0, 1)); // every row is the same memory
    }
}
