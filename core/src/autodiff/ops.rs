//! The primitives' forward passes. Each checks its shapes (panicking with the op
//! name and the shapes: a mismatch is a bug in the model code, not bad data),
//! computes its value into a pooled buffer, and records its op. The backward
//! rules are all in `backward.rs`.

use sigah_kernels::elementwise;
use sigah_kernels::gemm::{gemm, MatMut};

use super::{par, Op, Tape, Var};

/// `Σ x` accumulated in f64 over eight independent lanes: the lanes let the
/// compiler vectorise (a single running sum is a serial dependency chain), and
/// f64 keeps a 200k-element loss accurate to f32 precision.
pub(super) fn sum_f64(x: &[f32]) -> f64 {
    let mut lanes = [0f64; 8];
    let mut chunks = x.chunks_exact(8);
    for chunk in &mut chunks {
        for (acc, &v) in lanes.iter_mut().zip(chunk) {
            *acc += f64::from(v);
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&v| f64::from(v)).sum();
    lanes.iter().sum::<f64>() + tail
}

/// `Σ a·b` in f64 over eight lanes (see [`sum_f64`]).
pub(super) fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    let mut lanes = [0f64; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            lanes[k] += f64::from(x[k]) * f64::from(y[k]);
        }
    }
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum();
    lanes.iter().sum::<f64>() + tail
}

/// One row's softmax into `p` and its cross-entropy against `t`:
/// `max + ln Σ_j exp(x_j − max) − Σ_j t_j·x_j`. The exponentials are f32 (an
/// entry of −1e30, a masked-out column, gives exactly 0); the sums are f64.
pub(super) fn softmax_row(x: &[f32], t: &[f32], p: &mut [f32]) -> f32 {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut z = 0f64;
    for (p, &v) in p.iter_mut().zip(x) {
        *p = (v - max).exp();
        z += f64::from(*p);
    }
    let inv = (1.0 / z) as f32;
    p.iter_mut().for_each(|p| *p *= inv);
    let cross: f64 = x.iter().zip(t).filter(|(_, &t)| t != 0.0).map(|(&v, &t)| t as f64 * v as f64).sum();
    (max as f64 + z.ln() - cross) as f32
}

impl Tape {
    fn shape(&self, v: Var) -> (usize, usize) {
        self.node(v).value.shape()
    }

    fn needs(&self, v: Var) -> bool {
        self.node(v).needs_grad
    }

    /// Appends a node computed by an elementwise map of one input.
    fn unary(&mut self, op: Op, x: Var, f: impl Fn(f32) -> f32 + Sync + Send) -> Var {
        let (rows, cols) = self.shape(x);
        let mut value = self.pool.dirty(rows, cols);
        let xs = &self.nodes[x.0].value.data;
        par::map2(&mut value.data, xs, xs, |v, _| f(v));
        let needs = self.needs(x);
        self.push(op, value, needs)
    }

    /// Appends a node computed by an elementwise map of two same-shape inputs.
    fn binary(&mut self, name: &str, op: Op, a: Var, b: Var, f: impl Fn(f32, f32) -> f32 + Sync + Send) -> Var {
        let (sa, sb) = (self.shape(a), self.shape(b));
        assert_eq!(sa, sb, "{name}: shapes differ: a is {}x{}, b is {}x{}", sa.0, sa.1, sb.0, sb.1);
        let mut value = self.pool.dirty(sa.0, sa.1);
        par::map2(&mut value.data, &self.nodes[a.0].value.data, &self.nodes[b.0].value.data, f);
        let needs = self.needs(a) || self.needs(b);
        self.push(op, value, needs)
    }

    /// One GEMM node: `rows × cols = op(a) · op(b)`, each operand transposed or
    /// not as `op` (one of the three matmul ops) says (shapes already checked by
    /// the caller).
    fn product(&mut self, op: Op, a: Var, b: Var, rows: usize, cols: usize) -> Var {
        let mut out = self.pool.dirty(rows, cols);
        {
            let (va, vb) = (self.nodes[a.0].value.view(), self.nodes[b.0].value.view());
            let (va, vb) = match op {
                Op::MatMul(..) => (va, vb),
                Op::MatMulNt(..) => (va, vb.t()),
                Op::MatMulTn(..) => (va.t(), vb),
                _ => unreachable!("product is only called for the three matmul ops"),
            };
            // β = 0: the output is written, never read (so it need not be zeroed).
            gemm(1.0, va, vb, 0.0, MatMut::new(&mut out.data, rows, cols));
        }
        let needs = self.needs(a) || self.needs(b);
        self.push(op, out, needs)
    }

