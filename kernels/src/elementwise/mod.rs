//! Row-major elementwise kernels the model needs, forward and backward:
//! ReLU, bias add (row broadcast) and its gradient, soft-thresholding with a
//! per-column threshold.
//!
//! Backward kernels *accumulate* (`+=`) into their gradient outputs, as the tape
//! does. Subgradients at the kinks (written down once, here):
//! - ReLU'(0) = 0;
//! - soft-threshold `S_θ(v) = sign(v)·max(|v|−θ, 0)`: `∂/∂v = 1[|v| > θ]`,
//!   `∂/∂θ = −sign(v)·1[|v| > θ]` (0 at `|v| = θ`).

pub mod scalar;

#[cfg(target_arch = "aarch64")]
mod aarch64_neon;
mod generic;
mod portable;
#[cfg(target_arch = "x86_64")]
mod x86_avx2;
#[cfg(target_arch = "x86_64")]
mod x86_avx512;

use rayon::prelude::*;

use crate::Isa;

/// The smallest share of work (in elements) worth handing to another thread: a
/// rayon hand-off costs about a microsecond, and these memory-bound kernels do
/// ~32K elements in 5–10 µs.
const PAR_MIN: usize = 32 * 1024;

/// How many elements each rayon task takes for a row-major op over `len`
/// elements of `cols` columns (whole rows per task), or `None` to stay on the
/// calling thread (small input, or a one-thread pool). Splitting never changes a
/// result: these kernels compute every element on its own.
fn par_chunk(len: usize, cols: usize) -> Option<usize> {
    let threads = crate::threads::available();
    if threads < 2 || cols == 0 || len < 2 * PAR_MIN {
        return None;
    }
    let rows_per_task = (len.div_ceil(threads).max(PAR_MIN) / cols).max(1);
    let chunk = rows_per_task * cols;
    (chunk < len).then_some(chunk)
}

/// Runs kernel `$name` on the path for `$isa` (whose support the caller asserted).
macro_rules! dispatch {
    ($isa:expr, $name:ident($($arg:expr),*)) => {
        match $isa.without_tiles() {
            Isa::Scalar => scalar::$name($($arg),*),
            // SAFETY: the portable path uses only compile-time target features, and
            // the caller checked the lengths the generic bodies rely on.
            Isa::Portable => unsafe { portable::$name($($arg),*) },
            // SAFETY: the caller asserted `isa.is_supported()` (AVX2+FMA detected)
            // and checked the lengths.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { x86_avx2::$name($($arg),*) },
            // SAFETY: as above, with AVX-512 F/BW/VL detected.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { x86_avx512::$name($($arg),*) },
            // SAFETY: as above, with NEON detected.
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe { aarch64_neon::$name($($arg),*) },
            #[allow(unreachable_patterns)]
            other => unreachable!("{other} is supported by this CPU but has no path on this architecture"),
        }
    };
}

fn check_same(op: &str, what: &str, a: usize, b: usize) {
    assert_eq!(a, b, "{op}: {what} has length {b}, expected {a}");
}

fn check_rows(op: &str, len: usize, cols: usize) -> usize {
    assert!(cols > 0 || len == 0, "{op}: zero columns with {len} elements");
    if cols == 0 {
        return 0;
    }
    assert_eq!(len % cols, 0, "{op}: length {len} is not a multiple of the {cols} columns");
    len / cols
}

/// `y = max(x, 0)`, on the level [`crate::isa::selected`] chose, split over the
/// current rayon pool when large (results do not depend on the split).
///
/// # Panics
/// If `x` and `y` differ in length.
pub fn relu_forward(x: &[f32], y: &mut [f32]) {
    check_same("relu_forward", "y", x.len(), y.len());
    let isa = crate::isa::selected();
    match par_chunk(x.len(), 1) {
        Some(c) => x.par_chunks(c).zip(y.par_chunks_mut(c)).for_each(|(x, y)| relu_forward_with(isa, x, y)),
        None => relu_forward_with(isa, x, y),
    }
}

/// [`relu_forward`] on a given level.
///
/// # Panics
/// As [`relu_forward`], or if `isa` is unsupported.
pub fn relu_forward_with(isa: Isa, x: &[f32], y: &mut [f32]) {
    check_same("relu_forward", "y", x.len(), y.len());
    assert!(isa.is_supported(), "relu_forward: {isa} is not supported by this CPU");
    dispatch!(isa, relu_forward(x, y))
}

/// `dx += dy · 1[x > 0]`, split over the current rayon pool when large.
///
/// # Panics
/// If the lengths differ.
pub fn relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    check_same("relu_backward", "dy", x.len(), dy.len());
    check_same("relu_backward", "dx", x.len(), dx.len());
    let isa = crate::isa::selected();
    match par_chunk(x.len(), 1) {
        Some(c) => x
            .par_chunks(c)
            .zip(dy.par_chunks(c))
            .zip(dx.par_chunks_mut(c))
            .for_each(|((x, dy), dx)| relu_backward_with(isa, x, dy, dx)),
        None => relu_backward_with(isa, x, dy, dx),
    }
}

