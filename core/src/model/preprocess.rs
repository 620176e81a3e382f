//! Input preprocessing (DESIGN §1): subtract the training mean, then divide by one
//! global scale so that the mean squared norm per dimension is 1, i.e.
//! `scale² = (1/(n·d)) Σᵢ ‖xᵢ − mean‖²`.
//!
//! The trainer never materialises a preprocessed copy of the data (that would
//! double the training memory): each mini-batch is gathered and transformed.

use crate::{Error, Result, Tensor};

/// How errors name the in-memory data set (loaders already checked the file).
const SOURCE: &str = "training data";

/// The fitted mean and scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Preprocess {
    /// `1 × d`.
    pub mean: Tensor,
    /// The global scale (> 0).
    pub scale: f32,
}

impl Preprocess {
    /// Fits the mean and scale on `data` (accumulated in f64, in row order, so the
    /// result does not depend on the thread count).
    ///
    /// Errors if `data` is empty, not finite, or has zero spread.
    pub fn fit(data: &Tensor) -> Result<Self> {
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
        Ok(Self { mean: Tensor::new(1, d, mean.iter().map(|&m| m as f32).collect()), scale })
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.mean.cols
    }

    /// Transforms `rows × d` values in place.
    pub fn apply(&self, x: &mut [f32]) {
        let inv = 1.0 / self.scale;
        for row in x.chunks_exact_mut(self.mean.cols) {
            for (v, m) in row.iter_mut().zip(&self.mean.data) {
                *v = (*v - m) * inv;
            }
        }
    }

    /// The rows `indices` of `data`, preprocessed (a training mini-batch).
    pub fn batch(&self, data: &Tensor, indices: &[usize]) -> Tensor {
        let mut b = data.gather_rows(indices);
        self.apply(&mut b.data);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocessed_data_has_zero_mean_and_unit_mean_square() {
        let data = Tensor::new(4, 3, vec![1.0, 2.0, 3.0, 5.0, 2.0, -1.0, 0.0, 4.0, 3.0, 2.0, 0.0, 7.0]);
        let p = Preprocess::fit(&data).unwrap();
        let all: Vec<usize> = (0..4).collect();
        let x = p.batch(&data, &all);
        for j in 0..3 {
            let m: f32 = (0..4).map(|i| x.at(i, j)).sum::<f32>() / 4.0;
            assert!(m.abs() < 1e-6, "column {j} mean {m}");
        }
        let ms: f32 = x.data.iter().map(|v| v * v).sum::<f32>() / 12.0;
        assert!((ms - 1.0).abs() < 1e-5, "{ms}");
        // Hand check: mean = (2, 2, 3), squared deviations sum to 1+0+0 + 9+0+16 + 4+4+0 + 0+4+16 = 54.
        assert_eq!(p.mean.data, vec![2.0, 2.0, 3.0]);
        assert!((p.scale - (54.0f32 / 12.0).sqrt()).abs() < 1e-6);
    }

    #[test]
    fn rejects_empty_constant_and_nan_data() {
        assert!(Preprocess::fit(&Tensor::zeros(0, 3)).is_err());
        assert!(Preprocess::fit(&Tensor::full(5, 3, 2.0)).unwrap_err().to_string().contains("identical"));
        let mut d = Tensor::full(5, 3, 2.0);
        d.data[7] = f32::NAN;
        let e = Preprocess::fit(&d).unwrap_err().to_string();
        assert!(e.contains("row 2") && e.contains("column 1") && e.contains("NaN"), "{e}");
    }
}
