//! Single-precision GEMM: `C ← α·A·B + β·C` over strided matrix views.
//!
//! Transposes are views, not flags: `a.t()` swaps the strides, so the three cases
//! backprop needs (A·B, A·Bᵀ, Aᵀ·B) and the fourth are one function. When `β == 0`
//! C is written without being read (BLAS semantics: NaN in C does not propagate).
//!
//! Layout of this module: `scalar.rs` is the reference (three loops); `driver.rs` is
//! the packed, cache-blocked loop nest and the rayon split; `pack.rs` the packing;
//! `microkernel.rs` the register-blocked tile written once over a vector trait; one
//! file per instruction set instantiates it (`x86_avx2.rs`, `x86_avx512.rs`,
//! `portable.rs` over `wide`, `aarch64_neon.rs`).
//!
//! Threads split only rows or columns of C, never the depth, and the depth blocking
//! depends only on K, so the result is bitwise the same for any thread count.

#[cfg(target_arch = "aarch64")]
mod aarch64_neon;
mod driver;
mod microkernel;
mod pack;
mod portable;
mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_avx2;
#[cfg(target_arch = "x86_64")]
mod x86_avx512;

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
/// with rayon (current pool) when the product is large enough to pay for it
/// (m·k·n ≥ 2^20). The result is bitwise the same whatever the pool size: threads
/// take disjoint rows or columns of C and never split the depth.
///
/// # Panics
/// If the shapes do not agree (see [`MatMut::new`] and [`MatRef::new`] too).
pub fn gemm(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    gemm_with(crate::isa::selected(), true, alpha, a, b, beta, c)
}

/// [`gemm`] on a given level; `parallel = false` keeps it on the calling thread.
/// [`Isa::Scalar`] runs the reference [`gemm_scalar`]; the other levels run the
/// packed, blocked driver with their micro-kernel, so results can differ between
/// levels in the last bits (FMA vs separate multiply-add, summation blocks).
///
/// # Panics
/// If the shapes do not agree, or if `isa` is not supported by this CPU.
pub fn gemm_with(isa: Isa, parallel: bool, alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    check_shapes("gemm", &a, &b, &c);
    assert!(isa.is_supported(), "gemm: {isa} is not supported by this CPU");
    match kernel_for(isa) {
        Some(spec) => driver::run(spec, parallel, alpha, a, b, beta, c),
        None => gemm_scalar(alpha, a, b, beta, c),
    }
}

/// The micro-kernel and blocking for a level; `None` for [`Isa::Scalar`], which runs
/// the plain reference.
fn kernel_for(isa: Isa) -> Option<&'static driver::KernelSpec> {
    match isa.without_tiles() {
        Isa::Scalar => None,
        Isa::Portable => Some(&portable::SPEC),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => Some(&x86_avx2::SPEC),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => Some(&x86_avx512::SPEC),
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => Some(&aarch64_neon::SPEC),
        // Levels of another architecture are never supported here (asserted above).
        #[allow(unreachable_patterns)]
        _ => None,
    }
}
