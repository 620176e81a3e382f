//! A minimal reverse-mode autodiff tape: a Wengert list.
//!
//! The [`Tape`] owns a `Vec<Node>`; a [`Var`] is an index into it (plus the
//! tape's generation, checked on use). Every node stores its `Op` (the input ids, as in candle's `op.rs`) and its value. Nodes
//! are appended in creation order, so inputs always have smaller ids than their
//! users and [`Tape::backward`] is one reverse loop with one `match`
//! (`backward.rs`). Gradients accumulate (`+=`), so a var used twice (`x·x`) gets
//! both contributions.
//!
//! Only nodes that depend (transitively) on a [`Tape::param`] get gradients: a
//! node built only from constants is never visited, and an op skips the gradient
//! of any input that does not need one (`matmul(X_const, W)` computes dW, not dX).
//!
//! Buffers are recycled: [`Tape::reset`] moves every value and gradient buffer into
//! a pool keyed by size, and the next step's ops take their outputs from it, so a
//! training loop that builds the same graph each step stops allocating after the
//! first step ([`Tape::param_from`] / [`Tape::constant_from`] recycle the leaves'
//! buffers too). Outputs that are written whole (a GEMM with β = 0, a map) are
//! not zeroed first. Large elementwise loops are split over the rayon pool
//! (`par.rs`), which never changes a result.
//!
//! Subgradients at kinks (written once, here): ReLU'(0) = 0; soft-threshold
//! `∂/∂v = 1[|v| > θ]`, `∂/∂θ = −sign(v)·1[|v| > θ]`; sign's straight-through
//! gradient is `1[|x| ≤ 1]` (hard-tanh); hinge `max(0, m − e)` has
//! `∂/∂e = −1[m − e > 0]`.

mod backward;
mod ops;
mod par;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Tensor;

/// A handle to a node of a [`Tape`]. Valid until the tape's next [`Tape::reset`]:
/// it carries the tape's generation, so using it after a reset, or on another
/// tape, panics instead of silently reading whatever node now has its index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Var(usize, u64);

/// Generations are unique across all tapes of the process.
fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Var {
    /// The node's position on the tape (creation order).
    pub fn index(self) -> usize {
        self.0
    }
}

/// What produced a node: the operation and its input ids.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    /// A leaf whose gradient is not wanted.
    Constant,
    /// A leaf whose gradient is wanted.
    Param,
    /// `x` copied, with the gradient path cut.
    Detach(usize),
    MatMul(usize, usize),
    MatMulNt(usize, usize),
    MatMulTn(usize, usize),
    AddBias(usize, usize),
    Relu(usize),
    SoftThreshold(usize, usize),
    SignSte(usize),
    Tanh(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Scale(usize, f32),
    ScaleBy(usize, usize),
    Square(usize),
    Sum(usize),
    Mean(usize),
    SumCols(usize),
    MeanCols(usize),
    SumRows(usize),
    MeanRows(usize),
    Hinge(usize, f32),
    /// Rows `start..start + len` of `x` (second: `start`).
    SliceRows(usize, usize),
    /// Row-wise softmax cross-entropy of logits (first) against constant target
    /// weights (second); the third node holds the softmax the forward computed.
    SoftmaxXent(usize, usize, usize),
}

#[derive(Debug)]
struct Node {
    op: Op,
    value: Tensor,
    /// Whether any param reaches this node; nodes without it get no gradient.
    needs_grad: bool,
}

/// Spare f32 buffers keyed by capacity, refilled by [`Tape::reset`].
#[derive(Debug, Default)]
struct Pool {
    free: HashMap<usize, Vec<Vec<f32>>>,
    /// How many buffers of each size were asked for since the last reset: the
    /// next graph (usually the same shape) will ask for as many again.
    demand: HashMap<usize, usize>,
}

impl Pool {
    /// An empty buffer with capacity for `n` values (reused when one is spare).
    fn take(&mut self, n: usize) -> Vec<f32> {
        *self.demand.entry(n).or_default() += 1;
        match self.free.get_mut(&n).and_then(Vec::pop) {
            Some(mut buf) => {
                buf.clear();
                buf
            }
            None => Vec::with_capacity(n),
        }
    }

