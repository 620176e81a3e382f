//! Finite-difference gradient checks of every tape primitive, in f64.
//!
//! How (and what is honest about it): the tape runs in f32. Each test writes the
//! op's forward pass again in f64 (`M`, below) and differentiates the scalar
//! `L(inputs) = Σ w ⊙ op(inputs)` (with `w` random, so the upstream gradient is not
//! uniform) by central differences in f64, step `h = 1e-6·max(1, |x|)`: truncation
//! error O(h²) and round-off ~1e-10, far below the f32 tape's own error. The tape's
//! gradient (built as `sum(mul(op(..), w))`) must agree with it within
//! `tol·(1 + |fd|)`; `tol` is stated per test and reflects f32 rounding of the
//! tape's forward and backward (~1e-6 per op, times the reduction length).
//! Inputs stay at least 0.05 away from every kink (ReLU at 0, soft-threshold at
//! |v| = θ, the STE's ±1, the hinge's margin), where no derivative exists and a
//! difference quotient would straddle two branches.
//!
//! Each input is a param or a constant by a random mask: constants must get no
//! gradient, which also exercises the rules' "skip inputs that need none" paths.

use proptest::collection::vec;
use proptest::prelude::*;
use sigah_core::autodiff::{Tape, Var};
use sigah_core::Tensor;

/// A row-major f64 matrix: the reference forward passes.
#[derive(Clone, Debug)]
struct M {
    r: usize,
    c: usize,
    d: Vec<f64>,
}

impl M {
    fn of(t: &Tensor) -> M {
        M { r: t.rows, c: t.cols, d: t.data.iter().map(|&v| f64::from(v)).collect() }
    }
    fn at(&self, i: usize, j: usize) -> f64 {
        self.d[i * self.c + j]
    }
    fn from_fn(r: usize, c: usize, f: impl Fn(usize, usize) -> f64) -> M {
        M { r, c, d: (0..r * c).map(|k| f(k / c.max(1), k % c.max(1))).collect() }
    }
    fn map(&self, f: impl Fn(f64) -> f64) -> M {
        M { r: self.r, c: self.c, d: self.d.iter().map(|&v| f(v)).collect() }
    }
    fn zip(&self, o: &M, f: impl Fn(f64, f64) -> f64) -> M {
        assert_eq!((self.r, self.c), (o.r, o.c));
        M { r: self.r, c: self.c, d: self.d.iter().zip(&o.d).map(|(&a, &b)| f(a, b)).collect() }
    }
    fn t(&self) -> M {
        M::from_fn(self.c, self.r, |i, j| self.at(j, i))
    }
    fn mm(&self, o: &M) -> M {
        assert_eq!(self.c, o.r);
        M::from_fn(self.r, o.c, |i, j| (0..self.c).map(|k| self.at(i, k) * o.at(k, j)).sum())
    }
    /// `self[i, j] + row[j]`.
    fn add_row(&self, row: &M) -> M {
        M::from_fn(self.r, self.c, |i, j| self.at(i, j) + row.d[j])
    }
    fn sum(&self) -> f64 {
        self.d.iter().sum()
    }
    fn scalar(v: f64) -> M {
        M { r: 1, c: 1, d: vec![v] }
    }
}

/// Which inputs are params, and the op under test on the tape and in f64.
struct Check<'a> {
    inputs: &'a [Tensor],
    is_param: &'a [bool],
    weights: &'a [f32],
    tol: f64,
}

