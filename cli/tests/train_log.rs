//! `train --log` appends (its help says so), each run starting with a header
//! line, and a resumed run does not list an epoch twice.

use std::path::Path;
use std::process::Command;

mod common;
use common::fvecs;

fn train(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_sigah")).arg("train").args(args).arg("-q").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The log's lines, as "run" for a header and the epoch number for an epoch.
fn outline(log: &str) -> Vec<String> {
    let lines = std::fs::read_to_string(log).unwrap();
    let values = lines.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap());
    let marks = values.filter_map(|v| match (v.get("run"), v.get("epoch")) {
        (Some(run), _) => {
            assert!(run["sigah_version"].is_string() && run["command_line"].is_array() && run["started_unix"].is_u64());
            Some("run".to_string())
        }
        (None, Some(e)) => Some(e.to_string()),
        _ => None,
    });
    marks.collect()
}

#[test]
fn the_log_appends_with_a_header_and_a_resume_repeats_no_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    fvecs(Path::new(&p("x.fvecs")), 300, 8);
    let (log, ckpt) = (p("l.jsonl"), p("c.ckpt.safetensors"));
    let data = ["--data", &p("x.fvecs"), "--log", &log];
    // Three epochs, the checkpoint after the second: epoch 3 is what an
    // interrupted run would have logged after its last checkpoint.
    train(&[&data[..], &["--bits", "8", "--epochs", "3", "--out", &p("a.safetensors")]].concat());
    train(
        &[
            &data[..],
            &[
                "--bits",
                "8",
                "--epochs",
                "3",
                "--checkpoint-every",
                "2",
                "--checkpoint",
                &ckpt,
                "--out",
                &p("c.safetensors"),
            ],
        ]
        .concat(),
    );
    train(&[&data[..], &["--out", &p("b.safetensors"), "--resume", &ckpt, "--epochs", "3"]].concat());
    assert_eq!(outline(&log), ["run", "1", "2", "3", "run", "1", "2", "run", "3"]);
}
