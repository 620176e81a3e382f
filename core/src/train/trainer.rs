//! The adversarial trainer (docs/METHOD.md, "The model"): shuffled mini-batches from one seeded RNG,
//! per batch a generator step, then `d_steps` discriminator steps, then the other
//! `g_steps − 1` generator steps, Adam on
//! both, per-epoch statistics, checkpoints and resume.
//!
//! Per batch (as `benches/reference/torch_train.py` does it): the generator runs
//! on the batch and takes its step, with the discriminator's weights entering its
//! loss as constants (gradients flow through the discriminator's input only);
//! then the discriminator steps see that batch's x̃ as a constant. Each step's
//! gradients come from `step.rs`, which spreads the batch over every core.
//!
//! Epoch and batch numbers in statistics and errors are 1-based.

use std::path::PathBuf;
use std::time::Instant;

use rand::seq::SliceRandom;

use super::init::initial_state;
use super::loss::{ListTargets, Term};
use super::sampler::NeighbourSampler;
use super::step::{BatchRef, Stepper, TermValues};
use super::{Silent, TrainObserver};
use crate::io::checkpoint::{self, DataPrint};
use crate::model::{EpochStats, LossTerms, SigahConfig, SigahModel, TrainState};
use crate::{Error, Result, Tensor};

/// Where checkpoints go and where training resumes from.
#[derive(Clone, Debug, Default)]
pub struct CheckpointOptions {
    /// Checkpoint file (rewritten atomically each time).
    pub checkpoint: Option<PathBuf>,
    /// Write a checkpoint every this many epochs (0: never).
    pub checkpoint_every: usize,
    /// Continue from this checkpoint (same data; the config may only change `epochs`).
    pub resume: Option<PathBuf>,
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
    /// Each generator term's sum over the batches that had it.
    terms: TermValues,
    ones: Vec<u64>,
    codes: u64,
}

impl SigahModel {
    /// Trains a model on `data` (one vector per row) as docs/METHOD.md, "The model", specifies, on a
    /// uniform sample of `cfg.train_size` rows when the data has more, for the
    /// schedule [`SigahConfig::schedule`] gives.
    ///
    /// Deterministic: the same data and config give the same model, bit for bit,
    /// at any thread count, whether or not the run was resumed from a checkpoint.
    pub fn train(
        data: &Tensor,
        cfg: &SigahConfig,
        opts: &CheckpointOptions,
        obs: &mut dyn TrainObserver,
    ) -> Result<Self> {
        cfg.validate()?;
        if opts.checkpoint_every > 0 && opts.checkpoint.is_none() {
            return Err(Error::Config("checkpoint_every is set but no checkpoint file is given".into()));
        }
        let clock = Instant::now();
        let sample = super::schedule::training_sample(data, cfg);
        if sample.is_some() {
            obs.phase("sample", clock.elapsed().as_secs_f64());
        }
        let data = sample.as_ref().unwrap_or(data);
        // Only a run that checkpoints needs the fingerprint (a pass over the sample).
        let print = (opts.resume.is_some() || opts.checkpoint.is_some()).then(|| DataPrint::of(data));
        let mut tr = match (&opts.resume, &print) {
            (Some(path), Some(print)) => {
                let st = checkpoint::load(path, print)?;
                let mut theirs = st.model.config.clone();
                theirs.training.epochs = cfg.training.epochs;
                if &theirs != cfg {
                    return Err(Error::Config(format!(
                        "{}: the checkpoint was trained with another config; only epochs may change on resume",
                        path.display()
                    )));
                }
                Trainer::from_state(st, data, cfg, obs)
            }
            _ => Trainer::new_observed(data, cfg, obs)?,
        };
        tr.st.model.config.training.epochs = cfg.training.epochs;
        let batches = data.rows.div_ceil(cfg.optimiser.batch_size);
        let epochs = cfg.schedule(data.rows).epochs;
        let done = tr.st.model.summary.epochs;
        if done > epochs {
            // Going on would write a model whose config (the epochs asked for)
            // and training record (the epochs trained) disagree.
            let from = opts.resume.as_deref().map_or_else(String::new, |p| format!("{}: ", p.display()));
            return Err(Error::Config(format!(
                "{from}the checkpoint has trained {done} epochs, more than the {epochs} asked for: resume with --epochs {done} or more"
            )));
        }
        obs.start(tr.st.model.summary.epochs + 1, epochs, batches);
        let clock = Instant::now();
        let mut perm: Vec<usize> = (0..data.rows).collect();
        while tr.st.model.summary.epochs < epochs {
            let epoch = tr.st.model.summary.epochs + 1;
            // Shuffle the identity each epoch: the order depends on the RNG state only.
            perm.iter_mut().enumerate().for_each(|(i, p)| *p = i);
            perm.shuffle(&mut tr.st.rng);
            tr.acc = Acc { ones: vec![0; cfg.architecture.bits], ..Default::default() };
            for (b, idx) in perm.chunks(cfg.optimiser.batch_size).enumerate() {
                tr.batch(data, idx, epoch, b + 1)?;
                obs.batch_done(epoch, b + 1);
            }
            let stats = finish_epoch(&mut tr.st, cfg, &tr.acc, epoch);
            tr.st.model.summary.epochs = epoch;
            tr.st.model.summary.last = Some(stats.clone());
            obs.epoch_done(&stats, &epoch_terms(&tr.acc))?;
            if let (Some(path), Some(print)) = (&opts.checkpoint, &print) {
                if opts.checkpoint_every > 0 && epoch % opts.checkpoint_every == 0 {
                    checkpoint::save(path, &tr.st, print)?;
                }
            }
        }
        obs.phase("training", clock.elapsed().as_secs_f64());
        Ok(tr.st.model)
    }
}

