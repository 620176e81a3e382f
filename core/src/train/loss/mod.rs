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
//!
//! Each generator term is one function in a file of its own (`reconstruction.rs`,
//! `energy.rs`, `balance.rs`, `pair.rs`, `rank.rs`, `list.rs`) returning the term
//! as it enters L_G, weight included; [`shard_gen_loss`] and [`batch_terms`] add
//! them up in a fixed order and return each by its [`Term`] name, which is how the
//! training log records every term per epoch. The discriminator's loss is in
//! `discriminator.rs`.

mod balance;
mod discriminator;
mod energy;
mod list;
mod pair;
mod rank;
mod reconstruction;

pub use discriminator::disc_loss;
pub use list::{list_loss, ListTargets};

use crate::autodiff::{Tape, Var};
use crate::model::graph::GenVars;
use crate::model::SigahConfig;

/// A generator loss term, by the name the training log gives its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    Reconstruction,
    Energy,
    Balance,
    Pair,
    Rank,
    List,
}

impl Term {
    /// Every term, in the order of [`Term::index`].
    pub const ALL: [Term; 6] = [Term::Reconstruction, Term::Energy, Term::Balance, Term::Pair, Term::Rank, Term::List];

    /// The term's key in the training log.
    pub fn name(self) -> &'static str {
        match self {
            Term::Reconstruction => "reconstruction",
            Term::Energy => "energy",
            Term::Balance => "balance",
            Term::Pair => "pair",
            Term::Rank => "rank",
            Term::List => "list",
        }
    }

    /// Its position in [`Term::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Terms added up on one tape, in the order they were added (the order of the
/// float sum, which a model's bytes depend on), each kept by name.
#[derive(Default)]
pub struct Terms {
    sum: Option<Var>,
    pub named: Vec<(Term, Var)>,
}

impl Terms {
    /// Adds `value` to the sum right away: `sum + value`, or `value` alone first.
    fn add(&mut self, tape: &mut Tape, term: Term, value: Var) {
        self.named.push((term, value));
        self.sum = Some(match self.sum {
            Some(sum) => tape.add(sum, value),
            None => value,
        });
    }

    /// The sum of the terms added.
    fn sum(&self) -> Var {
        self.sum.expect("at least one term")
    }
}

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
    pub(super) fn pair_start(&self) -> usize {
        self.anchors
    }

    /// First row of the ranking positives (the negatives follow).
    pub(super) fn rank_start(&self) -> usize {
        self.anchors * (1 + self.pair as usize)
    }
}

/// The generator's row terms on one shard.
pub struct ShardGenLoss {
    /// `λ_rec · recon (+ energy)`.
    pub loss: Var,
    /// This shard's share of the batch's `mean ‖x − x̃‖² / d`.
    pub recon: Var,
    /// The terms of `loss` by name.
    pub terms: Vec<(Term, Var)>,
}

/// The generator's row terms on a shard of `x` (its rows of a batch of
/// `batch_rows`): [`reconstruction::reconstruction`], weighted for inputs of
/// `input_dim` dimensions (the raw data's), plus, with `disc` (the
/// discriminator's weights as constants), [`energy::energy`].
pub fn shard_gen_loss(
    tape: &mut Tape,
    cfg: &SigahConfig,
    disc: Option<&[Var]>,
    x: Var,
    g: &GenVars,
    batch_rows: usize,
    input_dim: usize,
) -> ShardGenLoss {
    let mut terms = Terms::default();
    let weight = cfg.reconstruction_weight(input_dim);
    let rec = reconstruction::reconstruction(tape, weight, x, g.x_fake, batch_rows);
    terms.add(tape, Term::Reconstruction, rec.term);
    if let Some(disc) = disc {
        let e = energy::energy(tape, disc, g.x_fake, batch_rows);
        terms.add(tape, Term::Energy, e);
    }
    ShardGenLoss { loss: terms.sum(), recon: rec.mse, terms: terms.named }
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
    /// The terms of `loss` by name.
    pub terms: Vec<(Term, Var)>,
}

/// The listwise targets when the listwise term applies to this batch.
pub fn list_targets_in_use<'a>(
    cfg: &SigahConfig,
    layout: BatchLayout,
    rows: usize,
    list: Option<&'a ListTargets>,
) -> Option<&'a ListTargets> {
    let n = layout.anchors;
    list.filter(|l| cfg.neighbours.lambda_list > 0.0 && n > 0 && rows == layout.rows() && l.target.shape() == (n, rows))
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
/// (`rows × k`, in `layout` order): [`balance::balance`] of `s = sign(u)`
/// (hard-tanh STE), plus [`pair::pair`] and [`rank::rank`]. With `list`, the
/// codes the listwise term compares are made even when no other neighbour term
/// needs them. `relaxed` is [`relaxed_codes`] of `u` (`None` when `relax_beta`
/// is 0).
pub fn batch_terms(
    tape: &mut Tape,
    cfg: &SigahConfig,
    u: Var,
    relaxed: Option<Var>,
    layout: BatchLayout,
    list: bool,
) -> BatchTerms {
    let s = tape.sign_ste(u);
    let mut terms = Terms::default();
    let bal = balance::balance(tape, cfg.loss.lambda_bal, s);
    terms.add(tape, Term::Balance, bal);
    let rows = tape.value(u).rows;
    let rows_ok = rows == layout.rows();
    let n = layout.anchors;
    let pair = cfg.neighbours.lambda_pair > 0.0 && layout.pair && rows_ok;
    let rank = cfg.neighbours.lambda_rank > 0.0 && layout.rank && rows_ok;
    if n == 0 || !(pair || rank || list) {
        return BatchTerms { loss: terms.sum(), codes: None, terms: terms.named };
    }
    let sv = relaxed.unwrap_or(s);
    let sa = tape.slice_rows(sv, 0, n);
    if pair {
        let pl = pair::pair(tape, &cfg.neighbours, sv, sa, layout);
        terms.add(tape, Term::Pair, pl);
    }
    if rank {
        let rl = rank::rank(tape, &cfg.neighbours, sv, sa, layout);
        terms.add(tape, Term::Rank, rl);
    }
    BatchTerms { loss: terms.sum(), codes: Some(sv), terms: terms.named }
}

/// The codes the neighbour terms compare: the smooth tanh(β·u), whose gradient
/// grows as a bit nears its flip, with `relax_beta` β > 0; else `None`, and they
/// compare the signs (hard-tanh STE). A row term: the trainer computes it on the
/// shards, in parallel, and hands it to [`batch_terms`].
pub fn relaxed_codes(tape: &mut Tape, cfg: &SigahConfig, u: Var) -> Option<Var> {
    (cfg.neighbours.relax_beta > 0.0).then(|| {
        let bu = tape.scale(u, cfg.neighbours.relax_beta);
        tape.tanh(bu)
    })
}

#[cfg(test)]
mod tests;
