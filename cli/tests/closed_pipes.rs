//! Every printing command ends quietly when its standard output is a closed pipe
//! (`sigah info m.safetensors | head -1`): exit 0 and nothing on stderr, as
//! ripgrep does (docs/ROBUSTNESS.md, the bad-input table). Real processes: the
//! pipe's read end is closed before the child starts, so its first write fails.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{codes_npy, fvecs};

fn sigah(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).output().expect("runs sigah");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Runs sigah with stdout a pipe whose reader is already gone.
fn into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_sigah"))
        .args(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("runs sigah")
}

#[test]
fn every_printing_command_exits_0_quietly_into_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    fvecs(Path::new(&p("x.fvecs")), 200, 8);
    sigah(&["train", "--data", &p("x.fvecs"), "--bits", "16", "--epochs", "1", "--out", &p("m.safetensors"), "-q"]);
    codes_npy(Path::new(&p("c.npy")), 100, 8);
    sigah(&["index", "build", "--codes", &p("c.npy"), "--out", &p("i.sigah"), "-q"]);
    let cases: Vec<Vec<String>> = [
        vec!["info", &p("m.safetensors")],
        vec!["info", "--json", &p("m.safetensors")],
        vec!["info", &p("c.npy")],
        vec!["info", "--json", &p("c.npy")],
        vec!["info", &p("i.sigah")],
        vec!["index", "info", &p("i.sigah")],
        vec!["index", "info", "--verify", &p("i.sigah")],
        vec!["bench", "gemm", "--m", "8", "--k", "8", "--n", "8", "--seconds", "0"],
        vec!["bench", "search", "--n", "1000", "--queries", "4", "--selected-only", "--seconds", "0"],
        vec!["search", "--index", &p("c.npy"), "--queries", &p("c.npy"), "--k", "2", "--out", "-", "-q"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .collect();
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = into_closed_pipe(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.code() == Some(0) && stderr.is_empty(), "{args:?}: {:?}, stderr {stderr:?}", out.status);
    }
}