    /// Keeps, per size, only as many spare buffers as the last graph asked for,
    /// so the pool stays bounded even when leaves are fresh tensors every step.
    fn trim(&mut self) {
        let demand = std::mem::take(&mut self.demand);
        self.free.retain(|size, list| {
            list.truncate(demand.get(size).copied().unwrap_or(0));
            !list.is_empty()
        });
    }

    /// A `rows × cols` tensor whose contents are unspecified (stale values of a
    /// recycled buffer, all initialised): for outputs a kernel overwrites
    /// completely, such as a GEMM with β = 0, so no pass is spent zeroing.
    fn dirty(&mut self, rows: usize, cols: usize) -> Tensor {
        let n = rows * cols;
        *self.demand.entry(n).or_default() += 1;
        let data = match self.free.get_mut(&n).and_then(Vec::pop) {
            Some(buf) if buf.len() == n => buf,
            Some(mut buf) => {
                buf.clear();
                buf.resize(n, 0.0);
                buf
            }
            None => vec![0.0; n],
        };
        Tensor { rows, cols, data }
    }

    /// A zeroed `rows × cols` tensor.
    fn zeros(&mut self, rows: usize, cols: usize) -> Tensor {
        let mut data = self.take(rows * cols);
        data.resize(rows * cols, 0.0);
        Tensor { rows, cols, data }
    }

    /// A `rows × cols` tensor filled from `values` (which must yield exactly
    /// `rows × cols` items; the ops build it from zipped slice iterators, which
    /// `extend` writes without per-item capacity checks).
    fn collect(&mut self, rows: usize, cols: usize, values: impl Iterator<Item = f32>) -> Tensor {
        let mut data = self.take(rows * cols);
        data.extend(values);
        debug_assert_eq!(data.len(), rows * cols);
        Tensor { rows, cols, data }
    }

    /// A `rows × cols` tensor holding a copy of `values` (`rows × cols` of them):
    /// one `memcpy`, where `collect` over a copying iterator writes element by
    /// element.
    fn copy(&mut self, rows: usize, cols: usize, values: &[f32]) -> Tensor {
        let mut data = self.take(rows * cols);
        data.extend_from_slice(values);
        debug_assert_eq!(data.len(), rows * cols);
        Tensor { rows, cols, data }
    }

    fn give(&mut self, buf: Vec<f32>) {
        if buf.capacity() > 0 {
            self.free.entry(buf.capacity()).or_default().push(buf);
        }
    }
}

/// The autodiff tape. Build a graph with the leaf constructors and the
/// primitives (`ops.rs`), call [`Tape::backward`] on a `1 × 1` loss, read
/// gradients with [`Tape::grad`] / [`Tape::take_grad`], then [`Tape::reset`].
#[derive(Debug)]
pub struct Tape {
    nodes: Vec<Node>,
    /// `grads[i]` is the gradient of the last backward's loss w.r.t. node `i`.
    grads: Vec<Option<Tensor>>,
    pool: Pool,
    /// Stamped into every [`Var`]; renewed by [`Tape::reset`].
    generation: u64,
}