impl Check<'_> {
    /// Runs the check; `op` builds the op on the tape, `reference` computes it in f64.
    fn run(&self, op: impl Fn(&mut Tape, &[Var]) -> Var, reference: impl Fn(&[M]) -> M) -> Result<(), TestCaseError> {
        let mut tape = Tape::new();
        let vars: Vec<Var> = self
            .inputs
            .iter()
            .zip(self.is_param)
            .map(|(t, &p)| if p { tape.param(t.clone()) } else { tape.constant(t.clone()) })
            .collect();
        let y = op(&mut tape, &vars);
        let (r, c) = tape.value(y).shape();
        let w = Tensor::new(r, c, self.weights.iter().cycle().take(r * c).copied().collect());
        let wv = tape.constant(w.clone());
        let weighted = tape.mul(y, wv);
        let loss = tape.sum(weighted);
        tape.backward(loss);

        // The tape's forward agrees with the reference too (f32 vs f64).
        let xs: Vec<M> = self.inputs.iter().map(M::of).collect();
        let y64 = reference(&xs);
        prop_assert_eq!((y64.r, y64.c), (r, c));
        for (k, (&got, &want)) in tape.value(y).data.iter().zip(&y64.d).enumerate() {
            prop_assert!(
                (f64::from(got) - want).abs() <= self.tol * (1.0 + want.abs()),
                "forward element {k}: tape {got}, f64 {want}"
            );
        }

        let w64 = M::of(&w);
        let loss64 = |xs: &[M]| reference(xs).zip(&w64, |a, b| a * b).sum();
        for (n, (&var, &param)) in vars.iter().zip(self.is_param).enumerate() {
            let Some(grad) = tape.grad(var) else {
                prop_assert!(!param, "input {n} is a param but got no gradient");
                continue;
            };
            prop_assert!(param, "input {n} is a constant but got a gradient");
            prop_assert_eq!(grad.shape(), self.inputs[n].shape());
            for e in 0..grad.len() {
                let x = xs[n].d[e];
                let h = 1e-6 * x.abs().max(1.0);
                let mut plus = xs.clone();
                plus[n].d[e] = x + h;
                let mut minus = xs.clone();
                minus[n].d[e] = x - h;
                let fd = (loss64(&plus) - loss64(&minus)) / (2.0 * h);
                let got = f64::from(grad.data[e]);
                prop_assert!(
                    (got - fd).abs() <= self.tol * (1.0 + fd.abs()),
                    "d/d input {n}[{e}]: tape {got}, finite difference {fd}"
                );
            }
        }
        Ok(())
    }
}

/// `n` values in ±[0.05, 2]: away from 0 (ReLU's kink) and with either sign.
fn away_from_zero(n: usize) -> impl Strategy<Value = Vec<f32>> {
    vec(-1.95f32..1.95, n).prop_map(|v| v.into_iter().map(|x| x + 0.05f32.copysign(x)).collect())
}

/// `(rows, cols, values)` of a small matrix with values in ±[0.05, 2].
fn matrix(rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) -> impl Strategy<Value = Tensor> {
    (rows, cols).prop_flat_map(|(r, c)| away_from_zero(r * c).prop_map(move |d| Tensor::new(r, c, d)))
}

