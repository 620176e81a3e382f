//! The named parameters of the generator and the discriminator, their shapes, and
//! their seeded initialisation.
//!
//! Linear layers store their weight as PyTorch does, `out × in` (so a model file
//! loads straight into `torch.nn.Linear`), and compute `y = x·Wᵀ + b` on row-major
//! batches. Names:
//! - generator: `encoder.{i}.weight/bias` (the last layer outputs the k code
//!   values u), `encoder.skip.weight` (k × d, the linear skip path), `decoder.phi` (k × m), `decoder.theta` (1 × m), `decoder.eta`
//!   (1 × 1) for LISTA, and `decoder.dict.weight` (d × m, or d × k for the linear
//!   decoder) and `decoder.dict.bias`;
//! - discriminator: `disc.0.weight/bias` (hidden × d), `disc.1.weight/bias` (d × hidden).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::config::{DecoderKind, SigahConfig};
use crate::Tensor;

/// A list of named tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    pub names: Vec<String>,
    pub tensors: Vec<Tensor>,
}

impl Net {
    fn push(&mut self, name: String, t: Tensor) -> usize {
        self.names.push(name);
        self.tensors.push(t);
        self.tensors.len() - 1
    }

    /// The tensor called `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.names.iter().position(|n| n == name).map(|i| &self.tensors[i])
    }
}

/// Where each generator parameter sits in its [`Net`].
#[derive(Clone, Debug, PartialEq)]
pub struct GenLayout {
    /// (weight, bias) of each encoder layer; the last one outputs u.
    pub enc: Vec<(usize, usize)>,
    /// The linear skip path's `k × d` weight `W_lin`, when the config has one.
    pub skip: Option<usize>,
    /// (phi, theta, eta) for the LISTA decoder.
    pub lista: Option<(usize, usize, usize)>,
    pub dict_w: usize,
    pub dict_b: usize,
}

impl GenLayout {
    /// The parameter ids of the encoder's layers (weights and biases), without
    /// the skip path: the ReLU branch when there is a skip path.
    pub fn layer_ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.enc.iter().flat_map(|&(w, c)| [w, c])
    }

    /// Every encoder parameter id: the layers, then the skip path's weight.
    pub fn encoder_ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.layer_ids().chain(self.skip)
    }
}

/// The expected (name, rows, cols) of every generator parameter, and its layout.
pub fn generator_spec(cfg: &SigahConfig, d: usize) -> (Vec<(String, usize, usize)>, GenLayout) {
    let mut spec = Vec::new();
    let mut enc = Vec::new();
    let mut fan_in = d;
    let widths: Vec<usize> = cfg.architecture.hidden.iter().copied().chain([cfg.architecture.bits]).collect();
    for (i, &w) in widths.iter().enumerate() {
        spec.push((format!("encoder.{i}.weight"), w, fan_in));
        spec.push((format!("encoder.{i}.bias"), 1, w));
        enc.push((spec.len() - 2, spec.len() - 1));
        fan_in = w;
    }
    let skip = cfg.has_skip().then(|| {
        spec.push(("encoder.skip.weight".into(), cfg.architecture.bits, d));
        spec.len() - 1
    });
    let (k, m) = (cfg.architecture.bits, cfg.latent_units());
    let lista = match cfg.architecture.decoder {
        DecoderKind::Lista => {
            spec.push(("decoder.phi".into(), k, m));
            spec.push(("decoder.theta".into(), 1, m));
            spec.push(("decoder.eta".into(), 1, 1));
            Some((spec.len() - 3, spec.len() - 2, spec.len() - 1))
        }
        DecoderKind::Linear => None,
    };
    let code_width = if lista.is_some() { m } else { k };
    spec.push(("decoder.dict.weight".into(), d, code_width));
    spec.push(("decoder.dict.bias".into(), 1, d));
    let layout = GenLayout { enc, skip, lista, dict_w: spec.len() - 2, dict_b: spec.len() - 1 };
    (spec, layout)
}

/// The expected (name, rows, cols) of every discriminator parameter.
pub fn discriminator_spec(cfg: &SigahConfig, d: usize) -> Vec<(String, usize, usize)> {
    let h = cfg.architecture.disc_hidden;
    vec![
        ("disc.0.weight".into(), h, d),
        ("disc.0.bias".into(), 1, h),
        ("disc.1.weight".into(), d, h),
        ("disc.1.bias".into(), 1, d),
    ]
}

