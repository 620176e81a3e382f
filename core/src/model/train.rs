//! The adversarial trainer (DESIGN §1): shuffled mini-batches from one seeded RNG,
//! per batch a generator step, then `d_steps` discriminator steps, then the other
//! `g_steps − 1` generator steps, Adam on
//! both, per-epoch statistics, checkpoints and resume.
//!
//! Per batch (as `benches/reference/torch_train.py` does it): the generator runs
//! on the batch and takes its step, with the discriminator's weights entering its
//! loss as constants (gradients flow through the discriminator's input only);
//! then the discriminator steps see that batch's x̃ as a constant. Both graphs use
//! one tape in turn, so the peak memory is the larger graph, not the sum.
//!
//! Epoch and batch numbers in statistics and errors are 1-based.

use std::path::PathBuf;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, DataPrint};
use super::graph;
use super::params::{init_discriminator, init_generator};
use super::{Preprocess, SigahConfig, SigahModel};
use crate::adam::Adam;
use crate::autodiff::{Tape, Var};
use crate::{Error, Result, Tensor};

/// What one epoch measured (means over its batches).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// L_D (absent without the adversarial term).
    pub loss_d: Option<f32>,
    /// L_G.
    pub loss_g: f32,
    /// E(x) on real batches.
    pub energy_real: Option<f32>,
    /// E(x̃) on synthetic batches.
    pub energy_fake: Option<f32>,
    /// `‖x − x̃‖² / d` (preprocessed units).
    pub recon_mse: f32,
    /// Mean over bits of |2p_j − 1|, p_j the fraction of ones of bit j over the
    /// epoch: 0 when every bit is set half of the time, 1 when every bit is constant.
    pub bit_imbalance: f32,
    /// The margin μ in force at the end of the epoch.
    pub margin: Option<f32>,
}

/// What the model file records about its training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainingSummary {
    /// Epochs completed.
    pub epochs: usize,
    /// Training vectors.
    pub train_vectors: usize,
    /// The margin μ (fixed after the first epoch unless configured).
    pub margin: Option<f32>,
    /// The last epoch's statistics.
    pub last: Option<EpochStats>,
}

/// Where checkpoints go and where training resumes from.
#[derive(Clone, Debug, Default)]
pub struct TrainOptions {
    /// Checkpoint file (rewritten atomically each time).
    pub checkpoint: Option<PathBuf>,
    /// Write a checkpoint every this many epochs (0: never).
    pub checkpoint_every: usize,
    /// Continue from this checkpoint (same data; the config may only change `epochs`).
    pub resume: Option<PathBuf>,
}

/// Hooks for progress display and logging.
pub trait TrainObserver {
    /// Training is about to run epochs `first_epoch..=epochs` of `batches` batches each.
    fn start(&mut self, _first_epoch: usize, _epochs: usize, _batches: usize) {}
    /// A batch finished.
    fn batch_done(&mut self, _epoch: usize, _batch: usize) {}
    /// An epoch finished; an error stops training.
    fn epoch_done(&mut self, _stats: &EpochStats) -> Result<()> {
        Ok(())
    }
}

/// An observer that does nothing.
#[derive(Debug, Default)]
pub struct Silent;
impl TrainObserver for Silent {}

/// Everything training needs to continue exactly where it stopped.
pub(crate) struct TrainState {
    pub model: SigahModel,
    pub adam_g: Adam,
    pub adam_d: Adam,
    pub rng: ChaCha8Rng,
}

impl TrainState {
    fn fresh(data: &Tensor, cfg: &SigahConfig) -> Result<Self> {
        let preprocess = Preprocess::fit(data, cfg.input_pca)?;
        let d = preprocess.out_dim();
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let (mut gen, layout) = init_generator(cfg, d, &mut rng);
        if cfg.itq_init {
            // The linear path: the skip weight, or the only layer of a linear encoder.
            let (target, gamma) = match layout.skip {
                Some(w) => (w, cfg.skip_lr_scale),
                None => (layout.enc[0].0, 1.0),
            };
            if let Some(w) = super::itq_init::itq_weight(data, &preprocess, cfg)? {
                // The first rows (all of them unless bits > d); stored divided by
                // γ, multiplied back in the forward pass (see the config).
                let dst = &mut gen.tensors[target].data[..w.data.len()];
                dst.iter_mut().zip(&w.data).for_each(|(o, &v)| *o = v / gamma);
            }
        }
        let disc = init_discriminator(cfg, d, &mut rng);
        let adam_g = Adam::new(cfg.lr_g, cfg.beta1, cfg.beta2, cfg.eps, &gen.tensors);
        let adam_d = Adam::new(cfg.lr_d, cfg.beta1, cfg.beta2, cfg.eps, &disc.tensors);
        let summary = TrainingSummary {
            epochs: 0,
            train_vectors: data.rows,
            margin: if cfg.adversarial { cfg.margin } else { None },
            last: None,
        };
        let model = SigahModel { config: cfg.clone(), preprocess, gen, layout, disc, summary };
        Ok(Self { model, adam_g, adam_d, rng })
    }
}

