//! Input preprocessing (docs/METHOD.md, "The model"): subtract the training mean, then divide by one
//! global scale so that the mean squared norm per dimension is 1, i.e.
//! `scale² = (1/(n·d)) Σᵢ ‖xᵢ − mean‖²`.
//!
//! With `input_pca = p` (docs/METHOD.md) the centred vectors are first projected
//! onto the training set's top `p` principal directions (an orthonormal `d × p`
//! matrix P, so Euclidean distances within that subspace are kept) and the scale
//! is fitted on the projections: `x ↦ (x − mean)·P / scale`, `scale² =
//! (1/(n·p)) Σᵢ ‖(xᵢ − mean)·P‖²`. The networks then see `p` features instead of
//! `d`.
//!
//! The trainer never materialises a preprocessed copy of the data (that would
//! double the training memory): each mini-batch is gathered and transformed.

use sigah_kernels::gemm::{gemm, gemm_with, MatMut, MatRef};

use crate::Tensor;

/// The fitted mean and scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Preprocess {
    /// `1 × d`.
    pub mean: Tensor,
    /// The global scale (> 0).
    pub scale: f32,
    /// `d × p` orthonormal principal directions, or `None` (no projection).
    pub proj: Option<Tensor>,
}

impl Preprocess {
    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.mean.cols
    }

    /// The dimension the networks see: p with a projection, else d.
    pub fn out_dim(&self) -> usize {
        self.proj.as_ref().map_or(self.dim(), |p| p.cols)
    }

    /// Transforms `rows × d` values (in `x`, which is overwritten) into `rows ×
    /// out_dim()` values in `out`.
    pub fn apply(&self, x: &mut [f32], out: &mut Vec<f32>) {
        let d = self.dim();
        let rows = x.len() / d;
        let Some(proj) = &self.proj else {
            let inv = 1.0 / self.scale;
            out.clear();
            out.extend(
                x.chunks_exact(d).flat_map(|row| row.iter().zip(&self.mean.data).map(move |(v, m)| (v - m) * inv)),
            );
            return;
        };
        for row in x.chunks_exact_mut(d) {
            row.iter_mut().zip(&self.mean.data).for_each(|(v, m)| *v -= m);
        }
        let p = proj.cols;
        out.clear();
        out.resize(rows * p, 0.0);
        // On the calling thread: the encoder already spreads its blocks over the
        // pool, and a training batch's projection is small next to its step.
        let (a, c) = (MatRef::new(x, rows, d), MatMut::new(out, rows, p));
        gemm_with(sigah_kernels::isa::selected(), false, 1.0 / self.scale, a, proj.view(), 0.0, c);
    }

    /// The rows `indices` of `data`, preprocessed (a training mini-batch).
    pub fn batch(&self, data: &Tensor, indices: &[usize]) -> Tensor {
        let mut b = data.gather_rows(indices);
        let mut out = Vec::new();
        self.apply(&mut b.data, &mut out);
        Tensor::new(indices.len(), self.out_dim(), out)
    }

    /// The `k × out_dim()` weight that gives, on preprocessed input, the values a
    /// `k × d` weight `w` gives on the centred input `x − mean`:
    /// `scale·w` (as `(x − mean) = scale·x'`), or `scale·w·P` with a projection,
    /// exact for the rows of `w` in the projection's span.
    pub fn weight_on_output(&self, w: Tensor) -> Tensor {
        let Some(proj) = &self.proj else {
            return Tensor::new(w.rows, w.cols, w.data.iter().map(|v| v * self.scale).collect());
        };
        let mut out = Tensor::zeros(w.rows, proj.cols);
        gemm(self.scale, w.view(), proj.view(), 0.0, MatMut::new(&mut out.data, w.rows, proj.cols));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocessed_data_has_zero_mean_and_unit_mean_square() {
        let data = Tensor::new(4, 3, vec![1.0, 2.0, 3.0, 5.0, 2.0, -1.0, 0.0, 4.0, 3.0, 2.0, 0.0, 7.0]);
        let p = Preprocess::fit(&data, 0).unwrap();
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
        assert!(Preprocess::fit(&Tensor::zeros(0, 3), 2).is_err());
        assert!(Preprocess::fit(&Tensor::full(5, 3, 2.0), 0).unwrap_err().to_string().contains("identical"));
        let mut d = Tensor::full(5, 3, 2.0);
        d.data[7] = f32::NAN;
        let e = Preprocess::fit(&d, 2).unwrap_err().to_string();
        assert!(e.contains("row 2") && e.contains("column 1") && e.contains("NaN"), "{e}");
    }

    /// Data on a tilted plane in 3-d plus a little noise off it: the projection to
    /// 2 principal directions keeps pairwise distances (up to the noise and the
    /// one global scale), its output has unit mean square, and a weight given on
    /// the centred input maps to one with the same values on the projected input.
    #[test]
    fn projection_keeps_distances_and_maps_weights() {
        let n = 200;
        let mut v = Vec::new();
        for i in 0..n {
            let (a, b) = ((i as f32 * 0.37).sin() * 3.0, (i as f32 * 0.11).cos() * 2.0);
            let noise = ((i * 7919) % 13) as f32 * 1e-3;
            v.extend([a + b + 5.0, a - b - 1.0, 0.5 * a + noise + 2.0]);
        }
        let data = Tensor::new(n, 3, v);
        let p = Preprocess::fit(&data, 2).unwrap();
        assert_eq!((p.dim(), p.out_dim()), (3, 2));
        let all: Vec<usize> = (0..n).collect();
        let y = p.batch(&data, &all);
        assert_eq!(y.shape(), (n, 2));
        let ms: f32 = y.data.iter().map(|v| v * v).sum::<f32>() / (2 * n) as f32;
        assert!((ms - 1.0).abs() < 1e-4, "{ms}");
        let dist = |t: &Tensor, i: usize, j: usize| {
            t.row(i).iter().zip(t.row(j)).map(|(a, b)| (a - b).powi(2)).sum::<f32>().sqrt()
        };
        for (i, j) in [(0, 1), (3, 150), (17, 99)] {
            let raw = dist(&data, i, j);
            let proj = dist(&y, i, j) * p.scale;
            assert!((raw - proj).abs() < 0.02 + 1e-3 * raw, "pair ({i}, {j}): {raw} vs {proj}");
        }
        // A weight along the plane's first direction (1, 1, 0.5)/‖·‖ in centred units.
        let w = Tensor::new(1, 3, vec![1.0, 1.0, 0.5]);
        let w2 = p.weight_on_output(w.clone());
        assert_eq!(w2.shape(), (1, 2));
        for i in [0, 5, 77] {
            let centred: Vec<f32> = data.row(i).iter().zip(&p.mean.data).map(|(x, m)| x - m).collect();
            let want: f32 = centred.iter().zip(&w.data).map(|(a, b)| a * b).sum();
            let got: f32 = y.row(i).iter().zip(&w2.data).map(|(a, b)| a * b).sum();
            assert!((want - got).abs() < 0.02, "row {i}: {want} vs {got}");
        }
        // Asking for at least d dimensions projects nothing.
        assert!(Preprocess::fit(&data, 3).unwrap().proj.is_none());
    }
}