/// The training state and the machinery of its steps; [`SigahModel::train`]
/// drives it epoch by epoch, benchmarks and experiments batch by batch.
pub struct Trainer {
    st: TrainState,
    cfg: SigahConfig,
    sampler: NeighbourSampler,
    stepper: Stepper,
    rows: Vec<usize>,
    /// The listwise targets of the current batch (their buffers are refilled
    /// batch after batch).
    list: Option<ListTargets>,
    acc: Acc,
    steps: usize,
}

impl Trainer {
    /// Fits the preprocessing on `data`, initialises the model from `cfg.seed`
    /// and builds the neighbour graph.
    pub fn new(data: &Tensor, cfg: &SigahConfig) -> Result<Self> {
        cfg.validate()?;
        Self::new_observed(data, cfg, &mut Silent)
    }

    fn new_observed(data: &Tensor, cfg: &SigahConfig, obs: &mut dyn TrainObserver) -> Result<Self> {
        let st = initial_state(data, cfg, obs)?;
        Ok(Self::from_state(st, data, cfg, obs))
    }

    fn from_state(st: TrainState, data: &Tensor, cfg: &SigahConfig, obs: &mut dyn TrainObserver) -> Self {
        let clock = Instant::now();
        // The neighbour graph (deterministic from the data, so a resumed run
        // rebuilds the same one).
        let sampler = NeighbourSampler::new(data, &st.model.preprocess, cfg);
        if sampler.has_graph() {
            obs.phase("knn graph", clock.elapsed().as_secs_f64());
        }
        let acc = Acc { ones: vec![0; cfg.architecture.bits], ..Default::default() };
        Self { st, cfg: cfg.clone(), sampler, stepper: Stepper::default(), rows: Vec::new(), list: None, acc, steps: 0 }
    }

    /// One training step on the anchors `idx` (rows of `data`, the data the
    /// trainer was built on), with their neighbour rows: the discriminator and
    /// generator steps of [`SigahModel::train`].
    pub fn step(&mut self, data: &Tensor, idx: &[usize]) -> Result<()> {
        self.steps += 1;
        self.batch(data, idx, 1, self.steps)
    }

    /// The model as trained so far.
    pub fn model(&self) -> &SigahModel {
        &self.st.model
    }

    /// The D and G steps of one batch of anchors, with the pool's threads kept
    /// awake between the step's parallel phases (`threads::with_pool_awake`).
    fn batch(&mut self, data: &Tensor, idx: &[usize], epoch: usize, batch: usize) -> Result<()> {
        sigah_kernels::threads::with_pool_awake(|| self.batch_steps(data, idx, epoch, batch))
    }

