//! One batch's gradients, computed on every core (docs/METHOD.md, "Training on
//! every core").
//!
//! The batch's rows are cut into shards of about [`SHARD_ROWS`] rows: a run of
//! anchors, each with its neighbour rows. The cut depends on the batch alone,
//! never on the thread count. Each shard has a tape of its own and runs as one coarse rayon
//! task, its kernels on that task's thread (`threads::on_this_thread`): one
//! fork/join per phase of a step instead of one per op.
//!
//! A generator step has four phases:
//! 1. every shard, in parallel, runs the hash encoder on its rows and the
//!    decoder on its anchors, and the row terms (`loss::shard_gen_loss`); in
//!    the same task it runs the batch's first discriminator step, which needs
//!    only x̃ and the discriminator's weights (the generator's update leaves
//!    them alone);
//! 2. the calling thread gathers the code values `u` of all rows and runs the
//!    batch terms (`loss::batch_terms`) on their own small tape. The listwise
//!    term, the one batch term whose cost grows with rows × anchors, is cut by
//!    anchors into tasks of its own that run meanwhile, in parallel
//!    (`loss::list_loss`); their gradients with respect to the compared codes
//!    join the small tape the same way `G` joins the shards in phase 3.
//!    Backward gives `G = ∂(batch terms)/∂u`;
//! 3. every shard, in parallel, adds `Σ u ⊙ G` (a constant `G`, whose gradient
//!    with respect to `u` is exactly `G`), and the same for the relaxed codes
//!    `tanh(β·u)` it made in phase 1, to its loss and runs backward;
//! 4. each parameter's gradient is the sum of the shards' in shard order.
//!
//! Every sum has a fixed order, so a model is bit-identical at any thread count.

use rayon::prelude::*;
use sigah_kernels::threads::on_this_thread;

use super::loss::{
    batch_terms, disc_loss, list_loss, list_targets_in_use, relaxed_codes, shard_gen_loss, BatchLayout, ListTargets,
    Term,
};
use crate::autodiff::{Tape, Var};
use crate::model::graph::{generator, leaves, GenVars};
use crate::model::{SigahConfig, SigahModel};
use crate::Tensor;

/// Rows per shard. Small enough that a default batch (256 anchors in 4
/// sections) makes 8 tasks; large enough that each shard's GEMMs run near the
/// kernel's peak and the weights' packing, paid once per shard, stays a small
/// share. A batch without neighbour sections makes fewer, larger shards (2 for
/// 256 rows) instead of many 32-row ones, whose packing would cost more than
/// their multiply-adds at large input dimensions.
pub(crate) const SHARD_ROWS: usize = 128;

/// Anchors per task of the listwise term (each task's logits are
/// `SHARD_ANCHORS × rows`).
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
    /// Each term of `loss` that this step had, indexed by [`Term::index`].
    pub terms: TermValues,
}

/// A value per generator loss term (`None`: the term was off).
pub(crate) type TermValues = [Option<f64>; Term::ALL.len()];

/// Adds each named term's value on `tape` to `into`.
fn add_values(into: &mut TermValues, tape: &Tape, terms: &[(Term, Var)]) {
    for &(term, var) in terms {
        *into[term.index()].get_or_insert(0.0) += tape.value(var).item() as f64;
    }
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
    /// Positions of its rows in the batch: its anchors, then their neighbour
    /// rows section by section.
    pos: Vec<usize>,
    /// How many of them are anchors (the rows the decoder and the
    /// discriminator see).
    anchors: usize,
    ids: Vec<usize>,
    /// Its preprocessed rows.
    x: Tensor,
    /// x̃ of the batch's first generator step (the discriminator's input).
    fake: Tensor,
    /// The generator step's tape, and the discriminator step's: each always
    /// builds the same graph, so its recycled buffers fit the next step's (one
    /// tape alternating two graphs would keep only the last one's sizes).
    tape: Tape,
    disc_tape: Tape,
    /// The generator's parameter vars on `tape`.
    params: Vec<Var>,
    /// The discriminator's parameter vars on `disc_tape`.
    disc_params: Vec<Var>,
    /// After phase 1 of a generator step: the code values, the loss nodes and
    /// the relaxed codes.
    gen: Option<(GenVars, Var, Var, Option<Var>)>,
    /// This shard's share of the batch means of the last generator step: its
    /// loss and the reconstruction.
    loss: f64,
    recon: f64,
    /// Its row terms' values.
    terms: TermValues,
    /// The same for the last discriminator step: L_D, E(x) and E(x̃).
    disc_out: [f64; 3],
}