/// Running sums of one epoch, in f64 and batch order (deterministic).
#[derive(Default)]
struct Acc {
    batches: usize,
    loss_d: f64,
    loss_g: f64,
    energy_real: f64,
    energy_fake: f64,
    recon: f64,
    ones: Vec<u64>,
    codes: u64,
}

impl SigahModel {
    /// Trains a model on `data` (one vector per row) as DESIGN §1 specifies.
    ///
    /// Deterministic: the same data, config, seed and thread count give the same
    /// model, bit for bit, whether or not the run was resumed from a checkpoint.
    pub fn train(data: &Tensor, cfg: &SigahConfig, opts: &TrainOptions, obs: &mut dyn TrainObserver) -> Result<Self> {
        cfg.validate()?;
        if opts.checkpoint_every > 0 && opts.checkpoint.is_none() {
            return Err(Error::Config("checkpoint_every is set but no checkpoint file is given".into()));
        }
        let print = DataPrint::of(data);
        let mut st = match &opts.resume {
            Some(path) => {
                let st = checkpoint::load(path, &print)?;
                let mut theirs = st.model.config.clone();
                theirs.epochs = cfg.epochs;
                if &theirs != cfg {
                    return Err(Error::Config(format!(
                        "{}: the checkpoint was trained with another config; only epochs may change on resume",
                        path.display()
                    )));
                }
                st
            }
            None => TrainState::fresh(data, cfg)?,
        };
        st.model.config.epochs = cfg.epochs;
        // The encoder's starting weights, for the proximal pull (a resumed run
        // rebuilds them: the start is deterministic from the data and the config).
        let start = match (cfg.prox_decay > 0.0, &opts.resume) {
            (false, _) => None,
            (true, None) => Some(st.model.gen.clone()),
            (true, Some(_)) => Some(TrainState::fresh(data, cfg)?.model.gen),
        };
        let batches = data.rows.div_ceil(cfg.batch_size);
        obs.start(st.model.summary.epochs + 1, cfg.epochs, batches);
        let mut tape = Tape::new();
        let mut perm: Vec<usize> = (0..data.rows).collect();
        // The neighbour graph for the pair and ranking terms (deterministic from
        // the data, so a resumed run rebuilds the same one).
        let sampler = super::sampler::NeighbourSampler::new(data, &st.model.preprocess, cfg);
        let mut rows: Vec<usize> = Vec::new();
        while st.model.summary.epochs < cfg.epochs {
            let epoch = st.model.summary.epochs + 1;
            // Shuffle the identity each epoch: the order depends on the RNG state only.
            perm.iter_mut().enumerate().for_each(|(i, p)| *p = i);
            perm.shuffle(&mut st.rng);
            let mut acc = Acc { ones: vec![0; cfg.bits], ..Default::default() };
            for (b, idx) in perm.chunks(cfg.batch_size).enumerate() {
                rows.clear();
                let layout = sampler.rows(idx, data.rows, &mut st.rng, &mut rows);
                let list = sampler.list_targets(&rows, idx.len());
                let x = st.model.preprocess.batch(data, &rows);
                let batch = Batch { x: &x, layout, list: list.as_ref() };
                train_batch(&mut st, cfg, batch, start.as_ref(), &mut tape, &mut acc, epoch, b + 1)?;
                obs.batch_done(epoch, b + 1);
            }
            let stats = finish_epoch(&mut st, cfg, &acc, epoch);
            st.model.summary.epochs = epoch;
            st.model.summary.last = Some(stats.clone());
            obs.epoch_done(&stats)?;
            if let Some(path) = &opts.checkpoint {
                if opts.checkpoint_every > 0 && epoch % opts.checkpoint_every == 0 {
                    checkpoint::save(path, &st, &print)?;
                }
            }
        }
        Ok(st.model)
    }
}

