//! End-to-end tests of the SiGAH model: training on small synthetic data,
//! determinism, resume, the model file and encoding. Every run is tiny (well
//! under a second each in the dev profile).

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sigah_core::io::stfile;
use sigah_core::model::{Architecture, Loss, NeighbourTerms, Optimiser, Training};
use sigah_core::model::{DecoderKind, EpochStats, SigahConfig, SigahModel};
use sigah_core::train::{CheckpointOptions, Silent, TrainObserver};
use sigah_core::{Error, Tensor};

/// `n` points around 8 random centres in `d` dimensions.
fn clustered(n: usize, d: usize, seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f32>> = (0..8).map(|_| (0..d).map(|_| rng.random::<f32>() * 10.0 - 5.0).collect()).collect();
    let mut data = Vec::with_capacity(n * d);
    for i in 0..n {
        let c = &centres[i % 8];
        data.extend(c.iter().map(|&v| v + rng.random::<f32>() - 0.5));
    }
    Tensor::new(n, d, data)
}

fn tiny() -> SigahConfig {
    SigahConfig {
        architecture: Architecture { bits: 16, hidden: vec![32], disc_hidden: 16, ..Default::default() },
        optimiser: Optimiser { batch_size: 50, lr_g: 3e-3, lr_d: 1e-3, ..Default::default() },
        training: Training { epochs: 4, ..Default::default() },
        ..Default::default()
    }
}

#[derive(Default)]
struct Record(Vec<EpochStats>);
impl TrainObserver for Record {
    fn epoch_done(&mut self, stats: &EpochStats, _terms: &sigah_core::model::LossTerms) -> sigah_core::Result<()> {
        self.0.push(stats.clone());
        Ok(())
    }
}

fn train(data: &Tensor, cfg: &SigahConfig, opts: &CheckpointOptions) -> (SigahModel, Vec<EpochStats>) {
    let mut rec = Record::default();
    let m = SigahModel::train(data, cfg, opts, &mut rec).unwrap();
    (m, rec.0)
}

fn bytes(model: &SigahModel, dir: &Path, name: &str) -> Vec<u8> {
    let p = dir.join(name);
    model.save(&p).unwrap();
    std::fs::read(p).unwrap()
}

#[test]
fn training_reduces_the_loss_and_gives_balanced_codes() {
    let data = clustered(400, 24, 1);
    let cfg = SigahConfig { training: Training { epochs: 12, ..tiny().training }, ..tiny() };
    let (model, stats) = train(&data, &cfg, &CheckpointOptions::default());
    assert_eq!(stats.len(), 12);
    let (first, last) = (&stats[0], &stats[11]);
    assert!(last.recon_mse < 0.7 * first.recon_mse, "reconstruction {} -> {}", first.recon_mse, last.recon_mse);
    assert!(last.loss_g < first.loss_g, "L_G {} -> {}", first.loss_g, last.loss_g);
    assert!(first.margin.is_some() && last.energy_real.is_some(), "the margin is fixed after epoch 1");
    assert_eq!(first.margin, last.margin, "the margin stays fixed");
    // Codes on the training data use every bit in both states.
    let codes = model.encode(&data).unwrap();
    for j in 0..16 {
        let ones = (0..codes.len()).filter(|&i| codes.bit(i, j)).count();
        assert!((40..=360).contains(&ones), "bit {j} is set in {ones} of 400 codes");
    }
    assert!(last.bit_imbalance < 0.6, "imbalance {}", last.bit_imbalance);
    // Points of one cluster mostly share their code; different clusters differ.
    let dist = |a: usize, b: usize| (0..16).filter(|&j| codes.bit(a, j) != codes.bit(b, j)).count();
    let same: usize = (0..50).map(|i| dist(i, i + 8)).sum();
    let other: usize = (0..50).map(|i| dist(i, i + 1)).sum();
    assert!(same * 2 < other, "within-cluster distance {same} vs across {other}");
}

