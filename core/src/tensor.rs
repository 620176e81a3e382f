//! 2-D f32 tensors, row-major. Vectors of a data set, weights and activations are
//! all `Tensor`s; a row vector is `1 × n`.

use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sigah_kernels::gemm::{MatMut, MatRef};

/// The row sample's RNG stream is its own, so that sampling never moves the
/// stream a trainer seeded with the same seed draws from (docs/METHOD.md,
/// "Schedule").
const SAMPLE_STREAM: u64 = 0x005a_4d50_4c45;

/// A row-major `rows × cols` matrix of f32.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Tensor {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Tensor {
    /// A uniform sample of `at_most` distinct rows, kept in their order, drawn
    /// from `seed`; `None` when that is every row (`at_most` is 0 or at least
    /// `rows`). The training sample of `sigah train` and of the evaluation.
    pub fn uniform_row_sample(&self, at_most: usize, seed: u64) -> Option<Tensor> {
        if at_most == 0 || at_most >= self.rows {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(SAMPLE_STREAM);
        let mut ids = index::sample(&mut rng, self.rows, at_most).into_vec();
        ids.sort_unstable();
        Some(self.gather_rows(&ids))
    }

    /// A tensor from its data.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), rows * cols, "Tensor::new: {} values do not make a {rows}x{cols} tensor", data.len());
        Self { rows, cols, data }
    }

    /// All zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self { rows, cols, data: vec![0.0; rows * cols] }
    }

    /// Every element set to `value`.
    pub fn full(rows: usize, cols: usize, value: f32) -> Self {
        Self { rows, cols, data: vec![value; rows * cols] }
    }

    /// A `1 × 1` tensor.
    pub fn scalar(value: f32) -> Self {
        Self { rows: 1, cols: 1, data: vec![value] }
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Row `i` as a slice.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i` as a mutable slice.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Element (i, j).
    pub fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.cols + j]
    }

    /// The single value of a `1 × 1` tensor.
    ///
    /// # Panics
    /// If the tensor is not `1 × 1`.
    pub fn item(&self) -> f32 {
        assert_eq!(self.data.len(), 1, "Tensor::item on a {}x{} tensor", self.rows, self.cols);
        self.data[0]
    }

    /// The rows at `indices`, in that order (a mini-batch).
    pub fn gather_rows(&self, indices: &[usize]) -> Tensor {
        let mut data = Vec::with_capacity(indices.len() * self.cols);
        for &i in indices {
            data.extend_from_slice(self.row(i));
        }
        Tensor::new(indices.len(), self.cols, data)
    }

    /// Rows `start..end` as a new tensor.
    pub fn slice_rows(&self, start: usize, end: usize) -> Tensor {
        Tensor::new(end - start, self.cols, self.data[start * self.cols..end * self.cols].to_vec())
    }

    /// A GEMM view.
    pub fn view(&self) -> MatRef<'_> {
        MatRef::new(&self.data, self.rows, self.cols)
    }

    /// A mutable GEMM view.
    pub fn view_mut(&mut self) -> MatMut<'_> {
        MatMut::new(&mut self.data, self.rows, self.cols)
    }

    /// Whether every element is finite.
    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|v| v.is_finite())
    }
}
