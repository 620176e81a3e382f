//! The SiGAH losses (docs/METHOD.md, "The model", with its neighbour terms),
//! split the way the data-parallel trainer (`step.rs`) evaluates them:
//! - **row terms**, whose value is a sum over the decoded rows (a batch's
//!   anchors): the reconstruction, the generator's energy term and the
//!   discriminator loss. Each shard of a batch computes its anchors' sum divided
//!   by the whole batch's anchor count, so the shards' losses add up to the
//!   batch means;
//! - **batch terms**, which couple rows: the bit balance and the neighbour pair,
//!   ranking and listwise terms. They run once per batch on the code
//!   values `u` of all its rows (a `rows × k` matrix, small next to the networks).

use crate::autodiff::{Tape, Var};
use crate::model::graph::{energy_rows, GenVars};
use crate::model::SigahConfig;
use crate::Tensor;

/// How a generator batch is laid out: `anchors` training rows, then (with `pair`)
/// one graph neighbour of each, then (with `rank`) a nearer and a farther row of
/// each (the ranking term's positive and negative), each section `anchors` rows,
/// row `i` of a section belonging to anchor `i`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchLayout {
    pub anchors: usize,
    pub pair: bool,
    pub rank: bool,
}

impl BatchLayout {
    /// A plain batch of `rows` rows (no neighbour sections).
    pub fn plain(rows: usize) -> Self {
        Self { anchors: rows, pair: false, rank: false }
    }

    /// Sections of `anchors` rows each (the anchors, then the neighbour sections).
    pub fn sections(&self) -> usize {
        1 + self.pair as usize + 2 * self.rank as usize
    }

    /// Total rows.
    pub fn rows(&self) -> usize {
        self.anchors * self.sections()
    }

    /// First row of the pair neighbours.
    fn pair_start(&self) -> usize {
        self.anchors
    }

    /// First row of the ranking positives (the negatives follow).
    fn rank_start(&self) -> usize {
        self.anchors * (1 + self.pair as usize)
    }
}

/// The constants of the listwise neighbourhood term for one batch (built by the
/// sampler from the kNN graph): `anchors × rows` soft targets and additive mask,
/// and an `anchors × 1` weight (1 for anchors with a neighbour in the batch).
#[derive(Clone, Debug)]
pub struct ListTargets {
    pub target: Tensor,
    pub mask: Tensor,
    pub weight: Tensor,
    /// Anchors with weight 1.
    pub active: usize,
}

/// The generator's row terms on one shard.
pub struct ShardGenLoss {
    /// `λ_rec · recon (+ energy)`.
    pub loss: Var,
    /// This shard's share of the batch's `mean ‖x − x̃‖² / d`.
    pub recon: Var,
}

/// The generator's row terms on a shard of `x` (its rows of a batch of
/// `batch_rows`): `λ_rec Σ ‖x − x̃‖² / (batch_rows·d)`, plus, with `disc` (the
/// discriminator's weights as constants: gradients flow through its input only),
/// `Σ E(x̃) / batch_rows`.
pub fn shard_gen_loss(
    tape: &mut Tape,
    cfg: &SigahConfig,
    disc: Option<&[Var]>,
    x: Var,
    g: &GenVars,
    batch_rows: usize,
) -> ShardGenLoss {
    let d = tape.value(x).cols;
    let diff = tape.sub(x, g.x_fake);
    let sq = tape.square(diff);
    let se = tape.sum(sq);
    let recon = tape.scale(se, 1.0 / (batch_rows * d) as f32);
    let mut loss = tape.scale(recon, cfg.lambda_rec);
    if let Some(disc) = disc {
        let ef = energy_rows(tape, disc, g.x_fake);
        let ef = tape.sum(ef);
        let ef = tape.scale(ef, 1.0 / batch_rows as f32);
        loss = tape.add(loss, ef);
    }
    ShardGenLoss { loss, recon }
}

/// `s_a·s_b / k` row by row, `n × 1`.
fn code_similarity(tape: &mut Tape, a: Var, b: Var) -> Var {
    let prod = tape.mul(a, b);
    tape.mean_rows(prod)
}