#[test]
fn ablations_train_too() {
    let data = clustered(200, 12, 2);
    for cfg in [
        SigahConfig { loss: Loss { adversarial: false, ..tiny().loss }, ..tiny() },
        SigahConfig {
            architecture: Architecture { decoder: DecoderKind::Linear, ..tiny().architecture.clone() },
            ..tiny()
        },
        SigahConfig {
            architecture: Architecture { hidden: vec![24, 24], ..tiny().architecture.clone() },
            loss: Loss { margin: Some(0.5), ..tiny().loss },
            training: Training { d_steps: 2, g_steps: 2, ..tiny().training },
            ..tiny()
        },
        // The input projection and the listwise term: the file holds the projection.
        SigahConfig {
            architecture: Architecture { input_pca: 6, ..tiny().architecture.clone() },
            neighbours: NeighbourTerms { lambda_list: 1.0, list_k: 20, ..tiny().neighbours },
            ..tiny()
        },
    ] {
        let (model, stats) = train(&data, &cfg, &CheckpointOptions::default());
        assert!(stats.last().unwrap().recon_mse < stats[0].recon_mse, "{cfg:?}");
        assert_eq!(stats[0].loss_d.is_some(), cfg.loss.adversarial);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        model.save(&p).unwrap();
        let loaded = SigahModel::load(&p).unwrap();
        assert_eq!(loaded, model);
        assert_eq!(loaded.preprocess.out_dim(), if cfg.architecture.input_pca < 12 { 6 } else { 12 });
        assert_eq!(loaded.encode(&data).unwrap(), model.encode(&data).unwrap());
    }
}

#[test]
fn same_seed_gives_byte_identical_model_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = clustered(200, 12, 3);
    let (a, _) = train(&data, &tiny(), &CheckpointOptions::default());
    let (b, _) = train(&data, &tiny(), &CheckpointOptions::default());
    let (c, _) = train(
        &data,
        &SigahConfig { training: Training { seed: 7, ..tiny().training }, ..tiny() },
        &CheckpointOptions::default(),
    );
    let (ba, bb, bc) = (bytes(&a, dir.path(), "a"), bytes(&b, dir.path(), "b"), bytes(&c, dir.path(), "c"));
    assert_eq!(ba, bb);
    assert_ne!(ba, bc, "another seed gives another model");
}

#[test]
fn resumed_training_equals_uninterrupted_training() {
    let dir = tempfile::tempdir().unwrap();
    let data = clustered(200, 12, 4);
    let (full, _) = train(&data, &tiny(), &CheckpointOptions::default());
    let ckpt: PathBuf = dir.path().join("ckpt.safetensors");
    let opts = CheckpointOptions { checkpoint: Some(ckpt.clone()), checkpoint_every: 1, resume: None };
    let (half, _) = train(&data, &SigahConfig { training: Training { epochs: 2, ..tiny().training }, ..tiny() }, &opts);
    assert_eq!(half.summary.epochs, 2);
    let resume = CheckpointOptions { resume: Some(ckpt.clone()), ..Default::default() };
    let (resumed, stats) = train(&data, &tiny(), &resume);
    assert_eq!(stats.iter().map(|s| s.epoch).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(bytes(&full, dir.path(), "full"), bytes(&resumed, dir.path(), "resumed"));

    // Resuming with another config or other data is refused.
    let e = SigahModel::train(
        &data,
        &SigahConfig { optimiser: Optimiser { lr_g: 0.1, ..tiny().optimiser }, ..tiny() },
        &resume,
        &mut Silent,
    )
    .unwrap_err();
    assert!(e.to_string().contains("another config"), "{e}");
    let other = clustered(200, 12, 5);
    let e = SigahModel::train(&other, &tiny(), &resume, &mut Silent).unwrap_err();
    assert!(e.to_string().contains("other data"), "{e}");
}

#[test]
fn divergence_stops_with_the_epoch_and_batch_and_keeps_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = clustered(200, 12, 6);
    let ckpt = dir.path().join("ckpt.safetensors");
    let opts = CheckpointOptions { checkpoint: Some(ckpt.clone()), checkpoint_every: 1, resume: None };
    train(&data, &SigahConfig { training: Training { epochs: 1, ..tiny().training }, ..tiny() }, &opts);
    let good = std::fs::read(&ckpt).unwrap();
    // A fresh run with an absurd learning rate, checkpointing to the same path.
    let cfg = SigahConfig { optimiser: Optimiser { lr_g: 1e30, lr_d: 1e30, ..tiny().optimiser }, ..tiny() };
    let err = SigahModel::train(&data, &cfg, &opts, &mut Silent).unwrap_err();
    match &err {
        Error::NonFinite { epoch, batch, what, .. } => {
            assert_eq!(*epoch, 1, "{err}");
            // Batch 1 already diverges: its D step blows up D before the G step.
            assert!(*batch >= 1, "{err}");
            assert!(what == "L_G" || what == "L_D", "{err}");
        }
        e => panic!("expected NonFinite, got {e}"),
    }
    assert_eq!(std::fs::read(&ckpt).unwrap(), good, "the last good checkpoint is kept");
}

