//! Outputs and (method, width) pairs are checked before any training
//! (docs/ROBUSTNESS.md, the bad-input table): a folder the user cannot write to,
//! or a pair a method refuses, is exit 2 naming it, and nothing was trained (a
//! log or saved codes in a writable folder beside it stay absent). Real
//! processes; as root the child runs as `nobody` (root writes anywhere).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::fvecs;

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
}

/// The binary as the test runs it: as root, a copy in `dir` (which `nobody`
/// can enter), since the build folder may lie below one only root can enter (a
/// clone under /root).
fn runnable_binary(dir: &Path) -> PathBuf {
    let built = PathBuf::from(env!("CARGO_BIN_EXE_sigah"));
    if !is_root() {
        return built;
    }
    let copy = dir.join("sigah");
    std::fs::copy(&built, &copy).unwrap();
    chmod(&copy, 0o755);
    copy
}

fn sigah(bin: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(bin);
    c.args(args);
    if is_root() {
        c.uid(65534).gid(65534);
    }
    c.output().expect("runs sigah")
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn fails_naming(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("sigah: error: ") && err.lines().count() == 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
}

#[test]
fn unwritable_outputs_and_refused_pairs_fail_before_any_training() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    chmod(root, 0o755);
    let (ro, rw) = (root.join("ro"), root.join("rw"));
    std::fs::create_dir(&ro).unwrap();
    std::fs::create_dir(&rw).unwrap();
    chmod(&ro, 0o555);
    chmod(&rw, 0o777);
    let bin = runnable_binary(root);
    let p = |n: &str| root.join(n).display().to_string();
    fvecs(Path::new(&p("x.fvecs")), 300, 8);
    let (log, codes) = (p("rw/train.log"), p("rw/codes"));
    let train = ["train", "--data", &p("x.fvecs"), "--bits", "8", "--epochs", "2", "-q", "--log", &log];

    let out = sigah(&bin, &[&train[..], &["--out", &p("ro/m.safetensors")]].concat());
    fails_naming(&out, &["ro/m.safetensors", "cannot write the model", "ermission denied"]);
    let ckpt = ["--out", &p("rw/m.safetensors"), "--checkpoint-every", "1", "--checkpoint", &p("ro/c.safetensors")];
    fails_naming(&sigah(&bin, &[&train[..], &ckpt[..]].concat()), &["ro/c.safetensors", "cannot write the checkpoint"]);
    assert!(!Path::new(&log).exists(), "training ran before the check");
    let out = sigah(
        &bin,
        &["train", "--data", &p("x.fvecs"), "--bits", "8", "--out", &p("rw/m.safetensors"), "--log", &p("ro/l")],
    );
    fails_naming(&out, &["ro/l", "cannot write the training log"]);

    let eval = ["eval", "--base", &p("x.fvecs"), "--queries", &p("x.fvecs"), "--gt-k", "5", "--bits", "8", "-q"];
    for (flag, path) in [("--report", "ro/r.json"), ("--plots", "ro/plots"), ("--save-models", "ro/models/new")] {
        let out =
            sigah(&bin, &[&eval[..], &["--methods", "lsh,sigah", "--save-codes", &codes, flag, &p(path)]].concat());
        fails_naming(&out, &[path, "cannot write"]);
        assert!(!Path::new(&codes).exists(), "{flag}: eval trained before the check");
    }
    let out = sigah(&bin, &[&eval[..], &["--methods", "lsh", "--save-codes", &p("ro/codes")]].concat());
    fails_naming(&out, &["ro/codes", "cannot write --save-codes"]);

    // ITQ gives at most one bit per dimension: 16 bits on 8-d data is refused
    // before LSH trains at 8 bits.
    let pairs = ["--methods", "lsh,itq", "--bits", "8,16", "--save-codes", &codes];
    let out = sigah(&bin, &[&eval[..7], &pairs[..]].concat());
    fails_naming(&out, &["itq at 16 bits", "at most one bit per input dimension"]);
    assert!(!Path::new(&codes).exists(), "eval trained before checking the pairs");
}

#[test]
fn threads_beyond_four_per_core_are_capped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    fvecs(Path::new(&p("x.fvecs")), 300, 8);
    let t = std::time::Instant::now();
    let args = ["train", "--data", &p("x.fvecs"), "--bits", "8", "--epochs", "1", "--out", &p("m.safetensors")];
    let out = Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).args(["--threads", "100000"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("--threads 100000 capped at"), "{err}");
    // Earlier builds started 100000 threads and ran past 60 s.
    assert!(t.elapsed() < std::time::Duration::from_secs(30), "took {:?}", t.elapsed());
}

#[test]
fn checkpoint_every_0_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    fvecs(Path::new(&p("x.fvecs")), 50, 8);
    let args =
        ["train", "--data", &p("x.fvecs"), "--bits", "8", "--out", &p("m.safetensors"), "--checkpoint-every", "0"];
    let out = Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).output().unwrap();
    fails_naming(&out, &["--checkpoint-every must be at least 1"]);
    assert!(!Path::new(&p("m.safetensors")).exists());
}
