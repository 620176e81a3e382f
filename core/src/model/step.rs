//! One batch's gradients, computed on every core (docs/METHOD.md, "Training on
//! every core").
//!
//! The batch's rows are cut into shards of [`SHARD_ANCHORS`] anchors, each with
//! its anchors' neighbour rows. The cut depends on the batch alone, never on the
//! thread count. Each shard has a tape of its own and runs as one coarse rayon
//! task, its kernels on that task's thread (`threads::on_this_thread`): one
//! fork/join per phase of a step instead of one per op.
//!
//! A generator step has four phases:
//! 1. every shard, in parallel, runs the generator on its rows and the row
//!    terms (`loss::shard_gen_loss`);
//! 2. the calling thread gathers the code values `u` of all rows and runs the
//!    batch terms (`loss::batch_gen_loss`) on their own small tape, which gives
//!    `G = ∂(batch terms)/∂u`;
//! 3. every shard, in parallel, adds `Σ u ⊙ G` (a constant `G`, whose gradient
//!    with respect to `u` is exactly `G`) to its loss and runs backward;
//! 4. each parameter's gradient is the sum of the shards' in shard order.
//!
//! The discriminator's loss has row terms only: phases 1 and 3 in one, then 4.
//! Every sum has a fixed order, so a model is bit-identical at any thread count.

use rayon::prelude::*;
use sigah_kernels::threads::on_this_thread;

use super::graph::{generator, leaves, GenVars};
use super::loss::{batch_gen_loss, disc_loss, shard_gen_loss, BatchLayout, ListTargets};
use super::{SigahConfig, SigahModel};
use crate::autodiff::{Tape, Var};
use crate::Tensor;

/// Anchors per shard. Small enough that a default batch (256 anchors) makes 8
/// tasks; large enough that each shard's GEMMs (128 rows with the neighbour
/// sections) run near the kernel's peak.
pub(crate) const SHARD_ANCHORS: usize = 32;

/// A batch: `rows` (training-row ids of `data`, in `layout` order) and the
/// listwise targets.
pub(crate) struct BatchRef<'a> {
    pub data: &'a Tensor,
    pub rows: &'a [usize],
    pub layout: BatchLayout,
    pub list: Option<&'a ListTargets>,
}

/// What a generator step measured.
pub(crate) struct GenOut {
    pub loss: f64,
    pub recon: f64,
}

/// What a discriminator step measured.
pub(crate) struct DiscOut {
    pub loss: f64,
    pub energy_real: f64,
    pub energy_fake: f64,
}

/// One shard: its rows, tape and the values kept between phases.
#[derive(Default)]
struct Shard {
    /// Positions of its rows in the batch.
    pos: Vec<usize>,
    ids: Vec<usize>,
    /// Its preprocessed rows.
    x: Tensor,
    /// x̃ of the batch's first generator step (the discriminator's input).
    fake: Tensor,
    tape: Tape,
    /// The parameters' vars on `tape`.
    params: Vec<Var>,
    /// After phase 1 of a generator step: the code values and the loss nodes.
    gen: Option<(GenVars, Var, Var)>,
    /// This shard's share of the batch means of the last step: its loss, then
    /// the reconstruction (generator step) or E(x) (discriminator step), then
    /// E(x̃) (discriminator step).
    loss: f64,
    second: f64,
    third: f64,
}

impl Shard {
    fn load(&mut self, model: &SigahModel, b: &BatchRef<'_>) {
        self.ids.clear();
        self.ids.extend(self.pos.iter().map(|&p| b.rows[p]));
        self.x = model.preprocess.batch(b.data, &self.ids);
    }

    /// Phase 1 of a generator step.
    fn gen_forward(&mut self, model: &SigahModel, cfg: &SigahConfig, batch_rows: usize, keep_fake: bool) {
        let tape = &mut self.tape;
        tape.reset();
        let xv = tape.constant_from(&self.x);
        let gv = generator(tape, &model.gen, &model.layout, cfg, xv, true);
        if keep_fake {
            self.fake.clone_from(tape.value(gv.x_fake));
        }
        let disc = cfg.adversarial.then(|| leaves(tape, &model.disc, false));
        let gl = shard_gen_loss(tape, cfg, disc.as_deref(), xv, &gv, batch_rows);
        self.loss = tape.value(gl.loss).item() as f64;
        self.second = tape.value(gl.recon).item() as f64;
        self.params.clone_from(&gv.params);
        self.gen = Some((gv, gl.loss, gl.recon));
    }

    /// Phase 3 of a generator step: `g_u` is the batch terms' gradient with
    /// respect to the code values of every row of the batch.
    fn gen_backward(&mut self, g_u: Option<&Tensor>) {
        let (gv, mut loss, _) = self.gen.take().expect("gen_forward ran first");
        let tape = &mut self.tape;
        if let Some(g_u) = g_u {
            let g = g_u.gather_rows(&self.pos);
            let g = tape.constant(g);
            let link = tape.mul(gv.u, g);
            let link = tape.sum(link);
            loss = tape.add(loss, link);
        }
        tape.backward(loss);
    }