#[test]
fn bad_inputs_are_rejected_with_clear_errors() {
    let mut data = clustered(100, 12, 7);
    data.data[5 * 12 + 3] = f32::NAN;
    let e = SigahModel::train(&data, &tiny(), &CheckpointOptions::default(), &mut Silent).unwrap_err().to_string();
    assert!(e.contains("row 5") && e.contains("NaN"), "{e}");
    let e = SigahModel::train(
        &data,
        &SigahConfig { architecture: Architecture { bits: 12, ..tiny().architecture.clone() }, ..tiny() },
        &CheckpointOptions::default(),
        &mut Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("bits"), "{e}");
    let good = clustered(100, 12, 7);
    let (model, _) = train(
        &good,
        &SigahConfig { training: Training { epochs: 1, ..tiny().training }, ..tiny() },
        &CheckpointOptions::default(),
    );
    let e = model.encode(&Tensor::zeros(3, 11)).unwrap_err().to_string();
    assert!(e.contains("dimension 12") && e.contains("dimension 11"), "{e}");
}

/// Rewrites a model file with `edit` applied to its metadata and tensors.
fn tamper(src: &Path, dst: &Path, edit: impl FnOnce(&mut stfile::StFile)) {
    let mut f = stfile::read(src).unwrap();
    edit(&mut f);
    let tensors: Vec<(String, Vec<usize>, &[f32])> =
        f.tensors.iter().map(|(n, t)| (n.clone(), t.shape.clone(), &t.data[..])).collect();
    stfile::write(dst, &tensors, &f.metadata).unwrap();
}

#[test]
fn loading_checks_version_and_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let data = clustered(100, 12, 8);
    let (model, _) = train(
        &data,
        &SigahConfig { training: Training { epochs: 1, ..tiny().training }, ..tiny() },
        &CheckpointOptions::default(),
    );
    let p = dir.path().join("m.safetensors");
    model.save(&p).unwrap();
    let loaded = SigahModel::load(&p).unwrap();
    assert_eq!(loaded, model);
    assert_eq!(loaded.encode(&data).unwrap(), model.encode(&data).unwrap());

    let q = dir.path().join("bad.safetensors");
    tamper(&p, &q, |f| {
        f.metadata.insert("format_version".into(), "4".into());
    });
    let e = SigahModel::load(&q).unwrap_err().to_string();
    assert!(e.contains("bad.safetensors") && e.contains("version 4") && e.contains("newer"), "{e}");

    tamper(&p, &q, |f| {
        let t = f.tensors.get_mut("encoder.0.weight").unwrap();
        t.shape = vec![12, 32];
    });
    let e = SigahModel::load(&q).unwrap_err().to_string();
    assert!(e.contains("encoder.0.weight") && e.contains("[12, 32]") && e.contains("[32, 12]"), "{e}");

    tamper(&p, &q, |f| {
        f.tensors.remove("decoder.phi");
    });
    let e = SigahModel::load(&q).unwrap_err().to_string();
    assert!(e.contains("decoder.phi") && e.contains("missing"), "{e}");

    tamper(&p, &q, |f| {
        f.metadata.insert("format".into(), "something-else".into());
    });
    assert!(SigahModel::load(&q).unwrap_err().to_string().contains("something-else"));

    // A projection stored without input_pca in the config (or of the wrong shape).
    let (projected, _) = train(
        &data,
        &SigahConfig {
            architecture: Architecture { input_pca: 6, ..tiny().architecture.clone() },
            training: Training { epochs: 1, ..tiny().training },
            ..tiny()
        },
        &CheckpointOptions::default(),
    );
    let pp = dir.path().join("proj.safetensors");
    projected.save(&pp).unwrap();
    tamper(&pp, &q, |f| {
        let t = f.tensors.get_mut("preprocess.proj").unwrap();
        t.shape = vec![12, 5];
        t.data.truncate(60);
    });
    let e = SigahModel::load(&q).unwrap_err().to_string();
    assert!(e.contains("preprocess.proj") && e.contains("[12, 5]"), "{e}");
    tamper(&pp, &q, |f| {
        let c = f.metadata["config"].replace("\"input_pca\":6", "\"input_pca\":0");
        f.metadata.insert("config".into(), c);
    });
    let e = SigahModel::load(&q).unwrap_err().to_string();
    assert!(e.contains("input projection") && e.contains("input_pca is 0"), "{e}");

    std::fs::write(&q, b"not a model").unwrap();
    assert!(SigahModel::load(&q).unwrap_err().to_string().contains("bad.safetensors"));
}

