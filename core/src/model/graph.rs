//! The SiGAH computation graphs on the autodiff tape (DESIGN §1): the generator
//! (hash encoder → sign STE → LISTA → dictionary) and the auto-encoder
//! discriminator's energy, and the two losses built from them.
//!
//! Batches are row-major (`B × d`): a linear layer `y = W x + c` is
//! `Y = X·Wᵀ + c` (`matmul_nt`), with W stored `out × in` as in PyTorch.

use super::config::{DecoderKind, SigahConfig};
use super::params::{GenLayout, Net, DISC_B0, DISC_B1, DISC_W0, DISC_W1};
use crate::autodiff::{Tape, Var};
use crate::Tensor;
use sigah_kernels::gemm::{gemm, MatMut};

/// The generator's nodes that the trainer reads back.
pub struct GenVars {
    /// One var per generator parameter, in [`Net`] order.
    pub params: Vec<Var>,
    /// The code values s = sign(u) ∈ {−1, +1}, `B × k`.
    pub s: Var,
    /// The pre-sign values u, `B × k`.
    pub u: Var,
    /// The synthetic features x̃, `B × d`.
    pub x_fake: Var,
}

/// Puts each tensor of `net` on the tape, as a parameter (gradient wanted) or as a
/// constant (used in the other player's step: its weights get no gradient).
pub fn leaves(tape: &mut Tape, net: &Net, trainable: bool) -> Vec<Var> {
    // Copies into buffers the tape recycles across resets (no allocation per step).
    net.tensors.iter().map(|t| if trainable { tape.param_from(t) } else { tape.constant_from(t) }).collect()
}

/// `Y = X·Wᵀ + c`.
fn linear(tape: &mut Tape, x: Var, w: Var, c: Var) -> Var {
    let y = tape.matmul_nt(x, w);
    tape.add_bias(y, c)
}

/// The generator on the (already preprocessed) batch `x`.
pub fn generator(
    tape: &mut Tape,
    net: &Net,
    layout: &GenLayout,
    cfg: &SigahConfig,
    x: Var,
    trainable: bool,
) -> GenVars {
    let p = leaves(tape, net, trainable);
    // Hash encoder: ReLU hidden layers, then a linear layer to the k code values u.
    let mut h = x;
    let last = layout.enc.len() - 1;
    for (i, &(w, c)) in layout.enc.iter().enumerate() {
        h = linear(tape, h, p[w], p[c]);
        if i < last {
            h = tape.relu(h);
        }
    }
    // The linear skip path: u = W_lin·x + (the ReLU branch).
    if let Some(w) = layout.skip {
        let lin = tape.matmul_nt(x, p[w]);
        let lin = tape.scale(lin, cfg.skip_lr_scale);
        h = tape.add(h, lin);
    }
    // Binary code with the hard-tanh straight-through gradient.
    let u = h;
    let s = tape.sign_ste(h);
    // Decoder input: the sparse latent recovered by LISTA, or the code itself.
    let code = match (cfg.decoder, layout.lista) {
        (DecoderKind::Lista, Some((phi, theta, eta))) => {
            let (phi, theta, eta) = (p[phi], p[theta], p[eta]);
            // Row form of z₀ = S_θ(η Φᵀ s): Z₀ = S_θ(η · S·Φ).
            let v = tape.matmul(s, phi);
            let v = tape.scale_by(v, eta);
            let mut z = tape.soft_threshold(v, theta);
            // T refinements z ← S_θ(z + η Φᵀ(s − Φ z)); row form Z + η (S − Z·Φᵀ)·Φ.
            for _ in 0..cfg.lista_steps {
                let pz = tape.matmul_nt(z, phi);
                let r = tape.sub(s, pz);
                let g = tape.matmul(r, phi);
                let g = tape.scale_by(g, eta);
                let v = tape.add(z, g);
                z = tape.soft_threshold(v, theta);
            }
            z
        }
        _ => s,
    };
    let x_fake = linear(tape, code, p[layout.dict_w], p[layout.dict_b]);
    GenVars { params: p, s, u, x_fake }
}

impl GenVars {
    /// Rows of the code batch.
    fn s_rows(&self, tape: &Tape) -> usize {
        tape.value(self.s).rows
    }
}