/// One training step at a time, for benchmarks and experiments: the state of a
/// fresh [`SigahModel::train`] run, fed batches by the caller.
pub struct Trainer {
    st: TrainState,
    cfg: SigahConfig,
    tape: Tape,
    acc: Acc,
    steps: usize,
    start: Option<super::Net>,
}

impl Trainer {
    /// Fits the preprocessing on `data` and initialises the model from `cfg.seed`.
    pub fn new(data: &Tensor, cfg: &SigahConfig) -> Result<Self> {
        cfg.validate()?;
        let st = TrainState::fresh(data, cfg)?;
        let acc = Acc { ones: vec![0; cfg.bits], ..Default::default() };
        let start = (cfg.prox_decay > 0.0).then(|| st.model.gen.clone());
        Ok(Self { st, cfg: cfg.clone(), tape: Tape::new(), acc, steps: 0, start })
    }

    /// The rows `indices` of `data`, preprocessed.
    pub fn batch(&self, data: &Tensor, indices: &[usize]) -> Tensor {
        self.st.model.preprocess.batch(data, indices)
    }

    /// The discriminator and generator steps of one (preprocessed) batch.
    pub fn step(&mut self, x: &Tensor) -> Result<()> {
        self.steps += 1;
        let batch = Batch { x, layout: graph::BatchLayout::plain(x.rows), list: None };
        let start = self.start.as_ref();
        train_batch(&mut self.st, &self.cfg, batch, start, &mut self.tape, &mut self.acc, 1, self.steps)
    }

    /// The model as trained so far.
    pub fn model(&self) -> &SigahModel {
        &self.st.model
    }
}

fn non_finite(epoch: usize, batch: usize, what: &str, value: f32) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite { epoch, batch, what: what.into(), value })
    }
}

/// One preprocessed batch and what its rows are (see [`graph::gen_loss`]).
struct Batch<'a> {
    x: &'a Tensor,
    layout: graph::BatchLayout,
    list: Option<&'a graph::ListTargets>,
}

/// The D and G steps of one batch.
fn train_batch(
    st: &mut TrainState,
    cfg: &SigahConfig,
    batch_data: Batch<'_>,
    start: Option<&super::Net>,
    tape_g: &mut Tape,
    acc: &mut Acc,
    epoch: usize,
    batch: usize,
) -> Result<()> {
    let Batch { x, layout, list } = batch_data;
    for g_step in 0..cfg.g_steps {
        tape_g.reset();
        let xv = tape_g.constant_from(x);
        let gv = graph::generator(tape_g, &st.model.gen, &st.model.layout, cfg, xv, true);
        // x̃ of the first G step is what the D steps of this batch see.
        let fake = (g_step == 0 && cfg.adversarial).then(|| tape_g.value(gv.x_fake).clone());
        if g_step == 0 {
            count_ones(tape_g.value(gv.s), acc);
        }
        let disc = cfg.adversarial.then(|| graph::leaves(tape_g, &st.model.disc, false));
        let gl = graph::gen_loss(tape_g, cfg, disc.as_deref(), xv, &gv, layout, list);
        let loss = tape_g.value(gl.loss).item();
        non_finite(epoch, batch, "L_G", loss)?;
        if g_step == 0 {
            acc.loss_g += loss as f64;
            acc.recon += tape_g.value(gl.recon).item() as f64;
            acc.batches += 1;
        }
        tape_g.backward(gl.loss);
        let mut grads: Vec<Option<Tensor>> = gv.params.iter().map(|&p| tape_g.take_grad(p)).collect();
        if epoch <= cfg.encoder_warmup {
            // Decoder warm-up: the encoder (still ITQ) waits until the decoder and
            // the discriminator give it a meaningful gradient. Adam's moments stay
            // zero, so it does not move at all.
            for id in st.model.layout.encoder_ids() {
                grads[id] = None;
            }
        }
        // A slower ReLU branch: Adam's update is linear in lr, so shortening the
        // branch's step after the fact is a per-layer learning rate.
        let before = (cfg.branch_lr_scale != 1.0 && st.model.layout.skip.is_some())
            .then(|| st.model.layout.layer_ids().map(|id| (id, st.model.gen.tensors[id].clone())).collect::<Vec<_>>());
        st.adam_g.step(&mut st.model.gen.tensors, &grads);
        for (id, old) in before.iter().flatten() {
            let r = cfg.branch_lr_scale;
            for (w, &w0) in st.model.gen.tensors[*id].data.iter_mut().zip(&old.data) {
                *w = w0 + r * (*w - w0);
            }
        }
        if let Some(start) = start {
            pull_encoder(&mut st.model.gen, start, &st.model.layout, cfg.prox_decay);
        }
        // Thresholds are projected back onto θ ≥ 0 after each step.
        if let Some((_, theta, _)) = st.model.layout.lista {
            st.model.gen.tensors[theta].data.iter_mut().for_each(|t| *t = t.max(0.0));
        }
        // The D steps reuse the tape (and its buffers) once the G graph is done
        // with: the peak memory is the larger graph, not the sum of both.
        if let Some(fake) = fake {
            for d_step in 0..cfg.d_steps {
                tape_g.reset();
                let xv = tape_g.constant_from(x);
                let fv = tape_g.constant_from(&fake);
                disc_step(st, tape_g, xv, fv, acc, d_step == 0, epoch, batch)?;
            }
        }
    }
    Ok(())
}

