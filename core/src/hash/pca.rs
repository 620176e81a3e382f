//! PCA of the training set, and PCAH: one bit per top principal direction
//! (the sign of the centred projection).

use nalgebra::{DMatrix, SymmetricEigen};

use super::linear::{check_training, column_mean, covariance, LinearHash};
use crate::{Error, Result, Tensor};

/// The top principal directions of a data set.
#[derive(Clone, Debug, PartialEq)]
pub struct Pca {
    /// Per-dimension mean (length d).
    pub mean: Vec<f32>,
    /// `d × k`: column j is the unit eigenvector of the covariance with the j-th
    /// largest eigenvalue, signed so its largest-magnitude entry is positive (the
    /// eigensolver's sign is arbitrary; this makes it canonical).
    pub components: Tensor,
    /// The k largest eigenvalues (variances along the components), descending.
    pub variances: Vec<f64>,
}

/// The `k` top principal directions of `x` (rows are samples): covariance through
/// GEMM, then nalgebra's symmetric eigendecomposition in f64.
pub fn pca(x: &Tensor, k: usize) -> Result<Pca> {
    let d = x.cols;
    if k == 0 || k > d || x.rows < 2 {
        return Err(Error::Config(format!("PCA of {} × {d} data to {k} dimensions is not possible", x.rows)));
    }
    let mean = column_mean(x);
    let cov = covariance(x, &mean);
    if !cov.all_finite() {
        return Err(Error::Config("PCA: the covariance overflowed (values too large for f32)".into()));
    }
    // Symmetrise: the GEMM computes both triangles separately and they may differ
    // in the last bit; the eigensolver reads only one.
    let m = DMatrix::<f64>::from_fn(d, d, |i, j| 0.5 * (cov.at(i, j) as f64 + cov.at(j, i) as f64));
    // A bound on the iterations so a pathological input cannot loop forever.
    let eig = SymmetricEigen::try_new(m, f64::EPSILON, 1_000_000)
        .ok_or_else(|| Error::Config("PCA: the eigendecomposition did not converge".into()))?;
    let mut idx: Vec<usize> = (0..d).collect();
    // Descending eigenvalue, ties by index: a total, deterministic order.
    idx.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]).then(a.cmp(&b)));
    let mut components = Tensor::zeros(d, k);
    let mut variances = Vec::with_capacity(k);
    for (j, &c) in idx.iter().take(k).enumerate() {
        let col = eig.eigenvectors.column(c);
        let big = col.iter().copied().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        let sign = if big < 0.0 { -1.0 } else { 1.0 };
        for i in 0..d {
            components.data[i * k + j] = (sign * col[i]) as f32;
        }
        variances.push(eig.eigenvalues[c]);
    }
    Ok(Pca { mean, components, variances })
}

impl Pca {
    /// The first `k` components (`k` at most the number held).
    ///
    /// # Panics
    /// If `k` exceeds the components held.
    pub fn truncated(&self, k: usize) -> Pca {
        let (d, held) = self.components.shape();
        assert!(k <= held, "Pca::truncated: {k} components asked, {held} held");
        let data = (0..d).flat_map(|i| self.components.row(i)[..k].to_vec()).collect();
        Pca { mean: self.mean.clone(), components: Tensor::new(d, k, data), variances: self.variances[..k].to_vec() }
    }
}

/// Trains PCAH: bit j is the sign of the projection on the j-th principal direction.
pub fn train_pcah(x: &Tensor, bits: usize) -> Result<LinearHash> {
    check_training("PCAH", x, bits, Some(x.cols))?;
    train_pcah_from(&pca(x, bits)?, bits)
}

/// PCAH from a PCA of the training set already computed (with ≥ `bits` components).
pub fn train_pcah_from(p: &Pca, bits: usize) -> Result<LinearHash> {
    crate::codes::check_bits(bits)?;
    if bits > p.components.cols {
        return Err(Error::Config(format!(
            "PCAH takes at most one bit per input dimension: {bits} bits > {} components",
            p.components.cols
        )));
    }
    let p = p.truncated(bits);
    Ok(LinearHash { mean: p.mean, proj: p.components })
}
