//! One hand-derived gradient per primitive (the derivation in a comment beside
//! it, as in candle's `grad_tests.rs`), plus the tape's contract: constants and
//! detached paths get no gradient, gradients accumulate when a var is used twice,
//! a second backward replaces the first, empty shapes work, mismatches panic with
//! the op and the shapes. All values here are small integers or halves, so f32
//! arithmetic is exact and the comparisons are `==`.

use sigah_core::autodiff::{Tape, Var};
use sigah_core::Tensor;

fn t(rows: usize, cols: usize, data: &[f32]) -> Tensor {
    Tensor::new(rows, cols, data.to_vec())
}

/// `L = Σ y ⊙ w` for a constant `w` (so dL/dy = w), then backward.
fn weighted_loss(tape: &mut Tape, y: Var, w: Tensor) {
    let w = tape.constant(w);
    let yw = tape.mul(y, w);
    let loss = tape.sum(yw);
    tape.backward(loss);
}

fn grad(tape: &Tape, v: Var) -> Vec<f32> {
    tape.grad(v).expect("a gradient").data.clone()
}

#[test]
fn matmul_by_hand() {
    // A = [[1,2],[3,4]], B = [[5],[6]], L = Σ A·B = 17 + 39 = 56.
    // dA = g·Bᵀ with g = [[1],[1]]: [[5,6],[5,6]]; dB = Aᵀ·g = [[1+3],[2+4]].
    let mut tape = Tape::new();
    let a = tape.param(t(2, 2, &[1., 2., 3., 4.]));
    let b = tape.param(t(2, 1, &[5., 6.]));
    let y = tape.matmul(a, b);
    assert_eq!(tape.value(y).data, [17., 39.]);
    let loss = tape.sum(y);
    tape.backward(loss);
    assert_eq!(tape.value(loss).item(), 56.0);
    assert_eq!(grad(&tape, a), [5., 6., 5., 6.]);
    assert_eq!(grad(&tape, b), [4., 6.]);
}

#[test]
fn matmul_nt_by_hand() {
    // A = [[1,2]], B = [[3,4],[5,6]]: A·Bᵀ = [[11, 17]].
    // With w = [[1,2]]: dA = w·B = [[3+10, 4+12]]; dB = wᵀ·A = [[1,2],[2,4]].
    let mut tape = Tape::new();
    let a = tape.param(t(1, 2, &[1., 2.]));
    let b = tape.param(t(2, 2, &[3., 4., 5., 6.]));
    let y = tape.matmul_nt(a, b);
    assert_eq!(tape.value(y).data, [11., 17.]);
    weighted_loss(&mut tape, y, t(1, 2, &[1., 2.]));
    assert_eq!(grad(&tape, a), [13., 16.]);
    assert_eq!(grad(&tape, b), [1., 2., 2., 4.]);
}

#[test]
fn matmul_tn_by_hand() {
    // A = [[1],[2]] (2×1), B = [[3,4],[5,6]]: Aᵀ·B = [[13, 16]].
    // With w = [[1,2]]: dA = B·wᵀ = [[3+8],[5+12]]; dB = A·w = [[1,2],[2,4]].
    let mut tape = Tape::new();
    let a = tape.param(t(2, 1, &[1., 2.]));
    let b = tape.param(t(2, 2, &[3., 4., 5., 6.]));
    let y = tape.matmul_tn(a, b);
    assert_eq!(tape.value(y).data, [13., 16.]);
    weighted_loss(&mut tape, y, t(1, 2, &[1., 2.]));
    assert_eq!(grad(&tape, a), [11., 17.]);
    assert_eq!(grad(&tape, b), [1., 2., 2., 4.]);
}

