//! Crash safety (docs/ROBUSTNESS.md §2): `sigah train` killed with SIGKILL mid-epoch resumes
//! from its last checkpoint with `--resume` and reaches the same model bytes as
//! an uninterrupted run with the same seed and thread count.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fvecs(path: &Path, n: usize, d: usize) {
    let mut b = Vec::new();
    for i in 0..n {
        b.extend((d as i32).to_le_bytes());
        for j in 0..d {
            let v = ((i % 5) as f32 * 2.0 - 4.0) + ((i * 13 + j * 7) % 17) as f32 * 0.05;
            b.extend(v.to_le_bytes());
        }
    }
    std::fs::write(path, b).unwrap();
}

fn train(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigah"));
    c.arg("train").args(args).args(["--quiet", "--threads", "1"]).stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

fn run_ok(mut c: Command) {
    let out = c.output().expect("runs the binary");
    assert!(out.status.success(), "{c:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn sigkill_mid_epoch_then_resume_gives_the_same_model_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    fvecs(Path::new(&p("train.fvecs")), 2000, 24);
    std::fs::write(p("c.toml"), "bits = 16\nhidden = [32]\ndisc_hidden = 16\nbatch_size = 32\nseed = 9\n").unwrap();
    let epochs = "30";
    let base = ["--data", &p("train.fvecs"), "--config", &p("c.toml"), "--epochs", epochs];

    // The uninterrupted run.
    let mut c = train(&base);
    c.args(["--out", &p("straight.safetensors")]);
    let t = Instant::now();
    run_ok(c);
    let straight_s = t.elapsed();

    // The same run with a checkpoint every epoch, killed once the first one exists.
    let ckpt = p("run.ckpt.safetensors");
    let mut c = train(&base);
    c.args(["--out", &p("killed.safetensors"), "--checkpoint-every", "1", "--checkpoint", &ckpt]);
    let mut child = c.spawn().expect("spawns sigah train");
    let start = Instant::now();
    while !Path::new(&ckpt).exists() {
        assert!(child.try_wait().unwrap().is_none(), "training ended before its first checkpoint");
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint after 2 minutes");
        std::thread::sleep(Duration::from_millis(2));
    }
    // Into the next epoch: a fraction of one epoch's time (the straight run's
    // total over its epochs), so the kill lands mid-epoch, not on a boundary.
    std::thread::sleep(straight_s / 30 / 3);
    assert!(child.try_wait().unwrap().is_none(), "training finished before it could be killed");
    child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix.
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL");
    }
    assert!(!Path::new(&p("killed.safetensors")).exists(), "the killed run never wrote its model");

    // The checkpoint the kill left is a mid-run one (at least epoch 1, not the end).
    let file = sigah_core::io::stfile::read(Path::new(&ckpt)).expect("the checkpoint survived the kill intact");
    let training: serde_json::Value = serde_json::from_str(&file.metadata["training"]).unwrap();
    let done = training["epochs"].as_u64().unwrap();
    assert!((1..30).contains(&done), "checkpoint at epoch {done}");
    println!("killed after epoch {done} of 30; resuming");

    // Resume from whatever checkpoint the kill left: the same final bytes.
    let mut c = train(&["--data", &p("train.fvecs"), "--resume", &ckpt, "--epochs", epochs]);
    c.args(["--out", &p("resumed.safetensors")]);
    run_ok(c);
    let straight = std::fs::read(p("straight.safetensors")).unwrap();
    let resumed = std::fs::read(p("resumed.safetensors")).unwrap();
    assert!(straight == resumed, "the resumed model differs from the uninterrupted one");
}

#[test]
fn resume_with_fewer_epochs_than_the_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    fvecs(Path::new(&p("train.fvecs")), 300, 8);
    std::fs::write(p("c.toml"), "bits = 8\nhidden = [16]\ndisc_hidden = 8\nbatch_size = 32\nseed = 3\n").unwrap();
    let ckpt = p("run.ckpt.safetensors");
    let base = ["--data", &p("train.fvecs"), "--config", &p("c.toml")];
    let mut c = train(&base);
    c.args(["--epochs", "2", "--out", &p("m2.safetensors"), "--checkpoint-every", "1", "--checkpoint", &ckpt]);
    run_ok(c);
    // Was: exit 0, "1 epoch" then "(2 epochs)", and a model whose config said 1
    // epoch while its training record said 2.
    let mut c = train(&base);
    c.args(["--epochs", "1", "--out", &p("m1.safetensors"), "--resume", &ckpt]);
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("the checkpoint has trained 2 epochs, more than the 1 asked for"), "{err}");
    assert!(err.contains("run.ckpt.safetensors"), "{err}");
    assert!(!Path::new(&p("m1.safetensors")).exists(), "no model is written");
}
