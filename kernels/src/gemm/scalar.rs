//! The GEMM reference: three loops that read like the definition. Slow on purpose.

use super::mat::{check_shapes, MatMut, MatRef};

/// Reference `C ← α·A·B + β·C`; accumulates each dot product in f32 in k order.
/// When `β == 0`, C is overwritten without being read.
///
/// # Panics
/// If the shapes do not agree.
pub fn gemm_scalar(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, mut c: MatMut<'_>) {
    check_shapes("gemm_scalar", &a, &b, &c);
    let (rs, cs) = (c.row_stride(), c.col_stride());
    let depth = a.cols();
    let out = c.data_mut();
    for i in 0..a.rows() {
        for j in 0..b.cols() {
            let mut dot = 0.0f32;
            for p in 0..depth {
                dot += a.at(i, p) * b.at(p, j);
            }
            let slot = &mut out[i * rs + j * cs];
            *slot = if beta == 0.0 { alpha * dot } else { alpha * dot + beta * *slot };
        }
    }
}