/// The batch terms other than the listwise one, and the codes the neighbour
/// terms compare (`None` when no neighbour term is on).
pub struct BatchTerms {
    pub loss: Var,
    pub codes: Option<Var>,
}

/// The listwise targets when the listwise term applies to this batch.
pub fn list_targets_in_use<'a>(
    cfg: &SigahConfig,
    layout: BatchLayout,
    rows: usize,
    list: Option<&'a ListTargets>,
) -> Option<&'a ListTargets> {
    let n = layout.anchors;
    list.filter(|l| cfg.lambda_list > 0.0 && n > 0 && rows == layout.rows() && l.target.shape() == (n, rows))
}

/// The whole batch-term loss on one tape: [`batch_terms`] plus [`list_loss`]
/// over every anchor. The trainer computes the same sum with the listwise part
/// cut by anchors over the cores (`step.rs`); this form is the tests' reference.
#[cfg(test)]
pub fn batch_gen_loss(
    tape: &mut Tape,
    cfg: &SigahConfig,
    u: Var,
    layout: BatchLayout,
    list: Option<&ListTargets>,
) -> Var {
    let rows = tape.value(u).rows;
    let list = list_targets_in_use(cfg, layout, rows, list);
    let relaxed = relaxed_codes(tape, cfg, u);
    let terms = batch_terms(tape, cfg, u, relaxed, layout, list.is_some());
    match (list, terms.codes) {
        (Some(l), Some(codes)) => {
            let ll = list_loss(tape, cfg, codes, l, 0, layout.anchors);
            tape.add(terms.loss, ll)
        }
        _ => terms.loss,
    }
}

/// The generator's batch terms but the listwise one, on the code values `u`
/// (`rows × k`, in `layout` order): `λ_bal Σ_j (mean_rows s_j)²` with
/// `s = sign(u)` (hard-tanh STE), plus the pair and ranking terms. With `list`, the codes the listwise term compares are
/// made even when no other neighbour term needs them. `relaxed` is
/// [`relaxed_codes`] of `u` (`None` when `relax_beta` is 0).
pub fn batch_terms(
    tape: &mut Tape,
    cfg: &SigahConfig,
    u: Var,
    relaxed: Option<Var>,
    layout: BatchLayout,
    list: bool,
) -> BatchTerms {
    let s = tape.sign_ste(u);
    let ms = tape.mean_cols(s);
    let ms2 = tape.square(ms);
    let bal = tape.sum(ms2);
    let mut loss = tape.scale(bal, cfg.lambda_bal);
    let rows = tape.value(u).rows;
    let rows_ok = rows == layout.rows();
    let n = layout.anchors;
    let pair = cfg.lambda_pair > 0.0 && layout.pair && rows_ok;
    let rank = cfg.lambda_rank > 0.0 && layout.rank && rows_ok;
    if n == 0 || !(pair || rank || list) {
        return BatchTerms { loss, codes: None };
    }
    let sv = relaxed.unwrap_or(s);
    let sa = tape.slice_rows(sv, 0, n);
    if pair {
        // Pull each anchor and its neighbour to the code similarity τ.
        let sn = tape.slice_rows(sv, layout.pair_start(), n);
        let sim = code_similarity(tape, sa, sn);
        let short = if cfg.pair_one_sided {
            // Only pairs less similar than τ are pulled: max(0, τ − sim).
            tape.hinge(cfg.pair_target, sim)
        } else {
            let target = tape.constant(Tensor::full(n, 1, cfg.pair_target));
            tape.sub(sim, target)
        };
        let sq = tape.square(short);
        let pl = tape.mean(sq);
        let pl = tape.scale(pl, cfg.lambda_pair);
        loss = tape.add(loss, pl);
    }
    if rank {
        // Ranking: the nearer row's Hamming distance, as a fraction of the bits
        // (1 − s_a·s_p/k)/2, must be below the farther one's by rank_margin:
        // max(0, m − (s_a·s_p/k − s_a·s_n/k)/2).
        let sp = tape.slice_rows(sv, layout.rank_start(), n);
        let sn = tape.slice_rows(sv, layout.rank_start() + n, n);
        let simp = code_similarity(tape, sa, sp);
        let simn = code_similarity(tape, sa, sn);
        let gap = tape.sub(simp, simn);
        let gap = tape.scale(gap, 0.5);
        let h = tape.hinge(cfg.rank_margin, gap);
        let rl = tape.mean(h);
        let rl = tape.scale(rl, cfg.lambda_rank);
        loss = tape.add(loss, rl);
    }
    BatchTerms { loss, codes: Some(sv) }
}

