//! Every elementwise kernel on every instruction set this CPU runs, against the
//! scalar reference, bit for bit.
//!
//! Why exact: each SIMD path computes, per element, the reference's operations in
//! the reference's order (the row sums are vectorised across columns and walk
//! the rows in order), so there is nothing to round differently. The comparison is
//! on bit patterns, so a `−0` where the reference has `+0` fails; two NaNs count as
//! equal whatever their payload and sign (`signum(v)·NaN` and a sign flip of NaN
//! are both "NaN", and no kernel promises a NaN bit pattern).
//!
//! Inputs mix random values with the edge cases: `±0`, `v = ±θ` exactly (the
//! soft-threshold kink), NaN and infinities, lengths around the vector widths (4,
//! 8, 16), zero rows and a single column. Accumulating outputs start from random
//! values (with `−0` among them) to check `+=`.

use proptest::collection::vec;
use proptest::prelude::*;
use sigah_kernels::elementwise::{self as ew, scalar};
use sigah_kernels::isa::{self, Isa};

/// A float that is often an edge case.
fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => -3.0f32..3.0,
        1 => Just(0.0f32),
        1 => Just(-0.0f32),
        1 => prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(1e-40f32)],
    ]
}

/// `rows × cols` values; `kink` replaces some with `±theta[col]` (filled in later).
fn matrix() -> impl Strategy<Value = (usize, usize, Vec<f32>, Vec<u8>)> {
    (0usize..6, 1usize..40).prop_flat_map(|(r, c)| (Just(r), Just(c), vec(value(), r * c), vec(0u8..6, r * c)))
}

fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn assert_same(what: &str, isa: Isa, got: &[f32], want: &[f32]) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len());
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        prop_assert!(
            same(g, w),
            "{} on {}: element {}: {:?} (bits {:#x}), reference {:?} (bits {:#x})",
            what,
            isa,
            i,
            g,
            g.to_bits(),
            w,
            w.to_bits()
        );
    }
    Ok(())
}

/// The levels to test: every one this CPU runs, with a note for those it lacks.
fn levels() -> Vec<Isa> {
    let all = isa::available();
    for level in [Isa::Avx2, Isa::Avx512, Isa::Neon] {
        if !all.contains(&level) {
            eprintln!("elementwise tests: skipping {level}: not supported by this CPU");
        }
    }
    all
}

/// Thresholds: non-negative (0 included), as the model keeps them.
fn thetas(cols: usize, seed: &[f32]) -> Vec<f32> {
    (0..cols).map(|j| if j % 5 == 0 { 0.0 } else { seed.get(j).map_or(0.5, |v| v.abs().min(2.0)) }).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn relu_matches_reference(x in vec(value(), 0..100), dy in vec(value(), 100), dx0 in vec(value(), 100)) {
        let n = x.len();
        let mut want_y = vec![f32::NAN; n];
        scalar::relu_forward(&x, &mut want_y);
        let mut want_dx = dx0[..n].to_vec();
        scalar::relu_backward(&x, &dy[..n], &mut want_dx);
        for isa in levels() {
            let mut y = vec![f32::NAN; n];
            ew::relu_forward_with(isa, &x, &mut y);
            assert_same("relu_forward", isa, &y, &want_y)?;
            let mut dx = dx0[..n].to_vec();
            ew::relu_backward_with(isa, &x, &dy[..n], &mut dx);
            assert_same("relu_backward", isa, &dx, &want_dx)?;
        }
    }

    #[test]
    fn bias_matches_reference((rows, cols, x, _) in matrix(), b in vec(value(), 40), db0 in vec(value(), 40)) {
        let bias = &b[..cols];
        let mut want_x = x.clone();
        scalar::bias_add(&mut want_x, bias);
        let mut want_db = db0[..cols].to_vec();
        scalar::bias_grad(&x, &mut want_db);
        for isa in levels() {
            let mut got = x.clone();
            ew::bias_add_with(isa, &mut got, bias);
            assert_same("bias_add", isa, &got, &want_x)?;
            let mut db = db0[..cols].to_vec();
            ew::bias_grad_with(isa, &x, &mut db);
            assert_same(&format!("bias_grad ({rows}x{cols})"), isa, &db, &want_db)?;
        }
    }

    #[test]
    fn soft_threshold_matches_reference(
        (rows, cols, mut v, kinds) in matrix(),
        t in vec(value(), 40),
        dy in vec(value(), 240),
        dv0 in vec(value(), 240),
        dt0 in vec(value(), 40),
    ) {
        let theta = thetas(cols, &t);
        // Put some values exactly on the kink |v| = θ.
        for (k, v) in v.iter_mut().enumerate() {
            match kinds[k] {
                0 => *v = theta[k % cols],
                1 => *v = -theta[k % cols],
                _ => {}
            }
        }
        let n = rows * cols;
        let mut want_y = vec![f32::NAN; n];
        scalar::soft_threshold_forward(&v, &theta, &mut want_y);
        let (mut want_dv, mut want_dt) = (dv0[..n].to_vec(), dt0[..cols].to_vec());
        scalar::soft_threshold_backward(&v, &theta, &dy[..n], &mut want_dv, &mut want_dt);
        for isa in levels() {
            let mut y = vec![f32::NAN; n];
            ew::soft_threshold_forward_with(isa, &v, &theta, &mut y);
            assert_same("soft_threshold_forward", isa, &y, &want_y)?;
            let (mut dv, mut dt) = (dv0[..n].to_vec(), dt0[..cols].to_vec());
            ew::soft_threshold_backward_with(isa, &v, &theta, &dy[..n], &mut dv, &mut dt);
            assert_same("soft_threshold_backward dv", isa, &dv, &want_dv)?;
            assert_same(&format!("soft_threshold_backward dθ ({rows}x{cols})"), isa, &dt, &want_dt)?;
        }
    }
}