/// Indices of the discriminator's parameters in its [`Net`].
pub const DISC_W0: usize = 0;
pub const DISC_B0: usize = 1;
pub const DISC_W1: usize = 2;
pub const DISC_B1: usize = 3;

/// Uniform in `[-bound, bound)`.
fn uniform(rng: &mut ChaCha8Rng, rows: usize, cols: usize, bound: f32) -> Tensor {
    Tensor::new(rows, cols, (0..rows * cols).map(|_| (rng.random::<f32>() * 2.0 - 1.0) * bound).collect())
}

/// He (Kaiming) uniform for a layer followed by ReLU: variance 2 / fan_in.
fn he(rng: &mut ChaCha8Rng, out: usize, fan_in: usize) -> Tensor {
    uniform(rng, out, fan_in, (6.0 / fan_in as f32).sqrt())
}

/// Xavier (Glorot) uniform for a linear layer: variance 2 / (fan_in + fan_out).
fn xavier(rng: &mut ChaCha8Rng, out: usize, fan_in: usize) -> Tensor {
    uniform(rng, out, fan_in, (6.0 / (fan_in + out) as f32).sqrt())
}

/// A freshly initialised generator, drawing from `rng` in parameter order.
pub fn init_generator(cfg: &SigahConfig, d: usize, rng: &mut ChaCha8Rng) -> (Net, GenLayout) {
    let (spec, layout) = generator_spec(cfg, d);
    let mut net = Net { names: Vec::new(), tensors: Vec::new() };
    let last_enc = layout.enc.len() - 1;
    for (i, &(w, _)) in layout.enc.iter().enumerate() {
        let (_, rows, cols) = spec[w];
        // Hidden layers feed a ReLU (He); the last one is linear (Xavier).
        let mut t = if i < last_enc { he(rng, rows, cols) } else { xavier(rng, rows, cols) };
        if i == last_enc && layout.skip.is_some() {
            // The ReLU branch starts small beside the linear path it refines.
            t.data.iter_mut().for_each(|v| *v *= cfg.training.branch_init);
        }
        net.push(spec[w].0.clone(), t);
        net.push(spec[w + 1].0.clone(), Tensor::zeros(1, rows));
    }
    if let Some(skip) = layout.skip {
        // Xavier like any linear layer, stored divided by `skip_lr_scale` (the
        // forward pass multiplies it back); `itq_init` overwrites it from the data.
        let (_, rows, cols) = spec[skip];
        let mut t = xavier(rng, rows, cols);
        t.data.iter_mut().for_each(|v| *v /= cfg.optimiser.skip_lr_scale);
        net.push(spec[skip].0.clone(), t);
    }
    if let Some((phi, _, _)) = layout.lista {
        let (k, m) = (spec[phi].1, spec[phi].2);
        // A Gaussian sensing matrix with unit-norm columns on average, N(0, 1/k).
        let sd = (1.0 / k as f32).sqrt();
        let phi_t = Tensor::new(
            k,
            m,
            (0..k * m).map(|_| Distribution::<f32>::sample(&StandardNormal, rng) * sd).collect::<Vec<f32>>(),
        );
        let eta = 1.0 / spectral_norm_sq(&phi_t);
        net.push("decoder.phi".into(), phi_t);
        net.push("decoder.theta".into(), Tensor::full(1, m, cfg.architecture.lista_lambda * eta));
        net.push("decoder.eta".into(), Tensor::scalar(eta));
    }
    let (_, d_rows, d_cols) = spec[layout.dict_w];
    net.push("decoder.dict.weight".into(), xavier(rng, d_rows, d_cols));
    net.push("decoder.dict.bias".into(), Tensor::zeros(1, d));
    debug_assert_eq!(net.names, spec.iter().map(|s| s.0.clone()).collect::<Vec<_>>());
    (net, layout)
}

