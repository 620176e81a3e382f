//! No debris (docs/ROBUSTNESS.md §2): a sigah stopped by SIGINT, SIGTERM or
//! SIGHUP in the middle of an atomic write removes its temp file, keeps the old
//! output, and exits with 128 + the signal; a temp file a dead process left (a
//! SIGKILL can still leave one) is removed by the next write to the same path.
//! Real processes and real signals.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::codes_npy;

/// The names in `dir` that start with a dot (the temp files).
fn hidden(dir: &Path) -> Vec<String> {
    let names = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
    names.filter(|n| n.starts_with('.')).collect()
}

fn sigah(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigah"));
    c.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

#[test]
fn a_signal_mid_write_removes_the_temp_file_and_exits_128_plus_the_signal() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    // 160 MB of codes: writing the FAISS file takes long enough to be caught mid-write.
    codes_npy(Path::new(&p("c.npy")), 5_000_000, 32);
    std::fs::write(p("out.faiss"), b"the old output").unwrap();
    for (sig, name) in [(2, "INT"), (15, "TERM"), (1, "HUP")] {
        let export = ["export", "--index", &p("c.npy"), "--format", "faiss", "--out", &p("out.faiss"), "-q"];
        let mut child = sigah(&export).spawn().unwrap();
        let start = Instant::now();
        while hidden(dir.path()).is_empty() {
            assert!(child.try_wait().unwrap().is_none(), "SIG{name}: the export ended before its temp file was seen");
            assert!(start.elapsed() < Duration::from_secs(60), "SIG{name}: no temp file after 60 s");
            std::thread::sleep(Duration::from_micros(200));
        }
        let kill = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(128 + sig), "SIG{name}: {:?}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(hidden(dir.path()), Vec::<String>::new(), "SIG{name} left a temp file");
        assert_eq!(std::fs::read(p("out.faiss")).unwrap(), b"the old output", "SIG{name}: the old output changed");
    }
}

#[test]
fn the_next_write_removes_temp_files_of_dead_processes_and_keeps_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    codes_npy(Path::new(&p("c.npy")), 100, 8);
    // A PID above the kernel's maximum (2^22) is never alive; this test's own is.
    let dead = p(".i.sigah.tmp.4194400");
    let alive = p(&format!(".i.sigah.tmp.{}", std::process::id()));
    let other = p(".other.sigah.tmp.4194400");
    for f in [&dead, &alive, &other] {
        std::fs::write(f, b"debris").unwrap();
    }
    let out = sigah(&["index", "build", "--codes", &p("c.npy"), "--out", &p("i.sigah"), "-q"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!Path::new(&dead).exists(), "the dead process's temp file stayed");
    assert!(Path::new(&alive).exists(), "a live process's temp file was removed");
    assert!(Path::new(&other).exists(), "another path's temp file was removed");
}
