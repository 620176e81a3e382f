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
            // Row-major A (the A·B and A·Bᵀ cases): each row is contiguous in depth,
            // so packing is a transpose. Groups of four rows go through the SSE 4 × 4
            // transpose on x86-64; the rest (and everything elsewhere) element-wise.
            let row = |i: usize| &data[base + i * rs..][..kc];
            let done = if cfg!(target_arch = "x86_64") { live / 4 * 4 } else { 0 };
            #[cfg(target_arch = "x86_64")]
            for g in (0..done).step_by(4) {
                transpose4_sse(g, [row(g), row(g + 1), row(g + 2), row(g + 3)], mr, panel);
            }
            for i in done..live {
                for (p, &x) in row(i).iter().enumerate() {
                    panel[p * mr + i] = x;
                }
            }
        } else if rs == 1 {
            // Transposed A (Aᵀ·B, the weight gradients dYᵀ·X): each depth step's
            // `live` values are contiguous, one copy per step.
            for p in 0..kc {
                panel[p * mr..p * mr + live].copy_from_slice(&data[base + p * cs..][..live]);
            }
        } else {
            // General strides: walk depth-major.
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

/// Writes four equally long rows into lanes `g .. g + 4` of a panel of height
/// `mr`: `out[p·mr + g + i] = rows[i][p]`, four steps at a time with the SSE 4 × 4
/// transpose (`unpcklps`/`unpckhps`, `movlhps`/`movhlps`). SSE2 is part of the
/// x86-64 baseline, so this needs no detection. Packing matters when the product is
/// thin: 4096×128×64 does only 64 FMAs per packed A value, and replacing the
/// element-wise copy with this took it from 0.86× to 1.1× matrixmultiply.
#[cfg(target_arch = "x86_64")]
fn transpose4_sse(g: usize, rows: [&[f32]; 4], mr: usize, out: &mut [f32]) {
    use std::arch::x86_64::*;
    let kc = rows[0].len();
    assert!(rows.iter().all(|r| r.len() == kc) && g + 4 <= mr && out.len() >= kc * mr, "transpose4_sse: bad sizes");
    let whole = kc / 4 * 4;
    let dst = out.as_mut_ptr();
    for p in (0..whole).step_by(4) {
        // SAFETY: p + 4 <= kc = rows[i].len() for the loads; the stores write lanes
        // g..g+4 of steps p..p+4, at most index (kc - 1)·mr + mr - 1 < out.len().
        unsafe {
            let a0 = _mm_loadu_ps(rows[0].as_ptr().add(p));
            let a1 = _mm_loadu_ps(rows[1].as_ptr().add(p));
            let a2 = _mm_loadu_ps(rows[2].as_ptr().add(p));
            let a3 = _mm_loadu_ps(rows[3].as_ptr().add(p));
            let t0 = _mm_unpacklo_ps(a0, a1);
            let t1 = _mm_unpacklo_ps(a2, a3);
            let t2 = _mm_unpackhi_ps(a0, a1);
            let t3 = _mm_unpackhi_ps(a2, a3);
            _mm_storeu_ps(dst.add(p * mr + g), _mm_movelh_ps(t0, t1));
            _mm_storeu_ps(dst.add((p + 1) * mr + g), _mm_movehl_ps(t1, t0));
            _mm_storeu_ps(dst.add((p + 2) * mr + g), _mm_movelh_ps(t2, t3));
            _mm_storeu_ps(dst.add((p + 3) * mr + g), _mm_movehl_ps(t3, t2));
        }
    }
    for p in whole..kc {
        for i in 0..4 {
            out[p * mr + g + i] = rows[i][p];
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
            // Transposed B (A·Bᵀ): each column is contiguous in depth, so this is the
            // same interleave as row-major A, with columns for rows.
            let col = |j: usize| &data[base + j * cs..][..kc];
            let done = if cfg!(target_arch = "x86_64") { live / 4 * 4 } else { 0 };
            #[cfg(target_arch = "x86_64")]
            for g in (0..done).step_by(4) {
                transpose4_sse(g, [col(g), col(g + 1), col(g + 2), col(g + 3)], nr, panel);
            }
            for j in done..live {
                for (p, &x) in col(j).iter().enumerate() {
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