/// The reference itself on hand-checked values, so the comparison above compares
/// against something right: the kinks take the documented subgradients.
#[test]
fn reference_values() {
    let x = [-1.0, -0.0, 0.0, 2.5, f32::NAN];
    let mut y = [9.0; 5];
    scalar::relu_forward(&x, &mut y);
    assert_eq!(y.map(f32::to_bits), [0.0f32, 0.0, 0.0, 2.5, 0.0].map(f32::to_bits));
    let mut dx = [1.0; 5];
    scalar::relu_backward(&x, &[10.0; 5], &mut dx);
    assert_eq!(dx, [1.0, 1.0, 1.0, 11.0, 1.0], "ReLU'(0) = 0");

    // θ = 1: S(−3) = −2, S(−1) = 0 (the kink), S(0.5) = 0, S(1) = 0, S(4) = 3.
    let v = [-3.0, -1.0, 0.5, 1.0, 4.0];
    let theta = [1.0];
    let mut y = [9.0; 5];
    scalar::soft_threshold_forward(&v, &theta, &mut y);
    assert_eq!(y, [-2.0, 0.0, 0.0, 0.0, 3.0]);
    let (mut dv, mut dt) = ([0.0; 5], [0.0]);
    scalar::soft_threshold_backward(&v, &theta, &[1.0, 2.0, 3.0, 4.0, 5.0], &mut dv, &mut dt);
    assert_eq!(dv, [1.0, 0.0, 0.0, 0.0, 5.0], "∂/∂v = 1[|v| > θ], 0 at the kink");
    assert_eq!(dt, [1.0 - 5.0], "∂/∂θ = −sign(v)·1[|v| > θ], summed over rows");

    let mut b = [0.0, 0.0];
    scalar::bias_grad(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut b);
    assert_eq!(b, [9.0, 12.0]);
}

/// Widths that straddle every vector length, on large enough rows that the
/// vector bodies (not just the tails) run, with exact integer-valued data.
#[test]
fn every_width_around_the_vector_lengths() {
    for isa in levels() {
        for cols in 1..=40 {
            let rows = 3;
            let x: Vec<f32> = (0..rows * cols).map(|k| (k as f32 - 20.0) * 0.5).collect();
            let theta: Vec<f32> = (0..cols).map(|j| (j % 4) as f32).collect();
            let bias: Vec<f32> = (0..cols).map(|j| j as f32).collect();

            let (mut a, mut b) = (x.clone(), x.clone());
            scalar::bias_add(&mut a, &bias);
            ew::bias_add_with(isa, &mut b, &bias);
            assert_eq!(a, b, "bias_add {isa} cols {cols}");

            let (mut a, mut b) = (vec![0.0; cols], vec![0.0; cols]);
            scalar::bias_grad(&x, &mut a);
            ew::bias_grad_with(isa, &x, &mut b);
            assert_eq!(a, b, "bias_grad {isa} cols {cols}");

            let (mut a, mut b) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            scalar::soft_threshold_forward(&x, &theta, &mut a);
            ew::soft_threshold_forward_with(isa, &x, &theta, &mut b);
            assert_eq!(a, b, "soft_threshold_forward {isa} cols {cols}");
        }
    }
}

#[test]
#[should_panic(expected = "bias_add: length 7 is not a multiple of the 2 columns")]
fn bias_add_rejects_ragged_rows() {
    ew::bias_add(&mut [0.0; 7], &[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "soft_threshold_backward: dtheta has length 3, expected 2")]
fn soft_threshold_backward_rejects_wrong_dtheta() {
    ew::soft_threshold_backward(&[0.0; 4], &[1.0; 2], &[0.0; 4], &mut [0.0; 4], &mut [0.0; 3]);
}

/// The default entry points split large inputs over the rayon pool; the result
/// must be the single-threaded reference's, bit for bit, at any pool size.
#[test]
fn multithreaded_entry_points_match_the_reference() {
    let (rows, cols) = (301, 517); // ~156K elements: above the split threshold, ragged chunks
    let n = rows * cols;
    let x: Vec<f32> = (0..n).map(|k| ((k * 7919) % 2001) as f32 / 500.0 - 2.0).collect();
    let dy: Vec<f32> = (0..n).map(|k| ((k * 104_729) % 1999) as f32 / 1000.0 - 1.0).collect();
    let theta: Vec<f32> = (0..cols).map(|j| (j % 7) as f32 * 0.25).collect();

    let mut want_relu = vec![0.0; n];
    scalar::relu_forward(&x, &mut want_relu);
    let mut want_drelu = dy.clone();
    scalar::relu_backward(&x, &dy, &mut want_drelu);
    let mut want_bias = x.clone();
    scalar::bias_add(&mut want_bias, &theta);
    let mut want_st = vec![0.0; n];
    scalar::soft_threshold_forward(&x, &theta, &mut want_st);

    for threads in [1, 2, 3, 4] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut y = vec![f32::NAN; n];
            ew::relu_forward(&x, &mut y);
            assert!(y == want_relu, "relu_forward on {threads} threads");
            let mut d = dy.clone();
            ew::relu_backward(&x, &dy, &mut d);
            assert!(d == want_drelu, "relu_backward on {threads} threads");
            let mut b = x.clone();
            ew::bias_add(&mut b, &theta);
            assert!(b == want_bias, "bias_add on {threads} threads");
            let mut s = vec![f32::NAN; n];
            ew::soft_threshold_forward(&x, &theta, &mut s);
            assert!(
                s.iter().zip(&want_st).all(|(a, b)| a.to_bits() == b.to_bits()),
                "soft_threshold_forward on {threads} threads"
            );
        });
    }
}