impl Shard {
    fn load(&mut self, model: &SigahModel, b: &BatchRef<'_>) {
        self.ids.clear();
        self.ids.extend(self.pos.iter().map(|&p| b.rows[p]));
        self.x = model.preprocess.batch(b.data, &self.ids);
    }

    /// Phase 1 of a generator step (`batch_anchors`: the batch's anchors, the
    /// row count of its row terms' means).
    fn gen_forward(&mut self, model: &SigahModel, cfg: &SigahConfig, batch_anchors: usize, keep_fake: bool) {
        let tape = &mut self.tape;
        tape.reset();
        let xv = tape.constant_from(&self.x);
        let gv = generator(tape, &model.gen, &model.layout, cfg, xv, self.anchors, true);
        if keep_fake {
            self.fake.clone_from(tape.value(gv.x_fake));
        }
        let disc = cfg.loss.adversarial.then(|| leaves(tape, &model.disc, false));
        let x_anchors = if self.anchors < self.x.rows { tape.constant_rows_from(&self.x, 0, self.anchors) } else { xv };
        let gl = shard_gen_loss(tape, cfg, disc.as_deref(), x_anchors, &gv, batch_anchors, model.preprocess.dim());
        let relaxed = if cfg.neighbour_terms_on() { relaxed_codes(tape, cfg, gv.u) } else { None };
        self.loss = tape.value(gl.loss).item() as f64;
        self.recon = tape.value(gl.recon).item() as f64;
        self.terms = TermValues::default();
        add_values(&mut self.terms, tape, &gl.terms);
        self.params.clone_from(&gv.params);
        self.gen = Some((gv, gl.loss, gl.recon, relaxed));
    }

    /// Phase 3 of a generator step: `g_u` and `g_relaxed` are the batch terms'
    /// gradients with respect to the code values and the relaxed codes of every
    /// row of the batch.
    fn gen_backward(&mut self, g_u: Option<&Tensor>, g_relaxed: Option<&Tensor>) {
        let (gv, mut loss, _, relaxed) = self.gen.take().expect("gen_forward ran first");
        let tape = &mut self.tape;
        for (var, g) in [(Some(gv.u), g_u), (relaxed, g_relaxed)] {
            if let (Some(var), Some(g)) = (var, g) {
                loss = add_link(tape, loss, var, g.gather_rows(&self.pos));
            }
        }
        tape.backward(loss);
    }

    /// A whole discriminator step on this shard (phases 1 and 3).
    fn disc(&mut self, model: &SigahModel, batch_anchors: usize) {
        let tape = &mut self.disc_tape;
        tape.reset();
        let xv = tape.constant_rows_from(&self.x, 0, self.anchors);
        let fv = tape.constant_from(&self.fake);
        self.disc_params = leaves(tape, &model.disc, true);
        let dl = disc_loss(tape, &self.disc_params, xv, fv, model.summary.margin, batch_anchors);
        self.disc_out = [dl.loss, dl.energy_real, dl.energy_fake].map(|v| tape.value(v).item() as f64);
        tape.backward(dl.loss);
    }
}

/// The shards of the current batch and the batch terms' tape, reused batch
/// after batch (their buffers are recycled).
#[derive(Default)]
pub(crate) struct Stepper {
    shards: Vec<Shard>,
    batch_tape: Tape,
    /// The listwise term's tasks, one per [`SHARD_ANCHORS`] anchors.
    list_tasks: Vec<ListTask>,
    /// The code values of every row of the batch, gathered from the shards.
    u: Tensor,
    /// Their relaxed codes (`loss::relaxed_codes`), when the shards made them.
    relaxed: Tensor,
    rows: usize,
    /// The batch's anchors.
    anchors: usize,
}

impl Stepper {
    /// Cuts batch `b` into shards and preprocesses their rows (in parallel).
    pub(crate) fn load(&mut self, model: &SigahModel, b: &BatchRef<'_>) {
        let n = b.layout.anchors;
        // Depends on the batch's layout alone, never on the thread count.
        let per_shard = (SHARD_ROWS / b.layout.sections()).max(1);
        let count = n.div_ceil(per_shard);
        self.shards.resize_with(count, Shard::default);
        for (j, sh) in self.shards.iter_mut().enumerate() {
            let (a0, a1) = (j * per_shard, ((j + 1) * per_shard).min(n));
            sh.pos.clear();
            for sec in 0..b.layout.sections() {
                sh.pos.extend((a0..a1).map(|a| sec * n + a));
            }
            sh.anchors = a1 - a0;
        }
        self.rows = b.rows.len();
        self.anchors = n;
        debug_assert_eq!(self.rows, b.layout.rows());
        self.shards.par_iter_mut().for_each(|sh| on_this_thread(|| sh.load(model, b)));
    }

