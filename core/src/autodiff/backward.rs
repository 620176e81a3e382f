//! Reverse mode: every gradient rule, in one `match`.
//!
//! Notation per arm: `g` is the gradient flowing into the node (same shape as its
//! value), `dX` the gradient buffer of input `X`. Every rule accumulates (`+=`),
//! and skips inputs that no param reaches.

use sigah_kernels::elementwise;
use sigah_kernels::gemm::gemm;

use super::ops::dot_f64;
use super::{par, Node, Op, Pool, Tape, Var};
use crate::Tensor;

/// The gradient buffer of node `id`, zeroed and shaped like its value when this
/// is the first contribution (for rules whose kernels accumulate).
fn slot<'g>(grads: &'g mut [Option<Tensor>], pool: &mut Pool, nodes: &[Node], id: usize) -> &'g mut Tensor {
    grads[id].get_or_insert_with(|| {
        let (rows, cols) = nodes[id].value.shape();
        pool.zeros(rows, cols)
    })
}

/// The gradient buffer of node `id` for a GEMM to add into, and the β to use:
/// on the first contribution the buffer is not zeroed and β = 0 overwrites it.
fn gemm_slot<'g>(grads: &'g mut [Option<Tensor>], pool: &mut Pool, nodes: &[Node], id: usize) -> (&'g mut Tensor, f32) {
    let beta = if grads[id].is_some() { 1.0 } else { 0.0 };
    let grad = grads[id].get_or_insert_with(|| {
        let (rows, cols) = nodes[id].value.shape();
        pool.dirty(rows, cols)
    });
    (grad, beta)
}

/// `d(id) += f(g, x)` elementwise. The first contribution writes `f(g, x)` in one
/// pass instead of zeroing the buffer and adding to it (the only difference is
/// the sign of an exact zero: `0 + (−0) = +0`).
fn accumulate(
    grads: &mut [Option<Tensor>],
    pool: &mut Pool,
    nodes: &[Node],
    id: usize,
    g: &[f32],
    x: &[f32],
    f: impl Fn(f32, f32) -> f32 + Sync + Send,
) {
    match &mut grads[id] {
        Some(d) => par::add2(&mut d.data, g, x, f),
        None => {
            let (rows, cols) = nodes[id].value.shape();
            let mut d = pool.dirty(rows, cols);
            par::map2(&mut d.data, g, x, f);
            grads[id] = Some(d);
        }
    }
}

impl Tape {
    /// Computes the gradient of `loss` (which must be `1 × 1`) w.r.t. every node a
    /// param reaches, seeding `d loss = 1`. Gradients of an earlier backward are
    /// discarded first, so [`Tape::grad`] always refers to this `loss`. If no
    /// param reaches `loss`, no node gets a gradient.
    ///
    /// # Panics
    /// If `loss` is not `1 × 1` or not on this tape.
    pub fn backward(&mut self, loss: Var) {
        let (rows, cols) = self.node(loss).value.shape();
        assert_eq!((rows, cols), (1, 1), "backward: the loss is {rows}x{cols}, expected 1x1");
        for grad in self.grads.drain(..).flatten() {
            self.pool.give(grad.data);
        }
        self.grads.resize_with(self.nodes.len(), || None);
        if !self.nodes[loss.0].needs_grad {
            return;
        }
        self.grads[loss.0] = Some(self.pool.collect(1, 1, std::iter::once(1.0)));
        let Tape { nodes, grads, pool, .. } = self;
        // Inputs have smaller ids than their users, so when node i is reached every
        // contribution to its gradient has been added.
        for i in (0..=loss.0).rev() {
            let Some(g) = grads[i].take() else { continue };
            backprop(nodes, grads, pool, i, &g);
            grads[i] = Some(g);
        }
    }
}