#[test]
fn add_bias_by_hand() {
    // y = x + [10, 20] per row; with w = [[1,2],[3,4]]: dx = w, dbias = column sums of w.
    let mut tape = Tape::new();
    let x = tape.param(t(2, 2, &[1., 2., 3., 4.]));
    let bias = tape.param(t(1, 2, &[10., 20.]));
    let y = tape.add_bias(x, bias);
    assert_eq!(tape.value(y).data, [11., 22., 13., 24.]);
    weighted_loss(&mut tape, y, t(2, 2, &[1., 2., 3., 4.]));
    assert_eq!(grad(&tape, x), [1., 2., 3., 4.]);
    assert_eq!(grad(&tape, bias), [4., 6.]);
}

#[test]
fn relu_by_hand() {
    // relu([-1, 0, 2]) = [0, 0, 2]; dL/dx = w·1[x > 0], with ReLU'(0) = 0.
    let mut tape = Tape::new();
    let x = tape.param(t(1, 3, &[-1., 0., 2.]));
    let y = tape.relu(x);
    assert_eq!(tape.value(y).data, [0., 0., 2.]);
    weighted_loss(&mut tape, y, t(1, 3, &[5., 6., 7.]));
    assert_eq!(grad(&tape, x), [0., 0., 7.]);
}

#[test]
fn soft_threshold_by_hand() {
    // θ = 1 in every column: S(−2) = −1, S(±0.5) = 0, S(1) = 0 (|v| = θ, the kink),
    // S(3) = 2. dv = w·1[|v| > θ]; dθ = −sign(v)·w·1[|v| > θ]: +w for v = −2, −w for v = 3,
    // and 0 at the kink (the documented subgradient).
    let mut tape = Tape::new();
    let v = tape.param(t(1, 5, &[-2., -0.5, 0.5, 1., 3.]));
    let theta = tape.param(t(1, 5, &[1.; 5]));
    let y = tape.soft_threshold(v, theta);
    assert_eq!(tape.value(y).data, [-1., 0., 0., 0., 2.]);
    weighted_loss(&mut tape, y, t(1, 5, &[1., 2., 3., 4., 5.]));
    assert_eq!(grad(&tape, v), [1., 0., 0., 0., 5.]);
    assert_eq!(grad(&tape, theta), [1., 0., 0., 0., -5.]);

    // dθ sums over rows: v = [[3],[−4]], θ = [1], w = [[1],[2]]:
    // dθ = −(+1)·1 − (−1)·2 = 1, dv = [[1],[2]].
    let mut tape = Tape::new();
    let v = tape.param(t(2, 1, &[3., -4.]));
    let theta = tape.param(t(1, 1, &[1.]));
    let y = tape.soft_threshold(v, theta);
    assert_eq!(tape.value(y).data, [2., -3.]);
    weighted_loss(&mut tape, y, t(2, 1, &[1., 2.]));
    assert_eq!(grad(&tape, v), [1., 2.]);
    assert_eq!(grad(&tape, theta), [1.]);
}

#[test]
fn sign_ste_by_hand() {
    // sign: +1 iff x > 0 (so 0 maps to −1, agreeing with the bit u > 0).
    // Straight-through: dx = w·1[|x| ≤ 1], so ±2 get nothing, ±1 and inside pass w.
    let mut tape = Tape::new();
    let x = tape.param(t(1, 7, &[-2., -1., -0.5, 0., 0.5, 1., 2.]));
    let s = tape.sign_ste(x);
    assert_eq!(tape.value(s).data, [-1., -1., -1., -1., 1., 1., 1.]);
    weighted_loss(&mut tape, s, t(1, 7, &[1., 2., 3., 4., 5., 6., 7.]));
    assert_eq!(grad(&tape, x), [0., 2., 3., 4., 5., 6., 0.]);
}

#[test]
fn add_sub_mul_by_hand() {
    // L = Σ (a + b) + Σ (a − b)·w + Σ a⊙b with a = [1, 2], b = [3, 5], w = [2, 2]:
    // dL/da = 1 + w + b = [6, 8]; dL/db = 1 − w + a = [0, 1].
    let mut tape = Tape::new();
    let a = tape.param(t(1, 2, &[1., 2.]));
    let b = tape.param(t(1, 2, &[3., 5.]));
    let s = tape.add(a, b);
    let d = tape.sub(a, b);
    let d = tape.scale(d, 2.0);
    let p = tape.mul(a, b);
    assert_eq!(tape.value(p).data, [3., 10.]);
    let sum1 = tape.add(s, d);
    let all = tape.add(sum1, p);
    let loss = tape.sum(all);
    tape.backward(loss);
    assert_eq!(grad(&tape, a), [6., 8.]);
    assert_eq!(grad(&tape, b), [0., 1.]);
}