    /// The code values of the last generator step, `rows × bits`, batch order.
    pub(crate) fn codes(&self) -> &Tensor {
        &self.u
    }

    /// The generator's loss gradients on the loaded batch. With `with_disc`, each
    /// shard keeps its x̃ for the discriminator steps and, in the same parallel
    /// task, runs the first of them ([`Stepper::disc_result`]): it reads x̃ and
    /// the discriminator's weights, which the generator's update leaves alone,
    /// so it need not wait for the batch terms and costs no fork/join of its own.
    pub(crate) fn gen_step(
        &mut self,
        model: &SigahModel,
        cfg: &SigahConfig,
        b: &BatchRef<'_>,
        with_disc: bool,
    ) -> (GenOut, Vec<Option<Tensor>>) {
        let (rows, anchors) = (self.rows, self.anchors);
        self.shards.par_iter_mut().for_each(|sh| {
            on_this_thread(|| {
                sh.gen_forward(model, cfg, anchors, with_disc);
                if with_disc {
                    sh.disc(model, anchors);
                }
            })
        });
        // Phase 2: the batch terms on the gathered code values.
        self.u = self.gather(|sh| sh.tape.value(sh.gen.as_ref().expect("phase 1 ran").0.u));
        let relaxed_on = self.shards.first().is_some_and(|sh| sh.gen.as_ref().is_some_and(|g| g.3.is_some()));
        if relaxed_on {
            self.relaxed = self.gather(|sh| sh.tape.value(sh.gen.as_ref().and_then(|g| g.3).expect("phase 1 ran")));
        }
        let list = list_targets_in_use(cfg, b.layout, rows, b.list);
        // With relaxed codes (the default) the listwise term compares values
        // already gathered, so its tasks run while this thread builds the other
        // batch terms; otherwise it compares the batch tape's signs and waits.
        let (tape, tasks, u_all, relaxed_all) = (&mut self.batch_tape, &mut self.list_tasks, &self.u, &self.relaxed);
        let early = list.filter(|_| relaxed_on);
        let ((terms, u, relaxed), early) = rayon::join(
            || {
                tape.reset();
                let u = tape.param_from(u_all);
                let relaxed = relaxed_on.then(|| tape.param_from(relaxed_all));
                (batch_terms(tape, cfg, u, relaxed, b.layout, list.is_some()), u, relaxed)
            },
            || early.map(|l| list_in_parallel(tasks, cfg, relaxed_all, l)),
        );
        let mut batch_loss = tape.value(terms.loss).item() as f64;
        let mut values = row_terms(&self.shards);
        add_values(&mut values, tape, &terms.terms);
        let mut loss = terms.loss;
        if let (Some(l), Some(codes)) = (list, terms.codes) {
            let (value, g) = early.unwrap_or_else(|| list_in_parallel(tasks, cfg, tape.value(codes), l));
            batch_loss += value;
            values[Term::List.index()] = Some(value);
            loss = add_link(tape, loss, codes, g);
        }
        tape.backward(loss);
        let g_u = tape.grad(u);
        let g_relaxed = relaxed.and_then(|r| tape.grad(r));
        self.shards.par_iter_mut().for_each(|sh| on_this_thread(|| sh.gen_backward(g_u, g_relaxed)));
        let out = GenOut {
            loss: self.shards.iter().map(|s| s.loss).sum::<f64>() + batch_loss,
            recon: self.shards.iter().map(|s| s.recon).sum(),
            terms: values,
        };
        (out, self.reduce(|sh| (&sh.tape, &sh.params)))
    }

    /// A new discriminator step on the loaded batch, against the x̃ of the last
    /// `gen_step` with `with_disc` (for the steps after the first; the first
    /// ran inside that `gen_step`): its loss gradients.
    pub(crate) fn disc_step(&mut self, model: &SigahModel) -> (DiscOut, Vec<Option<Tensor>>) {
        let anchors = self.anchors;
        self.shards.par_iter_mut().for_each(|sh| on_this_thread(|| sh.disc(model, anchors)));
        self.disc_result()
    }