    fn batch_steps(&mut self, data: &Tensor, idx: &[usize], epoch: usize, batch: usize) -> Result<()> {
        let (st, cfg, acc) = (&mut self.st, &self.cfg, &mut self.acc);
        self.rows.clear();
        let layout = self.sampler.rows(idx, data.rows, &mut st.rng, &mut self.rows);
        self.list = self.sampler.list_targets(&self.rows, idx.len(), self.list.take());
        let b = BatchRef { data, rows: &self.rows, layout, list: self.list.as_ref() };
        self.stepper.load(&st.model, &b);
        for g_step in 0..cfg.training.g_steps {
            // x̃ of the first G step is what the D steps of this batch see.
            let first = g_step == 0;
            let (out, grads) = self.stepper.gen_step(&st.model, cfg, &b, first && cfg.loss.adversarial);
            non_finite(epoch, batch, "L_G", out.loss as f32)?;
            if first {
                count_ones(self.stepper.codes(), acc);
                acc.loss_g += out.loss;
                acc.recon += out.recon;
                for (sum, v) in acc.terms.iter_mut().zip(out.terms) {
                    if let Some(v) = v {
                        *sum.get_or_insert(0.0) += v;
                    }
                }
                acc.batches += 1;
            }
            apply_gen_step(st, &grads);
            if first && cfg.loss.adversarial {
                for d_step in 0..cfg.training.d_steps {
                    // The first D step ran inside the G step (`Stepper::gen_step`).
                    let (out, grads) =
                        if d_step == 0 { self.stepper.disc_result() } else { self.stepper.disc_step(&st.model) };
                    non_finite(epoch, batch, "L_D", out.loss as f32)?;
                    if d_step == 0 {
                        acc.loss_d += out.loss;
                        acc.energy_real += out.energy_real;
                        acc.energy_fake += out.energy_fake;
                    }
                    st.adam_d.step(&mut st.model.disc.tensors, &grads);
                }
            }
        }
        Ok(())
    }
}

fn non_finite(epoch: usize, batch: usize, what: &str, value: f32) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite { epoch, batch, what: what.into(), value })
    }
}

/// Adam on the generator, then the thresholds' projection.
fn apply_gen_step(st: &mut TrainState, grads: &[Option<Tensor>]) {
    st.adam_g.step(&mut st.model.gen.tensors, grads);
    // Thresholds are projected back onto θ ≥ 0 after each step.
    if let Some((_, theta, _)) = st.model.layout.lista {
        st.model.gen.tensors[theta].data.iter_mut().for_each(|t| *t = t.max(0.0));
    }
}

/// Counts the ones of the codes of `u` (bit j is set iff u_j > 0).
fn count_ones(u: &Tensor, acc: &mut Acc) {
    for i in 0..u.rows {
        for (o, &v) in acc.ones.iter_mut().zip(u.row(i)) {
            *o += (v > 0.0) as u64;
        }
    }
    acc.codes += u.rows as u64;
}

/// Each generator term's mean over the epoch's batches.
fn epoch_terms(acc: &Acc) -> LossTerms {
    let nb = acc.batches.max(1) as f64;
    Term::ALL.iter().filter_map(|t| acc.terms[t.index()].map(|sum| (t.name(), (sum / nb) as f32))).collect()
}

/// Turns the sums into statistics and fixes the margin after the first epoch.
fn finish_epoch(st: &mut TrainState, cfg: &SigahConfig, acc: &Acc, epoch: usize) -> EpochStats {
    let nb = acc.batches.max(1) as f64;
    let mean = |s: f64| (s / nb) as f32;
    if cfg.loss.adversarial && st.model.summary.margin.is_none() {
        st.model.summary.margin = Some(cfg.loss.margin_factor * mean(acc.energy_real));
    }
    let imbalance = acc.ones.iter().map(|&o| (2.0 * o as f64 / acc.codes.max(1) as f64 - 1.0).abs()).sum::<f64>()
        / acc.ones.len().max(1) as f64;
    let adv = |v: f64| cfg.loss.adversarial.then(|| mean(v));
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