/// The codes the neighbour terms compare: the smooth tanh(β·u), whose gradient
/// grows as a bit nears its flip, with `relax_beta` β > 0; else `None`, and they
/// compare the signs (hard-tanh STE). A row term: the trainer computes it on the
/// shards, in parallel, and hands it to [`batch_terms`].
pub fn relaxed_codes(tape: &mut Tape, cfg: &SigahConfig, u: Var) -> Option<Var> {
    (cfg.relax_beta > 0.0).then(|| {
        let bu = tape.scale(u, cfg.relax_beta);
        tape.tanh(bu)
    })
}

/// The listwise term of anchors `first..first + count` (its share of the batch
/// total: the anchors' sums add up to it). `codes` are the compared codes of the
/// whole batch, anchors first.
///
/// Each anchor's softmax over the batch rows of −h/T (T the width's
/// [`SigahConfig::list_temperature`]), h the relaxed Hamming
/// distance as a fraction of the bits; since h = (1 − c_a·c_j/k)/2, −h/T is
/// c_a·c_j/(2kT) up to a constant per row, which the softmax ignores.
/// Cross-entropy against its kNN rows.
pub fn list_loss(tape: &mut Tape, cfg: &SigahConfig, codes: Var, l: &ListTargets, first: usize, count: usize) -> Var {
    let sa = tape.slice_rows(codes, first, count);
    let sim = tape.matmul_nt(sa, codes);
    let logits = tape.scale(sim, 1.0 / (2.0 * cfg.list_temperature() * cfg.bits as f32));
    let mask = tape.constant_rows_from(&l.mask, first, count);
    let logits = tape.add(logits, mask);
    let target = tape.constant_rows_from(&l.target, first, count);
    let xent = tape.softmax_xent(logits, target);
    let weight = tape.constant_rows_from(&l.weight, first, count);
    let xent = tape.mul(xent, weight);
    let ll = tape.sum(xent);
    tape.scale(ll, cfg.lambda_list / l.active as f32)
}

/// The discriminator loss on one shard.
pub struct DiscLoss {
    pub loss: Var,
    /// This shard's share of the batch mean of E(x).
    pub energy_real: Var,
    /// This shard's share of the batch mean of E(x̃).
    pub energy_fake: Var,
}

/// `L_D = mean E(x) + mean max(0, μ − E(x̃))` over a batch of `batch_rows` rows,
/// this shard's share (its rows' sums divided by `batch_rows`); without a margin
/// yet (the first epoch, before μ is fixed) `L_D = mean E(x)`. `x_fake` must be a
/// constant.
pub fn disc_loss(
    tape: &mut Tape,
    disc: &[Var],
    x: Var,
    x_fake: Var,
    margin: Option<f32>,
    batch_rows: usize,
) -> DiscLoss {
    let inv = 1.0 / batch_rows as f32;
    let er = energy_rows(tape, disc, x);
    let er = tape.sum(er);
    let energy_real = tape.scale(er, inv);
    let ef = energy_rows(tape, disc, x_fake);
    let loss = match margin {
        Some(mu) => {
            let h = tape.hinge(mu, ef);
            let h = tape.sum(h);
            let h = tape.scale(h, inv);
            tape.add(energy_real, h)
        }
        None => energy_real,
    };
    let ef = tape.sum(ef);
    let energy_fake = tape.scale(ef, inv);
    DiscLoss { loss, energy_real, energy_fake }
}

#[cfg(test)]
#[path = "loss_tests.rs"]
mod tests;