    /// `A·B` (A is `r × k`, B is `k × c`), through the kernels' GEMM.
    ///
    /// # Panics
    /// If the inner dimensions differ.
    pub fn matmul(&mut self, a: Var, b: Var) -> Var {
        let ((r, k), (k2, c)) = (self.shape(a), self.shape(b));
        assert_eq!(k, k2, "matmul: A is {r}x{k}, B is {k2}x{c}: inner dimensions differ");
        self.product(Op::MatMul(a.0, b.0), a, b, r, c)
    }

    /// `A·Bᵀ` (A is `r × k`, B is `c × k`).
    ///
    /// # Panics
    /// If the column counts differ.
    pub fn matmul_nt(&mut self, a: Var, b: Var) -> Var {
        let ((r, k), (c, k2)) = (self.shape(a), self.shape(b));
        assert_eq!(k, k2, "matmul_nt: A is {r}x{k}, B is {c}x{k2}: A·Bᵀ needs equal column counts");
        self.product(Op::MatMulNt(a.0, b.0), a, b, r, c)
    }

    /// `Aᵀ·B` (A is `k × r`, B is `k × c`).
    ///
    /// # Panics
    /// If the row counts differ.
    pub fn matmul_tn(&mut self, a: Var, b: Var) -> Var {
        let ((k, r), (k2, c)) = (self.shape(a), self.shape(b));
        assert_eq!(k, k2, "matmul_tn: A is {k}x{r}, B is {k2}x{c}: Aᵀ·B needs equal row counts");
        self.product(Op::MatMulTn(a.0, b.0), a, b, r, c)
    }

    /// `x[i, j] + bias[j]`, with `bias` a `1 × cols` row broadcast over the rows.
    ///
    /// # Panics
    /// If `bias` is not `1 × cols(x)`.
    pub fn add_bias(&mut self, x: Var, bias: Var) -> Var {
        let ((r, c), sb) = (self.shape(x), self.shape(bias));
        assert_eq!(sb, (1, c), "add_bias: x is {r}x{c}, bias is {}x{} (expected 1x{c})", sb.0, sb.1);
        let value = {
            let mut out = self.pool.copy(r, c, &self.nodes[x.0].value.data);
            elementwise::bias_add(&mut out.data, &self.nodes[bias.0].value.data);
            out
        };
        let needs = self.needs(x) || self.needs(bias);
        self.push(Op::AddBias(x.0, bias.0), value, needs)
    }

    /// `max(x, 0)`.
    pub fn relu(&mut self, x: Var) -> Var {
        let (r, c) = self.shape(x);
        // The kernel writes every element: no zeroing.
        let mut out = self.pool.dirty(r, c);
        elementwise::relu_forward(&self.nodes[x.0].value.data, &mut out.data);
        let needs = self.needs(x);
        self.push(Op::Relu(x.0), out, needs)
    }

    /// `S_θ(x) = sign(x)·max(|x| − θ, 0)` with `theta` a `1 × cols` row of
    /// per-column thresholds.
    ///
    /// # Panics
    /// If `theta` is not `1 × cols(x)`.
    pub fn soft_threshold(&mut self, x: Var, theta: Var) -> Var {
        let ((r, c), st) = (self.shape(x), self.shape(theta));
        assert_eq!(st, (1, c), "soft_threshold: x is {r}x{c}, theta is {}x{} (expected 1x{c})", st.0, st.1);
        let mut out = self.pool.dirty(r, c);
        elementwise::soft_threshold_forward(
            &self.nodes[x.0].value.data,
            &self.nodes[theta.0].value.data,
            &mut out.data,
        );
        let needs = self.needs(x) || self.needs(theta);
        self.push(Op::SoftThreshold(x.0, theta.0), out, needs)
    }

