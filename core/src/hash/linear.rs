//! [`LinearHash`], `code = 1[(x − mean) · W > 0]`, the [`HashFunction`]
//! interface, and the blockwise statistics the linear methods are fitted from.

use sigah_kernels::gemm::{gemm, MatMut, MatRef};

use crate::{Codes, Error, Result, Tensor};

/// A trained hash function: vectors in, packed binary codes out.
pub trait HashFunction: Send + Sync {
    /// Code width in bits.
    fn bits(&self) -> usize;
    /// Input dimension.
    fn dim(&self) -> usize;
    /// Encodes every row of `x` (`n × dim`) into `n` codes of `bits` bits.
    fn encode(&self, x: &Tensor) -> Result<Codes>;
    /// The whole configuration it was trained with, for reports (`None`: the
    /// evaluation records the width and seed it asked for).
    fn config(&self) -> Option<serde_json::Value> {
        None
    }
    /// Writes its model file to `path` (`None`: the method has no file format,
    /// as the baselines).
    fn save(&self, _path: &std::path::Path) -> Option<Result<()>> {
        None
    }
}

/// Rows per block when a product over the whole data set is done blockwise, so
/// temporaries stay small (a block of 8192 × 1024 f32 is 32 MB).
const BLOCK_ROWS: usize = 8192;

/// `code = 1[(x − mean) · proj > 0]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearHash {
    /// Per-dimension mean of the training data (length `d`).
    pub mean: Vec<f32>,
    /// `d × bits` projection.
    pub proj: Tensor,
}

impl LinearHash {
    /// The projections `(x − mean) · proj` of every row (`n × bits`).
    pub fn project(&self, x: &Tensor) -> Result<Tensor> {
        check_dim("encode", x, self.mean.len())?;
        let k = self.proj.cols;
        let mut out = Tensor::zeros(x.rows, k);
        for start in (0..x.rows).step_by(BLOCK_ROWS) {
            let end = (start + BLOCK_ROWS).min(x.rows);
            let block = centred_rows(x, &self.mean, start, end);
            gemm(
                1.0,
                block.view(),
                self.proj.view(),
                0.0,
                MatMut::new(&mut out.data[start * k..end * k], end - start, k),
            );
        }
        Ok(out)
    }
}

impl HashFunction for LinearHash {
    fn bits(&self) -> usize {
        self.proj.cols
    }
    fn dim(&self) -> usize {
        self.mean.len()
    }
    fn encode(&self, x: &Tensor) -> Result<Codes> {
        Codes::from_signs(&self.project(x)?.data, self.proj.cols)
    }
}

/// Checks that `x` has `d` columns.
fn check_dim(op: &'static str, x: &Tensor, d: usize) -> Result<()> {
    if x.cols != d {
        return Err(Error::ShapeMismatch {
            op,
            expected: format!("vectors of dimension {d}"),
            got: x.cols.to_string(),
        });
    }
    Ok(())
}

/// Checks a training set and a code width for a method that needs `bits ≤ d`
/// (`max_bits = Some(d)`) or none.
pub(crate) fn check_training(method: &str, x: &Tensor, bits: usize, max_bits: Option<usize>) -> Result<()> {
    crate::codes::check_bits(bits)?;
    if x.rows < 2 || x.cols == 0 {
        return Err(Error::Config(format!(
            "{method} needs at least 2 training vectors of dimension ≥ 1, got {} × {}",
            x.rows, x.cols
        )));
    }
    if let Some(max) = max_bits.filter(|&m| bits > m) {
        return Err(Error::Config(format!(
            "{method} takes at most one bit per input dimension: {bits} bits > dimension {max}"
        )));
    }
    if !x.all_finite() {
        return Err(Error::Config(format!("{method}: training vectors contain NaN or infinity")));
    }
    Ok(())
}

/// Per-column mean, accumulated in f64 (an f32 running sum over a million rows
/// loses digits).
pub fn column_mean(x: &Tensor) -> Vec<f32> {
    let mut sum = vec![0.0f64; x.cols];
    for i in 0..x.rows {
        for (s, &v) in sum.iter_mut().zip(x.row(i)) {
            *s += v as f64;
        }
    }
    sum.iter().map(|&s| (s / x.rows.max(1) as f64) as f32).collect()
}

/// Rows `start..end` of `x` minus `mean`.
fn centred_rows(x: &Tensor, mean: &[f32], start: usize, end: usize) -> Tensor {
    let mut block = x.slice_rows(start, end);
    for row in block.data.chunks_exact_mut(x.cols.max(1)) {
        for (v, &m) in row.iter_mut().zip(mean) {
            *v -= m;
        }
    }
    block
}

/// `(x − mean)ᵀ (x − mean) / n`, the `d × d` covariance, blockwise through GEMM.
pub fn covariance(x: &Tensor, mean: &[f32]) -> Tensor {
    let d = x.cols;
    let mut cov = Tensor::zeros(d, d);
    let scale = 1.0 / x.rows as f32;
    for (b, start) in (0..x.rows).step_by(BLOCK_ROWS).enumerate() {
        let end = (start + BLOCK_ROWS).min(x.rows);
        let block = centred_rows(x, mean, start, end);
        let beta = if b == 0 { 0.0 } else { 1.0 };
        gemm(scale, block.view().t(), block.view(), beta, cov.view_mut());
    }
    cov
}

/// `a · b` through GEMM.
pub(crate) fn matmul(a: MatRef<'_>, b: MatRef<'_>) -> Tensor {
    let mut out = Tensor::zeros(a.rows(), b.cols());
    gemm(1.0, a, b, 0.0, out.view_mut());
    out
}
