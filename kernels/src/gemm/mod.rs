//! Single-precision GEMM: `C ← α·A·B + β·C` over strided matrix views.
//!
//! Transposes are views, not flags: `a.t()` swaps the strides, so the three cases
//! backprop needs (A·B, A·Bᵀ, Aᵀ·B) and the fourth are one function. When `β == 0`
//! C is written without being read (BLAS semantics: NaN in C does not propagate).

mod scalar;

pub use scalar::gemm_scalar;

use crate::Isa;

/// A read-only strided view of an f32 matrix: element (i, j) is
/// `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// A mutable strided view of an f32 matrix (see [`MatRef`]).
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// The largest index a strided `rows × cols` view touches, plus one; 0 when empty.
fn extent(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * row_stride + (cols - 1) * col_stride + 1
    }
}

impl<'a> MatRef<'a> {
    /// A contiguous row-major `rows × cols` matrix.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "MatRef::new: data has {} elements, shape {rows}x{cols} needs {}",
            data.len(),
            rows * cols
        );
        Self { data, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// A strided view.
    ///
    /// # Panics
    /// If the view would reach past the end of `data`.
    pub fn strided(data: &'a [f32], rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Self {
        let need = extent(rows, cols, row_stride, col_stride);
        assert!(need <= data.len(), "MatRef::strided: shape {rows}x{cols} with strides ({row_stride}, {col_stride}) needs {need} elements, data has {}", data.len());
        Self { data, rows, cols, row_stride, col_stride }
    }

    /// The transpose, as a view (no copy).
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Distance between rows, in elements.
    pub fn row_stride(&self) -> usize {
        self.row_stride
    }
    /// Distance between columns, in elements.
    pub fn col_stride(&self) -> usize {
        self.col_stride
    }
    /// The underlying slice.
    pub fn data(&self) -> &'a [f32] {
        self.data
    }

    /// Element (i, j).
    ///
    /// # Panics
    /// If (i, j) is outside the view.
    #[inline]
    pub fn at(&self, i: usize, j: usize) -> f32 {
        assert!(i < self.rows && j < self.cols, "MatRef::at: ({i}, {j}) outside {}x{}", self.rows, self.cols);
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

impl<'a> MatMut<'a> {
    /// A contiguous row-major `rows × cols` matrix.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    pub fn new(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "MatMut::new: data has {} elements, shape {rows}x{cols} needs {}",
            data.len(),
            rows * cols
        );
        Self { data, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// A strided view.
    ///
    /// # Panics
    /// If the view would reach past the end of `data`, or if two elements of the
    /// view would alias (a zero stride with more than one row/column).
    pub fn strided(data: &'a mut [f32], rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Self {
        let need = extent(rows, cols, row_stride, col_stride);
        assert!(need <= data.len(), "MatMut::strided: shape {rows}x{cols} with strides ({row_stride}, {col_stride}) needs {need} elements, data has {}", data.len());
        assert!(
            (rows <= 1 || row_stride > 0) && (cols <= 1 || col_stride > 0),
            "MatMut::strided: zero stride would alias output elements (shape {rows}x{cols}, strides ({row_stride}, {col_stride}))"
        );
        Self { data, rows, cols, row_stride, col_stride }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Distance between rows, in elements.
    pub fn row_stride(&self) -> usize {
        self.row_stride
    }
    /// Distance between columns, in elements.
    pub fn col_stride(&self) -> usize {
        self.col_stride
    }
    /// The underlying slice.
    pub fn data_mut(&mut self) -> &mut [f32] {
        self.data
    }

    /// Reborrows the view.
    pub fn rb(&mut self) -> MatMut<'_> {
        MatMut {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }
}

/// Checks the shapes of one GEMM call.
///
/// # Panics
/// If `a.cols() != b.rows()`, `c.rows() != a.rows()` or `c.cols() != b.cols()`.
pub(crate) fn check_shapes(op: &str, a: &MatRef<'_>, b: &MatRef<'_>, c: &MatMut<'_>) {
    assert!(
        a.cols == b.rows && c.rows == a.rows && c.cols == b.cols,
        "{op}: shapes do not agree: A is {}x{}, B is {}x{}, C is {}x{}",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        c.rows,
        c.cols
    );
}

/// `C ← α·A·B + β·C` on the level chosen by [`crate::isa::selected`], multi-threaded
/// with rayon (current pool) when the product is large enough to pay for it.
///
/// # Panics
/// If the shapes do not agree (see [`MatMut::new`] and [`MatRef::new`] too).
pub fn gemm(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    gemm_with(crate::isa::selected(), true, alpha, a, b, beta, c)
}

/// [`gemm`] on a given level; `parallel = false` keeps it on the calling thread.
///
/// # Panics
/// If the shapes do not agree, or if `isa` is not supported by this CPU.
pub fn gemm_with(isa: Isa, parallel: bool, alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    check_shapes("gemm", &a, &b, &c);
    assert!(isa.is_supported(), "gemm: {isa} is not supported by this CPU");
    let _ = parallel;
    gemm_scalar(alpha, a, b, beta, c)
}