    /// The last discriminator step's loss gradients.
    pub(crate) fn disc_result(&self) -> (DiscOut, Vec<Option<Tensor>>) {
        let sum = |k: usize| self.shards.iter().map(|s| s.disc_out[k]).sum::<f64>();
        let out = DiscOut { loss: sum(0), energy_real: sum(1), energy_fake: sum(2) };
        (out, self.reduce(|sh| (&sh.disc_tape, &sh.disc_params)))
    }

    /// Each parameter's gradient: the shards' in shard order (parameters in
    /// parallel; each sum's order is fixed). `player` picks a shard's tape and
    /// parameter vars.
    fn reduce(&self, player: impl Fn(&Shard) -> (&Tape, &Vec<Var>) + Sync) -> Vec<Option<Tensor>> {
        let count = self.shards.first().map_or(0, |s| player(s).1.len());
        (0..count)
            .into_par_iter()
            .map(|p| {
                sum_in_order(self.shards.iter().filter_map(|s| {
                    let (tape, params) = player(s);
                    tape.grad(params[p])
                }))
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

/// The row terms of the last generator step: the shards' values summed in
/// shard order.
fn row_terms(shards: &[Shard]) -> TermValues {
    let mut values = TermValues::default();
    for sh in shards {
        for (all, v) in values.iter_mut().zip(sh.terms) {
            if let Some(v) = v {
                *all.get_or_insert(0.0) += v;
            }
        }
    }
    values
}

/// One task of the listwise term: a tape, and its anchors' loss and codes var.
#[derive(Default)]
struct ListTask {
    tape: Tape,
    loss: f64,
    codes: Option<Var>,
}

/// The listwise term of the batch whose compared codes are `codes`, its anchors
/// cut into tasks of [`SHARD_ANCHORS`] run in parallel: the term's value, and its
/// gradient with respect to `codes` (the tasks' gradients summed in task order).
fn list_in_parallel(tasks: &mut Vec<ListTask>, cfg: &SigahConfig, codes: &Tensor, l: &ListTargets) -> (f64, Tensor) {
    let anchors = l.target.rows;
    tasks.resize_with(anchors.div_ceil(SHARD_ANCHORS), ListTask::default);
    tasks.par_iter_mut().enumerate().for_each(|(j, task)| {
        on_this_thread(|| {
            let first = j * SHARD_ANCHORS;
            let count = SHARD_ANCHORS.min(anchors - first);
            let tape = &mut task.tape;
            tape.reset();
            let c = tape.param_from(codes);
            let ll = list_loss(tape, cfg, c, l, first, count);
            task.loss = tape.value(ll).item() as f64;
            tape.backward(ll);
            task.codes = Some(c);
        })
    });
    let grad = sum_in_order(tasks.iter().filter_map(|t| t.codes.and_then(|c| t.tape.grad(c))))
        .unwrap_or_else(|| Tensor::zeros(codes.rows, codes.cols));
    (tasks.iter().map(|t| t.loss).sum(), grad)
}

/// The sum of `parts` in their order (`None` when there are none): the fixed
/// order that keeps a model bit-identical at any thread count. Large sums are
/// cut into blocks of elements that run in parallel, each summing the parts in
/// the same order, so the cut never changes a result.
fn sum_in_order<'a>(parts: impl Iterator<Item = &'a Tensor>) -> Option<Tensor> {
    /// Elements per parallel block (a few µs of additions).
    const BLOCK: usize = 16 * 1024;
    let parts: Vec<&Tensor> = parts.collect();
    let mut sum = (*parts.first()?).clone();
    sum.data.par_chunks_mut(BLOCK).enumerate().for_each(|(b, out)| {
        let at = b * BLOCK;
        for g in &parts[1..] {
            let n = out.len();
            out.iter_mut().zip(&g.data[at..at + n]).for_each(|(a, &v)| *a += v);
        }
    });
    Some(sum)
}

/// `loss + Σ var ⊙ g`, `g` a constant: the gradient of the added term with
/// respect to `var` is exactly `g`, which is how a gradient computed on another
/// tape joins this one.
fn add_link(tape: &mut Tape, loss: Var, var: Var, g: Tensor) -> Var {
    let g = tape.constant(g);
    let link = tape.mul(var, g);
    let link = tape.sum(link);
    tape.add(loss, link)
}

#[cfg(test)]
#[path = "step_tests.rs"]
mod tests;
