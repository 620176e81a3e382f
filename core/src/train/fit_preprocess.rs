//! Fitting the input preprocessing on the training sample (the transform itself,
//! applied at training and encoding time, is `model/preprocess.rs`).

use crate::hash::pca;
use crate::model::Preprocess;
use crate::{Error, Result, Tensor};

/// How errors name the in-memory data set (loaders already checked the file).
const SOURCE: &str = "training data";

impl Preprocess {
    /// Fits the mean and scale on `data` (accumulated in f64, in row order, so the
    /// result does not depend on the thread count), after projecting onto the top
    /// `pca_dims` principal directions when `0 < pca_dims < d`.
    ///
    /// Errors if `data` is empty, not finite, or has zero spread.
    pub fn fit(data: &Tensor, pca_dims: usize) -> Result<Self> {
        let plain = Self::fit_plain(data)?;
        let d = data.cols;
        // PCA needs two rows; with fewer rows than p the surplus directions carry
        // no variance, which is harmless.
        let p = pca_dims;
        if p == 0 || p >= d || data.rows < 2 {
            return Ok(plain);
        }
        let proj = pca(data, p)?.components;
        let mut with = Self { proj: Some(proj), scale: 1.0, ..plain };
        // The scale of the projections: one pass over the data in blocks.
        let mut sq = 0f64;
        let rows: Vec<usize> = (0..data.rows).collect();
        for block in rows.chunks(1024) {
            let y = with.batch(data, block);
            sq += y.data.iter().map(|&v| (v as f64).powi(2)).sum::<f64>();
        }
        let scale = (sq / (data.rows * p) as f64).sqrt() as f32;
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(Error::Config("the training vectors have no spread along their principal directions".into()));
        }
        with.scale = scale;
        Ok(with)
    }

    /// Mean and scale without projection.
    fn fit_plain(data: &Tensor) -> Result<Self> {
        let (n, d) = data.shape();
        if n == 0 || d == 0 {
            return Err(Error::data(SOURCE, format!("cannot train on an empty data set ({n} x {d})")));
        }
        let mut sum = vec![0f64; d];
        for i in 0..n {
            let row = data.row(i);
            if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                return Err(Error::data(SOURCE, format!("row {i}, column {j} is {}", row[j])));
            }
            for (s, &v) in sum.iter_mut().zip(row) {
                *s += v as f64;
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n as f64).collect();
        let mut sq = 0f64;
        for i in 0..n {
            sq += data.row(i).iter().zip(&mean).map(|(&v, m)| (v as f64 - m).powi(2)).sum::<f64>();
        }
        let scale = (sq / (n * d) as f64).sqrt() as f32;
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(Error::Config(
                "the training vectors are all identical (zero variance): nothing to learn".into(),
            ));
        }
        Ok(Self { mean: Tensor::new(1, d, mean.iter().map(|&m| m as f32).collect()), scale, proj: None })
    }
}
