//! The sharded step computes the gradients of the one-tape loss: the same
//! batch's loss built whole on one tape (the encoder on every row, the decoder
//! and the row terms on the anchors, the batch terms on its own `u`) gives the
//! same gradients, to float rounding (the shards sum in another order).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::model::SigahConfig;
use crate::model::{Architecture, NeighbourTerms};
use crate::train::loss::batch_gen_loss;
use crate::train::sampler::NeighbourSampler;
use crate::train::Trainer;

fn data(n: usize, d: usize) -> Tensor {
    // Deterministic, irregular values (a clustered-free cloud is enough here).
    Tensor::new(n, d, (0..n * d).map(|i| ((i * 7919 % 1013) as f32 / 1013.0 - 0.5) * (1 + i % 3) as f32).collect())
}

fn close(a: &Tensor, b: &Tensor, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    let scale = b.data.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    for (k, (x, y)) in a.data.iter().zip(&b.data).enumerate() {
        assert!((x - y).abs() <= 1e-4 * scale, "{what}[{k}]: sharded {x}, one tape {y} (scale {scale})");
    }
}

#[test]
fn shards_give_the_one_tape_gradients() {
    let x = data(300, 12);
    // Every neighbour term on, and a
    // batch of 70 anchors: three shards, the last one short.
    let cfg = SigahConfig {
        architecture: Architecture { bits: 16, hidden: vec![24], disc_hidden: 10, ..Default::default() },
        neighbours: NeighbourTerms { list_k: 20, rank_pos: 10, ..Default::default() },
        ..Default::default()
    };
    let trainer = Trainer::new(&x, &cfg).unwrap();
    let mut model = trainer.model().clone();
    model.summary.margin = Some(0.7);
    let sampler = NeighbourSampler::new(&x, &model.preprocess, &cfg);
    let idx: Vec<usize> = (0..70).map(|i| (i * 37) % 300).collect();
    let mut rows = Vec::new();
    let layout = sampler.rows(&idx, x.rows, &mut ChaCha8Rng::seed_from_u64(3), &mut rows);
    assert_eq!(layout, BatchLayout { anchors: 70, pair: true, rank: true });
    let list = sampler.list_targets(&rows, idx.len(), None);
    assert!(list.is_some());
    let b = BatchRef { data: &x, rows: &rows, layout, list: list.as_ref() };

    let mut stepper = Stepper::default();
    stepper.load(&model, &b);
    assert_eq!(stepper.shards.len(), 3);
    let (out, grads) = stepper.gen_step(&model, &cfg, &b, true);
    // The first D step ran inside the G step; a fresh one on the same batch and
    // weights is the same computation.
    let (dout, dgrads) = stepper.disc_result();
    let (again, again_grads) = stepper.disc_step(&model);
    assert_eq!((dout.loss, dout.energy_real, dout.energy_fake), (again.loss, again.energy_real, again.energy_fake));
    assert_eq!(dgrads, again_grads);

    // The same loss on one tape.
    let xb = model.preprocess.batch(&x, &rows);
    let mut tape = Tape::new();
    let xv = tape.constant_from(&xb);
    let gv = generator(&mut tape, &model.gen, &model.layout, &cfg, xv, 70, true);
    assert_eq!(tape.value(gv.x_fake).rows, 70, "only the anchors are decoded");
    let disc = leaves(&mut tape, &model.disc, false);
    let x_anchors = tape.constant_rows_from(&xb, 0, 70);
    let gl = shard_gen_loss(&mut tape, &cfg, Some(&disc), x_anchors, &gv, 70, model.preprocess.dim());
    let bl = batch_gen_loss(&mut tape, &cfg, gv.u, layout, list.as_ref());
    let loss = tape.add(gl.loss, bl);
    let want = tape.value(loss).item() as f64;
    assert!((out.loss - want).abs() <= 1e-4 * want.abs(), "loss {} vs {want}", out.loss);
    tape.backward(loss);
    for (p, g) in gv.params.iter().zip(&grads) {
        close(g.as_ref().expect("every generator parameter gets a gradient"), tape.grad(*p).unwrap(), "gen");
    }
    let fake = tape.value(gv.x_fake).clone();

    let mut tape = Tape::new();
    let xv = tape.constant_rows_from(&xb, 0, 70);
    let fv = tape.constant(fake);
    let dv = leaves(&mut tape, &model.disc, true);
    let dl = disc_loss(&mut tape, &dv, xv, fv, Some(0.7), 70);
    let want = tape.value(dl.loss).item() as f64;
    assert!((dout.loss - want).abs() <= 1e-4 * want.abs(), "L_D {} vs {want}", dout.loss);
    tape.backward(dl.loss);
    for (p, g) in dv.iter().zip(&dgrads) {
        close(g.as_ref().unwrap(), tape.grad(*p).unwrap(), "disc");
    }
}

#[test]
fn shard_cut_follows_the_anchors_and_their_sections() {
    let x = data(100, 6);
    let cfg = SigahConfig {
        architecture: Architecture { bits: 8, hidden: vec![8], disc_hidden: 4, ..Default::default() },
        ..Default::default()
    };
    let model = Trainer::new(&x, &cfg).unwrap().model().clone();
    let cut = |layout: BatchLayout| {
        let rows: Vec<usize> = (0..layout.rows()).map(|i| i % 100).collect();
        let mut stepper = Stepper::default();
        stepper.load(&model, &BatchRef { data: &x, rows: &rows, layout, list: None });
        stepper.shards.iter().map(|s| s.pos.clone()).collect::<Vec<_>>()
    };
    // 100 anchors in two sections, SHARD_ROWS / 2 = 64 anchors a shard: shard 0
    // holds anchors 0..64 and their pair rows 100..164, shard 1 the rest.
    let want0: Vec<usize> = (0..64).chain(100..164).collect();
    let want1: Vec<usize> = (64..100).chain(164..200).collect();
    assert_eq!(cut(BatchLayout { anchors: 100, pair: true, rank: false }), vec![want0, want1]);
    // A plain batch: 128 rows a shard.
    let plain: Vec<Vec<usize>> = vec![(0..128).collect(), (128..256).collect(), (256..300).collect()];
    assert_eq!(cut(BatchLayout::plain(300)), plain);
    // The default layout (four sections): 32 anchors, 128 rows a shard.
    let four = cut(BatchLayout { anchors: 64, pair: true, rank: true });
    assert_eq!(four.len(), 2);
    assert_eq!(four[1], (32..64).chain(96..128).chain(160..192).chain(224..256).collect::<Vec<_>>());
}
