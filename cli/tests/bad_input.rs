//! Bad input to the real binary, tried as a new user would (docs/ROBUSTNESS.md §1): every case
//! must give ONE line `sigah: error: ...` naming the file and what is wrong, exit
//! with code 2, print no panic or backtrace, and leave the output folder exactly
//! as it was (no partial output, no stray temp file).
//!
//! Each test runs in its own temporary folder; inputs live in `in/`, outputs go
//! to `out/`, and `out/` is compared before and after every failing run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn sigah(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigah"))
        .args(args)
        // A panic would print its backtrace: the test must see it if one happens.
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("runs the binary")
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        let d = Dir(tempfile::tempdir().unwrap());
        std::fs::create_dir(d.0.path().join("in")).unwrap();
        std::fs::create_dir(d.0.path().join("out")).unwrap();
        d
    }
    /// An input file path.
    fn i(&self, name: &str) -> String {
        self.0.path().join("in").join(name).display().to_string()
    }
    /// An output file path.
    fn o(&self, name: &str) -> String {
        self.0.path().join("out").join(name).display().to_string()
    }
    fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.i(name), bytes).unwrap();
        self.i(name)
    }
    /// Every file under `out/` (recursively), with its size.
    fn outputs(&self) -> BTreeSet<(PathBuf, u64)> {
        fn walk(p: &Path, acc: &mut BTreeSet<(PathBuf, u64)>) {
            for e in std::fs::read_dir(p).unwrap() {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                if m.is_dir() {
                    walk(&e.path(), acc);
                }
                acc.insert((e.path(), m.len()));
            }
        }
        let mut acc = BTreeSet::new();
        walk(&self.0.path().join("out"), &mut acc);
        acc
    }

    /// Runs a command that must fail cleanly; returns its one error line. Every
    /// string in `names` must appear in the message (the file, the problem).
    fn fails(&self, args: &[&str], names: &[&str]) -> String {
        let before = self.outputs();
        let out = sigah(args);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "sigah {args:?} exited {:?}: {err}", out.status.code());
        assert!(err.starts_with("sigah: error: "), "sigah {args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "sigah {args:?}: more than one line: {err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"), "sigah {args:?}: {err}");
        assert!(err.matches("(os error").count() <= 1, "sigah {args:?}: the OS error twice: {err}");
        for n in names {
            assert!(err.contains(n), "sigah {args:?}: the message does not say {n:?}: {err}");
        }
        assert_eq!(self.outputs(), before, "sigah {args:?} left output behind");
        // Shown with --nocapture: the messages docs/ROBUSTNESS.md quotes.
        println!("{} -> {}", args[0], err.trim_end());
        err
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = sigah(args);
        assert!(out.status.success(), "sigah {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

fn rows(n: usize, d: usize) -> Vec<Vec<f32>> {
    (0..n).map(|i| (0..d).map(|j| ((i * 7 + j * 3) % 11) as f32 - 5.0 + (i % 3) as f32).collect()).collect()
}

fn fvecs(rows: &[Vec<f32>]) -> Vec<u8> {
    let mut b = Vec::new();
    for r in rows {
        b.extend((r.len() as i32).to_le_bytes());
        r.iter().for_each(|v| b.extend(v.to_le_bytes()));
    }
    b
}

fn npy_f32(path: &str, rows: &[Vec<f32>]) {
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    sigah_core::io::npy::write(Path::new(path), &[rows.len(), rows[0].len()], &flat).unwrap();
}

fn ivecs(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| [1i32.to_le_bytes(), v.to_le_bytes()].concat()).collect()
}

const TINY: &str = "bits = 16\nhidden = [8]\ndisc_hidden = 8\nbatch_size = 32\nepochs = 1\n";

/// One small trained model (16-d, 16 bits), shared by the tests that need one.
fn model_bytes() -> &'static [u8] {
    static MODEL: OnceLock<Vec<u8>> = OnceLock::new();
    MODEL.get_or_init(|| {
        let d = Dir::new();
        let data = d.write("train.fvecs", &fvecs(&rows(64, 16)));
        let cfg = d.write("tiny.toml", TINY.as_bytes());
        let m = d.o("m.safetensors");
        d.ok(&["train", "--data", &data, "--config", &cfg, "--out", &m, "--quiet", "--threads", "1"]);
        std::fs::read(&m).unwrap()
    })
}

#[test]
fn missing_empty_and_wrong_kind_of_file() {
    let d = Dir::new();
    let out = d.o("m.safetensors");
    let missing = d.i("nope.fvecs");
    d.fails(&["train", "--data", &missing, "--out", &out], &["nope.fvecs", "No such file"]);
    let empty = d.write("empty.fvecs", b"");
    d.fails(&["train", "--data", &empty, "--out", &out], &["empty.fvecs", "empty"]);
    let empty_npy = d.write("empty.npy", b"");
    d.fails(&["train", "--data", &empty_npy, "--out", &out], &["empty.npy"]);
    // Wrong extension, then right extension with the wrong content (magic).
    let folder = d.i("folder.fvecs");
    std::fs::create_dir(&folder).unwrap();
    d.fails(&["train", "--data", &folder, "--out", &out], &["folder.fvecs", "folder, not a file"]);
    d.fails(
        &["train", "--data", &d.write("x.fvecs", &fvecs(&rows(8, 4))), "--epochs", "0", "--out", &out],
        &["--epochs"],
    );
    let txt = d.write("data.txt", &fvecs(&rows(4, 4)));
    d.fails(&["train", "--data", &txt, "--out", &out], &["data.txt", "extension"]);
    let fake_npy = d.write("fake.npy", &fvecs(&rows(4, 4)));
    d.fails(&["train", "--data", &fake_npy, "--out", &out], &["fake.npy", "magic"]);
    // A model that is not a model; codes that are not codes.
    let fake_model = d.write("fake.safetensors", b"this is not a model file at all");
    let data = d.write("x.fvecs", &fvecs(&rows(4, 16)));
    d.fails(&["encode", "--model", &fake_model, "--data", &data, "--out", &d.o("c.npy")], &["fake.safetensors"]);
    d.fails(&["info", &fake_model], &["fake.safetensors"]);
    d.fails(&["info", &missing], &["nope.fvecs"]);
    let fake_codes = d.write("codes.npy", b"\x93NUMPY garbage");
    d.fails(
        &["search", "--index", &fake_codes, "--queries", &fake_codes, "--k", "1", "--out", &d.o("r")],
        &["codes.npy"],
    );
}

#[test]
fn truncated_rows_and_non_finite_values() {
    let d = Dir::new();
    let out = d.o("m.safetensors");
    let mut cut = fvecs(&rows(10, 8));
    cut.truncate(cut.len() - 3);
    let cut = d.write("cut.fvecs", &cut);
    d.fails(&["train", "--data", &cut, "--out", &out], &["cut.fvecs", "truncated row 9"]);
    // A bvecs whose last row lost a byte.
    let bv: Vec<u8> = (0..5).flat_map(|i| [[8, 0, 0, 0].as_slice(), &[i as u8; 8]].concat()).collect();
    let bv = d.write("cut.bvecs", &bv[..bv.len() - 2]);
    d.fails(&["train", "--data", &bv, "--out", &out], &["cut.bvecs", "truncated row 4"]);
    let mut r = rows(10, 8);
    r[6][2] = f32::NAN;
    let nan = d.i("nan.npy");
    npy_f32(&nan, &r);
    d.fails(&["train", "--data", &nan, "--out", &out], &["nan.npy", "row 6", "NaN"]);
    let mut r = rows(10, 8);
    r[3][5] = f32::INFINITY;
    let inf = d.write("inf.fvecs", &fvecs(&r));
    d.fails(&["train", "--data", &inf, "--out", &out], &["inf.fvecs", "row 3", "inf"]);
    let csv = d.write("inf.csv", b"1,2,3\n4,inf,6\n");
    d.fails(&["train", "--data", &csv, "--out", &out], &["inf.csv", "row 1"]);
    let csv = d.write("nan.csv", b"1,2,3\n4,5,NaN\n");
    d.fails(&["train", "--data", &csv, "--out", &out], &["nan.csv", "row 1"]);
    // Encoding runs the same loaders: NaN queries never reach the model.
    let m = d.write("m.safetensors", model_bytes());
    let mut r = rows(4, 16);
    r[1][0] = f32::NEG_INFINITY;
    let q = d.write("q.fvecs", &fvecs(&r));
    d.fails(&["encode", "--model", &m, "--data", &q, "--out", &d.o("c.npy")], &["q.fvecs", "row 1"]);
}

#[test]
fn dimension_mismatches() {
    let d = Dir::new();
    // Data vs model.
    let m = d.write("m.safetensors", model_bytes());
    let x8 = d.write("x8.fvecs", &fvecs(&rows(5, 8)));
    d.fails(
        &["encode", "--model", &m, "--data", &x8, "--out", &d.o("c.npy")],
        &["x8.fvecs", "dimension 8", "dimension 16"],
    );
    // Base vs queries.
    let base = d.write("base.fvecs", &fvecs(&rows(40, 16)));
    let q = d.write("q.fvecs", &fvecs(&rows(5, 12)));
    d.fails(
        &["eval", "--base", &base, "--queries", &q, "--gt-k", "3", "--methods", "lsh", "--bits", "8", "--quiet"],
        &["q.fvecs", "12", "16"],
    );
    // Index codes vs query codes of another width.
    let c16 = d.i("c16.npy");
    let c24 = d.i("c24.npy");
    sigah_core::io::npy::write(Path::new(&c16), &[3, 2], &[0u8; 6]).unwrap();
    sigah_core::io::npy::write(Path::new(&c24), &[3, 3], &[0u8; 9]).unwrap();
    d.fails(&["search", "--index", &c16, "--queries", &c24, "--k", "2", "--out", &d.o("r")], &["c24.npy", "24", "16"]);
}

#[test]
fn bits_not_a_multiple_of_8_or_too_many() {
    let d = Dir::new();
    let data = d.write("x.fvecs", &fvecs(&rows(20, 8)));
    let out = d.o("m.safetensors");
    d.fails(&["train", "--data", &data, "--bits", "12", "--out", &out], &["bits", "12", "multiple of 8"]);
    d.fails(&["train", "--data", &data, "--bits", "8192", "--out", &out], &["bits", "8192", "4096"]);
    d.fails(&["train", "--data", &data, "--bits", "0", "--out", &out], &["bits"]);
    let cfg = d.write("c.json", br#"{"bits": 20}"#);
    d.fails(&["train", "--data", &data, "--config", &cfg, "--out", &out], &["c.json", "bits", "20"]);
    d.fails(
        &["eval", "--base", &data, "--queries", &data, "--gt-k", "3", "--bits", "8,12", "--methods", "lsh"],
        &["--bits", "12"],
    );
    // Codes whose width cannot be a code length.
    let c = d.i("c.npy");
    sigah_core::io::npy::write(Path::new(&c), &[2, 513], &[0u8; 1026]).unwrap();
    d.fails(&["info", &c], &["c.npy", "513 bytes per code", "512"]);
    // A 1-D array is not a code file either.
    sigah_core::io::npy::write(Path::new(&c), &[4], &[0u8; 4]).unwrap();
    d.fails(&["info", &c], &["c.npy", "2-D"]);
}

#[test]
fn k_zero_is_an_error_and_k_beyond_n_is_capped() {
    let d = Dir::new();
    let c = d.i("c.npy");
    sigah_core::io::npy::write(Path::new(&c), &[3, 1], &[0u8, 1, 3]).unwrap();
    d.fails(&["search", "--index", &c, "--queries", &c, "--k", "0", "--out", &d.o("r")], &["--k"]);
    // Before d91b747 (cli/tests/bad_input.rs): k beyond n was padding (--k 20000 over 10,000 codes wrote half
    // padding), 10^12 aborted on out of memory, 18446744073709552 overflowed nq·k
    // and panicked. Now k is capped at n and the output's shape says so.
    for k in ["5", "1000000000000", "18446744073709552", "18446744073709551615"] {
        let out = sigah(&["search", "--index", &c, "--queries", &c, "--k", k, "--out", &d.o("r")]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "--k {k}: {err}");
        assert!(err.contains(&format!("--k {k} capped at 3")), "--k {k}: {err}");
        let (shape, ids) = sigah_core::io::npy::read::<i64>(Path::new(&d.o("r.ids.npy"))).unwrap();
        assert_eq!(shape, vec![3, 3]);
        // Query 0 (code 0): itself, then code 1 (distance 1), code 3 (distance 2).
        assert_eq!(&ids[..3], &[0, 1, 2]);
    }
}

#[test]
fn results_over_the_limit_are_refused_before_any_work() {
    let d = Dir::new();
    let c = d.i("c.npy");
    sigah_core::io::npy::write(Path::new(&c), &[3, 1], &[0u8, 1, 3]).unwrap();
    let q = d.i("q.npy");
    sigah_core::io::npy::write(Path::new(&q), &[2, 1], &[0u8, 0]).unwrap();
    let run = |extra: &[&'static str]| -> Vec<String> {
        ["search", "--index", &c, "--queries", &q].iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let r = d.o("r");
    d.fails(
        &strs(&run(&["--k", "3", "--max-results", "5", "--out"]), &r),
        &["2 queries × k = 3", "6 results", "limit of 5", "--max-results"],
    );
    // A radius search is refused the same way once its lists pass the limit
    // (radius 1 finds 2 codes per query: 4 results).
    d.fails(&strs(&run(&["--radius", "1", "--max-results", "3", "--out"]), &r), &["radius 1", "limit of 3"]);
    d.ok(&strs(&run(&["--radius", "1", "--max-results", "4", "--quiet", "--out"]), &r));
    // The default limit comes from the available memory: a large k over a small
    // index is fine (it is capped), and the count is checked, not wrapped.
    d.ok(&strs(&run(&["--k", "18446744073709551615", "--quiet", "--out"]), &r));
}

/// `args` then `last`, as the `&[&str]` the runners take.
fn strs<'a>(args: &'a [String], last: &'a str) -> Vec<&'a str> {
    args.iter().map(String::as_str).chain([last]).collect()
}

#[test]
fn gt_k_beyond_the_base_set_is_an_error() {
    // Earlier builds: --gt-k 100000 over 2,000 vectors was clamped to 2,000 and
    // reported mAP 1.0000.
    let d = Dir::new();
    let base = d.write("base.fvecs", &fvecs(&rows(30, 8)));
    let q = d.write("q.fvecs", &fvecs(&rows(5, 8)));
    let args = ["eval", "--base", &base, "--queries", &q, "--methods", "lsh", "--bits", "8", "--quiet", "--gt-k"];
    d.fails(&[&args[..], &["31"]].concat(), &["base.fvecs", "--gt-k 31", "30 base vectors"]);
    d.ok(&[&args[..], &["30"]].concat());
}

#[test]
fn label_count_differs_from_row_count() {
    let d = Dir::new();
    let base = d.write("base.fvecs", &fvecs(&rows(30, 8)));
    let q = d.write("q.fvecs", &fvecs(&rows(5, 8)));
    let bl = d.write("base_labels.ivecs", &ivecs(&[1; 29]));
    let ql = d.write("q_labels.ivecs", &ivecs(&[1; 5]));
    let args = |bl: &str, ql: &str| {
        ["eval", "--base", &base, "--queries", &q, "--base-labels", bl, "--query-labels", ql]
            .into_iter()
            .map(str::to_string)
            .chain(["--methods", "lsh", "--bits", "8", "--quiet"].map(str::to_string))
            .collect::<Vec<_>>()
    };
    let a = args(&bl, &ql);
    d.fails(&a.iter().map(String::as_str).collect::<Vec<_>>(), &["base_labels.ivecs", "29", "30"]);
    let bl_ok = d.write("bl.ivecs", &ivecs(&[1; 30]));
    let ql_bad = d.write("ql.ivecs", &ivecs(&[1; 7]));
    let a = args(&bl_ok, &ql_bad);
    d.fails(&a.iter().map(String::as_str).collect::<Vec<_>>(), &["ql.ivecs", "7", "5"]);
}

#[test]
fn unwritable_output_paths() {
    let d = Dir::new();
    let data = d.write("x.fvecs", &fvecs(&rows(64, 16)));
    let cfg = d.write("tiny.toml", TINY.as_bytes());
    // A parent that is a file, not a folder: unwritable even for root.
    let blocker = d.o("file");
    std::fs::write(&blocker, b"x").unwrap();
    let under = |name: &str| format!("{blocker}/{name}");
    d.fails(
        &["train", "--data", &data, "--config", &cfg, "--out", &under("m.safetensors"), "--quiet"],
        &["file/m.safetensors"],
    );
    let m = d.write("m.safetensors", model_bytes());
    d.fails(&["encode", "--model", &m, "--data", &data, "--out", &under("c.npy")], &["file/c.npy"]);
    let c = d.i("c.npy");
    sigah_core::io::npy::write(Path::new(&c), &[2, 2], &[0u8; 4]).unwrap();
    d.fails(&["search", "--index", &c, "--queries", &c, "--k", "1", "--out", &under("r")], &["file/r"]);
    d.fails(&["search", "--index", &c, "--queries", &c, "--k", "1", "--out", &under("r.tsv")], &["file/r.tsv"]);
    d.fails(&["export", "--index", &c, "--format", "faiss", "--out", &under("i.faiss")], &["file/i.faiss"]);
    d.fails(&["export", "--index", &c, "--format", "sigah", "--out", &under("i.sigahidx")], &["file/i.sigahidx"]);
    let eval = |extra: &[&str]| {
        let mut a = vec!["eval", "--base", &data, "--queries", &data, "--gt-k", "3", "--methods", "lsh", "--bits", "8"];
        a.extend_from_slice(extra);
        a.push("--quiet");
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    for extra in [["--report", &under("r.json")], ["--plots", &under("plots")], ["--save-codes", &under("codes")]] {
        let a = eval(&extra);
        d.fails(&a.iter().map(String::as_str).collect::<Vec<_>>(), &["file/"]);
    }
    // Training and encoding check their outputs before the work: a folder, or a
    // folder that does not exist.
    let model = d.o("model_dir");
    std::fs::create_dir(&model).unwrap();
    d.fails(&["train", "--data", &data, "--config", &cfg, "--out", &model, "--quiet"], &["model_dir", "folder"]);
    let gone = d.o("gone/m.safetensors");
    d.fails(
        &["train", "--data", &data, "--config", &cfg, "--out", &gone, "--quiet"],
        &["gone", "not an existing folder"],
    );
    d.fails(&["encode", "--model", &m, "--data", &data, "--out", &model], &["model_dir", "folder"]);
    // One output of two cannot be written: neither is left behind.
    let a = eval(&["--report", &d.o("r.json"), "--plots", &under("plots")]);
    d.fails(&a.iter().map(String::as_str).collect::<Vec<_>>(), &["file/plots"]);
    std::fs::create_dir(d.o("r.dist.npy")).unwrap();
    d.fails(&["search", "--index", &c, "--queries", &c, "--k", "1", "--out", &d.o("r")], &["r.dist.npy"]);
    // The training log and the checkpoint.
    let log = under("log.jsonl");
    d.fails(
        &["train", "--data", &data, "--config", &cfg, "--out", &d.o("m2.safetensors"), "--log", &log, "--quiet"],
        &["file/log.jsonl"],
    );
    let ck = under("c.ckpt");
    d.fails(
        &[
            "train",
            "--data",
            &data,
            "--config",
            &cfg,
            "--out",
            &d.o("m3.safetensors"),
            "--checkpoint-every",
            "1",
            "--checkpoint",
            &ck,
            "--quiet",
        ],
        &["file/c.ckpt"],
    );
}

#[test]
fn corrupted_truncated_and_future_model_files() {
    let d = Dir::new();
    let data = d.write("x.fvecs", &fvecs(&rows(4, 16)));
    let good = model_bytes();
    let encode = |m: &str, names: &[&str]| {
        d.fails(&["encode", "--model", m, "--data", &data, "--out", &d.o("c.npy")], names);
        d.fails(&["info", m], names);
    };
    // Truncated: in the header, and in the tensor data.
    let m = d.write("cut_header.safetensors", &good[..40]);
    encode(&m, &["cut_header.safetensors"]);
    let m = d.write("cut_data.safetensors", &good[..good.len() - 10]);
    encode(&m, &["cut_data.safetensors"]);
    // Corrupted: a header length that points past the end; garbage in the JSON.
    let mut bad = good.to_vec();
    bad[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let m = d.write("huge_header.safetensors", &bad);
    encode(&m, &["huge_header.safetensors"]);
    let mut bad = good.to_vec();
    bad[20..30].copy_from_slice(b"\xff\xfe{{{{}}}}");
    let m = d.write("garbage.safetensors", &bad);
    encode(&m, &["garbage.safetensors"]);
    // A weight that became NaN.
    let mut bad = good.to_vec();
    let n = bad.len();
    bad[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    let m = d.write("nan.safetensors", &bad);
    encode(&m, &["nan.safetensors", "NaN"]);
    // A file from a future format version (same length: the header stays valid).
    // Byte offsets, not offsets in a lossy string: the 8-byte header length before
    // the JSON may hold bytes that are not UTF-8 and would shift every index.
    let find = |needle: &[u8]| good.windows(needle.len()).position(|w| w == needle);
    let at = find(b"\"format_version\":\"3\"").expect("the model stores its format version");
    let mut future = good.to_vec();
    future[at + "\"format_version\":\"".len()] = b'7';
    let m = d.write("future.safetensors", &future);
    encode(&m, &["future.safetensors", "version 7", "newer sigah"]);
    // A checkpoint given where a model is expected.
    let mut ckpt = good.to_vec();
    let at = find(b"\"format\":\"sigah-model\"").expect("the model names its format");
    ckpt[at..at + 22].copy_from_slice(b"\"format\":\"sigah-other\"");
    let m = d.write("other.safetensors", &ckpt);
    encode(&m, &["other.safetensors", "sigah-other"]);
}

#[test]
fn bad_resume_and_config_files() {
    let d = Dir::new();
    let data = d.write("x.fvecs", &fvecs(&rows(64, 16)));
    let out = d.o("m.safetensors");
    // A model file is not a checkpoint; a missing checkpoint is named.
    let m = d.write("m.safetensors", model_bytes());
    d.fails(&["train", "--data", &data, "--resume", &m, "--out", &out], &["m.safetensors", "sigah-checkpoint"]);
    d.fails(&["train", "--data", &data, "--resume", &d.i("gone.ckpt"), "--out", &out], &["gone.ckpt"]);
    let cfg = d.write("c.toml", b"bits = 16\nlr_g = nan\n");
    d.fails(&["train", "--data", &data, "--config", &cfg, "--out", &out], &["c.toml", "lr_g", "NaN"]);
    let cfg = d.write("c2.json", b"{\"bits\": 16,");
    d.fails(&["train", "--data", &data, "--config", &cfg, "--out", &out], &["c2.json"]);
    let cfg = d.write("c3.toml", b"\xff\xfe");
    d.fails(&["train", "--data", &data, "--config", &cfg, "--out", &out], &["c3.toml"]);
    // eval --sigah-config: a typo and an invalid value are named before any data is read.
    let eval = |cfg: &str| {
        ["eval", "--base", data.as_str(), "--queries", data.as_str(), "--gt-k", "3", "--sigah-config", cfg]
            .map(String::from)
    };
    let cfg = d.write("e.json", b"{\"lambda_rnak\": 1}");
    d.fails(&eval(&cfg).iter().map(String::as_str).collect::<Vec<_>>(), &["e.json", "lambda_rnak"]);
    let cfg = d.write("e2.json", b"{\"rank_pos\": 50, \"rank_neg\": 20}");
    d.fails(&eval(&cfg).iter().map(String::as_str).collect::<Vec<_>>(), &["e2.json", "rank_neg"]);
    // A valid one trains sigah with it (2 epochs from the file; --bits sets the width).
    let cfg = d.write("e3.json", b"{\"epochs\": 2, \"bits\": 64, \"lambda_rank\": 1.0, \"rank_pos\": 5}");
    let mut args = eval(&cfg).to_vec();
    args.extend(["--methods", "sigah", "--bits", "8", "--quiet"].map(String::from));
    let table = d.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(table.contains("| l2top3 | 8 | sigah |"), "{table}");
}