/// The per-row energy `E(v) = ‖A(v) − v‖² / d` of the auto-encoder
/// discriminator whose leaves are `disc`, as a `B × 1` column.
pub fn energy_rows(tape: &mut Tape, disc: &[Var], v: Var) -> Var {
    let h = linear(tape, v, disc[DISC_W0], disc[DISC_B0]);
    let h = tape.relu(h);
    let a = linear(tape, h, disc[DISC_W1], disc[DISC_B1]);
    let diff = tape.sub(a, v);
    let sq = tape.square(diff);
    tape.mean_rows(sq)
}

/// The nodes of the discriminator loss.
pub struct DiscLoss {
    pub loss: Var,
    /// Batch mean of E(x).
    pub energy_real: Var,
    /// Batch mean of E(x̃).
    pub energy_fake: Var,
}

/// `L_D = mean E(x) + mean max(0, μ − E(x̃))`; without a margin yet (the first
/// epoch, before μ is fixed) `L_D = mean E(x)`. `x_fake` must be a constant.
pub fn disc_loss(tape: &mut Tape, disc: &[Var], x: Var, x_fake: Var, margin: Option<f32>) -> DiscLoss {
    let er = energy_rows(tape, disc, x);
    let energy_real = tape.mean(er);
    let ef = energy_rows(tape, disc, x_fake);
    let energy_fake = tape.mean(ef);
    let loss = match margin {
        Some(mu) => {
            let h = tape.hinge(mu, ef);
            let h = tape.mean(h);
            tape.add(energy_real, h)
        }
        None => energy_real,
    };
    DiscLoss { loss, energy_real, energy_fake }
}

/// The nodes of the generator loss.
pub struct GenLoss {
    pub loss: Var,
    /// `mean ‖x − x̃‖² / d`.
    pub recon: Var,
    /// Batch mean of E(x̃) (only with the adversarial term).
    pub energy_fake: Option<Var>,
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

