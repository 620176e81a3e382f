//! ITQ, iterative quantisation (Gong & Lazebnik, CVPR 2011): PCA to k dimensions,
//! then a k × k rotation R that minimises the quantisation loss
//! `Q(B, R) = ‖B − V R‖²_F` (V the n × k centred PCA projections, B ∈ {−1, +1}ⁿˣᵏ),
//! by alternating two exact minimisations:
//!
//! - fix R: `B = sign(V R)` minimises Q elementwise;
//! - fix B: an orthogonal Procrustes problem. Expanding,
//!   `Q = ‖B‖² + ‖V R‖² − 2 tr(Rᵀ Vᵀ B)` and `‖V R‖ = ‖V‖` for orthogonal R, so R
//!   must maximise `tr(Rᵀ M)` with `M = Vᵀ B`. With the SVD `M = S Ω Ŝᵀ`,
//!   `tr(Rᵀ S Ω Ŝᵀ) = tr(Ω Ŝᵀ Rᵀ S)` and `Ŝᵀ Rᵀ S` is orthogonal, whose diagonal
//!   entries are at most 1, so the maximum `tr Ω` is reached at `Ŝᵀ Rᵀ S = I`,
//!   i.e. **R = S Ŝᵀ** (left factor times right factor transposed, of Vᵀ B).
//!   Equivalently, from `Bᵀ V = U Σ Wᵀ` (the transpose, so U = Ŝ and W = S), R = W Uᵀ.
//!   Taking `Ŝ Sᵀ` instead (the transpose of the minimiser) is the classic bug: the
//!   loss then need not decrease. [`procrustes`] is tested on a case whose answer
//!   is known, and the loss trace is tested to be non-increasing.
//!
//! Each half-step can only lower Q, so Q never increases over the iterations.

use nalgebra::{DMatrix, SVD};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use sigah_kernels::gemm::MatRef;

use super::linear::{check_training, matmul, LinearHash};
use super::{pca, Pca};
use crate::{Error, Result, Tensor};

/// What ITQ training did: the quantisation loss `‖B − V R‖²` after every
/// half-step (B update, then R update, ...), for tests and reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItqTrace {
    pub losses: Vec<f64>,
    /// The learned k × k rotation R (the hash projection is `P R`).
    pub rotation: Tensor,
}

/// The orthogonal `k × k` matrix R minimising `‖B − V R‖_F` (V and B both `n × k`):
/// `R = S Ŝᵀ` from the SVD `Vᵀ B = S Ω Ŝᵀ` (derivation in the module doc).
pub fn procrustes(v: &Tensor, b: &Tensor) -> Result<Tensor> {
    if v.shape() != b.shape() {
        return Err(Error::ShapeMismatch {
            op: "procrustes",
            expected: format!("B of shape {:?} like V", v.shape()),
            got: format!("{:?}", b.shape()),
        });
    }
    let m = matmul(v.view().t(), b.view()); // Vᵀ B, k × k
    let k = m.rows;
    let m = DMatrix::<f64>::from_fn(k, k, |i, j| m.at(i, j) as f64);
    let (s, s_hat_t) = svd_factors(m)?;
    Ok(to_tensor(&(s * s_hat_t)))
}

/// `(U, Vᵀ)` of the SVD `m = U Σ Vᵀ`.
fn svd_factors(m: DMatrix<f64>) -> Result<(DMatrix<f64>, DMatrix<f64>)> {
    // Bounded iterations: a pathological input errors instead of looping.
    let svd = SVD::try_new(m, true, true, f64::EPSILON, 1_000_000)
        .ok_or_else(|| Error::Config("ITQ: the SVD did not converge".into()))?;
    match (svd.u, svd.v_t) {
        (Some(u), Some(v_t)) => Ok((u, v_t)),
        _ => Err(Error::Config("ITQ: the SVD did not return its factors".into())),
    }
}

fn to_tensor(m: &DMatrix<f64>) -> Tensor {
    Tensor::new(
        m.nrows(),
        m.ncols(),
        (0..m.nrows() * m.ncols()).map(|i| m[(i / m.ncols(), i % m.ncols())] as f32).collect(),
    )
}

/// `sign(z)` as ±1 (0 → −1, matching the code bit `z > 0`).
fn sign(z: &Tensor) -> Tensor {
    Tensor::new(z.rows, z.cols, z.data.iter().map(|&v| if v > 0.0 { 1.0 } else { -1.0 }).collect())
}

/// `‖b − z‖²`, summed in f64.
fn loss(b: &Tensor, z: &Tensor) -> f64 {
    b.data.iter().zip(&z.data).map(|(&b, &z)| ((b - z) as f64).powi(2)).sum()
}

/// Trains ITQ with `iterations` rotation updates (the paper uses 50), starting
/// from a random orthogonal rotation drawn from a ChaCha8 stream seeded with `seed`.
pub fn train_itq(x: &Tensor, bits: usize, seed: u64, iterations: usize) -> Result<(LinearHash, ItqTrace)> {
    check_training("ITQ", x, bits, Some(x.cols))?;
    train_itq_from(x, &pca(x, bits)?, bits, seed, iterations)
}

/// ITQ from a PCA of `x` already computed (with ≥ `bits` components).
pub fn train_itq_from(
    x: &Tensor,
    p: &Pca,
    bits: usize,
    seed: u64,
    iterations: usize,
) -> Result<(LinearHash, ItqTrace)> {
    check_training("ITQ", x, bits, Some(p.components.cols))?;
    let k = bits;
    let p = p.truncated(k);
    let pcah = LinearHash { mean: p.mean, proj: p.components };
    let v = pcah.project(x)?; // n × k

    // Initial rotation: the left singular vectors of a Gaussian k × k matrix (as
    // in the authors' code), a random orthogonal matrix.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = DMatrix::<f64>::from_fn(k, k, |_, _| StandardNormal.sample(&mut rng));
    let mut r = to_tensor(&svd_factors(g)?.0);

    let mut trace = ItqTrace::default();
    let mut prev_b: Option<Tensor> = None;
    for it in 0..=iterations {
        let z = matmul(v.view(), r.view());
        if let Some(b) = &prev_b {
            trace.losses.push(loss(b, &z)); // after the R update
        }
        let b = sign(&z);
        trace.losses.push(loss(&b, &z)); // after the B update
        if it == iterations {
            break;
        }
        r = procrustes(&v, &b)?;
        prev_b = Some(b);
    }
    let proj = matmul(MatRef::new(&pcah.proj.data, x.cols, k), r.view()); // d × k: P R
    trace.rotation = r;
    Ok((LinearHash { mean: pcah.mean, proj }, trace))
}
