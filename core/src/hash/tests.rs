//! Baseline tests: Procrustes on a case with a known answer, ITQ's loss trace and
//! orthogonality, PCA on data with known principal axes, LSH determinism.

use super::linear::matmul;
use super::*;
use crate::Tensor;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn gaussian(rows: usize, cols: usize, seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Tensor::new(rows, cols, (0..rows * cols).map(|_| StandardNormal.sample(&mut rng)).collect())
}

/// A random orthogonal k × k matrix (Q of a Gaussian matrix).
fn orthogonal(k: usize, seed: u64) -> Tensor {
    let g = gaussian(k, k, seed);
    let m = nalgebra::DMatrix::<f64>::from_fn(k, k, |i, j| g.at(i, j) as f64);
    let q = m.qr().q();
    Tensor::new(k, k, (0..k * k).map(|i| q[(i / k, i % k)] as f32).collect())
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    a.data.iter().zip(&b.data).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn assert_orthogonal(r: &Tensor, tol: f32) {
    let rtr = matmul(r.view().t(), r.view());
    let eye = Tensor::new(r.cols, r.cols, (0..r.cols * r.cols).map(|i| f32::from(i / r.cols == i % r.cols)).collect());
    assert!(max_abs_diff(&rtr, &eye) < tol, "RᵀR is not I: {}", max_abs_diff(&rtr, &eye));
}

/// When B = V Q exactly for an orthogonal Q, ‖B − V R‖ is 0 at R = Q and only
/// there (V has full column rank): the right answer is Q, and the wrong SVD factor
/// (Ŝ Sᵀ) gives Qᵀ, which this test rejects.
#[test]
fn procrustes_recovers_a_known_rotation() {
    let v = gaussian(60, 7, 1);
    let q = orthogonal(7, 2);
    let b = matmul(v.view(), q.view());
    let r = procrustes(&v, &b).unwrap();
    assert!(max_abs_diff(&r, &q) < 1e-4, "R != Q: {}", max_abs_diff(&r, &q));
    let q_t = Tensor::new(7, 7, (0..49).map(|i| q.at(i % 7, i / 7)).collect());
    assert!(max_abs_diff(&q_t, &q) > 0.1, "the test needs Q ≠ Qᵀ to tell the factors apart");
    assert!(procrustes(&v, &gaussian(60, 6, 3)).is_err());
}

#[test]
fn itq_loss_never_increases_and_r_stays_orthogonal() {
    // Correlated data: a random linear map of Gaussian samples, plus an offset.
    let z = gaussian(400, 12, 4);
    let mix = gaussian(12, 24, 5);
    let mut x = matmul(z.view(), mix.view());
    x.data.iter_mut().for_each(|v| *v += 3.0);
    let (hash, trace) = train_itq(&x, 8, 7, 50).unwrap();
    assert_eq!(trace.losses.len(), 2 * 50 + 1);
    for w in trace.losses.windows(2) {
        // f32 products: allow a relative rounding slack of 1e-5.
        assert!(w[1] <= w[0] * (1.0 + 1e-5), "loss increased: {} -> {}", w[0], w[1]);
    }
    assert!(trace.losses.last().unwrap() < &trace.losses[0], "50 iterations must lower the loss");
    assert_orthogonal(&trace.rotation, 1e-4);
    assert_eq!((hash.bits(), hash.dim()), (8, 24));
    let codes = hash.encode(&x).unwrap();
    assert_eq!(codes.len(), 400);
    // Same seed, same function.
    assert_eq!(train_itq(&x, 8, 7, 50).unwrap().0, hash);
}

#[test]
fn pca_finds_known_axes() {
    // Independent coordinates with standard deviations 5, 1, 3, 0.5: the principal
    // axes are e0, e2, e1 in that order, variances ≈ 25, 9, 1.
    let g = gaussian(4000, 4, 8);
    let sd = [5.0f32, 1.0, 3.0, 0.5];
    let x = Tensor::new(4000, 4, g.data.iter().enumerate().map(|(i, v)| v * sd[i % 4] + 10.0).collect());
    let p = pca(&x, 3).unwrap();
    for (j, axis) in [0usize, 2, 1].into_iter().enumerate() {
        let c: Vec<f32> = (0..4).map(|i| p.components.at(i, j)).collect();
        assert!(c[axis] > 0.99, "component {j} is {c:?}, expected axis {axis}");
    }
    for (got, want) in p.variances.iter().zip([25.0, 9.0, 1.0]) {
        assert!((got - want).abs() / want < 0.1, "{got} vs {want}");
    }
    assert!((p.mean[0] - 10.0).abs() < 0.3);
    assert!(pca(&x, 5).is_err());
    let h = train_pcah(&x, 8);
    assert!(h.unwrap_err().to_string().contains("at most one bit per input dimension"));
}

#[test]
fn lsh_is_seeded_and_checks_shapes() {
    let x = gaussian(50, 10, 9);
    let a = train_lsh(&x, 16, 1).unwrap();
    assert_eq!(a, train_lsh(&x, 16, 1).unwrap());
    assert_ne!(a.proj, train_lsh(&x, 16, 2).unwrap().proj);
    let codes = a.encode(&x).unwrap();
    assert_eq!((codes.len(), codes.bits()), (50, 16));
    // Bits are balanced-ish on centred Gaussian data: every bit is set somewhere.
    for j in 0..16 {
        assert!((0..50).any(|i| codes.bit(i, j)) && (0..50).any(|i| !codes.bit(i, j)));
    }
    let e = a.encode(&gaussian(3, 11, 1)).unwrap_err().to_string();
    assert!(e.contains("dimension 10"), "{e}");
    assert!(train_lsh(&x, 12, 1).is_err(), "12 is not a multiple of 8");
    assert!(train_lsh(&gaussian(1, 10, 1), 8, 1).is_err());
}

#[test]
fn encoding_is_the_sign_of_the_centred_projection() {
    let x = Tensor::new(3, 2, vec![1.0, 0.0, 3.0, 2.0, 2.0, 4.0]); // mean (2, 2)
    let h =
        LinearHash { mean: column_mean(&x), proj: Tensor::new(2, 8, (0..16).map(|i| [1.0, -1.0][i % 2]).collect()) };
    // Centred rows: (-1,-2), (1,0), (0,2). Both rows of proj are [1, -1, 1, -1, ...],
    // so even bits project to x0 + x1 and odd bits to −(x0 + x1).
    let p = h.project(&x).unwrap();
    assert_eq!(&p.row(0)[..2], &[-3.0, 3.0]);
    assert_eq!(&p.row(1)[..2], &[1.0, -1.0]);
    assert_eq!(&p.row(2)[..2], &[2.0, -2.0]);
    let c = h.encode(&x).unwrap();
    assert!(!c.bit(0, 0) && c.bit(0, 1) && c.bit(1, 0) && !c.bit(1, 1));
}

#[test]
fn a_truncated_full_pca_is_the_k_component_pca() {
    let x = matmul(gaussian(300, 6, 10).view(), gaussian(6, 10, 11).view());
    let full = pca(&x, 10).unwrap();
    let three = pca(&x, 3).unwrap();
    let cut = full.truncated(3);
    assert!(max_abs_diff(&cut.components, &three.components) < 1e-6);
    assert_eq!(cut.variances, three.variances);
    assert_eq!(train_pcah_from(&full, 8).unwrap().proj, full.truncated(8).components);
    assert_eq!(train_itq_from(&x, &full, 8, 3, 5).unwrap().0, train_itq(&x, 8, 3, 5).unwrap().0);
}