/// [`relu_backward`] on a given level.
///
/// # Panics
/// As [`relu_backward`], or if `isa` is unsupported.
pub fn relu_backward_with(isa: Isa, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    check_same("relu_backward", "dy", x.len(), dy.len());
    check_same("relu_backward", "dx", x.len(), dx.len());
    assert!(isa.is_supported(), "relu_backward: {isa} is not supported by this CPU");
    dispatch!(isa, relu_backward(x, dy, dx))
}

/// `x[i, j] += bias[j]` over a row-major matrix with `bias.len()` columns, split
/// by rows over the current rayon pool when large.
///
/// # Panics
/// If `x.len()` is not a multiple of `bias.len()`.
pub fn bias_add(x: &mut [f32], bias: &[f32]) {
    check_rows("bias_add", x.len(), bias.len());
    let isa = crate::isa::selected();
    match par_chunk(x.len(), bias.len()) {
        Some(c) => x.par_chunks_mut(c).for_each(|x| bias_add_with(isa, x, bias)),
        None => bias_add_with(isa, x, bias),
    }
}

/// [`bias_add`] on a given level.
///
/// # Panics
/// As [`bias_add`], or if `isa` is unsupported.
pub fn bias_add_with(isa: Isa, x: &mut [f32], bias: &[f32]) {
    check_rows("bias_add", x.len(), bias.len());
    assert!(isa.is_supported(), "bias_add: {isa} is not supported by this CPU");
    dispatch!(isa, bias_add(x, bias))
}

/// `dbias[j] += Σ_i dy[i, j]` (the gradient of [`bias_add`]). One thread: the
/// rows are summed in order.
///
/// # Panics
/// If `dy.len()` is not a multiple of `dbias.len()`.
pub fn bias_grad(dy: &[f32], dbias: &mut [f32]) {
    bias_grad_with(crate::isa::selected(), dy, dbias)
}

/// [`bias_grad`] on a given level.
///
/// # Panics
/// As [`bias_grad`], or if `isa` is unsupported.
pub fn bias_grad_with(isa: Isa, dy: &[f32], dbias: &mut [f32]) {
    check_rows("bias_grad", dy.len(), dbias.len());
    assert!(isa.is_supported(), "bias_grad: {isa} is not supported by this CPU");
    dispatch!(isa, bias_grad(dy, dbias))
}

/// `y[i, j] = sign(v) · max(|v| − θ[j], 0)` with `v = v[i, j]`, row-major with
/// `theta.len()` columns; split by rows over the current rayon pool when large.
///
/// # Panics
/// If `y` and `v` differ in length, or `v.len()` is not a multiple of `theta.len()`.
pub fn soft_threshold_forward(v: &[f32], theta: &[f32], y: &mut [f32]) {
    check_rows("soft_threshold_forward", v.len(), theta.len());
    check_same("soft_threshold_forward", "y", v.len(), y.len());
    let isa = crate::isa::selected();
    match par_chunk(v.len(), theta.len()) {
        Some(c) => {
            v.par_chunks(c).zip(y.par_chunks_mut(c)).for_each(|(v, y)| soft_threshold_forward_with(isa, v, theta, y))
        }
        None => soft_threshold_forward_with(isa, v, theta, y),
    }
}

/// [`soft_threshold_forward`] on a given level.
///
/// # Panics
/// As [`soft_threshold_forward`], or if `isa` is unsupported.
pub fn soft_threshold_forward_with(isa: Isa, v: &[f32], theta: &[f32], y: &mut [f32]) {
    check_rows("soft_threshold_forward", v.len(), theta.len());
    check_same("soft_threshold_forward", "y", v.len(), y.len());
    assert!(isa.is_supported(), "soft_threshold_forward: {isa} is not supported by this CPU");
    dispatch!(isa, soft_threshold_forward(v, theta, y))
}

/// Backward of [`soft_threshold_forward`] (one thread: dθ sums the rows in order):
/// `dv[i, j] += dy[i, j]·1[|v| > θ[j]]` and `dtheta[j] += Σ_i −sign(v)·dy[i, j]·1[|v| > θ[j]]`.
///
/// # Panics
/// If the lengths disagree.
pub fn soft_threshold_backward(v: &[f32], theta: &[f32], dy: &[f32], dv: &mut [f32], dtheta: &mut [f32]) {
    soft_threshold_backward_with(crate::isa::selected(), v, theta, dy, dv, dtheta)
}

/// [`soft_threshold_backward`] on a given level.
///
/// # Panics
/// As [`soft_threshold_backward`], or if `isa` is unsupported.
pub fn soft_threshold_backward_with(
    isa: Isa,
    v: &[f32],
    theta: &[f32],
    dy: &[f32],
    dv: &mut [f32],
    dtheta: &mut [f32],
) {
    check_rows("soft_threshold_backward", v.len(), theta.len());
    check_same("soft_threshold_backward", "dy", v.len(), dy.len());
    check_same("soft_threshold_backward", "dv", v.len(), dv.len());
    check_same("soft_threshold_backward", "dtheta", theta.len(), dtheta.len());
    assert!(isa.is_supported(), "soft_threshold_backward: {isa} is not supported by this CPU");
    dispatch!(isa, soft_threshold_backward(v, theta, dy, dv, dtheta))
}