/// Adds node `i`'s contributions (`g` is its gradient) to its inputs' gradients.
fn backprop(nodes: &[Node], grads: &mut [Option<Tensor>], pool: &mut Pool, i: usize, g: &Tensor) {
    let need = |k: usize| nodes[k].needs_grad;
    let val = |k: usize| &nodes[k].value;
    let gd = &g.data[..];
    match nodes[i].op {
        Op::Constant | Op::Param | Op::Detach(_) => {}

        // C = A·B: dA += g·Bᵀ, dB += Aᵀ·g.
        Op::MatMul(a, b) => {
            if need(a) {
                let (da, beta) = gemm_slot(grads, pool, nodes, a);
                gemm(1.0, g.view(), val(b).view().t(), beta, da.view_mut());
            }
            if need(b) {
                let (db, beta) = gemm_slot(grads, pool, nodes, b);
                gemm(1.0, val(a).view().t(), g.view(), beta, db.view_mut());
            }
        }
        // C = A·Bᵀ: dA += g·B, dB += gᵀ·A.
        Op::MatMulNt(a, b) => {
            if need(a) {
                let (da, beta) = gemm_slot(grads, pool, nodes, a);
                gemm(1.0, g.view(), val(b).view(), beta, da.view_mut());
            }
            if need(b) {
                let (db, beta) = gemm_slot(grads, pool, nodes, b);
                gemm(1.0, g.view().t(), val(a).view(), beta, db.view_mut());
            }
        }
        // C = Aᵀ·B: dA += B·gᵀ, dB += A·g.
        Op::MatMulTn(a, b) => {
            if need(a) {
                let (da, beta) = gemm_slot(grads, pool, nodes, a);
                gemm(1.0, val(b).view(), g.view().t(), beta, da.view_mut());
            }
            if need(b) {
                let (db, beta) = gemm_slot(grads, pool, nodes, b);
                gemm(1.0, val(a).view(), g.view(), beta, db.view_mut());
            }
        }

        // y = x + 1·bias: dx += g, dbias += Σ_rows g.
        Op::AddBias(x, bias) => {
            if need(x) {
                accumulate(grads, pool, nodes, x, gd, gd, |g, _| g);
            }
            if need(bias) {
                elementwise::bias_grad(gd, &mut slot(grads, pool, nodes, bias).data);
            }
        }
        // dx += g·1[x > 0] (ReLU'(0) = 0). The first contribution is written in one
        // pass, so the buffer is not zeroed first (the SIMD kernel accumulates).
        Op::Relu(x) => match &mut grads[x] {
            Some(dx) => elementwise::relu_backward(&val(x).data, gd, &mut dx.data),
            None => accumulate(grads, pool, nodes, x, gd, &val(x).data, |g, x| if x > 0.0 { g } else { 0.0 }),
        },
        // dv += g·1[|v| > θ], dθ += Σ_rows −sign(v)·g·1[|v| > θ]. The kernel computes
        // both: dθ always goes to a small 1 × cols scratch (so x and θ may even be
        // the same var), dv to a scratch only when x needs no gradient.
        Op::SoftThreshold(x, theta) => {
            let (v, t) = (&val(x).data, &val(theta).data);
            let mut dtheta = pool.zeros(1, t.len());
            if need(x) {
                let dv = &mut slot(grads, pool, nodes, x).data;
                elementwise::soft_threshold_backward(v, t, gd, dv, &mut dtheta.data);
            } else {
                let mut dv = pool.zeros(val(x).rows, val(x).cols);
                elementwise::soft_threshold_backward(v, t, gd, &mut dv.data, &mut dtheta.data);
                pool.give(dv.data);
            }
            if need(theta) {
                accumulate(grads, pool, nodes, theta, &dtheta.data, &dtheta.data, |g, _| g);
            }
            pool.give(dtheta.data);
        }
        // Straight-through: dx += g·1[|x| ≤ 1] (the derivative of hard-tanh).
        Op::SignSte(x) => {
            accumulate(grads, pool, nodes, x, gd, &val(x).data, |g, x| if x.abs() <= 1.0 { g } else { 0.0 });
        }
        // y = tanh(x): dx += g·(1 − y²), from the stored output.
        Op::Tanh(x) => {
            accumulate(grads, pool, nodes, x, gd, &nodes[i].value.data, |g, y| g * (1.0 - y * y));
        }

        // y = a ± b: da += g, db ± = g.
        Op::Add(a, b) | Op::Sub(a, b) => {
            if need(a) {
                accumulate(grads, pool, nodes, a, gd, gd, |g, _| g);
            }
            if need(b) {
                let sign = if matches!(nodes[i].op, Op::Sub(..)) { -1.0 } else { 1.0 };
                accumulate(grads, pool, nodes, b, gd, gd, |g, _| sign * g);
            }
        }
        // y = a⊙b: da += g⊙b, db += g⊙a (both land on x when a = b = x: 2·g⊙x).
        Op::Mul(a, b) => {
            if need(a) {
                accumulate(grads, pool, nodes, a, gd, &val(b).data, |g, b| g * b);
            }
            if need(b) {
                accumulate(grads, pool, nodes, b, gd, &val(a).data, |g, a| g * a);
            }
        }
        // y = c·x: dx += c·g.
        Op::Scale(x, c) => {
            accumulate(grads, pool, nodes, x, gd, gd, |g, _| c * g);
        }
        // y = s·x: dx += s·g, ds += Σ g⊙x.
        Op::ScaleBy(x, s) => {
            if need(x) {
                let c = val(s).data[0];
                accumulate(grads, pool, nodes, x, gd, gd, |g, _| c * g);
            }
            if need(s) {
                let dot = dot_f64(gd, &val(x).data);
                slot(grads, pool, nodes, s).data[0] += dot as f32;
            }
        }
        // y = x²: dx += 2x·g.
        Op::Square(x) => {
            accumulate(grads, pool, nodes, x, gd, &val(x).data, |g, x| 2.0 * x * g);
        }

        // y = Σ x: dx += g (broadcast); mean: dx += g/n.
        Op::Sum(x) | Op::Mean(x) => {
            let n = val(x).len();
            let g0 = if matches!(nodes[i].op, Op::Mean(_)) { gd[0] / n as f32 } else { gd[0] };
            slot(grads, pool, nodes, x).data.iter_mut().for_each(|d| *d += g0);
        }
        // y[j] = Σ_i x[i, j]: dx[i, j] += g[j] (bias_add's broadcast); mean: g[j]/rows.
        Op::SumCols(x) => {
            elementwise::bias_add(&mut slot(grads, pool, nodes, x).data, gd);
        }
        Op::MeanCols(x) => {
            let (rows, cols) = val(x).shape();
            let inv = 1.0 / rows as f32;
            let dx = &mut slot(grads, pool, nodes, x).data;
            if cols > 0 {
                for row in dx.chunks_exact_mut(cols) {
                    row.iter_mut().zip(gd).for_each(|(d, &g)| *d += g * inv);
                }
            }
        }
        // y[i] = Σ_j x[i, j]: dx[i, j] += g[i]; mean: g[i]/cols.
        Op::SumRows(x) | Op::MeanRows(x) => {
            let cols = val(x).cols;
            let div = if matches!(nodes[i].op, Op::MeanRows(_)) { cols as f32 } else { 1.0 };
            let dx = &mut slot(grads, pool, nodes, x).data;
            if cols > 0 {
                for (row, &g) in dx.chunks_exact_mut(cols).zip(gd) {
                    let g = g / div;
                    row.iter_mut().for_each(|d| *d += g);
                }
            }
        }
        // y = max(0, m − e): de += −g·1[m − e > 0] (0 at the kink).
        Op::Hinge(e, margin) => {
            accumulate(grads, pool, nodes, e, gd, &val(e).data, |g, e| if margin - e > 0.0 { -g } else { 0.0 });
        }
        // y = x[start..start + len]: dx[start + r, j] += g[r, j].
        Op::SliceRows(x, start) => {
            let cols = val(x).cols;
            let dx = &mut slot(grads, pool, nodes, x).data[start * cols..];
            dx.iter_mut().zip(gd).for_each(|(d, &g)| *d += g);
        }
        // y_i = lse(x_i) − Σ_j t_ij x_ij: dx_ij += g_i·(p_ij − t_ij), p the stored softmax.
        Op::SoftmaxXent(x, t, soft) => {
            let cols = val(x).cols;
            if cols > 0 {
                let (ps, ts) = (&nodes[soft].value.data, &nodes[t].value.data);
                let dx = &mut slot(grads, pool, nodes, x).data;
                let mut unused = vec![0f32; gd.len()];
                par::rows(dx, cols, &mut unused, |r, d, _| {
                    let g = gd[r];
                    let span = r * cols..(r + 1) * cols;
                    for ((d, &p), &t) in d.iter_mut().zip(&ps[span.clone()]).zip(&ts[span]) {
                        *d += g * (p - t);
                    }
                });
            }
        }
    }
}
