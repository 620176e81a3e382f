//! `sigah train`, `sigah encode` and `sigah info`: the real binary on real files in
//! a temporary folder. Training runs are tiny (a few hundred 16-d vectors).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sigah(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).output().expect("runs the binary")
}

fn ok(args: &[&str]) -> String {
    let out = sigah(args);
    assert!(out.status.success(), "sigah {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with exit code 2 and one line on stderr.
fn fails(args: &[&str]) -> String {
    let out = sigah(args);
    assert_eq!(out.status.code(), Some(2), "sigah {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("sigah: error: ") && err.trim_end().lines().count() == 1, "{err}");
    err
}

/// Rows of a simple clustered data set.
fn rows(n: usize, d: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|i| {
            (0..d)
                .map(|j| {
                    ((i % 4) as f32 * 3.0 + ((i * 31 + j * 17) % 13) as f32 * 0.1) * if j % 2 == 0 { 1.0 } else { -1.0 }
                })
                .collect()
        })
        .collect()
}

fn fvecs(path: &Path, rows: &[Vec<f32>]) {
    let mut b = Vec::new();
    for r in rows {
        b.extend((r.len() as i32).to_le_bytes());
        r.iter().for_each(|v| b.extend(v.to_le_bytes()));
    }
    std::fs::write(path, b).unwrap();
}

fn npy_f32(path: &Path, rows: &[Vec<f32>]) {
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    sigah_core::io::npy::write(path, &[rows.len(), rows[0].len()], &flat).unwrap();
}

struct Dir(tempfile::TempDir);
impl Dir {
    fn p(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.p(name).display().to_string()
    }
}

fn setup() -> Dir {
    let dir = Dir(tempfile::tempdir().unwrap());
    fvecs(&dir.p("train.fvecs"), &rows(300, 16));
    std::fs::write(
        dir.p("tiny.toml"),
        "bits = 16\nhidden = [32]\ndisc_hidden = 16\nbatch_size = 64\nepochs = 3\nlr_g = 0.003\n",
    )
    .unwrap();
    dir
}

fn train_args<'a>(d: &'a Dir, out: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut a: Vec<String> =
        ["train", "--data", &d.s("train.fvecs"), "--config", &d.s("tiny.toml"), "--out", out, "--quiet"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn run_train(d: &Dir, out: &str, extra: &[&str]) {
    let a = train_args(d, out, extra);
    ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn train_encode_info_round_trip() {
    let d = setup();
    let (model, log) = (d.s("m.safetensors"), d.s("log.jsonl"));
    run_train(&d, &model, &["--bits", "24", "--seed", "5", "--log", &log, "--threads", "2"]);
    // One JSON line per epoch with the documented statistics, and one per phase
    // with its seconds, in the order they ran.
    let log = std::fs::read_to_string(&log).unwrap();
    let all: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let phases: Vec<&str> = all.iter().filter_map(|l| l.get("phase").and_then(|p| p.as_str())).collect();
    assert_eq!(phases, ["loading", "preprocess", "itq start", "knn graph", "training", "writing"]);
    assert!(all.iter().filter(|l| l.get("phase").is_some()).all(|l| l["seconds"].as_f64().is_some_and(|s| s >= 0.0)));
    let lines: Vec<&serde_json::Value> = all.iter().filter(|l| l.get("epoch").is_some()).collect();
    assert_eq!(lines.len(), 3);
    for key in ["epoch", "loss_d", "loss_g", "energy_real", "energy_fake", "recon_mse", "bit_imbalance"] {
        assert!(lines[2].get(key).is_some(), "{key} missing from {}", lines[2]);
    }
    // Every generator loss term by name (all on by default); they add up to L_G.
    let terms = lines[2]["terms"].as_object().unwrap();
    let names: Vec<&str> = terms.keys().map(String::as_str).collect();
    assert_eq!(names, ["balance", "energy", "list", "pair", "rank", "reconstruction"]);
    let sum: f64 = terms.values().map(|v| v.as_f64().unwrap()).sum();
    let loss_g = lines[2]["loss_g"].as_f64().unwrap();
    assert!((sum - loss_g).abs() <= 1e-4 * loss_g.abs().max(1.0), "{sum} vs {loss_g}");
    // info: the flag overrides the file (24 bits), the rest comes from the file.
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", &model, "--json"])).unwrap();
    assert_eq!((info["bits"].as_u64(), info["d"].as_u64()), (Some(24), Some(16)));
    assert_eq!(info["config"]["training"]["seed"], 5);
    assert_eq!(info["config"]["architecture"]["hidden"], serde_json::json!([32]));
    assert_eq!(info["training"]["epochs"], 3);
    let text = ok(&["info", &model]);
    assert!(text.contains("bits: 24") && text.contains("d: 16"), "{text}");

    // Encode fvecs and npy input: the same uint8 [n, 3] codes.
    npy_f32(&d.p("q.npy"), &rows(300, 16));
    ok(&["encode", "--model", &model, "--data", &d.s("train.fvecs"), "--out", &d.s("a.npy"), "--quiet"]);
    ok(&["encode", "--model", &model, "--data", &d.s("q.npy"), "--out", &d.s("b.npy"), "--quiet"]);
    let (shape, a) = sigah_core::io::npy::read::<u8>(&d.p("a.npy")).unwrap();
    assert_eq!(shape, vec![300, 3]);
    assert_eq!(sigah_core::io::npy::read::<u8>(&d.p("b.npy")).unwrap().1, a);
    // The bytes follow `core/src/codes.rs`: bit j of code i = (byte[j/8] >> (j%8)) & 1.
    let m = sigah_core::model::SigahModel::load(&d.p("m.safetensors")).unwrap();
    let codes = m.encode(&sigah_core::io::vectors::load_vectors(&d.p("train.fvecs")).unwrap()).unwrap();
    for i in [0, 17, 299] {
        for j in 0..24 {
            assert_eq!((a[i * 3 + j / 8] >> (j % 8)) & 1 == 1, codes.bit(i, j));
        }
    }
    let text = ok(&["info", &d.s("a.npy")]);
    assert!(text.contains("300 codes of 24 bits"), "{text}");
}

#[test]
fn same_seed_and_threads_give_identical_files_and_resume_continues_exactly() {
    let d = setup();
    run_train(&d, &d.s("a.safetensors"), &["--threads", "1"]);
    run_train(&d, &d.s("b.safetensors"), &["--threads", "1"]);
    let a = std::fs::read(d.p("a.safetensors")).unwrap();
    assert_eq!(a, std::fs::read(d.p("b.safetensors")).unwrap());
    // 1 epoch with a checkpoint, then resume to 3: the same model as 3 straight.
    let ckpt = d.s("c.ckpt");
    run_train(
        &d,
        &d.s("half.safetensors"),
        &["--threads", "1", "--epochs", "1", "--checkpoint-every", "1", "--checkpoint", &ckpt],
    );
    ok(&[
        "train",
        "--data",
        &d.s("train.fvecs"),
        "--resume",
        &ckpt,
        "--epochs",
        "3",
        "--out",
        &d.s("r.safetensors"),
        "--quiet",
        "--threads",
        "1",
    ]);
    assert_eq!(a, std::fs::read(d.p("r.safetensors")).unwrap());
}

#[test]
fn errors_name_the_file_the_row_and_the_problem() {
    let d = setup();
    let model = d.s("m.safetensors");
    // Truncated last row.
    let mut bytes = std::fs::read(d.p("train.fvecs")).unwrap();
    bytes.truncate(bytes.len() - 6);
    std::fs::write(d.p("cut.fvecs"), &bytes).unwrap();
    let e = fails(&["train", "--data", &d.s("cut.fvecs"), "--out", &model, "--quiet"]);
    assert!(e.contains("cut.fvecs") && e.contains("row 299"), "{e}");
    // A row of another dimension.
    let mut r = rows(10, 16);
    r[4].pop();
    fvecs(&d.p("ragged.fvecs"), &r);
    let e = fails(&["train", "--data", &d.s("ragged.fvecs"), "--out", &model, "--quiet"]);
    assert!(e.contains("ragged.fvecs") && e.contains("row 4"), "{e}");
    // NaN.
    let mut r = rows(10, 16);
    r[7][3] = f32::NAN;
    npy_f32(&d.p("nan.npy"), &r);
    let e = fails(&["train", "--data", &d.s("nan.npy"), "--out", &model, "--quiet"]);
    assert!(e.contains("nan.npy") && e.contains("row 7") && e.contains("NaN"), "{e}");
    // Bad config values and files.
    let e = fails(&["train", "--data", &d.s("train.fvecs"), "--bits", "12", "--out", &model, "--quiet"]);
    assert!(e.contains("bits"), "{e}");
    std::fs::write(d.p("typo.json"), r#"{"epocs": 3}"#).unwrap();
    let e = fails(&["train", "--data", &d.s("train.fvecs"), "--config", &d.s("typo.json"), "--out", &model]);
    assert!(e.contains("typo.json") && e.contains("epocs"), "{e}");
    // Data of another dimension than the model's.
    run_train(&d, &model, &[]);
    fvecs(&d.p("d8.fvecs"), &rows(5, 8));
    let e = fails(&["encode", "--model", &model, "--data", &d.s("d8.fvecs"), "--out", &d.s("x.npy")]);
    assert!(e.contains("d8.fvecs") && e.contains("dimension 8") && e.contains("dimension 16"), "{e}");
    // Not a model.
    let e = fails(&["info", &d.s("tiny.toml")]);
    assert!(e.contains("tiny.toml"), "{e}");
    assert!(!d.p("x.npy").exists(), "no output on error");
}

#[test]
fn search_with_a_model_encodes_the_query_vectors_like_encode_does() {
    let d = setup();
    let model = d.s("m.safetensors");
    run_train(&d, &model, &["--bits", "16", "--seed", "3"]);
    fvecs(&d.p("q.fvecs"), &rows(20, 16));
    ok(&["encode", "--model", &model, "--data", &d.s("train.fvecs"), "--out", &d.s("base.npy"), "--quiet"]);
    ok(&["encode", "--model", &model, "--data", &d.s("q.fvecs"), "--out", &d.s("q.npy"), "--quiet"]);
    // Two routes to the same query codes must give the same neighbours.
    ok(&["search", "--index", &d.s("base.npy"), "--queries", &d.s("q.npy"), "--k", "7", "--out", &d.s("a"), "--quiet"]);
    let via_model = [
        "search",
        "--index",
        &d.s("base.npy"),
        "--model",
        &model,
        "--query-vectors",
        &d.s("q.fvecs"),
        "--k",
        "7",
        "--out",
        &d.s("b"),
        "--quiet",
    ];
    ok(&via_model);
    for suffix in [".ids.npy", ".dist.npy"] {
        let a = std::fs::read(d.p(&format!("a{suffix}"))).unwrap();
        let b = std::fs::read(d.p(&format!("b{suffix}"))).unwrap();
        assert_eq!(a, b, "{suffix} differs between --queries and --model");
    }
    let (shape, ids) = sigah_core::io::npy::read::<i64>(&d.p("b.ids.npy")).unwrap();
    assert_eq!(shape, vec![20, 7]);
    assert!(ids.iter().all(|&i| (0..300).contains(&i)));
    // Query vectors of another dimension than the model: one clear error.
    fvecs(&d.p("q8.fvecs"), &rows(5, 8));
    let err = fails(&[
        "search",
        "--index",
        &d.s("base.npy"),
        "--model",
        &model,
        "--query-vectors",
        &d.s("q8.fvecs"),
        "--k",
        "3",
        "--out",
        &d.s("c"),
    ]);
    assert!(err.contains("q8.fvecs") && err.contains("dimension 8"), "{err}");
    assert!(!d.p("c.ids.npy").exists());
}

#[test]
fn train_size_and_steps_bound_the_schedule() {
    // 300 vectors, a 100-row sample in batches of 64: 2 batches an epoch, so 3
    // steps take 2 whole epochs of the 10 asked for.
    let d = setup();
    let model = d.s("m.safetensors");
    let args = ["--train-size", "100", "--steps", "3", "--epochs", "10"];
    // Not quiet: the plan line is the check.
    let a = train_args(&d, &model, &args);
    let out = sigah(&a.iter().map(String::as_str).filter(|&s| s != "--quiet").collect::<Vec<_>>());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("from 100 of 300 x 16 vectors: 2 epochs of 2 batches (4 steps)"), "{err}");
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", &model, "--json"])).unwrap();
    assert_eq!((info["training"]["train_vectors"].as_u64(), info["training"]["epochs"].as_u64()), (Some(100), Some(2)));
    assert_eq!(
        (info["config"]["training"]["train_size"].as_u64(), info["config"]["training"]["max_steps"].as_u64()),
        (Some(100), Some(3))
    );
    // A one-row sample has nothing to learn: one clear error, no model file.
    let one = d.s("one.safetensors");
    let a = train_args(&d, &one, &["--train-size", "1"]);
    let err = fails(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("nothing to learn"), "{err}");
    assert!(!d.p("one.safetensors").exists());
    // The help shows the defaults training uses.
    let help = ok(&["train", "--help"]);
    for want in ["[default: 30]", "[default: 100000]", "[default: 4000]", "[default: 42]", "[default: 256]"] {
        assert!(help.contains(want), "{want} missing from the help");
    }
}

#[test]
fn the_fast_preset_trains_without_the_discriminator() {
    let d = setup();
    let adversarial = |model: &str| {
        let info: serde_json::Value = serde_json::from_str(&ok(&["info", model, "--json"])).unwrap();
        info["config"]["loss"]["adversarial"].as_bool()
    };
    let (full, fast) = (d.s("full.safetensors"), d.s("fast.safetensors"));
    run_train(&d, &full, &[]);
    run_train(&d, &fast, &["--preset", "fast"]);
    assert_eq!((adversarial(&full), adversarial(&fast)), (Some(true), Some(false)));
    // The preset is applied over the file; the other flags still apply after it.
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", &fast, "--json"])).unwrap();
    assert_eq!(info["config"]["architecture"]["hidden"], serde_json::json!([32]));
    // An unknown preset is a usage error (exit 2) naming the choices, and writes nothing.
    let bad = d.s("bad.safetensors");
    let out = sigah(&train_args(&d, &bad, &["--preset", "quick"]).iter().map(String::as_str).collect::<Vec<_>>());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("quick") && err.contains("fast"), "{err}");
    assert!(!d.p("bad.safetensors").exists());
    assert!(ok(&["train", "--help"]).contains("[default: full]"));
}