    /// A whole discriminator step on this shard (phases 1 and 3).
    fn disc(&mut self, model: &SigahModel, batch_rows: usize) {
        let tape = &mut self.tape;
        tape.reset();
        let xv = tape.constant_from(&self.x);
        let fv = tape.constant_from(&self.fake);
        self.params = leaves(tape, &model.disc, true);
        let dl = disc_loss(tape, &self.params, xv, fv, model.summary.margin, batch_rows);
        self.loss = tape.value(dl.loss).item() as f64;
        self.second = tape.value(dl.energy_real).item() as f64;
        self.third = tape.value(dl.energy_fake).item() as f64;
        tape.backward(dl.loss);
    }
}

/// The shards of the current batch and the batch terms' tape, reused batch
/// after batch (their buffers are recycled).
#[derive(Default)]
pub(crate) struct Stepper {
    shards: Vec<Shard>,
    batch_tape: Tape,
    /// The code values of every row of the batch, gathered from the shards.
    u: Tensor,
    rows: usize,
}

impl Stepper {
    /// Cuts batch `b` into shards and preprocesses their rows (in parallel).
    pub(crate) fn load(&mut self, model: &SigahModel, b: &BatchRef<'_>) {
        let n = b.layout.anchors;
        let count = n.div_ceil(SHARD_ANCHORS);
        self.shards.resize_with(count, Shard::default);
        for (j, sh) in self.shards.iter_mut().enumerate() {
            let (a0, a1) = (j * SHARD_ANCHORS, ((j + 1) * SHARD_ANCHORS).min(n));
            sh.pos.clear();
            for sec in 0..b.layout.sections() {
                sh.pos.extend((a0..a1).map(|a| sec * n + a));
            }
        }
        self.rows = b.rows.len();
        debug_assert_eq!(self.rows, b.layout.rows());
        self.shards.par_iter_mut().for_each(|sh| on_this_thread(|| sh.load(model, b)));
    }

    /// The code values of the last generator step, `rows × bits`, batch order.
    pub(crate) fn codes(&self) -> &Tensor {
        &self.u
    }

    /// The generator's loss gradients on the loaded batch. With `keep_fake`, each
    /// shard keeps its x̃ for the discriminator steps.
    pub(crate) fn gen_step(
        &mut self,
        model: &SigahModel,
        cfg: &SigahConfig,
        b: &BatchRef<'_>,
        keep_fake: bool,
    ) -> (GenOut, Vec<Option<Tensor>>) {
        let rows = self.rows;
        self.shards.par_iter_mut().for_each(|sh| on_this_thread(|| sh.gen_forward(model, cfg, rows, keep_fake)));
        // Phase 2: the batch terms on the gathered code values.
        self.u = self.gather(|sh| sh.tape.value(sh.gen.as_ref().expect("phase 1 ran").0.u));
        let x_all = (cfg.lambda_sim > 0.0).then(|| self.gather(|sh| &sh.x));
        let tape = &mut self.batch_tape;
        tape.reset();
        let u = tape.param_from(&self.u);
        let bl = batch_gen_loss(tape, cfg, u, b.layout, b.list, x_all.as_ref());
        let batch_loss = tape.value(bl).item() as f64;
        tape.backward(bl);
        let g_u = tape.grad(u);
        self.shards.par_iter_mut().for_each(|sh| on_this_thread(|| sh.gen_backward(g_u)));
        let out = GenOut {
            loss: self.shards.iter().map(|s| s.loss).sum::<f64>() + batch_loss,
            recon: self.shards.iter().map(|s| s.second).sum(),
        };
        (out, self.reduce())
    }

    /// The discriminator's loss gradients on the loaded batch, against the x̃ the
    /// last `gen_step` with `keep_fake` produced.
    pub(crate) fn disc_step(&mut self, model: &SigahModel) -> (DiscOut, Vec<Option<Tensor>>) {
        let rows = self.rows;
        self.shards.par_iter_mut().for_each(|sh| on_this_thread(|| sh.disc(model, rows)));
        let sum = |f: fn(&Shard) -> f64| self.shards.iter().map(f).sum::<f64>();
        let out = DiscOut { loss: sum(|s| s.loss), energy_real: sum(|s| s.second), energy_fake: sum(|s| s.third) };
        (out, self.reduce())
    }

    /// Each parameter's gradient: the shards' in shard order (parameters in
    /// parallel; each sum's order is fixed).
    fn reduce(&self) -> Vec<Option<Tensor>> {
        let count = self.shards.first().map_or(0, |s| s.params.len());
        (0..count)
            .into_par_iter()
            .map(|p| {
                let mut parts = self.shards.iter().filter_map(|s| s.tape.grad(s.params[p]));
                let mut sum = parts.next()?.clone();
                for g in parts {
                    sum.data.iter_mut().zip(&g.data).for_each(|(a, &b)| *a += b);
                }
                Some(sum)
            })
            .collect()
    }

    /// The rows of every shard's `part`, in batch order.
    fn gather(&self, part: impl Fn(&Shard) -> &Tensor) -> Tensor {
        let cols = self.shards.first().map_or(0, |s| part(s).cols);
        let mut all = Tensor::zeros(self.rows, cols);
        for sh in &self.shards {
            for (r, &p) in sh.pos.iter().enumerate() {
                all.row_mut(p).copy_from_slice(part(sh).row(r));
            }
        }
        all
    }
}

#[cfg(test)]
#[path = "step_tests.rs"]
mod tests;