impl Default for Tape {
    fn default() -> Self {
        Self::new()
    }
}

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Tape { nodes: Vec::new(), grads: Vec::new(), pool: Pool::default(), generation: next_generation() }
    }

    /// Drops every node and gradient, keeping their buffers for the next graph.
    /// Every [`Var`] of this tape becomes invalid.
    pub fn reset(&mut self) {
        for node in self.nodes.drain(..) {
            self.pool.give(node.value.data);
        }
        for grad in self.grads.drain(..).flatten() {
            self.pool.give(grad.data);
        }
        self.pool.trim();
        self.generation = next_generation();
    }

    /// Number of nodes on the tape.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tape has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn push(&mut self, op: Op, value: Tensor, needs_grad: bool) -> Var {
        self.nodes.push(Node { op, value, needs_grad });
        Var(self.nodes.len() - 1, self.generation)
    }

    /// A leaf whose gradient is not wanted (data, targets, frozen weights).
    pub fn constant(&mut self, value: Tensor) -> Var {
        self.push(Op::Constant, value, false)
    }

    /// A leaf whose gradient is wanted (a trainable weight).
    pub fn param(&mut self, value: Tensor) -> Var {
        self.push(Op::Param, value, true)
    }

    /// [`Tape::constant`] of a copy of `value`, in a buffer recycled across resets.
    pub fn constant_from(&mut self, value: &Tensor) -> Var {
        let copy = self.pool.copy(value.rows, value.cols, &value.data);
        self.constant(copy)
    }

    /// [`Tape::constant`] of a copy of rows `first..first + count` of `value`.
    pub fn constant_rows_from(&mut self, value: &Tensor, first: usize, count: usize) -> Var {
        let rows = &value.data[first * value.cols..(first + count) * value.cols];
        let copy = self.pool.copy(count, value.cols, rows);
        self.constant(copy)
    }

    /// [`Tape::param`] of a copy of `value`, in a buffer recycled across resets.
    pub fn param_from(&mut self, value: &Tensor) -> Var {
        let copy = self.pool.copy(value.rows, value.cols, &value.data);
        self.param(copy)
    }

    /// Panics unless `v` was made by this tape since its last reset.
    fn check(&self, v: Var) {
        assert!(
            v.1 == self.generation && v.0 < self.nodes.len(),
            "autodiff: {v:?} is not on this tape (a var from another tape, or from before a reset)"
        );
    }

    fn node(&self, v: Var) -> &Node {
        self.check(v);
        &self.nodes[v.0]
    }

    /// The value of `v`.
    ///
    /// # Panics
    /// If `v` is not a node of this tape.
    pub fn value(&self, v: Var) -> &Tensor {
        &self.node(v).value
    }

    /// The gradient of the last [`Tape::backward`]'s loss w.r.t. `v`; `None` if no
    /// gradient reached it (a constant, a detached path, a node the loss does not
    /// depend on, or no backward yet).
    ///
    /// # Panics
    /// If `v` is not a node of this tape (see [`Var`]).
    pub fn grad(&self, v: Var) -> Option<&Tensor> {
        self.check(v);
        self.grads.get(v.0).and_then(Option::as_ref)
    }

    /// Moves the gradient of `v` out of the tape (see [`Tape::grad`]).
    ///
    /// # Panics
    /// As [`Tape::grad`].
    pub fn take_grad(&mut self, v: Var) -> Option<Tensor> {
        self.check(v);
        self.grads.get_mut(v.0).and_then(Option::take)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_recycles_buffers() {
        let mut tape = Tape::new();
        let w = tape.param(Tensor::full(4, 3, 0.5));
        let y = tape.relu(w);
        let loss = tape.sum(y);
        tape.backward(loss);
        // Every 12-element buffer of the first graph: w, y and their gradients.
        let old: Vec<*const f32> = [tape.value(w), tape.value(y), tape.grad(w).unwrap(), tape.grad(y).unwrap()]
            .iter()
            .map(|t| t.data.as_ptr())
            .collect();
        tape.reset();
        assert!(tape.is_empty());
        // The new leaf is allocated while the pool still holds the old buffers, so
        // it cannot land on one of them; relu's output must come from the pool.
        let w = tape.param(Tensor::full(4, 3, -0.5));
        let y = tape.relu(w);
        assert!(old.contains(&tape.value(y).data.as_ptr()), "relu output was freshly allocated");
        assert_eq!(tape.value(y).data, vec![0.0; 12]);
    }

    #[test]
    #[should_panic(expected = "not on this tape")]
    fn foreign_var_panics() {
        let mut a = Tape::new();
        let mut b = Tape::new();
        let _ = b.constant(Tensor::scalar(2.0));
        let x = a.constant(Tensor::scalar(1.0));
        // Same index, other tape.
        let _ = b.value(x);
    }

    #[test]
    #[should_panic(expected = "not on this tape")]
    fn stale_var_panics() {
        let mut tape = Tape::new();
        let x = tape.param(Tensor::scalar(1.0));
        tape.reset();
        let _ = tape.param(Tensor::scalar(2.0));
        let _ = tape.grad(x);
    }
}
