//! The elementwise kernels written once over a vector of f32 lanes ([`Lanes`]),
//! instantiated per instruction set by the thin `#[target_feature]` wrappers in
//! `portable.rs`, `x86_avx2.rs`, `x86_avx512.rs` and `aarch64_neon.rs`
//! (the memchr `Vector` pattern).
//!
//! Every body computes, per element, exactly what the scalar reference computes,
//! with no reassociation, so every path is bit-identical to `scalar.rs` (the tests
//! compare with `==`, and bit patterns where signed zeros matter):
//! - conditional updates are a compare and a select between the updated and the
//!   old value, never "add 0", because `−0 + 0 = +0` would differ in the sign bit;
//! - the compares are ordered (`NaN > x` is false), as Rust's `>` is;
//! - the row sums (bias gradient, dθ) are vectorised across columns and walk the
//!   rows in order, so each column is summed in the reference's order.
//!
//! Tails shorter than a vector (and whole rows narrower than one) go to the
//! scalar reference, which is the same math.

use super::scalar;

/// One vector of f32 lanes. The methods are `unsafe` because they execute
/// instructions the CPU may lack: callers (the `#[target_feature]` wrappers) have
/// checked the feature. `load`/`store` also need `N` valid floats at the pointer.
pub(super) trait Lanes: Copy {
    /// Number of f32 lanes.
    const N: usize;
    /// Reads `N` floats from `p` (unaligned).
    unsafe fn load(p: *const f32) -> Self;
    /// Writes `N` floats to `p` (unaligned).
    unsafe fn store(self, p: *mut f32);
    unsafe fn splat(v: f32) -> Self;
    unsafe fn add(self, o: Self) -> Self;
    unsafe fn sub(self, o: Self) -> Self;
    /// `|self|` (the sign bit cleared).
    unsafe fn abs(self) -> Self;
    /// Only the sign bits of `self` (`self & −0.0`).
    unsafe fn sign_bits(self) -> Self;
    unsafe fn or(self, o: Self) -> Self;
    unsafe fn xor(self, o: Self) -> Self;
    /// Per lane: `if self > o { t } else { f }`, an ordered compare (false on NaN).
    unsafe fn select_gt(self, o: Self, t: Self, f: Self) -> Self;
}

/// `y = max(x, 0)` as the reference writes it: `if x > 0 { x } else { +0 }`.
///
/// # Safety
/// The CPU supports `V`'s instructions; `x.len() == y.len()`.
#[inline(always)]
pub(super) unsafe fn relu_forward<V: Lanes>(x: &[f32], y: &mut [f32]) {
    let n = x.len().min(y.len());
    let body = n - n % V::N;
    let (xp, yp) = (x.as_ptr(), y.as_mut_ptr());
    let mut i = 0;
    while i < body {
        // SAFETY: i + N <= body <= the length of both slices; features per the contract.
        unsafe {
            let zero = V::splat(0.0);
            let v = V::load(xp.add(i));
            v.select_gt(zero, v, zero).store(yp.add(i));
        }
        i += V::N;
    }
    scalar::relu_forward(&x[body..n], &mut y[body..n]);
}

/// `dx += dy · 1[x > 0]`.
///
/// # Safety
/// The CPU supports `V`'s instructions; the three slices have equal lengths.
#[inline(always)]
pub(super) unsafe fn relu_backward<V: Lanes>(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let n = x.len().min(dy.len()).min(dx.len());
    let body = n - n % V::N;
    let (xp, gp, dp) = (x.as_ptr(), dy.as_ptr(), dx.as_mut_ptr());
    let mut i = 0;
    while i < body {
        // SAFETY: i + N <= body <= the length of every slice; features per the contract.
        unsafe {
            let zero = V::splat(0.0);
            let old = V::load(dp.add(i));
            let new = old.add(V::load(gp.add(i)));
            V::load(xp.add(i)).select_gt(zero, new, old).store(dp.add(i));
        }
        i += V::N;
    }
    scalar::relu_backward(&x[body..n], &dy[body..n], &mut dx[body..n]);
}