/// The proximal pull: every encoder weight moves the fraction `rate` of the way
/// back to its start (the ITQ projection, the zero branch output, the He-initialised
/// hidden layer), so the learned encoder stays an ITQ refinement.
fn pull_encoder(gen: &mut super::Net, start: &super::Net, layout: &super::GenLayout, rate: f32) {
    for id in layout.encoder_ids() {
        for (w, &w0) in gen.tensors[id].data.iter_mut().zip(&start.tensors[id].data) {
            *w -= rate * (*w - w0);
        }
    }
}

/// One discriminator step on real `xv` and constant synthetic `fv`.
fn disc_step(
    st: &mut TrainState,
    tape: &mut Tape,
    xv: Var,
    fv: Var,
    acc: &mut Acc,
    record: bool,
    epoch: usize,
    batch: usize,
) -> Result<()> {
    let dv = graph::leaves(tape, &st.model.disc, true);
    let dl = graph::disc_loss(tape, &dv, xv, fv, st.model.summary.margin);
    let loss = tape.value(dl.loss).item();
    non_finite(epoch, batch, "L_D", loss)?;
    if record {
        acc.loss_d += loss as f64;
        acc.energy_real += tape.value(dl.energy_real).item() as f64;
        acc.energy_fake += tape.value(dl.energy_fake).item() as f64;
    }
    tape.backward(dl.loss);
    let grads: Vec<Option<Tensor>> = dv.iter().map(|&p| tape.take_grad(p)).collect();
    st.adam_d.step(&mut st.model.disc.tensors, &grads);
    Ok(())
}

fn count_ones(s: &Tensor, acc: &mut Acc) {
    for i in 0..s.rows {
        for (o, &v) in acc.ones.iter_mut().zip(s.row(i)) {
            *o += (v > 0.0) as u64;
        }
    }
    acc.codes += s.rows as u64;
}

/// Turns the sums into statistics and fixes the margin after the first epoch.
fn finish_epoch(st: &mut TrainState, cfg: &SigahConfig, acc: &Acc, epoch: usize) -> EpochStats {
    let nb = acc.batches.max(1) as f64;
    let mean = |s: f64| (s / nb) as f32;
    if cfg.adversarial && st.model.summary.margin.is_none() {
        st.model.summary.margin = Some(cfg.margin_factor * mean(acc.energy_real));
    }
    let imbalance = acc.ones.iter().map(|&o| (2.0 * o as f64 / acc.codes.max(1) as f64 - 1.0).abs()).sum::<f64>()
        / acc.ones.len().max(1) as f64;
    let adv = |v: f64| cfg.adversarial.then(|| mean(v));
    EpochStats {
        epoch,
        loss_d: adv(acc.loss_d),
        loss_g: mean(acc.loss_g),
        energy_real: adv(acc.energy_real),
        energy_fake: adv(acc.energy_fake),
        recon_mse: mean(acc.recon),
        bit_imbalance: imbalance as f32,
        margin: st.model.summary.margin,
    }
}
