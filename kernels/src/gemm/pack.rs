//! Packing: copies a block of A or B into the layout the micro-kernel streams.
//!
//! Packing is what makes any strides (transposed views, padded rows, column-major
//! data) cost the same as contiguous row-major input: the O(m·k + k·n) copy is paid
//! once per block and the O(m·k·n) inner loops only ever read unit-stride, aligned
//! memory. The code is safe indexing into the caller's slice; the bounds checks are
//! on the copy, not on the FMA loop.

use super::MatRef;

/// Packs rows `r0 .. r0 + rows` and depth `p0 .. p0 + kc` of `a` into micro-panels of
/// `mr` rows: panel `q`, step `p` holds `a[r0 + q·mr + i, p0 + p]` for `i < mr` at
/// `dst[(q·kc + p)·mr + i]`. Rows past the block are zero, so the micro-kernel can
/// always run a full `mr`-row panel.
pub(super) fn pack_a(a: &MatRef<'_>, r0: usize, rows: usize, p0: usize, kc: usize, mr: usize, dst: &mut [f32]) {
    let (rs, cs, data) = (a.row_stride(), a.col_stride(), a.data());
    let panels = rows.div_ceil(mr);
    let dst = &mut dst[..panels * mr * kc];
    for (q, panel) in dst.chunks_exact_mut(mr * kc).enumerate() {
        let live = mr.min(rows - q * mr);
        let base = (r0 + q * mr) * rs + p0 * cs;
        if cs == 1 {
            // Row-major A (the A·B and A·Bᵀ cases): each row is contiguous in depth.
            for i in 0..live {
                let src = &data[base + i * rs..][..kc];
                for (p, &x) in src.iter().enumerate() {
                    panel[p * mr + i] = x;
                }
            }
        } else {
            // Transposed A (Aᵀ·B) or general strides: walk depth-major.
            for p in 0..kc {
                for i in 0..live {
                    panel[p * mr + i] = data[base + i * rs + p * cs];
                }
            }
        }
        if live < mr {
            for p in 0..kc {
                panel[p * mr + live..(p + 1) * mr].fill(0.0);
            }
        }
    }
}

/// Packs depth `p0 .. p0 + kc` and columns `c0 .. c0 + cols` of `b` into micro-panels
/// of `nr` columns: panel `q`, step `p` holds `b[p0 + p, c0 + q·nr + j]` for `j < nr`
/// at `dst[(q·kc + p)·nr + j]`; columns past the block are zero.
pub(super) fn pack_b(b: &MatRef<'_>, p0: usize, kc: usize, c0: usize, cols: usize, nr: usize, dst: &mut [f32]) {
    let (rs, cs, data) = (b.row_stride(), b.col_stride(), b.data());
    let panels = cols.div_ceil(nr);
    let dst = &mut dst[..panels * nr * kc];
    for (q, panel) in dst.chunks_exact_mut(nr * kc).enumerate() {
        let live = nr.min(cols - q * nr);
        let base = p0 * rs + (c0 + q * nr) * cs;
        if cs == 1 {
            // Row-major B (A·B): each step is one contiguous run of `live` values.
            for p in 0..kc {
                let src = &data[base + p * rs..][..live];
                panel[p * nr..p * nr + live].copy_from_slice(src);
            }
        } else if rs == 1 {
            // Transposed B (A·Bᵀ): each column is contiguous in depth.
            for j in 0..live {
                let src = &data[base + j * cs..][..kc];
                for (p, &x) in src.iter().enumerate() {
                    panel[p * nr + j] = x;
                }
            }
        } else {
            for p in 0..kc {
                for j in 0..live {
                    panel[p * nr + j] = data[base + p * rs + j * cs];
                }
            }
        }
        if live < nr {
            for p in 0..kc {
                panel[p * nr + live..(p + 1) * nr].fill(0.0);
            }
        }
    }
}
