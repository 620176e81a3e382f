//! The ITQ-initialised linear skip path (docs/METHOD.md): a fresh model's codes
//! are ITQ's, the encoder outside the tape agrees with the training graph, and
//! the similarity term trains without NaN.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sigah_core::hash::{train_itq, HashFunction};
use sigah_core::model::{graph, Architecture, DecoderKind, Loss, Optimiser, SigahConfig, SigahModel, Training};
use sigah_core::train::{CheckpointOptions, Silent, Trainer};
use sigah_core::{Codes, Tensor};

/// `n` points around 6 random centres in `d` dimensions, anisotropic so PCA has
/// distinct directions.
fn clustered(n: usize, d: usize, seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f32>> = (0..6).map(|_| (0..d).map(|_| rng.random::<f32>() * 10.0 - 5.0).collect()).collect();
    let mut data = Vec::with_capacity(n * d);
    for i in 0..n {
        let c = &centres[i % 6];
        data.extend(c.iter().enumerate().map(|(j, &v)| v + (rng.random::<f32>() - 0.5) * (1.0 + j as f32 / 4.0)));
    }
    Tensor::new(n, d, data)
}

/// How many of the first `bits` bits differ between two code sets of the same rows.
fn bits_differing(ours: &Codes, theirs: &Codes, bits: usize) -> usize {
    (0..ours.len())
        .flat_map(|i| (0..bits).map(move |j| (i, j)))
        .filter(|&(i, j)| ours.bit(i, j) != theirs.bit(i, j))
        .count()
}

fn small(bits: usize) -> SigahConfig {
    SigahConfig {
        architecture: Architecture { bits, hidden: vec![32], disc_hidden: 16, ..Default::default() },
        optimiser: Optimiser { batch_size: 50, ..Default::default() },
        training: Training { epochs: 2, ..Default::default() },
        ..Default::default()
    }
}

#[test]
fn a_fresh_model_encodes_exactly_as_itq() {
    let data = clustered(400, 24, 1);
    // Without an input projection (24 < input_pca), and with one to 20 and to
    // exactly 16 principal directions: ITQ's 16 directions lie in their span.
    let projected = |p: usize| SigahConfig {
        architecture: Architecture { input_pca: p, ..small(16).architecture.clone() },
        ..small(16)
    };
    for cfg in [
        small(16),
        SigahConfig { architecture: Architecture { hidden: vec![], ..small(16).architecture.clone() }, ..small(16) },
        projected(20),
        projected(16),
    ] {
        let trainer = Trainer::new(&data, &cfg).unwrap();
        let (itq, _) = train_itq(&data, 16, cfg.training.seed, 50).unwrap();
        let differ = bits_differing(&trainer.model().encode(&data).unwrap(), &itq.encode(&data).unwrap(), 16);
        // Equal up to values within float rounding of zero (two different
        // summation orders of the same projection).
        assert!(
            differ <= 2,
            "hidden {:?}: {differ} of {} bits differ from ITQ",
            cfg.architecture.hidden,
            16 * data.rows
        );
    }
}

#[test]
fn wider_codes_than_dimensions_take_the_itq_rows_they_can() {
    // 32 bits from 12 dimensions: the first 8 bits are ITQ's, the rest random.
    let data = clustered(300, 12, 2);
    let cfg = small(32);
    let trainer = Trainer::new(&data, &cfg).unwrap();
    let (itq, _) = train_itq(&data, 8, cfg.training.seed, 50).unwrap();
    let differ = bits_differing(&trainer.model().encode(&data).unwrap(), &itq.encode(&data).unwrap(), 8);
    assert!(differ <= 2, "{differ} of the ITQ bits differ");
    // And training runs.
    SigahModel::train(&data, &cfg, &CheckpointOptions::default(), &mut Silent).unwrap();
}

#[test]
fn encoder_agrees_with_the_training_graph_after_training() {
    // lr high enough that both the skip path and the ReLU branch move.
    let data = clustered(300, 20, 3);
    for pca in [0, 12] {
        let cfg = SigahConfig {
            architecture: Architecture { input_pca: pca, ..small(16).architecture.clone() },
            optimiser: Optimiser { lr_g: 3e-3, skip_lr_scale: 0.5, ..small(16).optimiser },
            ..small(16)
        };
        encoder_agrees_with_the_tape(&data, &cfg);
    }
}

fn encoder_agrees_with_the_tape(data: &Tensor, cfg: &SigahConfig) {
    let model = SigahModel::train(data, cfg, &CheckpointOptions::default(), &mut Silent).unwrap();
    assert_eq!(
        model.preprocess.out_dim(),
        if cfg.architecture.input_pca > 0 { cfg.architecture.input_pca } else { data.cols }
    );
    let branch = model.gen.get("encoder.1.weight").unwrap();
    assert!(branch.data.iter().any(|&v| v != 0.0), "the ReLU branch learned");
    let all: Vec<usize> = (0..data.rows).collect();
    let x = model.preprocess.batch(data, &all);
    let mut tape = sigah_core::autodiff::Tape::new();
    let xv = tape.constant(x);
    let g = graph::generator(&mut tape, &model.gen, &model.layout, cfg, xv, data.rows, false);
    let s = tape.value(g.s);
    let u = model.code_values(data).unwrap();
    let codes = model.encode(data).unwrap();
    let mut differ = 0;
    for i in 0..data.rows {
        for j in 0..16 {
            assert_eq!(codes.bit(i, j), u.at(i, j) > 0.0);
            // Bits whose u is within rounding of 0 may differ between the two paths.
            if (s.at(i, j) > 0.0) != codes.bit(i, j) && u.at(i, j).abs() > 1e-4 {
                differ += 1;
            }
        }
    }
    assert_eq!(
        differ, 0,
        "input_pca {}: the tape and the encoder disagree on {differ} bits",
        cfg.architecture.input_pca
    );
}

#[test]
fn the_ablations_train_without_nan() {
    let data = clustered(300, 20, 4);
    let variants = [
        SigahConfig { loss: Loss { adversarial: false, ..small(16).loss }, ..small(16) },
        SigahConfig {
            architecture: Architecture { decoder: DecoderKind::Linear, ..small(16).architecture.clone() },
            ..small(16)
        },
        SigahConfig {
            architecture: Architecture { skip: false, ..small(16).architecture.clone() },
            training: Training { itq_init: false, ..small(16).training },
            ..small(16)
        },
    ];
    for cfg in variants {
        let m = SigahModel::train(&data, &cfg, &CheckpointOptions::default(), &mut Silent).unwrap();
        let last = m.summary.last.clone().unwrap();
        assert!(last.loss_g.is_finite() && last.recon_mse.is_finite(), "{cfg:?}: {last:?}");
    }
    let bad = SigahConfig {
        architecture: Architecture { skip: false, ..small(16).architecture.clone() },
        training: Training { itq_init: true, ..small(16).training },
        ..small(16)
    };
    let e = bad.validate().unwrap_err().to_string();
    assert!(e.contains("itq_init"), "{e}");
}