fn weights() -> impl Strategy<Value = Vec<f32>> {
    vec(-1.5f32..1.5, 64)
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

proptest! {
    #![proptest_config(config())]

    // f32 dot products of up to 6 terms of size ≤ 2: relative error ≲ 1e-6·k.
    #[test]
    fn matmul(r in 1usize..6, k in 1usize..6, c in 1usize..6, seed in any::<u64>(),
              mask in any::<[bool; 2]>(), w in weights()) {
        let a = det(r, k, seed);
        let b = det(k, c, seed ^ 0x9e37);
        let inputs = [a, b];
        let chk = Check { inputs: &inputs, is_param: &mask, weights: &w, tol: 1e-5 };
        chk.run(|t, v| t.matmul(v[0], v[1]), |x| x[0].mm(&x[1]))?;
        // The same data through the other two layouts: A·Bᵀ with Bᵀ stored, Aᵀ·B with Aᵀ stored.
        let inputs_nt = [inputs[0].clone(), transpose(&inputs[1])];
        let chk = Check { inputs: &inputs_nt, ..chk };
        chk.run(|t, v| t.matmul_nt(v[0], v[1]), |x| x[0].mm(&x[1].t()))?;
        let inputs_tn = [transpose(&inputs[0]), inputs[1].clone()];
        let chk = Check { inputs: &inputs_tn, ..chk };
        chk.run(|t, v| t.matmul_tn(v[0], v[1]), |x| x[0].t().mm(&x[1]))?;
    }

    #[test]
    fn add_bias(x in matrix(1..7, 1..9), seed in any::<u64>(), mask in any::<[bool; 2]>(), w in weights()) {
        let bias = det(1, x.cols, seed);
        let inputs = [x, bias];
        let chk = Check { inputs: &inputs, is_param: &mask, weights: &w, tol: 1e-5 };
        chk.run(|t, v| t.add_bias(v[0], v[1]), |x| x[0].add_row(&x[1]))?;
    }

    #[test]
    fn relu(x in matrix(1..7, 1..19), w in weights()) {
        let inputs = [x];
        let chk = Check { inputs: &inputs, is_param: &[true], weights: &w, tol: 1e-5 };
        chk.run(|t, v| t.relu(v[0]), |x| x[0].map(|v| v.max(0.0)))?;
    }

    // y = rows start..start + len of x: dx is g in those rows, 0 elsewhere.
    #[test]
    fn slice_rows(x in matrix(1..7, 1..9), a in 0usize..7, b in 0usize..7, w in weights()) {
        let r = x.rows;
        let (start, len) = (a % r, 1 + b % r);
        let len = len.min(r - start);
        let inputs = [x];
        let chk = Check { inputs: &inputs, is_param: &[true], weights: &w, tol: 1e-6 };
        chk.run(
            |t, v| t.slice_rows(v[0], start, len),
            |x| M::from_fn(len, x[0].c, |i, j| x[0].at(start + i, j)),
        )?;
    }

    // d tanh(x)/dx = 1 − tanh²(x); the backward reads the stored output.
    #[test]
    fn tanh(x in matrix(1..7, 1..19), c in 0.5f32..3.0, w in weights()) {
        let inputs = [x];
        let chk = Check { inputs: &inputs, is_param: &[true], weights: &w, tol: 1e-5 };
        chk.run(|t, v| t.tanh(v[0]), |x| x[0].map(f64::tanh))?;
        // Composed with a scale, as the relaxed codes tanh(β·u) use it.
        chk.run(|t, v| { let s = t.scale(v[0], c); t.tanh(s) }, |x| x[0].map(|v| (f64::from(c) * v).tanh()))?;
    }

    // y_i = logsumexp_j(x_ij) − Σ_j t_ij x_ij: dx = g·(softmax − t). The targets
    // are a constant with rows summing to 1 (as the listwise term builds them),
    // logits are scaled up to ±12 to reach the range where the max-shift matters,
    // and one column may be masked out with −1e30 (it must get no gradient and
    // change nothing).
    #[test]
    fn softmax_xent(x in matrix(1..7, 1..19), scale in 0.5f32..6.0, seed in any::<u64>(),
                    masked in any::<bool>(), w in weights()) {
        let (r, c) = x.shape();
        let x = Tensor::new(r, c, x.data.iter().map(|v| v * scale).collect());
        let mut t = Tensor::new(r, c, (0..r * c).map(|k| if unit(seed, k) < 0.4 { unit(seed, k + 999) } else { 0.0 }).collect());
        for i in 0..r {
            let row = &mut t.data[i * c..(i + 1) * c];
            if row.iter().all(|&v| v == 0.0) {
                row[i % c] = 1.0;
            }
            let s: f32 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= s);
        }
        let mut mask = Tensor::zeros(r, c);
        if masked && c > 1 {
            for i in 0..r {
                let j = (i + 1) % c;
                if t.data[i * c + j] == 0.0 {
                    mask.data[i * c + j] = -1e30;
                }
            }
        }
        let inputs = [x, t, mask];
        let chk = Check { inputs: &inputs, is_param: &[true, false, false], weights: &w, tol: 2e-5 };
        chk.run(
            |tp, v| { let m = tp.add(v[0], v[2]); tp.softmax_xent(m, v[1]) },
            |v| {
                let (x, t, m) = (&v[0], &v[1], &v[2]);
                M::from_fn(x.r, 1, |i, _| {
                    let row: Vec<f64> = (0..x.c).map(|j| x.at(i, j) + m.at(i, j)).collect();
                    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                    lse - (0..x.c).filter(|&j| t.at(i, j) != 0.0).map(|j| t.at(i, j) * row[j]).sum::<f64>()
                })
            },
        )?;
    }

    #[test]
    fn soft_threshold(r in 1usize..6, c in 1usize..19, seed in any::<u64>(),
                      mask in any::<[bool; 2]>(), w in weights()) {
        let theta = Tensor::new(1, c, (0..c).map(|j| 0.1 + 0.9 * unit(seed, j)).collect());
        // |v| is moved 0.05 away from its column's θ, and v keeps a random sign.
        let v: Vec<f32> = (0..r * c)
            .map(|k| {
                let t = theta.data[k % c];
                let mut m = 2.0 * unit(seed ^ 0x51, k);
                if (m - t).abs() < 0.05 { m = t + 0.05f32.copysign(m - t) }
                if unit(seed ^ 0x77, k) < 0.5 { -m } else { m }
            })
            .collect();
        let inputs = [Tensor::new(r, c, v), theta];
        let chk = Check { inputs: &inputs, is_param: &mask, weights: &w, tol: 1e-5 };
        chk.run(
            |t, v| t.soft_threshold(v[0], v[1]),
            |x| M::from_fn(x[0].r, x[0].c, |i, j| {
                let (v, th) = (x[0].at(i, j), x[1].d[j]);
                v.signum() * (v.abs() - th).max(0.0)
            }),
        )?;
    }

    // sign() is piecewise constant: its true derivative is 0. The STE's backward is,
    // by definition, the derivative of the hard-tanh surrogate clamp(x, −1, 1), so
    // that is what the finite difference checks; the ±1 forward is checked separately.
    #[test]
    fn sign_ste(x in matrix(1..5, 1..9), w in weights()) {
        let x = Tensor::new(x.rows, x.cols, x.data.iter().map(|&v| {
            let v = v * 1.2;
            if (v.abs() - 1.0).abs() < 0.05 { v * 1.1 } else { v }
        }).collect());
        let mut tape = Tape::new();
        let xv = tape.constant(x.clone());
        let s = tape.sign_ste(xv);
        for (&sv, &xv) in tape.value(s).data.iter().zip(&x.data) {
            prop_assert_eq!(sv, if xv > 0.0 { 1.0 } else { -1.0 });
        }
        let inputs = [x];
        let chk = Check { inputs: &inputs, is_param: &[true], weights: &w, tol: 1e-5 };
        let ste_grad_only = |t: &mut Tape, v: &[Var]| {
            // sign(x) − detach(sign(x)) + detach(hardtanh(x)): the value of hard-tanh
            // with the gradient of the STE alone.
            let s = t.sign_ste(v[0]);
            let sd = t.detach(s);
            let zero_valued = t.sub(s, sd);
            let clamp = Tensor::new(
                t.value(v[0]).rows,
                t.value(v[0]).cols,
                t.value(v[0]).data.iter().map(|v| v.clamp(-1.0, 1.0)).collect(),
            );
            let clamp = t.constant(clamp);
            t.add(zero_valued, clamp)
        };
        chk.run(ste_grad_only, |x| x[0].map(|v| v.clamp(-1.0, 1.0)))?;
    }

    #[test]
    fn add_sub_mul(a in matrix(1..5, 1..9), seed in any::<u64>(), mask in any::<[bool; 2]>(), w in weights()) {
        let b = det(a.rows, a.cols, seed);
        let inputs = [a, b];
        let chk = Check { inputs: &inputs, is_param: &mask, weights: &w, tol: 1e-5 };
        chk.run(|t, v| t.add(v[0], v[1]), |x| x[0].zip(&x[1], |a, b| a + b))?;
        chk.run(|t, v| t.sub(v[0], v[1]), |x| x[0].zip(&x[1], |a, b| a - b))?;
        chk.run(|t, v| t.mul(v[0], v[1]), |x| x[0].zip(&x[1], |a, b| a * b))?;
    }

    #[test]
    fn scale_square(x in matrix(1..5, 1..9), c in -3.0f32..3.0, w in weights()) {
        let inputs = [x];
        let chk = Check { inputs: &inputs, is_param: &[true], weights: &w, tol: 1e-5 };
        chk.run(|t, v| t.scale(v[0], c), |x| x[0].map(|v| f64::from(c) * v))?;
        chk.run(|t, v| t.square(v[0]), |x| x[0].map(|v| v * v))?;
    }

    // ds = Σ g⊙x sums up to 40 f32 products.
    #[test]
    fn scale_by(x in matrix(1..5, 1..9), s in -2.0f32..2.0, mask in any::<[bool; 2]>(), w in weights()) {
        let inputs = [x, Tensor::scalar(s)];
        let chk = Check { inputs: &inputs, is_param: &mask, weights: &w, tol: 2e-5 };
        chk.run(|t, v| t.scale_by(v[0], v[1]), |x| x[0].map(|v| v * x[1].d[0]))?;
    }

    #[test]
    fn reductions(x in matrix(1..7, 1..9), w in weights()) {
        let inputs = [x];
        let chk = Check { inputs: &inputs, is_param: &[true], weights: &w, tol: 2e-5 };
        chk.run(|t, v| t.sum(v[0]), |x| M::scalar(x[0].sum()))?;
        chk.run(|t, v| t.mean(v[0]), |x| M::scalar(x[0].sum() / x[0].d.len() as f64))?;
        chk.run(|t, v| t.sum_cols(v[0]), |x| M::from_fn(1, x[0].c, |_, j| (0..x[0].r).map(|i| x[0].at(i, j)).sum()))?;
        chk.run(|t, v| t.mean_cols(v[0]), |x| {
            M::from_fn(1, x[0].c, |_, j| (0..x[0].r).map(|i| x[0].at(i, j)).sum::<f64>() / x[0].r as f64)
        })?;
        chk.run(|t, v| t.sum_rows(v[0]), |x| M::from_fn(x[0].r, 1, |i, _| (0..x[0].c).map(|j| x[0].at(i, j)).sum()))?;
        chk.run(|t, v| t.mean_rows(v[0]), |x| {
            M::from_fn(x[0].r, 1, |i, _| (0..x[0].c).map(|j| x[0].at(i, j)).sum::<f64>() / x[0].c as f64)
        })?;
    }

    #[test]
    fn hinge(x in matrix(1..5, 1..9), margin in 0.5f32..2.0, w in weights()) {
        let e = Tensor::new(x.rows, x.cols, x.data.iter().map(|&v| {
            let e = v + margin;
            if (e - margin).abs() < 0.05 { e + 0.1 } else { e }
        }).collect());
        let inputs = [e];
        let chk = Check { inputs: &inputs, is_param: &[true], weights: &w, tol: 1e-5 };
        chk.run(|t, v| t.hinge(margin, v[0]), |x| x[0].map(|e| (f64::from(margin) - e).max(0.0)))?;
    }

    // A 2-layer MLP regression loss, mean((relu(X·W1 + b1)·W2 + b2 − Y)²), every
    // weight a param, X and Y constants: the rules composed, through shared nodes.
    #[test]
    fn mlp_loss(n in 1usize..6, d in 1usize..7, h in 1usize..7, o in 1usize..5, seed in any::<u64>()) {
        let x = det(n, d, seed);
        let y = det(n, o, seed ^ 1);
        let inputs = [det(d, h, seed ^ 2), det(1, h, seed ^ 3), det(h, o, seed ^ 4), det(1, o, seed ^ 5)];
        let chk = Check { inputs: &inputs, is_param: &[true; 4], weights: &[1.0], tol: 1e-4 };
        let (xt, yt) = (x.clone(), y.clone());
        chk.run(
            move |t, v| {
                let x = t.constant(xt.clone());
                let y = t.constant(yt.clone());
                let z1 = t.matmul(x, v[0]);
                let z1 = t.add_bias(z1, v[1]);
                let a = t.relu(z1);
                let z2 = t.matmul(a, v[2]);
                let z2 = t.add_bias(z2, v[3]);
                let diff = t.sub(z2, y);
                let sq = t.square(diff);
                t.mean(sq)
            },
            move |p| {
                let a = M::of(&x).mm(&p[0]).add_row(&p[1]).map(|v| v.max(0.0));
                let z2 = a.mm(&p[2]).add_row(&p[3]);
                let sq = z2.zip(&M::of(&y), |a, b| (a - b) * (a - b));
                M::scalar(sq.sum() / sq.d.len() as f64)
            },
        )?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    // The SiGAH decoder as the model builds it (row form): Z₀ = S_θ(η·S·Φ), then
    // T = 2 steps Z ← S_θ(Z + η·(S − Z·Φᵀ)·Φ), then X̃ = Z·Dᵀ + c, loss
    // mean((X − X̃)²) + mean(hinge(μ, mean_rows(X̃²))). The code S is a constant
    // (sign's STE is checked on its own); Φ, θ, η, D, c are params. The
    // soft-threshold kink is crossed by the difference quotient only when some
    // |v| lies within ~1e-6 of θ, which random data makes negligible.
    #[test]
    fn lista_decoder_loss(b in 1usize..5, k in 1usize..5, m in 1usize..7, d in 1usize..5, seed in any::<u64>()) {
        let s = Tensor::new(b, k, (0..b * k).map(|i| if unit(seed ^ 9, i) < 0.5 { -1.0 } else { 1.0 }).collect());
        let x = det(b, d, seed ^ 8);
        let theta = Tensor::new(1, m, (0..m).map(|j| 0.05 + 0.3 * unit(seed ^ 7, j)).collect());
        let inputs = [det(k, m, seed), theta, Tensor::scalar(0.4 + 0.4 * unit(seed, 99)), det(d, m, seed ^ 6), det(1, d, seed ^ 5)];
        let chk = Check { inputs: &inputs, is_param: &[true; 5], weights: &[1.0], tol: 2e-4 };
        let (st, xt) = (s.clone(), x.clone());
        chk.run(
            move |t, p| {
                let (phi, theta, eta, dict, c) = (p[0], p[1], p[2], p[3], p[4]);
                let s = t.constant(st.clone());
                let x = t.constant(xt.clone());
                let v = t.matmul(s, phi);
                let v = t.scale_by(v, eta);
                let mut z = t.soft_threshold(v, theta);
                for _ in 0..2 {
                    let pz = t.matmul_nt(z, phi);
                    let r = t.sub(s, pz);
                    let g = t.matmul(r, phi);
                    let g = t.scale_by(g, eta);
                    let v = t.add(z, g);
                    z = t.soft_threshold(v, theta);
                }
                let xf = t.matmul_nt(z, dict);
                let xf = t.add_bias(xf, c);
                let diff = t.sub(x, xf);
                let sq = t.square(diff);
                let recon = t.mean(sq);
                let sq2 = t.square(xf);
                let energy = t.mean_rows(sq2);
                let h = t.hinge(1.0, energy);
                let h = t.mean(h);
                t.add(recon, h)
            },
            move |p| {
                let (phi, theta, eta, dict, c) = (&p[0], &p[1], p[2].d[0], &p[3], &p[4]);
                let shrink = |v: &M| M::from_fn(v.r, v.c, |i, j| {
                    let (x, th) = (v.at(i, j), theta.d[j]);
                    x.signum() * (x.abs() - th).max(0.0)
                });
                let s = M::of(&s);
                let mut z = shrink(&s.mm(phi).map(|v| eta * v));
                for _ in 0..2 {
                    let r = s.zip(&z.mm(&phi.t()), |a, b| a - b);
                    let v = z.zip(&r.mm(phi), |z, g| z + eta * g);
                    z = shrink(&v);
                }
                let xf = z.mm(&dict.t()).add_row(c);
                let diff = M::of(&x).zip(&xf, |a, b| (a - b) * (a - b));
                let recon = diff.sum() / diff.d.len() as f64;
                let hinge: f64 = (0..xf.r)
                    .map(|i| {
                        let e = (0..xf.c).map(|j| xf.at(i, j) * xf.at(i, j)).sum::<f64>() / xf.c as f64;
                        (1.0 - e).max(0.0)
                    })
                    .sum::<f64>() / xf.r as f64;
                M::scalar(recon + hinge)
            },
        )?;
    }
}

/// A deterministic pseudo-random value in [0, 1) from `(seed, k)` (splitmix64).
fn unit(seed: u64, k: usize) -> f32 {
    let z = sigah_kernels::rng::splitmix64(seed.wrapping_add((k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    (z >> 40) as f32 / (1u64 << 24) as f32
}

/// A `rows × cols` matrix of values in ±[0.05, 1.05] from `seed`.
fn det(rows: usize, cols: usize, seed: u64) -> Tensor {
    let data = (0..rows * cols)
        .map(|k| {
            let u = 2.0 * unit(seed, k) - 1.0;
            u + 0.05f32.copysign(u)
        })
        .collect();
    Tensor::new(rows, cols, data)
}

fn transpose(t: &Tensor) -> Tensor {
    Tensor::new(t.cols, t.rows, (0..t.len()).map(|k| t.at(k % t.rows, k / t.rows)).collect())
}
