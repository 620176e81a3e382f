//! The inputs that are not plain files (docs/ROBUSTNESS.md), through the real binary:
//! standard input (`--data -`), named pipes, `.gz` files, and HDF5 files in the
//! ann-benchmarks layout written by h5py (`sigah eval --hdf5`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sigah_core::io::npy;

fn sigah_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigah"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sigah");
    let mut pipe = child.stdin.take().unwrap();
    // sigah may stop reading early (a refused format): a broken pipe here is fine.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn sigah(args: &[&str]) -> Output {
    sigah_with_stdin(args, b"")
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "sigah failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Exit 2, one line, no panic, the message holding every string of `want`.
fn fails(out: Output, want: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in want {
        assert!(err.contains(w), "expected {w:?} in: {err}");
    }
    println!("{}", err.trim_end());
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

/// 64 vectors of 16 dimensions as `.npy` and `.fvecs`, a tiny model, their codes.
fn setup() -> Files {
    let f = Files { dir: tempfile::tempdir().unwrap() };
    let v: Vec<f32> = (0..64 * 16).map(|i| ((i * 7 + (i / 16) * 3) % 11) as f32 - 5.0).collect();
    npy::write(&f.path("v.npy"), &[64, 16], &v).unwrap();
    let mut fv = Vec::new();
    for row in v.chunks(16) {
        fv.extend(16i32.to_le_bytes());
        row.iter().for_each(|x| fv.extend(x.to_le_bytes()));
    }
    std::fs::write(f.path("v.fvecs"), fv).unwrap();
    std::fs::write(f.path("tiny.toml"), "bits = 16\nhidden = [8]\ndisc_hidden = 8\nbatch_size = 32\nepochs = 1\n")
        .unwrap();
    ok(sigah(&["train", "--data", &f.s("v.npy"), "--config", &f.s("tiny.toml"), "--out", &f.s("m.safetensors"), "-q"]));
    ok(sigah(&["encode", "--model", &f.s("m.safetensors"), "--data", &f.s("v.npy"), "--out", &f.s("c.npy"), "-q"]));
    f
}

fn encode(f: &Files, data: &str, stdin: &[u8]) -> Output {
    let out = f.s("out.npy");
    let _ = std::fs::remove_file(&out);
    sigah_with_stdin(&["encode", "--model", &f.s("m.safetensors"), "--data", data, "--out", &out, "-q"], stdin)
}

#[test]
fn standard_input_gzip_and_named_pipes_are_read() {
    let f = setup();
    let codes = std::fs::read(f.path("c.npy")).unwrap();
    let same = |o: Output| {
        ok(o);
        assert_eq!(std::fs::read(f.path("out.npy")).unwrap(), codes);
    };
    let npy_bytes = std::fs::read(f.path("v.npy")).unwrap();
    let fvecs_bytes = std::fs::read(f.path("v.fvecs")).unwrap();
    // Earlier builds: `--data -` was refused for want of an extension.
    same(encode(&f, "-", &npy_bytes));
    same(encode(&f, "-", &gzip(&npy_bytes)));
    // .gz was recognised and refused; now decompressed, named or not.
    std::fs::write(f.path("v.fvecs.gz"), gzip(&fvecs_bytes)).unwrap();
    same(encode(&f, &f.s("v.fvecs.gz"), b""));
    std::fs::write(f.path("v.npy.gz"), gzip(&npy_bytes)).unwrap();
    same(encode(&f, &f.s("v.npy.gz"), b""));
    // Earlier builds: a named pipe read as "empty file" and its writer hung. The
    // writer must finish, and the codes must be the file's.
    for (name, bytes) in [("p.fvecs", &fvecs_bytes), ("p.npy", &npy_bytes)] {
        let fifo = f.path(name);
        assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let (path, data) = (fifo.clone(), bytes.clone());
        let writer = std::thread::spawn(move || std::fs::write(path, data));
        same(encode(&f, &f.s(name), b""));
        writer.join().unwrap().expect("the pipe's writer finished");
    }
    // train reads standard input too: the same model as from the file.
    ok(sigah_with_stdin(
        &["train", "--data", "-", "--config", &f.s("tiny.toml"), "--out", &f.s("m2.safetensors"), "-q"],
        &npy_bytes,
    ));
    assert_eq!(std::fs::read(f.path("m.safetensors")).unwrap(), std::fs::read(f.path("m2.safetensors")).unwrap());
}

#[test]
fn streams_that_cannot_be_read_say_why() {
    let f = setup();
    let fvecs_bytes = std::fs::read(f.path("v.fvecs")).unwrap();
    fails(encode(&f, "-", &fvecs_bytes), &["-: standard input has no name", "mkfifo x.fvecs"]);
    fails(encode(&f, "-", &fvecs_bytes[..100]), &["standard input has no name"]);
    let npy_bytes = std::fs::read(f.path("v.npy")).unwrap();
    fails(
        encode(&f, "-", &npy_bytes[..npy_bytes.len() - 1]),
        &["-: truncated: shape [64, 16] of <f4", "the stream has"],
    );
    let gz = gzip(&npy_bytes);
    std::fs::write(f.path("cut.npy.gz"), &gz[..gz.len() - 9]).unwrap();
    fails(encode(&f, &f.s("cut.npy.gz"), b""), &["cut.npy.gz: "]);
    std::fs::write(f.path("twice.npy.gz"), gzip(&gz)).unwrap();
    fails(encode(&f, &f.s("twice.npy.gz"), b""), &["twice.npy.gz", "gzip-compressed twice"]);
    // HDF5 needs a seek: standard input is refused with a message to use a file.
    let h5 = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/hdf5/ann_f32")).unwrap();
    fails(encode(&f, "-", &h5), &["-: HDF5 is read by seeking", "save it as a file"]);
    assert!(!f.path("out.npy").exists());
}

/// An ann-benchmarks file written by h5py: 400 clustered train vectors of 24
/// dimensions, 25 test vectors, each query's 10 nearest train rows (numpy,
/// stable order) and their distances.
const WRITE_ANN: &str = r#"
import gzip, shutil, sys
import h5py, numpy as np
rng = np.random.default_rng(3)
centres = rng.normal(0, 4, size=(8, 24))
pts = centres[rng.integers(0, 8, 425)] + rng.normal(0, 1, size=(425, 24))
train, test = pts[:400].astype(np.float32), pts[400:].astype(np.float32)
d = ((test[:, None, :].astype(np.float64) - train[None, :, :]) ** 2).sum(-1)
nb = np.argsort(d, axis=1, kind="stable")[:, :10].astype(np.int32)
with h5py.File(sys.argv[1] + "/ann.hdf5", "w") as f:
    f.attrs["distance"] = "euclidean"
    f.create_dataset("train", data=train)
    f.create_dataset("test", data=test)
    f.create_dataset("neighbors", data=nb)
    f.create_dataset("distances", data=np.sqrt(np.take_along_axis(d, nb, 1)).astype(np.float32))
with h5py.File(sys.argv[1] + "/no_gt.hdf5", "w") as f:
    f.create_dataset("train", data=train)
    f.create_dataset("test", data=test)
with open(sys.argv[1] + "/ann.hdf5", "rb") as a, gzip.open(sys.argv[1] + "/ann.hdf5.gz", "wb") as b:
    shutil.copyfileobj(a, b)
"#;

#[test]
fn eval_runs_on_an_ann_benchmarks_file_written_by_h5py() {
    let Some(python) = std::env::var_os("SIGAH_PYTHON") else {
        assert!(std::env::var_os("CI").is_none(), "SIGAH_PYTHON must be set in CI");
        eprintln!("skipped: SIGAH_PYTHON is not set (benches/reference/setup.sh creates it, with h5py)");
        return;
    };
    let f = Files { dir: tempfile::tempdir().unwrap() };
    let py = Command::new(python).arg("-c").arg(WRITE_ANN).arg(f.dir.path()).output().unwrap();
    assert!(py.status.success(), "h5py: {}", String::from_utf8_lossy(&py.stderr));
    let eval = |extra: &[&str], report: &str| {
        let mut args = vec!["eval", "--bits", "16", "--methods", "lsh,itq", "--report", report, "-q"];
        args.extend_from_slice(extra);
        ok(sigah(&args));
        let r: serde_json::Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row["relevance"].clone(), row["map"].clone(), row["recall_10_at_10"].clone()))
            .collect::<Vec<_>>()
    };
    let (ann, r1, r2) = (f.s("ann.hdf5"), f.s("r1.json"), f.s("r2.json"));
    let own = eval(&["--hdf5", &ann], &r1);
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|(rel, map, _)| rel == "l2top10" && map.as_f64().is_some_and(|m| m > 0.0 && m <= 1.0)));
    // The file's own neighbours are the exact 10 nearest: the same scores as
    // sigah's exact ground truth on the file's train and test sets.
    assert_eq!(eval(&["--base", &ann, "--queries", &ann, "--gt-k", "10"], &r2), own);
    // The .gz of the file gives the same; --gt-k keeps the first K listed.
    assert_eq!(eval(&["--hdf5", &f.s("ann.hdf5.gz")], &r2), own);
    // Recall 10@C keeps the file's first 10 neighbours whatever --gt-k takes.
    let top5 = eval(&["--hdf5", &ann, "--gt-k", "5"], &r2);
    assert!(top5.iter().all(|(rel, _, _)| rel == "l2top5"));
    assert_eq!(top5.iter().map(|r| &r.2).collect::<Vec<_>>(), own.iter().map(|r| &r.2).collect::<Vec<_>>());
    assert!(own.iter().all(|r| r.2.as_f64().is_some_and(|x| x > 0.0 && x < 1.0)), "{own:?}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&r1).unwrap()).unwrap();
    assert_eq!(report["run"]["inputs"][0]["role"], "hdf5");
    // Errors: more neighbours than listed, no ground truth, flags that conflict.
    fails(sigah(&["eval", "--hdf5", &ann, "--gt-k", "11", "--bits", "16"]), &["ann.hdf5", "--gt-k 11", "lists 10"]);
    fails(sigah(&["eval", "--hdf5", &f.s("no_gt.hdf5"), "--bits", "16"]), &["no_gt.hdf5", "no dataset 'neighbors'"]);
    let o = sigah(&["eval", "--hdf5", &ann, "--base", &ann, "--bits", "16"]);
    assert_eq!(o.status.code(), Some(2), "--hdf5 with --base is a usage error");
    // Other commands read `train` from the file.
    ok(sigah(&["train", "--data", &ann, "--bits", "16", "--epochs", "1", "--out", &f.s("m.safetensors"), "-q"]));
}
