//! The strided matrix views every GEMM body takes, and the one shape check.

/// A read-only strided view of an f32 matrix: element (i, j) is
/// `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    pub(super) data: &'a [f32],
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) row_stride: usize,
    pub(super) col_stride: usize,
}

/// A mutable strided view of an f32 matrix (see [`MatRef`]).
#[derive(Debug)]
pub struct MatMut<'a> {
    pub(super) data: &'a mut [f32],
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) row_stride: usize,
    pub(super) col_stride: usize,
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
    /// If the view would reach past the end of `data`, or if two elements of a
    /// non-empty view would alias through a zero stride (more than one row or column).
    pub fn strided(data: &'a mut [f32], rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Self {
        let need = extent(rows, cols, row_stride, col_stride);
        assert!(need <= data.len(), "MatMut::strided: shape {rows}x{cols} with strides ({row_stride}, {col_stride}) needs {need} elements, data has {}", data.len());
        assert!(
            rows == 0 || cols == 0 || (rows <= 1 || row_stride > 0) && (cols <= 1 || col_stride > 0),
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
pub(super) fn check_shapes(op: &str, a: &MatRef<'_>, b: &MatRef<'_>, c: &MatMut<'_>) {
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
