//! The tape's own elementwise loops (arithmetic, STE, hinge, gradient
//! accumulation), split over the current rayon pool when large, like the
//! kernels' entry points. Every element is computed on its own, so the split
//! never changes a result (the trainer's determinism does not depend on it).

use rayon::prelude::*;

/// The smallest share of work worth handing to another thread (see the kernels'
/// `elementwise::PAR_MIN`): ~32K elements take 5–10 µs here.
const PAR_MIN: usize = 32 * 1024;

/// Elements per task, or `None` to stay on the calling thread.
fn chunk(len: usize) -> Option<usize> {
    let threads = sigah_kernels::threads::available();
    if threads < 2 || len < 2 * PAR_MIN {
        return None;
    }
    Some(len.div_ceil(threads).max(PAR_MIN))
}

/// `out[i] = f(a[i], b[i])`.
pub(super) fn map2(out: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync + Send) {
    zip2(out, a, b, |o, a, b| *o = f(a, b))
}

/// `out[i] += f(a[i], b[i])`.
pub(super) fn add2(out: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync + Send) {
    zip2(out, a, b, |o, a, b| *o += f(a, b))
}

/// `set(&mut out[i], a[i], b[i])` for every i, split over the pool when large.
fn zip2(out: &mut [f32], a: &[f32], b: &[f32], set: impl Fn(&mut f32, f32, f32) + Sync + Send) {
    let serial = |out: &mut [f32], a: &[f32], b: &[f32]| {
        for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
            set(o, a, b);
        }
    };
    match chunk(out.len()) {
        Some(c) => {
            out.par_chunks_mut(c).zip(a.par_chunks(c)).zip(b.par_chunks(c)).for_each(|((o, a), b)| serial(o, a, b))
        }
        None => serial(out, a, b),
    }
}

/// `f(r, row r of out, &mut extra[r])` for every row of the row-major `out`
/// (`cols` wide; `extra` has one entry per row). Rows are split over the pool
/// when large; each row is computed on its own, so the split never changes a
/// result.
pub(super) fn rows(
    out: &mut [f32],
    cols: usize,
    extra: &mut [f32],
    f: impl Fn(usize, &mut [f32], &mut f32) + Sync + Send,
) {
    debug_assert_eq!(out.len(), extra.len() * cols);
    let run = |first: usize, out: &mut [f32], extra: &mut [f32]| {
        for (i, (row, e)) in out.chunks_exact_mut(cols).zip(extra).enumerate() {
            f(first + i, row, e);
        }
    };
    match chunk(out.len()) {
        Some(c) => {
            let per = (c / cols).max(1);
            out.par_chunks_mut(per * cols)
                .zip(extra.par_chunks_mut(per))
                .enumerate()
                .for_each(|(k, (o, e))| run(k * per, o, e));
        }
        None => run(0, out, extra),
    }
}