    /// Total rows.
    pub fn rows(&self) -> usize {
        self.anchors * (1 + self.pair as usize + 2 * self.rank as usize)
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

/// Rows `start..start + n` of `s`, through a constant `n × rows` selection
/// matrix (the tape has no gather op; this matmul is small next to the encoder).
fn select_rows(tape: &mut Tape, s: Var, start: usize, n: usize) -> Var {
    let b = tape.value(s).rows;
    let mut sel = Tensor::zeros(n, b);
    for i in 0..n {
        sel.data[i * b + start + i] = 1.0;
    }
    let sel = tape.constant(sel);
    tape.matmul(sel, s)
}

/// `s_a·s_b / k` row by row, `n × 1`.
fn code_similarity(tape: &mut Tape, a: Var, b: Var) -> Var {
    let prod = tape.mul(a, b);
    tape.mean_rows(prod)
}

/// `L_G = E(x̃) + λ_rec ‖x − x̃‖²/d + λ_bal Σ_j (mean_batch s_j)²` plus the
/// neighbour terms, batch means. `disc` are the discriminator's weights as
/// constants (gradients flow through its input only); `None` drops the energy
/// term (the non-adversarial ablation). `layout` says which rows are anchors and
/// which are their graph neighbours; the reconstruction, balance and energy terms
/// use every row.
pub fn gen_loss(
    tape: &mut Tape,
    cfg: &SigahConfig,
    disc: Option<&[Var]>,
    x: Var,
    g: &GenVars,
    layout: BatchLayout,
    list: Option<&ListTargets>,
) -> GenLoss {
    let diff = tape.sub(x, g.x_fake);
    let sq = tape.square(diff);
    let recon = tape.mean(sq);
    let mut loss = tape.scale(recon, cfg.lambda_rec);
    let ms = tape.mean_cols(g.s);
    let ms2 = tape.square(ms);
    let bal = tape.sum(ms2);
    let bal = tape.scale(bal, cfg.lambda_bal);
    loss = tape.add(loss, bal);
    let rows_ok = g.s_rows(tape) == layout.rows();
    let n = layout.anchors;
    if cfg.lambda_sim > 0.0 {
        // Similarity preservation: code inner products s_i·s_j/k ∈ [−1, 1] should
        // follow the cosine similarities of the inputs (a constant target).
        let pairs = if layout.pair && rows_ok { n } else { 0 };
        let target = tape.constant(similarity_target(tape.value(x), cfg.sim_knn, cfg.sim_knn_target, pairs));
        let ss = tape.matmul_nt(g.s, g.s);
        let ss = tape.scale(ss, 1.0 / cfg.bits as f32);
        let diff = tape.sub(ss, target);
        let sq = tape.square(diff);
        let sim = tape.mean(sq);
        let sim = tape.scale(sim, cfg.lambda_sim);
        loss = tape.add(loss, sim);
    }
    let list = list.filter(|l| cfg.lambda_list > 0.0 && rows_ok && l.target.shape() == (n, layout.rows()));
    let need_anchor = rows_ok
        && n > 0
        && ((cfg.lambda_pair > 0.0 && layout.pair) || (cfg.lambda_rank > 0.0 && layout.rank) || list.is_some());
    // The codes the neighbour terms compare: the signs (hard-tanh STE), or the
    // smooth tanh(β·u), whose gradient grows as a bit nears its flip.
    let sv = if cfg.relax_beta > 0.0 && need_anchor {
        let bu = tape.scale(g.u, cfg.relax_beta);
        tape.tanh(bu)
    } else {
        g.s
    };
    let sa = need_anchor.then(|| select_rows(tape, sv, 0, n));
    if let (Some(sa), true) = (sa, cfg.lambda_pair > 0.0 && layout.pair) {
        // Pull each anchor and its neighbour to the code similarity τ.
        let sn = select_rows(tape, sv, layout.pair_start(), n);
        let sim = code_similarity(tape, sa, sn);
        let short = if cfg.pair_one_sided {
            // Only pairs less similar than τ are pulled: max(0, τ − sim).
            tape.hinge(cfg.sim_knn_target, sim)
        } else {
            let target = tape.constant(Tensor::full(n, 1, cfg.sim_knn_target));
            tape.sub(sim, target)
        };
        let sq = tape.square(short);
        let pl = tape.mean(sq);
        let pl = tape.scale(pl, cfg.lambda_pair);
        loss = tape.add(loss, pl);
    }
    if let (Some(sa), true) = (sa, cfg.lambda_rank > 0.0 && layout.rank) {
        // Ranking: the nearer row's Hamming distance, as a fraction of the bits
        // (1 − s_a·s_p/k)/2, must be below the farther one's by rank_margin:
        // max(0, m − (s_a·s_p/k − s_a·s_n/k)/2).
        let sp = select_rows(tape, sv, layout.rank_start(), n);
        let sn = select_rows(tape, sv, layout.rank_start() + n, n);
        let simp = code_similarity(tape, sa, sp);
        let simn = code_similarity(tape, sa, sn);
        let gap = tape.sub(simp, simn);
        let gap = tape.scale(gap, 0.5);
        let h = tape.hinge(cfg.rank_margin, gap);
        let rl = tape.mean(h);
        let rl = tape.scale(rl, cfg.lambda_rank);
        loss = tape.add(loss, rl);
    }
    if let (Some(sa), Some(l)) = (sa, list) {
        // Listwise: each anchor's softmax over the batch rows of −h/T, h the
        // relaxed Hamming distance as a fraction of the bits; since
        // h = (1 − c_a·c_j/k)/2, −h/T is c_a·c_j/(2kT) up to a constant per row,
        // which the softmax ignores. Cross-entropy against its kNN rows.
        let sim = tape.matmul_nt(sa, sv);
        let logits = tape.scale(sim, 1.0 / (2.0 * cfg.list_temp * cfg.bits as f32));
        let mask = tape.constant_from(&l.mask);
        let logits = tape.add(logits, mask);
        let target = tape.constant_from(&l.target);
        let xent = tape.softmax_xent(logits, target);
        let weight = tape.constant_from(&l.weight);
        let xent = tape.mul(xent, weight);
        let ll = tape.sum(xent);
        let ll = tape.scale(ll, cfg.lambda_list / l.active as f32);
        loss = tape.add(loss, ll);
    }
    let mut energy_fake = None;
    if let Some(disc) = disc {
        let ef = energy_rows(tape, disc, g.x_fake);
        let ef = tape.mean(ef);
        loss = tape.add(loss, ef);
        energy_fake = Some(ef);
    }
    GenLoss { loss, recon, energy_fake }
}

/// The similarity target: cosines, raised to at least `floor` for each row's
/// `knn` most similar other rows (and symmetrically), and for the `pairs`
/// neighbour pairs (row i, row pairs + i).
fn similarity_target(x: &Tensor, knn: usize, floor: f32, pairs: usize) -> Tensor {
    let cos = cosine_matrix(x);
    let mut t = cos.clone();
    let b = x.rows;
    for i in 0..pairs.min(b / 2) {
        let j = pairs + i;
        let v = t.data[i * b + j].max(floor);
        t.data[i * b + j] = v;
        t.data[j * b + i] = v;
    }
    if knn > 0 && b > 1 {
        let mut order: Vec<usize> = Vec::with_capacity(b);
        for i in 0..b {
            order.clear();
            order.extend((0..b).filter(|&j| j != i));
            let row = cos.row(i);
            // Most similar first, ties by index (deterministic).
            order.sort_by(|&a, &c| row[c].total_cmp(&row[a]).then(a.cmp(&c)));
            for &j in order.iter().take(knn) {
                let v = t.data[i * b + j].max(floor);
                t.data[i * b + j] = v;
                t.data[j * b + i] = v;
            }
        }
    }
    t
}

/// The `B × B` matrix of cosine similarities between the rows of `x` (a zero row
/// has similarity 0 to everything).
fn cosine_matrix(x: &Tensor) -> Tensor {
    let mut n = x.clone();
    for i in 0..n.rows {
        let row = &mut n.data[i * x.cols..(i + 1) * x.cols];
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        row.iter_mut().for_each(|v| *v *= inv);
    }
    let mut out = Tensor::zeros(x.rows, x.rows);
    gemm(1.0, n.view(), n.view().t(), 0.0, MatMut::new(&mut out.data, x.rows, x.rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `gen_loss` on given code rows (as params, so their gradients show), with
    /// x = x̃ = 0 and no balance term: the loss is the neighbour terms alone.
    fn neighbour_loss(cfg: &SigahConfig, rows: &[[f32; 4]], layout: BatchLayout) -> (f32, Vec<f32>) {
        let mut tape = Tape::new();
        let n = rows.len();
        let s = tape.param(Tensor::new(n, 4, rows.iter().flatten().copied().collect()));
        let x = tape.constant(Tensor::zeros(n, 2));
        let x_fake = tape.constant(Tensor::zeros(n, 2));
        let g = GenVars { params: vec![], s, u: s, x_fake };
        let cfg = SigahConfig { bits: 8, lambda_bal: 0.0, lambda_rec: 0.0, ..cfg.clone() };
        let gl = gen_loss(&mut tape, &cfg, None, x, &g, layout, None);
        tape.backward(gl.loss);
        (tape.value(gl.loss).item(), tape.grad(s).map_or(vec![0.0; n * 4], |g| g.data.clone()))
    }

    #[test]
    fn ranking_term_is_a_hinge_on_the_hamming_gap() {
        // One anchor a = ++++, positive p = ++−− (similarity 0), negative n = +++−
        // (similarity 1/2): the gap (0 − 1/2)/2 = −1/4 misses the margin 1/4 by 1/2.
        let cfg = SigahConfig {
            lambda_pair: 0.0,
            lambda_rank: 2.0,
            rank_margin: 0.25,
            relax_beta: 0.0,
            ..Default::default()
        };
        let layout = BatchLayout { anchors: 1, pair: false, rank: true };
        let a = [1., 1., 1., 1.];
        let (loss, g) = neighbour_loss(&cfg, &[a, [1., 1., -1., -1.], [1., 1., 1., -1.]], layout);
        assert!((loss - 2.0 * 0.5).abs() < 1e-6, "{loss}");
        // d/ds_p = −λ·s_a/(2k) pulls p toward a; d/ds_n = +λ·s_a/(2k) pushes n away;
        // d/ds_a = −λ·(s_p − s_n)/(2k).
        let q = 2.0 / 8.0;
        assert_eq!(&g[4..8], &[-q, -q, -q, -q]);
        assert_eq!(&g[8..12], &[q, q, q, q]);
        assert_eq!(&g[0..4], &[0.0, 0.0, q * 2.0, 0.0]);
        // A satisfied triplet (p = a, n = −a: gap 1 ≥ 1/4) costs nothing.
        let (loss, g) = neighbour_loss(&cfg, &[a, a, [-1., -1., -1., -1.]], layout);
        assert_eq!(loss, 0.0);
        assert!(g.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn the_one_sided_pair_term_leaves_near_pairs_alone() {
        // Two anchors, each with one neighbour: pair 0 has similarity 1 (nearer than
        // τ = 1/2), pair 1 similarity 0 (farther). Two-sided: ((1 − ½)² + (0 − ½)²)/2;
        // one-sided: only the far pair, (½)²/2.
        let rows = [[1., 1., 1., 1.], [1., -1., 1., -1.], [1., 1., 1., 1.], [1., 1., 1., 1.]];
        let layout = BatchLayout { anchors: 2, pair: true, rank: false };
        let two = SigahConfig {
            sim_knn_target: 0.5,
            pair_one_sided: false,
            lambda_rank: 0.0,
            relax_beta: 0.0,
            ..Default::default()
        };
        assert!((neighbour_loss(&two, &rows, layout).0 - 0.25).abs() < 1e-6);
        let one = SigahConfig { pair_one_sided: true, ..two };
        let (loss, g) = neighbour_loss(&one, &rows, layout);
        assert!((loss - 0.125).abs() < 1e-6, "{loss}");
        // No gradient reaches the near pair (rows 0 and 2).
        assert!(g[0..4].iter().chain(&g[8..12]).all(|&v| v == 0.0), "{g:?}");
        assert!(g[4..8].iter().any(|&v| v != 0.0));
    }

    #[test]
    fn relaxed_codes_use_tanh_of_beta_u() {
        // u = 0 everywhere: tanh(β·0) = 0, the pair's similarity is 0 and the pair
        // term against τ = 0 is 0; with the signs (−1 everywhere) it is (1 − 0)².
        let rows = [[0.0; 4]; 2];
        let layout = BatchLayout { anchors: 1, pair: true, rank: false };
        let cfg = SigahConfig {
            sim_knn_target: 0.0,
            pair_one_sided: false,
            lambda_rank: 0.0,
            relax_beta: 2.0,
            ..Default::default()
        };
        let mut tape = Tape::new();
        let u = tape.param(Tensor::new(2, 4, rows.iter().flatten().copied().collect()));
        let s = tape.sign_ste(u);
        let x = tape.constant(Tensor::zeros(2, 2));
        let g = GenVars { params: vec![], s, u, x_fake: x };
        let cfg = SigahConfig { bits: 8, lambda_bal: 0.0, lambda_rec: 0.0, ..cfg };
        let gl = gen_loss(&mut tape, &cfg, None, x, &g, layout, None);
        assert_eq!(tape.value(gl.loss).item(), 0.0);
        let cfg = SigahConfig { relax_beta: 0.0, ..cfg };
        let gl = gen_loss(&mut tape, &cfg, None, x, &g, layout, None);
        assert_eq!(tape.value(gl.loss).item(), 1.0);
    }

    #[test]
    fn similarity_target_is_cosine_raised_for_nearest_neighbours() {
        // Rows: e1, (e1 + e2)/√2 direction, e2, −e1. Cosines by hand:
        // cos(0,1) = cos(1,2) = 1/√2, cos(0,2) = 0, cos(0,3) = −1, cos(1,3) = −1/√2.
        let x = Tensor::new(4, 2, vec![1.0, 0.0, 2.0, 2.0, 0.0, 3.0, -1.0, 0.0]);
        let c = cosine_matrix(&x);
        let r = std::f32::consts::FRAC_1_SQRT_2;
        let want = [1.0, r, 0.0, -1.0, r, 1.0, r, -r, 0.0, r, 1.0, 0.0, -1.0, -r, 0.0, 1.0];
        for (g, w) in c.data.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{:?}", c.data);
        }
        // knn = 1, floor 0.9: row 0's nearest is 1, row 1's is 0 (tie with 2, lower
        // index), row 2's is 1, row 3's is 2 (cos 0 > −1/√2 > −1). Each raised pair
        // is raised in both directions; nothing else changes.
        let t = similarity_target(&x, 1, 0.9, 0);
        let raised = [(0, 1), (1, 0), (2, 1), (1, 2), (3, 2), (2, 3)];
        for i in 0..4 {
            for j in 0..4 {
                let expect = if raised.contains(&(i, j)) { c.at(i, j).max(0.9) } else { c.at(i, j) };
                assert_eq!(t.at(i, j), expect, "({i}, {j})");
            }
        }
        assert_eq!(similarity_target(&x, 0, 0.9, 0), c);
        // Two anchors and their neighbours: pairs (0, 2) and (1, 3).
        let t = similarity_target(&x, 0, 0.9, 2);
        for i in 0..4 {
            for j in 0..4 {
                let pair = i % 2 == j % 2 && i != j;
                let expect = if pair { c.at(i, j).max(0.9) } else { c.at(i, j) };
                assert_eq!(t.at(i, j), expect, "({i}, {j})");
            }
        }
    }
}
