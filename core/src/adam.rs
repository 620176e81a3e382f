//! Adam with bias correction (Kingma & Ba 2015, Algorithm 1). The model owns its
//! parameters and this state; the tape only lends gradients.
//!
//! With `t` the step count after this step:
//! `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
//! `p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)`.

use rayon::prelude::*;

use crate::Tensor;

/// Adam's hyper-parameters and its moment estimates, one pair per parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Steps taken so far.
    pub t: u64,
    /// First-moment estimates, shaped like the parameters.
    pub m: Vec<Tensor>,
    /// Second-moment estimates, shaped like the parameters.
    pub v: Vec<Tensor>,
}

impl Adam {
    /// Fresh state (zero moments) for parameters shaped like `params`.
    pub fn new(lr: f32, beta1: f32, beta2: f32, eps: f32, params: &[Tensor]) -> Self {
        let zeros = || params.iter().map(|p| Tensor::zeros(p.rows, p.cols)).collect();
        Self { lr, beta1, beta2, eps, t: 0, m: zeros(), v: zeros() }
    }

    /// One update of every parameter. A parameter whose gradient is `None` (no
    /// gradient reached it) is treated as having gradient zero: its moments decay
    /// and it still moves by its momentum, as in PyTorch when the gradient is a
    /// zero tensor.
    ///
    /// # Panics
    /// If the number or shapes of params/grads differ from the state's.
    pub fn step(&mut self, params: &mut [Tensor], grads: &[Option<Tensor>]) {
        assert_eq!(params.len(), self.m.len(), "Adam::step: {} params, state for {}", params.len(), self.m.len());
        assert_eq!(grads.len(), params.len(), "Adam::step: {} grads for {} params", grads.len(), params.len());
        self.t += 1;
        // The corrections in f64: β₂ᵗ for t in the millions is far below f32's
        // resolution of 1 − β₂ᵗ otherwise.
        let c1 = (1.0 - (self.beta1 as f64).powf(self.t as f64)) as f32;
        let c2 = (1.0 - (self.beta2 as f64).powf(self.t as f64)) as f32;
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        // lr·m̂/(√v̂ + ε) with the corrections folded into two scalars.
        let (step, inv_c2) = (self.lr / c1, 1.0 / c2);
        // Every element is updated on its own, so splitting the parameters over
        // the pool (one task per tensor) never changes a result.
        let state = self.m.par_iter_mut().zip(self.v.par_iter_mut());
        params.par_iter_mut().zip(state).zip(grads.par_iter()).enumerate().for_each(|(i, ((p, (m, v)), g))| {
            let (m, v) = (&mut m.data, &mut v.data);
            assert_eq!(p.data.len(), m.len(), "Adam::step: parameter {i} changed shape");
            let n = m.len();
            // Equal-length slices and an index loop: the bounds checks go and the
            // loop vectorises (sqrt and division included).
            let (p, m, v) = (&mut p.data[..n], &mut m[..n], &mut v[..n]);
            match g {
                Some(g) => {
                    assert_eq!(g.data.len(), n, "Adam::step: gradient {i} has the wrong shape");
                    let g = &g.data[..n];
                    for j in 0..n {
                        let mj = b1 * m[j] + (1.0 - b1) * g[j];
                        let vj = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
                        m[j] = mj;
                        v[j] = vj;
                        p[j] -= step * mj / ((vj * inv_c2).sqrt() + eps);
                    }
                }
                None => {
                    for j in 0..n {
                        m[j] *= b1;
                        v[j] *= b2;
                        p[j] -= step * m[j] / ((v[j] * inv_c2).sqrt() + eps);
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_each_weight_by_lr_times_the_gradient_sign() {
        // After one step m̂ = g and v̂ = g², so the update is lr·g/(|g|+ε) ≈ lr·sign(g).
        let mut p = vec![Tensor::new(1, 3, vec![1.0, 2.0, 3.0])];
        let mut adam = Adam::new(0.1, 0.9, 0.999, 1e-8, &p);
        adam.step(&mut p, &[Some(Tensor::new(1, 3, vec![0.5, -4.0, 0.0]))]);
        let want = [0.9, 2.1, 3.0];
        for (got, want) in p[0].data.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert_eq!(adam.t, 1);
    }

    #[test]
    fn matches_a_hand_computed_second_step() {
        // Two steps with g = 1 then g = 3, β = (0.5, 0.75), lr = 1, ε = 0:
        // t=2: m = 0.5·0.5 + 0.5·3 = 1.75, v = 0.75·0.25 + 0.25·9 = 2.4375,
        // m̂ = 1.75/0.75, v̂ = 2.4375/0.4375; step 2 = m̂/√v̂.
        let mut p = vec![Tensor::scalar(0.0)];
        let mut adam = Adam::new(1.0, 0.5, 0.75, 0.0, &p);
        adam.step(&mut p, &[Some(Tensor::scalar(1.0))]);
        adam.step(&mut p, &[Some(Tensor::scalar(3.0))]);
        let step2 = (1.75f64 / 0.75) / (2.4375f64 / 0.4375).sqrt();
        let want = -1.0 - step2;
        assert!((p[0].item() as f64 - want).abs() < 1e-5, "{} vs {want}", p[0].item());
    }

    #[test]
    fn minimises_a_quadratic() {
        let mut p = vec![Tensor::new(1, 2, vec![5.0, -3.0])];
        let mut adam = Adam::new(0.05, 0.9, 0.999, 1e-8, &p);
        for _ in 0..2000 {
            let g: Vec<f32> = p[0].data.iter().map(|x| 2.0 * (x - 1.0)).collect();
            adam.step(&mut p, &[Some(Tensor::new(1, 2, g))]);
        }
        assert!(p[0].data.iter().all(|x| (x - 1.0).abs() < 1e-2), "{:?}", p[0].data);
    }
}