/// `x[i, j] += bias[j]`, each row vectorised across its columns.
///
/// # Safety
/// The CPU supports `V`'s instructions; `x.len()` is a multiple of `bias.len()`.
#[inline(always)]
pub(super) unsafe fn bias_add<V: Lanes>(x: &mut [f32], bias: &[f32]) {
    let cols = bias.len();
    if cols == 0 {
        return;
    }
    let body = cols - cols % V::N;
    for row in x.chunks_exact_mut(cols) {
        let (rp, bp) = (row.as_mut_ptr(), bias.as_ptr());
        let mut j = 0;
        while j < body {
            // SAFETY: j + N <= body <= cols = the length of `row` and `bias`.
            unsafe { V::load(rp.add(j)).add(V::load(bp.add(j))).store(rp.add(j)) };
            j += V::N;
        }
        scalar::bias_add(&mut row[body..], &bias[body..]);
    }
}

/// `dbias[j] += Σ_i dy[i, j]`, rows in order (the reference's order per column).
/// `dbias` stays in L1 while the rows stream past.
///
/// # Safety
/// The CPU supports `V`'s instructions; `dy.len()` is a multiple of `dbias.len()`.
#[inline(always)]
pub(super) unsafe fn bias_grad<V: Lanes>(dy: &[f32], dbias: &mut [f32]) {
    let cols = dbias.len();
    if cols == 0 {
        return;
    }
    let body = cols - cols % V::N;
    for row in dy.chunks_exact(cols) {
        let (gp, bp) = (row.as_ptr(), dbias.as_mut_ptr());
        let mut j = 0;
        while j < body {
            // SAFETY: j + N <= body <= cols = the length of `row` and `dbias`.
            unsafe { V::load(bp.add(j)).add(V::load(gp.add(j))).store(bp.add(j)) };
            j += V::N;
        }
        scalar::bias_grad(&row[body..], &mut dbias[body..]);
    }
}

/// `y = sign(v)·max(|v| − θ, 0)` as the reference: `s = |v| − θ`,
/// `y = if s > 0 { copysign(s, v) } else { +0 }` (copysign of a positive `s` is
/// `s | sign_bits(v)`).
///
/// # Safety
/// The CPU supports `V`'s instructions; `v.len() == y.len()`, a multiple of `theta.len()`.
#[inline(always)]
pub(super) unsafe fn soft_threshold_forward<V: Lanes>(v: &[f32], theta: &[f32], y: &mut [f32]) {
    let cols = theta.len();
    if cols == 0 {
        return;
    }
    let body = cols - cols % V::N;
    for (vrow, yrow) in v.chunks_exact(cols).zip(y.chunks_exact_mut(cols)) {
        let (vp, tp, yp) = (vrow.as_ptr(), theta.as_ptr(), yrow.as_mut_ptr());
        let mut j = 0;
        while j < body {
            // SAFETY: j + N <= body <= cols = the length of the row slices and `theta`.
            unsafe {
                let zero = V::splat(0.0);
                let x = V::load(vp.add(j));
                let shrunk = x.abs().sub(V::load(tp.add(j)));
                shrunk.select_gt(zero, shrunk.or(x.sign_bits()), zero).store(yp.add(j));
            }
            j += V::N;
        }
        scalar::soft_threshold_forward(&vrow[body..], &theta[body..], &mut yrow[body..]);
    }
}