#[test]
fn encoding_is_the_sign_of_u_and_independent_of_threads() {
    let data = clustered(2500, 12, 9); // three encoder blocks
    let (model, _) = train(
        &data,
        &SigahConfig {
            architecture: Architecture { bits: 72, ..tiny().architecture.clone() },
            training: Training { epochs: 1, ..tiny().training },
            ..tiny()
        },
        &CheckpointOptions::default(),
    );
    let u = model.code_values(&data).unwrap();
    let codes = model.encode(&data).unwrap();
    assert_eq!((codes.len(), codes.bits()), (2500, 72));
    for i in 0..2500 {
        for j in 0..72 {
            assert_eq!(codes.bit(i, j), u.at(i, j) > 0.0, "code {i} bit {j}");
        }
    }
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    let c1 = one.install(|| model.encode(&data).unwrap());
    let c3 = three.install(|| model.encode(&data).unwrap());
    assert_eq!(c1, codes);
    assert_eq!(c3, codes);
}

#[test]
fn python_safetensors_loads_the_model_file() {
    let Some(python) = std::env::var_os("SIGAH_PYTHON") else {
        assert!(std::env::var_os("CI").is_none(), "SIGAH_PYTHON must be set in CI");
        eprintln!("skipped: SIGAH_PYTHON is not set (benches/reference/setup.sh creates it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = clustered(100, 12, 10);
    let (model, _) = train(
        &data,
        &SigahConfig { training: Training { epochs: 1, ..tiny().training }, ..tiny() },
        &CheckpointOptions::default(),
    );
    let p = dir.path().join("m.safetensors");
    model.save(&p).unwrap();
    let script = r#"
import json, sys
from safetensors.numpy import load_file
from safetensors import safe_open
t = load_file(sys.argv[1])
with safe_open(sys.argv[1], "np") as f:
    meta = f.metadata()
print(json.dumps({"shapes": {k: list(v.shape) for k, v in t.items()},
                  "w00": float(t["encoder.0.weight"][0, 0]), "meta": meta}))
"#;
    let out = std::process::Command::new(python).arg("-c").arg(script).arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["shapes"]["encoder.0.weight"], serde_json::json!([32, 12]));
    assert_eq!(v["shapes"]["encoder.0.bias"], serde_json::json!([32]));
    assert_eq!(v["shapes"]["preprocess.mean"], serde_json::json!([12]));
    assert_eq!(v["w00"].as_f64().unwrap() as f32, model.gen.tensors[0].data[0]);
    assert_eq!(v["meta"]["format"], "sigah-model");
    assert_eq!(v["meta"]["bits"], "16");
    assert_eq!(v["meta"]["format_version"], "3");
    let cfg: SigahConfig = serde_json::from_str(v["meta"]["config"].as_str().unwrap()).unwrap();
    assert_eq!(cfg, model.config);
}

/// `f` on a rayon pool of `threads` threads.
fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

#[test]
fn the_thread_count_does_not_change_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = clustered(400, 12, 6);
    // 100 anchors a batch (four shards, the last one short), trained on a
    // 300-row sample of the 400, with every default neighbour term.
    let cfg = SigahConfig {
        optimiser: Optimiser { batch_size: 100, ..tiny().optimiser },
        training: Training { train_size: 300, epochs: 3, ..tiny().training },
        ..tiny()
    };
    let run = |t: usize| with_threads(t, || train(&data, &cfg, &CheckpointOptions::default()).0);
    let one = run(1);
    assert_eq!(one.summary.train_vectors, 300);
    let one = bytes(&one, dir.path(), "1");
    assert_eq!(one, bytes(&run(2), dir.path(), "2"));
    assert_eq!(one, bytes(&run(3), dir.path(), "3"));
}

#[test]
fn resuming_on_two_threads_equals_one_uninterrupted_thread() {
    let dir = tempfile::tempdir().unwrap();
    let data = clustered(300, 12, 7);
    let cfg = SigahConfig { optimiser: Optimiser { batch_size: 100, ..tiny().optimiser }, ..tiny() };
    let full = with_threads(1, || train(&data, &cfg, &CheckpointOptions::default()).0);
    let ckpt: PathBuf = dir.path().join("ckpt.safetensors");
    let opts = CheckpointOptions { checkpoint: Some(ckpt.clone()), checkpoint_every: 1, resume: None };
    with_threads(2, || {
        train(&data, &SigahConfig { training: Training { epochs: 1, ..cfg.training }, ..cfg.clone() }, &opts)
    });
    let resume = CheckpointOptions { resume: Some(ckpt), ..Default::default() };
    let resumed = with_threads(2, || train(&data, &cfg, &resume).0);
    assert_eq!(bytes(&full, dir.path(), "full"), bytes(&resumed, dir.path(), "resumed"));
}
