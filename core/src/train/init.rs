//! The state training starts from: the preprocessing fitted on the training
//! sample, the networks initialised from the seed, the encoder's linear path at
//! ITQ's projection (`itq_init.rs`), and fresh Adam states.

use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::itq_init::itq_weight;
use super::TrainObserver;
use crate::adam::Adam;
use crate::model::params::{init_discriminator, init_generator};
use crate::model::{Preprocess, SigahConfig, SigahModel, TrainState, TrainingSummary};
use crate::{Result, Tensor};

pub(crate) fn initial_state(data: &Tensor, cfg: &SigahConfig, obs: &mut dyn TrainObserver) -> Result<TrainState> {
    let clock = Instant::now();
    let preprocess = Preprocess::fit(data, cfg.architecture.input_pca)?;
    obs.phase("preprocess", clock.elapsed().as_secs_f64());
    let d = preprocess.out_dim();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.training.seed);
    let (mut gen, layout) = init_generator(cfg, d, &mut rng);
    if cfg.training.itq_init {
        let clock = Instant::now();
        // The linear path: the skip weight, or the only layer of a linear encoder.
        let (target, gamma) = match layout.skip {
            Some(w) => (w, cfg.optimiser.skip_lr_scale),
            None => (layout.enc[0].0, 1.0),
        };
        if let Some(w) = itq_weight(data, &preprocess, cfg)? {
            // The first rows (all of them unless bits > d); stored divided by
            // γ, multiplied back in the forward pass (see the config).
            let dst = &mut gen.tensors[target].data[..w.data.len()];
            dst.iter_mut().zip(&w.data).for_each(|(o, &v)| *o = v / gamma);
        }
        obs.phase("itq start", clock.elapsed().as_secs_f64());
    }
    let disc = init_discriminator(cfg, d, &mut rng);
    let o = &cfg.optimiser;
    let adam_g = Adam::new(o.lr_g, o.beta1, o.beta2, o.eps, &gen.tensors);
    let adam_d = Adam::new(o.lr_d, o.beta1, o.beta2, o.eps, &disc.tensors);
    let summary = TrainingSummary {
        epochs: 0,
        train_vectors: data.rows,
        margin: if cfg.loss.adversarial { cfg.loss.margin } else { None },
        last: None,
    };
    let model = SigahModel { config: cfg.clone(), preprocess, gen, layout, disc, summary };
    Ok(TrainState { model, adam_g, adam_d, rng })
}