#[test]
fn scale_by_and_square_by_hand() {
    // y = s·x with x = [1, 2], s = 3: dx = s·w = [3, 6] for w = [1, 2], ds = Σ w⊙x = 5.
    let mut tape = Tape::new();
    let x = tape.param(t(1, 2, &[1., 2.]));
    let s = tape.param(Tensor::scalar(3.0));
    let y = tape.scale_by(x, s);
    assert_eq!(tape.value(y).data, [3., 6.]);
    weighted_loss(&mut tape, y, t(1, 2, &[1., 2.]));
    assert_eq!(grad(&tape, x), [3., 6.]);
    assert_eq!(grad(&tape, s), [5.]);

    // y = x² with x = [−2, 3]: dx = 2x·w = [−4, 6] for w = 1.
    let mut tape = Tape::new();
    let x = tape.param(t(1, 2, &[-2., 3.]));
    let y = tape.square(x);
    assert_eq!(tape.value(y).data, [4., 9.]);
    let loss = tape.sum(y);
    tape.backward(loss);
    assert_eq!(grad(&tape, x), [-4., 6.]);
}

#[test]
fn reductions_by_hand() {
    // x = [[1,2],[3,4]].
    // sum = 10, dx = 1; mean = 2.5, dx = 1/4.
    // sum_cols = [4, 6], with w = [10, 20]: dx[i, j] = w[j]; mean_cols = [2, 3]: w[j]/2.
    // sum_rows = [[3],[7]], with w = [[10],[20]]: dx[i, j] = w[i]; mean_rows = [[1.5],[3.5]]: w[i]/2.
    let x0 = t(2, 2, &[1., 2., 3., 4.]);
    type Reduction = fn(&mut Tape, Var) -> Var;
    // (name, op, w = dL/dy, expected value, expected dx)
    type Case = (&'static str, Reduction, Tensor, Vec<f32>, Vec<f32>);
    let cases: [Case; 6] = [
        ("sum", |t, x| t.sum(x), t(1, 1, &[1.]), vec![10.], vec![1.; 4]),
        ("mean", |t, x| t.mean(x), t(1, 1, &[1.]), vec![2.5], vec![0.25; 4]),
        ("sum_cols", |t, x| t.sum_cols(x), t(1, 2, &[10., 20.]), vec![4., 6.], vec![10., 20., 10., 20.]),
        ("mean_cols", |t, x| t.mean_cols(x), t(1, 2, &[10., 20.]), vec![2., 3.], vec![5., 10., 5., 10.]),
        ("sum_rows", |t, x| t.sum_rows(x), t(2, 1, &[10., 20.]), vec![3., 7.], vec![10., 10., 20., 20.]),
        ("mean_rows", |t, x| t.mean_rows(x), t(2, 1, &[10., 20.]), vec![1.5, 3.5], vec![5., 5., 10., 10.]),
    ];
    for (name, op, w, value, dx) in cases {
        let mut tape = Tape::new();
        let x = tape.param(x0.clone());
        let y = op(&mut tape, x);
        assert_eq!(tape.value(y).data, value, "{name} value");
        weighted_loss(&mut tape, y, w);
        assert_eq!(grad(&tape, x), dx, "{name} gradient");
    }
}

#[test]
fn hinge_by_hand() {
    // max(0, 1 − e) for e = [0.5, 1, 2] is [0.5, 0, 0]; de = −1[1 − e > 0] = [−1, 0, 0]
    // (0 at the kink e = margin).
    let mut tape = Tape::new();
    let e = tape.param(t(1, 3, &[0.5, 1., 2.]));
    let h = tape.hinge(1.0, e);
    assert_eq!(tape.value(h).data, [0.5, 0., 0.]);
    let loss = tape.sum(h);
    tape.backward(loss);
    assert_eq!(grad(&tape, e), [-1., 0., 0.]);
}

#[test]
fn tanh_by_hand() {
    // tanh(0) = 0 with slope 1: dx = w·(1 − 0²) = w.
    let mut tape = Tape::new();
    let x = tape.param(t(1, 2, &[0., 0.]));
    let y = tape.tanh(x);
    assert_eq!(tape.value(y).data, [0., 0.]);
    weighted_loss(&mut tape, y, t(1, 2, &[2., -3.]));
    assert_eq!(grad(&tape, x), [2., -3.]);
}

#[test]
fn slice_rows_by_hand() {
    // x is 4 × 2; y = rows 1..3 = [[3, 4], [5, 6]]; L = Σ y ⊙ w puts w in rows 1
    // and 2 of dx and nothing in rows 0 and 3. Slicing twice (rows 2..4 as well)
    // accumulates in the overlapping row 2.
    let mut tape = Tape::new();
    let x = tape.param(t(4, 2, &[1., 2., 3., 4., 5., 6., 7., 8.]));
    let y = tape.slice_rows(x, 1, 2);
    assert_eq!((tape.value(y).shape(), tape.value(y).data.clone()), ((2, 2), vec![3., 4., 5., 6.]));
    weighted_loss(&mut tape, y, t(2, 2, &[1., -2., 3., 0.5]));
    assert_eq!(grad(&tape, x), [0., 0., 1., -2., 3., 0.5, 0., 0.]);
    let mut tape = Tape::new();
    let x = tape.param(t(4, 2, &[1., 2., 3., 4., 5., 6., 7., 8.]));
    let a = tape.slice_rows(x, 1, 2);
    let b = tape.slice_rows(x, 2, 2);
    let sa = tape.sum(a);
    let sb = tape.sum(b);
    let loss = tape.add(sa, sb);
    tape.backward(loss);
    assert_eq!(grad(&tape, x), [0., 0., 1., 1., 2., 2., 1., 1.]);
}

#[test]
#[should_panic(expected = "slice_rows: rows 3..5 of a 4x2 matrix")]
fn slice_rows_out_of_range_panics() {
    let mut tape = Tape::new();
    let x = tape.param(Tensor::zeros(4, 2));
    let _ = tape.slice_rows(x, 3, 2);
}

#[test]
fn detach_cuts_the_path() {
    // y = x·detach(x) at x = 3: the detached factor is a constant, so dy/dx = 3, not 6.
    let mut tape = Tape::new();
    let x = tape.param(Tensor::scalar(3.0));
    let xd = tape.detach(x);
    let y = tape.mul(x, xd);
    assert_eq!(tape.value(y).item(), 9.0);
    tape.backward(y);
    assert_eq!(grad(&tape, x), [3.]);
    assert!(tape.grad(xd).is_none());
}

#[test]
fn a_var_used_twice_accumulates() {
    // d(x·x)/dx = 2x = 6 at x = 3 (both inputs of mul are x); d(x + x)/dx = 2;
    // d(x·x + x)/dx = 7: three contributions land in one buffer.
    let mut tape = Tape::new();
    let x = tape.param(Tensor::scalar(3.0));
    let sq = tape.mul(x, x);
    tape.backward(sq);
    assert_eq!(grad(&tape, x), [6.]);
    let twice = tape.add(x, x);
    tape.backward(twice);
    assert_eq!(grad(&tape, x), [2.], "a second backward replaces, not adds to, the first");
    let all = tape.add(sq, x);
    tape.backward(all);
    assert_eq!(grad(&tape, x), [7.]);

    // A matrix used on both sides of a product: d Σ(A·A)/dA = 1·Aᵀ + Aᵀ·1.
    // A = [[1,2],[3,4]]: 1·Aᵀ = [[3,7],[3,7]], Aᵀ·1 = [[4,4],[6,6]].
    let mut tape = Tape::new();
    let a = tape.param(t(2, 2, &[1., 2., 3., 4.]));
    let aa = tape.matmul(a, a);
    let loss = tape.sum(aa);
    tape.backward(loss);
    assert_eq!(grad(&tape, a), [7., 11., 9., 13.]);
}

#[test]
fn constants_get_no_gradient() {
    // matmul(X_const, W): W gets dW = Xᵀ·1, X gets nothing (and the rule skips computing it).
    let mut tape = Tape::new();
    let x = tape.constant(t(2, 2, &[1., 2., 3., 4.]));
    let w = tape.param(t(2, 1, &[1., 1.]));
    let unused = tape.param(t(1, 1, &[1.]));
    let y = tape.matmul(x, w);
    let loss = tape.sum(y);
    tape.backward(loss);
    assert_eq!(grad(&tape, w), [4., 6.]);
    assert!(tape.grad(x).is_none());
    assert!(tape.grad(unused).is_none(), "a param the loss does not use gets no gradient");
    assert_eq!(tape.take_grad(w).map(|g| g.data), Some(vec![4., 6.]));
    assert!(tape.grad(w).is_none(), "take_grad moves the gradient out");

    // A loss that no param reaches: backward leaves every gradient empty.
    let c = tape.constant(Tensor::scalar(2.0));
    let c2 = tape.square(c);
    tape.backward(c2);
    assert!(tape.grad(c).is_none() && tape.grad(c2).is_none() && tape.grad(w).is_none());
}

#[test]
fn reset_starts_a_fresh_graph() {
    let mut tape = Tape::new();
    for step in 0..3 {
        tape.reset();
        let w = tape.param(Tensor::scalar(step as f32));
        let y = tape.square(w);
        tape.backward(y);
        assert_eq!(tape.len(), 2);
        assert_eq!(grad(&tape, w), [2.0 * step as f32]);
    }
}

#[test]
fn empty_shapes() {
    // k = 0: A (2×0)·B (0×3) is the 2×3 zero matrix, and the gradients are empty.
    let mut tape = Tape::new();
    let a = tape.param(Tensor::zeros(2, 0));
    let b = tape.param(Tensor::zeros(0, 3));
    let y = tape.matmul(a, b);
    assert_eq!(tape.value(y), &Tensor::zeros(2, 3));
    let loss = tape.sum(y);
    tape.backward(loss);
    assert_eq!(tape.grad(a).map(Tensor::shape), Some((2, 0)));
    assert_eq!(tape.grad(b).map(Tensor::shape), Some((0, 3)));

    // 0 rows: the column reductions are zeros, θ's gradient is zeros.
    let mut tape = Tape::new();
    let v = tape.param(Tensor::zeros(0, 4));
    let theta = tape.param(Tensor::full(1, 4, 0.5));
    let s = tape.soft_threshold(v, theta);
    let r = tape.relu(s);
    let c = tape.sum_cols(r);
    assert_eq!(tape.value(c), &Tensor::zeros(1, 4));
    let total = tape.sum(c);
    tape.backward(total);
    assert_eq!(grad(&tape, theta), [0.; 4]);
    let m = tape.mean(v);
    assert!(tape.value(m).item().is_nan(), "the mean of nothing is 0/0");
    // 0 columns: the row sums are zeros.
    let z = tape.param(Tensor::zeros(3, 0));
    let rows = tape.sum_rows(z);
    assert_eq!(tape.value(rows), &Tensor::zeros(3, 1));
}

#[test]
#[should_panic(expected = "matmul: A is 2x3, B is 2x3")]
fn matmul_shape_mismatch_names_op_and_shapes() {
    let mut tape = Tape::new();
    let a = tape.param(Tensor::zeros(2, 3));
    let b = tape.param(Tensor::zeros(2, 3));
    tape.matmul(a, b);
}

#[test]
#[should_panic(expected = "add_bias: x is 2x3, bias is 3x1 (expected 1x3)")]
fn bias_shape_mismatch_names_op_and_shapes() {
    let mut tape = Tape::new();
    let x = tape.param(Tensor::zeros(2, 3));
    let b = tape.param(Tensor::zeros(3, 1));
    tape.add_bias(x, b);
}

#[test]
#[should_panic(expected = "mul: shapes differ: a is 2x3, b is 3x2")]
fn elementwise_shape_mismatch_names_op_and_shapes() {
    let mut tape = Tape::new();
    let a = tape.param(Tensor::zeros(2, 3));
    let b = tape.param(Tensor::zeros(3, 2));
    tape.mul(a, b);
}

#[test]
#[should_panic(expected = "backward: the loss is 2x2, expected 1x1")]
fn backward_needs_a_scalar_loss() {
    let mut tape = Tape::new();
    let a = tape.param(Tensor::zeros(2, 2));
    tape.backward(a);
}

#[test]
fn recycled_buffers_do_not_leak_old_values() {
    // GEMM outputs and first gradient contributions reuse buffers without zeroing
    // them; a NaN step followed by a clean one of the same shapes must come out clean.
    let mut tape = Tape::new();
    for (step, fill) in [(0, f32::NAN), (1, 1.0), (2, f32::INFINITY), (3, 2.0)] {
        tape.reset();
        let a = tape.param(Tensor::full(2, 3, fill));
        let b = tape.param(Tensor::full(3, 2, fill));
        let c = tape.matmul(a, b);
        let r = tape.relu(c);
        let s = tape.add(r, c);
        let loss = tape.sum(s);
        tape.backward(loss);
        if fill.is_finite() {
            // c = 3·fill² everywhere; relu(c) + c = 6·fill², loss = 4 · 6·fill².
            // dL/dc = 2 (relu' = 1 and the identity), dA = 2·1·Bᵀ = 2·(2·fill) per entry.
            assert_eq!(tape.value(loss).item(), 24.0 * fill * fill, "step {step}");
            assert_eq!(grad(&tape, a), vec![4.0 * fill; 6], "step {step}");
            assert_eq!(grad(&tape, b), vec![4.0 * fill; 6], "step {step}");
        }
    }
}

#[test]
fn large_elementwise_graphs_do_not_depend_on_the_thread_count() {
    // 300 × 301 = 90,300 elements: the tape's loops and the elementwise kernels
    // split work like this over the rayon pool; the values and gradients must be
    // bit-identical at every pool size.
    let (r, c) = (300, 301);
    let x0 = Tensor::new(r, c, (0..r * c).map(|k| ((k * 7919) % 4001) as f32 / 1000.0 - 2.0).collect());
    let y0 = Tensor::new(r, c, (0..r * c).map(|k| ((k * 104_729) % 3001) as f32 / 1000.0 - 1.5).collect());
    let b0 = Tensor::new(1, c, (0..c).map(|j| (j % 5) as f32 * 0.1 - 0.2).collect());
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut tape = Tape::new();
            let x = tape.param(x0.clone());
            let y = tape.constant(y0.clone());
            let b = tape.param(b0.clone());
            let h = tape.add_bias(x, b);
            let a = tape.relu(h);
            let s = tape.sign_ste(x);
            let m = tape.mul(a, s);
            let d = tape.sub(m, y);
            let sq = tape.square(d);
            let hinge = tape.hinge(1.0, sq);
            let sc = tape.scale(hinge, 0.5);
            let theta = tape.param(Tensor::full(1, c, 0.3));
            let st = tape.soft_threshold(d, theta);
            let total = tape.add(sc, st);
            let loss = tape.mean(total);
            tape.backward(loss);
            let bits = |t: &Tensor| t.data.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
            (
                bits(tape.value(loss)),
                bits(tape.grad(x).unwrap()),
                bits(tape.grad(b).unwrap()),
                bits(tape.grad(theta).unwrap()),
            )
        })
    };
    let one = run(1);
    for threads in [2, 3] {
        assert!(run(threads) == one, "{threads} threads differ from 1");
    }
}
