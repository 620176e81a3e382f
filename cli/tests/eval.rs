//! `sigah eval` and `sigah demo` run as a user runs them: the real binary on a
//! slice of the shipped MNIST sample in a temporary folder, good input and bad.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sigah(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).output().expect("the sigah binary runs")
}

fn mnist(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist5k").join(name)).unwrap()
}

/// The first `rows` rows of a texmex file of `row_bytes`-byte rows.
fn head(name: &str, rows: usize, row_bytes: usize) -> Vec<u8> {
    mnist(name)[..rows * row_bytes].to_vec()
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// 600 base vectors and 60 queries of mnist5k, with their labels.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let f = Fixture { dir };
        f.write("base.bvecs", &head("base.bvecs", 600, 4 + 784));
        f.write("query.bvecs", &head("query.bvecs", 60, 4 + 784));
        f.write("base_labels.ivecs", &head("base_labels.ivecs", 600, 8));
        f.write("query_labels.ivecs", &head("query_labels.ivecs", 60, 8));
        f
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn arg(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failure is exit code 2 and exactly one line on stderr starting `sigah: error:`.
fn assert_one_line_error(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(err.starts_with("sigah: error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
}

#[test]
fn eval_with_labels_writes_table_report_plots_and_codes() {
    let f = Fixture::new();
    let o = sigah(&[
        "eval",
        "--base",
        &f.arg("base.bvecs"),
        "--queries",
        &f.arg("query.bvecs"),
        "--base-labels",
        &f.arg("base_labels.ivecs"),
        "--query-labels",
        &f.arg("query_labels.ivecs"),
        "--methods",
        "itq,pcah,lsh",
        "--bits",
        "16,32",
        "--threads",
        "2",
        "--report",
        &f.arg("r.json"),
        "--plots",
        &f.arg("plots"),
        "--save-codes",
        &f.arg("codes"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert_eq!(table.lines().count(), 2 + 6, "{table}");
    assert!(table.contains("| label | 32 | itq |"), "{table}");

    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(f.path("r.json")).unwrap()).unwrap();
    // Earlier builds: the report held only `results`; now it says what made them.
    let run = &json["run"];
    assert_eq!(run["sigah_version"], env!("CARGO_PKG_VERSION"), "{run}");
    // Built from a checkout here, so the commit is known (40 hex digits).
    assert_eq!(run["git_commit"].as_str().map(str::len), Some(40), "{run}");
    assert!(run["command_line"].as_array().unwrap().iter().any(|a| a == "--save-codes"), "{run}");
    assert_eq!(run["inputs"][0]["role"], "base");
    assert_eq!(run["inputs"][0]["path"], f.arg("base.bvecs"));
    assert_eq!(run["inputs"][0]["bytes"], 600 * (4 + 784));
    assert_eq!(run["inputs"][3]["role"], "query_labels");
    assert_eq!(run["seed"], sigah_core::model::SigahConfig::default().training.seed);
    assert_eq!(run["threads"], 2);
    assert!(run["isa"].as_str().is_some_and(|s| !s.is_empty()) && run["cores"].as_u64() >= Some(1), "{run}");
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    let itq = results.iter().find(|r| r["method"] == "itq").unwrap();
    assert_eq!(itq["config"]["iterations"], 50, "{itq}");
    for r in results {
        assert_eq!(r["relevance"], "label");
        let map = r["map"].as_f64().unwrap();
        // Ten balanced classes: chance is 0.1; every method does better on MNIST.
        assert!(map > 0.15 && map <= 1.0, "{r}");
        for key in ["p_at_100", "r_at_100", "p_r2", "train_s", "encode_s"] {
            assert!(r[key].as_f64().is_some(), "{key} missing in {r}");
        }
    }
    for m in ["itq", "pcah", "lsh"] {
        for b in [16, 32] {
            let base = std::fs::read(f.path(&format!("codes/{m}_{b}_base.npy"))).unwrap();
            let header = String::from_utf8_lossy(&base[..128]);
            assert!(header.contains(&format!("'shape': (600, {})", b / 8)) && header.contains("|u1"), "{header}");
            assert!(f.path(&format!("codes/{m}_{b}_query.npy")).exists());
        }
    }
    for name in ["pr_label_16.svg", "pr_label_32.svg", "recall_label_16.svg", "recall_label_32.svg"] {
        let svg = std::fs::read_to_string(f.path("plots").join(name)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("lsh"), "{name}");
    }
}

#[test]
fn eval_with_computed_and_given_ground_truth() {
    let f = Fixture::new();
    let common =
        ["--base", &f.arg("base.bvecs"), "--queries", &f.arg("query.bvecs"), "--methods", "lsh", "--bits", "32"];
    let o = sigah(&[&["eval"], &common[..], &["--gt-k", "10", "-q"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("| l2top10 | 32 | lsh |"), "{}", stdout(&o));
    // A gt file: each query's nearest neighbour is base 0..60 (any valid ids work).
    let gt: Vec<u8> = (0..60i32).flat_map(|q| [1, q]).flat_map(i32::to_le_bytes).collect();
    f.write("gt.ivecs", &gt);
    let o = sigah(&[&["eval"], &common[..], &["--gt", &f.arg("gt.ivecs")]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("| l2top1 | 32 | lsh |"), "{}", stdout(&o));
    // Labels and a Euclidean relevance together: one training, both scorings.
    let labels = ["--base-labels", &f.arg("base_labels.ivecs"), "--query-labels", &f.arg("query_labels.ivecs")];
    let o = sigah(&[&["eval"], &common[..], &labels[..], &["--gt-k", "10", "-q"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("| label | 32 | lsh |") && table.contains("| l2top10 | 32 | lsh |"), "{table}");
    // Two Euclidean relevances at once are refused.
    let o = sigah(&[&["eval"], &common[..], &["--gt-k", "10", "--gt", &f.arg("gt.ivecs")]].concat());
    assert_one_line_error(&o, &["at most one of --gt and --gt-k"]);
}

#[test]
fn bad_input_is_one_clear_line_and_exit_2() {
    let f = Fixture::new();
    let labels = ["--base-labels", &f.arg("base_labels.ivecs"), "--query-labels", &f.arg("query_labels.ivecs")];
    let run = |base: &str, queries: &str, extra: &[&str]| {
        sigah(&[&["eval", "--base", base, "--queries", queries, "--bits", "16", "--methods", "lsh"], extra].concat())
    };
    // Missing file.
    let missing = f.arg("nope.fvecs");
    assert_one_line_error(&run(&missing, &f.arg("query.bvecs"), &labels), &["nope.fvecs"]);
    // Label count != row count.
    f.write("short_labels.ivecs", &head("base_labels.ivecs", 599, 8));
    let o = run(
        &f.arg("base.bvecs"),
        &f.arg("query.bvecs"),
        &["--base-labels", &f.arg("short_labels.ivecs"), "--query-labels", &f.arg("query_labels.ivecs")],
    );
    assert_one_line_error(&o, &["short_labels.ivecs", "599 labels", "600 vectors"]);
    // Base and queries of different dimensions.
    let q: Vec<u8> = (0..5).flat_map(|_| 3i32.to_le_bytes().into_iter().chain([1u8, 2, 3])).collect();
    f.write("q3.bvecs", &q);
    assert_one_line_error(&run(&f.arg("base.bvecs"), &f.arg("q3.bvecs"), &labels), &["q3.bvecs", "dimension 3", "784"]);
    // Truncated vector file: names the row and the byte offset.
    let mut cut = head("base.bvecs", 3, 788);
    cut.truncate(788 * 2 + 100);
    f.write("cut.bvecs", &cut);
    assert_one_line_error(
        &run(&f.arg("cut.bvecs"), &f.arg("query.bvecs"), &labels),
        &["cut.bvecs", "truncated row 2", "byte 1576"],
    );
    // Unknown method, bad width, unknown extension.
    let o = sigah(
        &[
            &["eval", "--base", &f.arg("base.bvecs"), "--queries", &f.arg("query.bvecs"), "--methods", "sigahh"],
            &labels[..],
        ]
        .concat(),
    );
    assert_one_line_error(&o, &["unknown method 'sigahh'", "sigah-noadv"]);
    let o = sigah(
        &[&["eval", "--base", &f.arg("base.bvecs"), "--queries", &f.arg("query.bvecs"), "--bits", "12"], &labels[..]]
            .concat(),
    );
    assert_one_line_error(&o, &["multiple of 8"]);
    f.write("x.parquet", b"PAR1");
    assert_one_line_error(
        &run(&f.arg("x.parquet"), &f.arg("query.bvecs"), &labels),
        &["x.parquet", "unknown extension"],
    );
    // No relevance given: clap's usage error, also exit 2.
    let o = sigah(&["eval", "--base", &f.arg("base.bvecs"), "--queries", &f.arg("query.bvecs")]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn demo_runs_on_the_embedded_sample_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sigah"))
        .args(["demo", "--bits", "16", "--methods", "lsh", "--threads", "2"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("| label | 16 | lsh |") && table.contains("| l2top100 | 16 | lsh |"), "{table}");
    assert!(stderr(&o).contains("matches the shipped gt.ivecs on 500/500 queries"), "{}", stderr(&o));
}

#[test]
fn csv_vectors_with_a_label_column() {
    let f = Fixture::new();
    // Two clusters in 8 dimensions; the label is the last column, named "class".
    let csv = |n: usize, shift: usize| {
        let mut s = String::from("a,b,c,d,e,f,g,h,class\n");
        for i in 0..n {
            let c = (i + shift) % 2;
            let row: Vec<String> =
                (0..8).map(|j| format!("{}", c as f32 * 5.0 + ((i * 7 + j * 3) % 5) as f32 * 0.1)).collect();
            s.push_str(&format!("{},{c}\n", row.join(",")));
        }
        s
    };
    f.write("b.csv", csv(80, 0).as_bytes());
    f.write("q.csv", csv(10, 1).as_bytes());
    let o = sigah(&[
        "eval",
        "--base",
        &f.arg("b.csv"),
        "--queries",
        &f.arg("q.csv"),
        "--label-column",
        "class",
        "--methods",
        "itq,lsh",
        "--bits",
        "8",
        "--report",
        &f.arg("r.json"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(f.path("r.json")).unwrap()).unwrap();
    let itq = &json["results"][0];
    assert_eq!((itq["method"].as_str(), itq["relevance"].as_str()), (Some("itq"), Some("label")));
    assert!(itq["map"].as_f64().unwrap() > 0.99, "{itq}");
    // A column that is not there: one line naming the file and the column.
    let o = sigah(&["eval", "--base", &f.arg("b.csv"), "--queries", &f.arg("q.csv"), "--label-column", "kind"]);
    assert_one_line_error(&o, &["b.csv", "no column named 'kind'"]);
}

#[test]
fn help_texts_show_the_real_defaults() {
    // Earlier builds: `train --help` said epochs 20 (it was 30), eval seeded with 0 and
    // train with 42, and `eval --help` showed neither its widths nor its epochs.
    let cfg = sigah_core::model::SigahConfig::default();
    let train = stdout(&sigah(&["train", "--help"]));
    let line =
        |help: &str, flag: &str| help.lines().find(|l| l.trim_start().starts_with(flag)).unwrap_or("").to_string();
    assert!(line(&train, "--epochs").ends_with(&format!("[default: {}]", cfg.training.epochs)), "{train}");
    assert!(line(&train, "--seed").ends_with(&format!("[default: {}]", cfg.training.seed)), "{train}");
    let eval = stdout(&sigah(&["eval", "--help"]));
    assert!(line(&eval, "--seed").ends_with(&format!("[default: {}]", cfg.training.seed)), "{eval}");
    assert!(line(&eval, "--epochs").ends_with(&format!("[default: {}]", cfg.training.epochs)), "{eval}");
    let words = eval.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("16,32,64,128,256 for eval") && words.contains("32,64,256 for demo"), "{eval}");
}

#[test]
fn save_models_keeps_the_model_that_made_the_codes() {
    let f = Fixture::new();
    let (models, codes) = (f.arg("models"), f.arg("codes"));
    let o = sigah(&[
        "eval",
        "--base",
        &f.arg("base.bvecs"),
        "--queries",
        &f.arg("query.bvecs"),
        "--gt-k",
        "10",
        "--methods",
        "sigah,lsh",
        "--bits",
        "16",
        "--epochs",
        "1",
        "--save-models",
        &models,
        "--save-codes",
        &codes,
        "--report",
        &f.arg("r.json"),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> =
        std::fs::read_dir(&models).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert_eq!(names, vec!["sigah_16.safetensors".to_string()], "the baselines have no model file");
    // The report carries each method's whole config as trained.
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(f.path("r.json")).unwrap()).unwrap();
    let sigah_row = json["results"].as_array().unwrap().iter().find(|r| r["method"] == "sigah").unwrap();
    let cfg = &sigah_row["config"];
    let (arch, training) = (&cfg["architecture"], &cfg["training"]);
    assert_eq!((&arch["bits"], &training["epochs"], &training["seed"]), (&16.into(), &1.into(), &42.into()), "{cfg}");
    assert!(cfg["optimiser"]["lr_g"].as_f64().is_some() && arch["hidden"].is_array(), "{cfg}");
    // The saved model encodes the queries into the codes eval scored.
    let out = f.arg("q.npy");
    let m = format!("{models}/sigah_16.safetensors");
    let o = sigah(&["encode", "--model", &m, "--data", &f.arg("query.bvecs"), "--out", &out, "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(format!("{codes}/sigah_16_query.npy")).unwrap());
}

/// The bytes of a uint8 `.npy` file of `--save-codes` (version 1 header).
fn npy_bytes(path: &Path) -> Vec<u8> {
    let b = std::fs::read(path).unwrap();
    let header = u16::from_le_bytes([b[8], b[9]]) as usize;
    b[10 + header..].to_vec()
}

#[test]
fn recall_10_at_c_columns_and_keys_match_the_saved_codes() {
    let f = Fixture::new();
    // 30 base points on a line, queries between them: each query's true top 10
    // is known without any k-NN (distance |i - x|, no ties).
    let base: String = (0..30).map(|i| format!("{i},0\n")).collect();
    let xs = [0.3f32, 7.3, 15.3, 29.3];
    let queries: String = xs.iter().map(|x| format!("{x},0\n")).collect();
    f.write("b.csv", base.as_bytes());
    f.write("q.csv", queries.as_bytes());
    let o = sigah(&[
        "eval",
        "--base",
        &f.arg("b.csv"),
        "--queries",
        &f.arg("q.csv"),
        "--gt-k",
        "10",
        "--methods",
        "lsh",
        "--bits",
        "8",
        "--report",
        &f.arg("r.json"),
        "--save-codes",
        &f.arg("codes"),
        "--plots",
        &f.arg("plots"),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (bc, qc) = (npy_bytes(&f.path("codes/lsh_8_base.npy")), npy_bytes(&f.path("codes/lsh_8_query.npy")));
    assert_eq!((bc.len(), qc.len()), (30, 4));
    // Recall 10@C from the saved codes: rank by (Hamming distance, id), count the true 10.
    let recall = |c: usize| {
        let per: f64 = xs
            .iter()
            .zip(&qc)
            .map(|(&x, &q)| {
                let mut truth: Vec<usize> = (0..30).collect();
                truth.sort_by(|&a, &b| (a as f32 - x).abs().total_cmp(&(b as f32 - x).abs()));
                let mut ranking: Vec<usize> = (0..30).collect();
                ranking.sort_by_key(|&i| ((bc[i] ^ q).count_ones(), i));
                ranking.iter().take(c).filter(|i| truth[..10].contains(i)).count() as f64 / 10.0
            })
            .sum();
        per / xs.len() as f64
    };
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(f.path("r.json")).unwrap()).unwrap();
    let row = &json["results"][0];
    let got = |key: &str| row[key].as_f64().unwrap_or_else(|| panic!("no {key} in {row}"));
    assert!((got("recall_10_at_10") - recall(10)).abs() < 1e-12, "{row} vs {}", recall(10));
    // C = 100 and 1000 are capped at the 30 base codes: all of the true 10.
    assert_eq!((got("recall_10_at_100"), got("recall_10_at_1000")), (1.0, 1.0));
    let curve = row["recall_10_curve"].as_array().unwrap();
    for p in curve {
        let c = p["c"].as_u64().unwrap() as usize;
        assert!((p["recall"].as_f64().unwrap() - recall(c)).abs() < 1e-12, "C = {c}: {p}");
    }
    assert!(curve.iter().any(|p| p["c"] == 20), "{curve:?}");
    let table = stdout(&o);
    assert!(table.contains("| R10@10 | R10@100 | R10@1000 |"), "{table}");
    assert!(table.contains(&format!("| {:.4} | 1.0000 | 1.0000 |", recall(10))), "{table}");
    assert!(f.path("plots/recall10_8.svg").exists());
}
