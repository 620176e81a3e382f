//! Tests of the loss terms: the neighbour terms by hand on ±1 codes, the
//! similarity target, and that the row terms of shards add up to the batch's.

use super::*;
use crate::autodiff::Tape;
use crate::model::{Architecture, Loss, NeighbourTerms};
use crate::Tensor;

/// `batch_gen_loss` on given code values (as a param, so their gradients show)
/// with no balance term: the loss is the neighbour terms alone. Values of ±1 keep
/// the signs and, inside the hard-tanh's range, their straight-through gradient.
fn neighbour_loss(cfg: &SigahConfig, rows: &[[f32; 4]], layout: BatchLayout) -> (f32, Vec<f32>) {
    let mut tape = Tape::new();
    let n = rows.len();
    let u = tape.param(Tensor::new(n, 4, rows.iter().flatten().copied().collect()));
    let cfg = SigahConfig {
        architecture: Architecture { bits: 8, ..cfg.architecture.clone() },
        loss: Loss { lambda_bal: 0.0, lambda_rec: 0.0, ..cfg.loss },
        ..cfg.clone()
    };
    let loss = batch_gen_loss(&mut tape, &cfg, u, layout, None);
    tape.backward(loss);
    (tape.value(loss).item(), tape.grad(u).map_or(vec![0.0; n * 4], |g| g.data.clone()))
}

#[test]
fn ranking_term_is_a_hinge_on_the_hamming_gap() {
    // One anchor a = ++++, positive p = ++−− (similarity 0), negative n = +++−
    // (similarity 1/2): the gap (0 − 1/2)/2 = −1/4 misses the margin 1/4 by 1/2.
    let cfg = SigahConfig {
        neighbours: NeighbourTerms {
            lambda_pair: 0.0,
            lambda_rank: 2.0,
            rank_margin: 0.25,
            relax_beta: 0.0,
            ..Default::default()
        },
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
        neighbours: NeighbourTerms {
            pair_target: 0.5,
            pair_one_sided: false,
            lambda_rank: 0.0,
            relax_beta: 0.0,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!((neighbour_loss(&two, &rows, layout).0 - 0.25).abs() < 1e-6);
    let one = SigahConfig { neighbours: NeighbourTerms { pair_one_sided: true, ..two.neighbours }, ..two };
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
        neighbours: NeighbourTerms {
            pair_target: 0.0,
            pair_one_sided: false,
            lambda_rank: 0.0,
            relax_beta: 2.0,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut tape = Tape::new();
    let u = tape.param(Tensor::new(2, 4, rows.iter().flatten().copied().collect()));
    let cfg = SigahConfig {
        architecture: Architecture { bits: 8, ..cfg.architecture.clone() },
        loss: Loss { lambda_bal: 0.0, lambda_rec: 0.0, ..cfg.loss },
        ..cfg
    };
    let loss = batch_gen_loss(&mut tape, &cfg, u, layout, None);
    assert_eq!(tape.value(loss).item(), 0.0);
    let cfg = SigahConfig { neighbours: NeighbourTerms { relax_beta: 0.0, ..cfg.neighbours }, ..cfg };
    let loss = batch_gen_loss(&mut tape, &cfg, u, layout, None);
    assert_eq!(tape.value(loss).item(), 1.0);
}

#[test]
fn the_list_term_uses_the_width_temperature() {
    // 128-bit codes: anchor a = all +1, its neighbour n = half −1 (similarity 0),
    // a non-neighbour f = all +1 (similarity 128). The logits are sim/(2·T·128):
    // 0 for n and 1/(2T) for f; the anchor's own column is masked. Cross-entropy:
    // ln(e^(1/(2T)) + 1) − 0. T = 0.0425 for 784-d inputs (0.85× list_temp
    // 0.05), 0.035 for 384-d ones, for which 128 bits are wide (0.7 list_temp).
    let k = 128;
    let (a, f) = (vec![1.0f32; k], vec![1.0f32; k]);
    let n: Vec<f32> = (0..k).map(|j| if j < k / 2 { 1.0 } else { -1.0 }).collect();
    let cfg = SigahConfig {
        architecture: Architecture { bits: k, ..Default::default() },
        neighbours: NeighbourTerms { lambda_list: 1.0, ..Default::default() },
        ..Default::default()
    };
    for (input_dim, t) in [(784, 0.0425f32), (384, 0.035)] {
        let mut tape = Tape::new();
        let codes = tape.constant(Tensor::new(3, k, [a.clone(), n.clone(), f.clone()].concat()));
        let l = ListTargets {
            target: Tensor::new(1, 3, vec![0.0, 1.0, 0.0]),
            mask: Tensor::new(1, 3, vec![-1e30, 0.0, 0.0]),
            weight: Tensor::new(1, 1, vec![1.0]),
            active: 1,
            temperature: cfg.list_temperature(input_dim),
        };
        let loss = list_loss(&mut tape, &cfg, codes, &l, 0, 1);
        let want = ((1.0f32 / (2.0 * t)).exp() + 1.0).ln();
        let got = tape.value(loss).item();
        assert!((got - want).abs() < 1e-4, "{input_dim}-d: {got} vs {want}");
    }
}

#[test]
fn the_reconstruction_term_takes_the_width_weight() {
    // x − x̃ = 1 in every one of 2 × 2 entries: mse = 4 / (2·2) = 1, so the term
    // is the weight itself: lambda_rec up to 64 bits, 3× past 64, 6× past 64
    // where the code has a bit per 4 input dimensions.
    let term_at = |bits, input_dim| {
        let mut tape = Tape::new();
        let x = tape.constant(Tensor::new(2, 2, vec![1.0; 4]));
        let x_fake = tape.constant(Tensor::zeros(2, 2));
        let s = tape.constant(Tensor::zeros(2, bits));
        let g = GenVars { params: Vec::new(), s, u: s, x_fake };
        let cfg = SigahConfig {
            architecture: Architecture { bits, ..Default::default() },
            loss: Loss { lambda_rec: 0.5, ..Default::default() },
            ..Default::default()
        };
        let l = shard_gen_loss(&mut tape, &cfg, None, x, &g, 2, input_dim);
        (tape.value(l.loss).item(), tape.value(l.recon).item())
    };
    assert_eq!(term_at(64, 64), (0.5, 1.0));
    assert_eq!(term_at(128, 784), (1.5, 1.0));
    assert_eq!(term_at(128, 512), (3.0, 1.0));
}