/// `dv += dy·1[|v| > θ]`, `dθ −= sign(v)·dy·1[|v| > θ]` summed over rows in order.
/// `sign(v)·dy` is `dy ^ sign_bits(v)` (Rust's `signum` is ±1 by the sign bit,
/// also for ±0, and multiplying by ±1 only flips the sign).
///
/// # Safety
/// The CPU supports `V`'s instructions; `v`, `dy`, `dv` have equal lengths, a
/// multiple of `theta.len() == dtheta.len()`.
#[inline(always)]
pub(super) unsafe fn soft_threshold_backward<V: Lanes>(
    v: &[f32],
    theta: &[f32],
    dy: &[f32],
    dv: &mut [f32],
    dtheta: &mut [f32],
) {
    let cols = theta.len();
    if cols == 0 {
        return;
    }
    let body = cols - cols % V::N;
    let rows = v.chunks_exact(cols).zip(dy.chunks_exact(cols)).zip(dv.chunks_exact_mut(cols));
    for ((vrow, grow), dvrow) in rows {
        let (vp, tp, gp) = (vrow.as_ptr(), theta.as_ptr(), grow.as_ptr());
        let (dvp, dtp) = (dvrow.as_mut_ptr(), dtheta.as_mut_ptr());
        let mut j = 0;
        while j < body {
            // SAFETY: j + N <= body <= cols = the length of every row slice, `theta`
            // and `dtheta`; features per the contract.
            unsafe {
                let x = V::load(vp.add(j));
                let g = V::load(gp.add(j));
                let above = x.abs();
                let t = V::load(tp.add(j));
                let old_dv = V::load(dvp.add(j));
                above.select_gt(t, old_dv.add(g), old_dv).store(dvp.add(j));
                let old_dt = V::load(dtp.add(j));
                above.select_gt(t, old_dt.sub(g.xor(x.sign_bits())), old_dt).store(dtp.add(j));
            }
            j += V::N;
        }
        scalar::soft_threshold_backward(
            &vrow[body..],
            &theta[body..],
            &grow[body..],
            &mut dvrow[body..],
            &mut dtheta[body..],
        );
    }
}

/// Stamps the six public-facing wrappers of one instruction set around the
/// generic bodies. `$($feature)?` is the `target_feature` string (none for the
/// portable path, whose `wide` types are fixed at compile time).
macro_rules! instantiate {
    ($lanes:ty $(, $feature:literal)?) => {
        use super::generic;

        /// See [`generic::relu_forward`].
        $(#[target_feature(enable = $feature)])?
        pub(super) unsafe fn relu_forward(x: &[f32], y: &mut [f32]) {
            // SAFETY: the dispatcher checked the CPU feature and the lengths.
            unsafe { generic::relu_forward::<$lanes>(x, y) }
        }

        /// See [`generic::relu_backward`].
        $(#[target_feature(enable = $feature)])?
        pub(super) unsafe fn relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
            // SAFETY: the dispatcher checked the CPU feature and the lengths.
            unsafe { generic::relu_backward::<$lanes>(x, dy, dx) }
        }

        /// See [`generic::bias_add`].
        $(#[target_feature(enable = $feature)])?
        pub(super) unsafe fn bias_add(x: &mut [f32], bias: &[f32]) {
            // SAFETY: the dispatcher checked the CPU feature and the lengths.
            unsafe { generic::bias_add::<$lanes>(x, bias) }
        }

        /// See [`generic::bias_grad`].
        $(#[target_feature(enable = $feature)])?
        pub(super) unsafe fn bias_grad(dy: &[f32], dbias: &mut [f32]) {
            // SAFETY: the dispatcher checked the CPU feature and the lengths.
            unsafe { generic::bias_grad::<$lanes>(dy, dbias) }
        }

        /// See [`generic::soft_threshold_forward`].
        $(#[target_feature(enable = $feature)])?
        pub(super) unsafe fn soft_threshold_forward(v: &[f32], theta: &[f32], y: &mut [f32]) {
            // SAFETY: the dispatcher checked the CPU feature and the lengths.
            unsafe { generic::soft_threshold_forward::<$lanes>(v, theta, y) }
        }

        /// See [`generic::soft_threshold_backward`].
        $(#[target_feature(enable = $feature)])?
        pub(super) unsafe fn soft_threshold_backward(
            v: &[f32],
            theta: &[f32],
            dy: &[f32],
            dv: &mut [f32],
            dtheta: &mut [f32],
        ) {
            // SAFETY: the dispatcher checked the CPU feature and the lengths.
            unsafe { generic::soft_threshold_backward::<$lanes>(v, theta, dy, dv, dtheta) }
        }
    };
}
pub(super) use instantiate;