    /// `+1` where `x > 0`, else `−1` (so the sign agrees with the bit `x > 0`);
    /// backward passes `dy·1[|x| ≤ 1]` (the hard-tanh straight-through estimator).
    pub fn sign_ste(&mut self, x: Var) -> Var {
        self.unary(Op::SignSte(x.0), x, |v| if v > 0.0 { 1.0 } else { -1.0 })
    }

    /// `tanh(x)` elementwise (a smooth sign, for relaxed code similarities).
    pub fn tanh(&mut self, x: Var) -> Var {
        self.unary(Op::Tanh(x.0), x, f32::tanh)
    }

    /// `a + b`, same shape.
    ///
    /// # Panics
    /// If the shapes differ (and likewise for [`Tape::sub`], [`Tape::mul`]).
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        self.binary("add", Op::Add(a.0, b.0), a, b, |x, y| x + y)
    }

    /// `a − b`, same shape.
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        self.binary("sub", Op::Sub(a.0, b.0), a, b, |x, y| x - y)
    }

    /// `a ⊙ b` (elementwise), same shape.
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        self.binary("mul", Op::Mul(a.0, b.0), a, b, |x, y| x * y)
    }

    /// `c·x` for a fixed `c`.
    pub fn scale(&mut self, x: Var, c: f32) -> Var {
        self.unary(Op::Scale(x.0, c), x, |v| c * v)
    }

    /// `s·x` with `s` a `1 × 1` var (a learned scalar such as the ISTA step η).
    ///
    /// # Panics
    /// If `s` is not `1 × 1`.
    pub fn scale_by(&mut self, x: Var, s: Var) -> Var {
        let ss = self.shape(s);
        assert_eq!(ss, (1, 1), "scale_by: s is {}x{}, expected 1x1", ss.0, ss.1);
        let c = self.nodes[s.0].value.data[0];
        let needs_s = self.needs(s);
        let y = self.unary(Op::ScaleBy(x.0, s.0), x, |v| c * v);
        self.nodes[y.0].needs_grad |= needs_s;
        y
    }

    /// `x²` elementwise.
    pub fn square(&mut self, x: Var) -> Var {
        self.unary(Op::Square(x.0), x, |v| v * v)
    }

    fn reduce_all(&mut self, op: Op, x: Var, mean: bool) -> Var {
        self.check(x);
        let total = sum_f64(&self.nodes[x.0].value.data);
        let n = self.nodes[x.0].value.len();
        // The mean of nothing is NaN (0/0), as in numpy.
        let v = if mean { total / n as f64 } else { total };
        let value = self.pool.collect(1, 1, std::iter::once(v as f32));
        let needs = self.needs(x);
        self.push(op, value, needs)
    }

    /// `Σ x` over every element, as `1 × 1` (accumulated in f64).
    pub fn sum(&mut self, x: Var) -> Var {
        self.reduce_all(Op::Sum(x.0), x, false)
    }

    /// The mean of every element, as `1 × 1` (NaN for an empty tensor).
    pub fn mean(&mut self, x: Var) -> Var {
        self.reduce_all(Op::Mean(x.0), x, true)
    }

    fn reduce_cols(&mut self, op: Op, x: Var, mean: bool) -> Var {
        let (r, c) = self.shape(x);
        let mut out = self.pool.zeros(1, c);
        // The column sums are bias_add's gradient kernel (rows summed in order).
        elementwise::bias_grad(&self.nodes[x.0].value.data, &mut out.data);
        if mean {
            let inv = 1.0 / r as f32;
            out.data.iter_mut().for_each(|v| *v *= inv);
        }
        let needs = self.needs(x);
        self.push(op, out, needs)
    }

    /// `1 × cols`: the sum over the rows of each column.
    pub fn sum_cols(&mut self, x: Var) -> Var {
        self.reduce_cols(Op::SumCols(x.0), x, false)
    }

    /// `1 × cols`: the mean over the rows of each column.
    pub fn mean_cols(&mut self, x: Var) -> Var {
        self.reduce_cols(Op::MeanCols(x.0), x, true)
    }

    fn reduce_rows(&mut self, op: Op, x: Var, mean: bool) -> Var {
        let (r, c) = self.shape(x);
        let div = if mean { c as f64 } else { 1.0 };
        let value = {
            let xs = &self.nodes[x.0].value.data;
            // chunks_exact(0) would panic: a rows × 0 input sums to zeros (means to NaN).
            let sums = (0..r).map(|i| (sum_f64(&xs[i * c..(i + 1) * c]) / div) as f32);
            self.pool.collect(r, 1, sums)
        };
        let needs = self.needs(x);
        self.push(op, value, needs)
    }

    /// `rows × 1`: the sum over the columns of each row.
    pub fn sum_rows(&mut self, x: Var) -> Var {
        self.reduce_rows(Op::SumRows(x.0), x, false)
    }

    /// `rows × 1`: the mean over the columns of each row.
    pub fn mean_rows(&mut self, x: Var) -> Var {
        self.reduce_rows(Op::MeanRows(x.0), x, true)
    }

    /// `max(0, margin − e)` elementwise; the subgradient is 0 at the kink.
    pub fn hinge(&mut self, margin: f32, e: Var) -> Var {
        // Written so a NaN input stays NaN (`f32::max` would turn it into 0).
        self.unary(Op::Hinge(e.0, margin), e, |v| {
            let d = margin - v;
            if d < 0.0 {
                0.0
            } else {
                d
            }
        })
    }

    /// Row-wise softmax cross-entropy with soft targets, a `rows × 1` column:
    /// `y_i = logsumexp_j(x_ij) − Σ_j t_ij·x_ij`. `t` is a constant (its rows
    /// usually sum to 1); only `x` gets a gradient, `dx_ij = g_i·(softmax(x_i)_j −
    /// t_ij)`. Computed with the row maximum subtracted, so large logits do not
    /// overflow and an entry of −1e30 (a masked-out column) contributes exactly 0.
    ///
    /// # Panics
    /// If the shapes differ.
    pub fn softmax_xent(&mut self, x: Var, t: Var) -> Var {
        let (sx, st) = (self.shape(x), self.shape(t));
        assert_eq!(sx, st, "softmax_xent: logits are {}x{}, targets {}x{}", sx.0, sx.1, st.0, st.1);
        let (rows, cols) = sx;
        let mut value = self.pool.dirty(rows, 1);
        let mut soft = self.pool.dirty(rows, cols);
        let (xs, ts) = (&self.nodes[x.0].value.data, &self.nodes[t.0].value.data);
        if cols > 0 {
            par::rows(&mut soft.data, cols, &mut value.data, |r, p, y| {
                *y = softmax_row(&xs[r * cols..(r + 1) * cols], &ts[r * cols..(r + 1) * cols], p)
            });
        } else {
            value.data.iter_mut().for_each(|y| *y = f32::NEG_INFINITY);
        }
        // The softmax, kept for the backward pass (a node no gradient reaches).
        let soft = self.push(Op::Constant, soft, false);
        let needs = self.needs(x);
        self.push(Op::SoftmaxXent(x.0, t.0, soft.0), value, needs)
    }

    /// Rows `start..start + len` of `x`, a copy: a section of a batch (the
    /// anchors, or their neighbours) without a selection-matrix product.
    ///
    /// # Panics
    /// If the rows are out of range.
    pub fn slice_rows(&mut self, x: Var, start: usize, len: usize) -> Var {
        let (r, c) = self.shape(x);
        assert!(start + len <= r, "slice_rows: rows {start}..{} of a {r}x{c} matrix", start + len);
        let src = &self.nodes[x.0].value.data[start * c..(start + len) * c];
        let value = self.pool.copy(len, c, src);
        let needs = self.needs(x);
        self.push(Op::SliceRows(x.0, start), value, needs)
    }

    /// The same value with the gradient path cut: nothing flows back into `x`
    /// through the result.
    pub fn detach(&mut self, x: Var) -> Var {
        let (r, c) = self.shape(x);
        let value = self.pool.copy(r, c, &self.nodes[x.0].value.data);
        self.push(Op::Detach(x.0), value, false)
    }
}