/// A freshly initialised discriminator.
pub fn init_discriminator(cfg: &SigahConfig, d: usize, rng: &mut ChaCha8Rng) -> Net {
    let h = cfg.architecture.disc_hidden;
    let mut net = Net { names: Vec::new(), tensors: Vec::new() };
    net.push("disc.0.weight".into(), he(rng, h, d));
    net.push("disc.0.bias".into(), Tensor::zeros(1, h));
    net.push("disc.1.weight".into(), xavier(rng, d, h));
    net.push("disc.1.bias".into(), Tensor::zeros(1, d));
    net
}

/// ‖Φ‖² (the largest eigenvalue of ΦΦᵀ) by power iteration in f64, from a fixed
/// start so it is deterministic. Converges geometrically in the eigenvalue gap;
/// 300 iterations of a k × k product are negligible next to training.
pub fn spectral_norm_sq(phi: &Tensor) -> f32 {
    let (k, m) = phi.shape();
    let p: Vec<f64> = phi.data.iter().map(|&v| v as f64).collect();
    // G = ΦΦᵀ, k × k.
    let mut g = vec![0f64; k * k];
    for i in 0..k {
        for j in 0..k {
            g[i * k + j] = (0..m).map(|l| p[i * m + l] * p[j * m + l]).sum();
        }
    }
    // A start with a component along every axis (all ones could be orthogonal to
    // the top eigenvector; this irregular vector practically never is).
    let mut v: Vec<f64> = (0..k).map(|i| 1.0 + (i as f64 * 0.618_034).fract()).collect();
    let mut lambda = 0.0;
    for _ in 0..300 {
        let w: Vec<f64> = (0..k).map(|i| (0..k).map(|j| g[i * k + j] * v[j]).sum()).collect();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        lambda = w.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>() / v.iter().map(|x| x * x).sum::<f64>();
        v = w.iter().map(|x| x / norm).collect();
    }
    lambda as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Architecture;
    use rand::SeedableRng;

    #[test]
    fn power_iteration_finds_the_largest_singular_value_squared() {
        // Rows orthogonal with norms 3 and 2: singular values 3 and 2.
        let phi = Tensor::new(2, 3, vec![3.0, 0.0, 0.0, 0.0, 2.0, 0.0]);
        assert!((spectral_norm_sq(&phi) - 9.0).abs() < 1e-4);
        // A rotated case: [[1,1],[1,-1]]/√2 · diag(5,1) has ‖·‖² = 25.
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let phi = Tensor::new(2, 2, vec![5.0 * s, s, 5.0 * s, -s]);
        assert!((spectral_norm_sq(&phi) - 25.0).abs() < 1e-3);
    }

    #[test]
    fn init_is_seeded_and_matches_the_spec() {
        let cfg = SigahConfig {
            architecture: Architecture { bits: 16, hidden: vec![32, 24], ..Default::default() },
            ..Default::default()
        };
        let (a, layout) = init_generator(&cfg, 10, &mut ChaCha8Rng::seed_from_u64(7));
        let (b, _) = init_generator(&cfg, 10, &mut ChaCha8Rng::seed_from_u64(7));
        let (c, _) = init_generator(&cfg, 10, &mut ChaCha8Rng::seed_from_u64(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let (spec, _) = generator_spec(&cfg, 10);
        for ((name, r, c), t) in spec.iter().zip(&a.tensors) {
            assert_eq!((*r, *c), t.shape(), "{name}");
        }
        assert_eq!(layout.enc.len(), 3);
        let (_, theta, eta) = layout.lista.unwrap();
        let eta = a.tensors[eta].item();
        let phi = a.get("decoder.phi").unwrap();
        assert!((eta * spectral_norm_sq(phi) - 1.0).abs() < 1e-5);
        assert!(a.tensors[theta].data.iter().all(|&t| (t - 0.1 * eta).abs() < 1e-7));
        // He bound for the first layer: sqrt(6/10).
        let w0 = &a.tensors[0];
        assert!(w0.data.iter().all(|v| v.abs() <= (0.6f32).sqrt()));
        assert!(w0.data.iter().any(|v| v.abs() > 0.5), "the weights span their range");
        let d = init_discriminator(&cfg, 10, &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(d.names, discriminator_spec(&cfg, 10).iter().map(|s| s.0.clone()).collect::<Vec<_>>());
    }
}
