//! Outputs touch only what the user named (docs/ROBUSTNESS.md §2): a symlink is written
//! through and stays a link, a device or a pipe is written directly, `-` is
//! stdout, a folder is refused. The real binary, in a temporary folder.

#![cfg(unix)]

use std::fs;
use std::io::Read;
use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn sigah(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).env("RUST_BACKTRACE", "1").output().expect("run sigah")
}

fn ok(args: &[&str]) -> Output {
    let out = sigah(args);
    assert!(out.status.success(), "sigah {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn fails(args: &[&str], want: &str) -> String {
    let out = sigah(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "sigah {args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(want), "sigah {args:?}: expected {want:?} in: {err}");
    err
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A folder with a codes file (`c.npy`, 40 codes of 32 bits) and its bytes.
fn codes_dir() -> (tempfile::TempDir, String, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..40u32 * 4).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let path = dir.path().join("c.npy");
    sigah_core::io::npy::write(&path, &[40, 4], &bytes).unwrap();
    let file = fs::read(&path).unwrap();
    (dir, s(&path), file)
}

#[test]
fn a_symlinked_output_is_written_through_and_stays_a_symlink() {
    // Before: the rename replaced link.faiss with a regular file, target untouched.
    let (dir, codes, _) = codes_dir();
    let plain = dir.path().join("plain.faiss");
    ok(&["export", "--index", &codes, "--format", "faiss", "--out", &s(&plain), "--quiet"]);
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("target.faiss"), b"old").unwrap();
    let link = dir.path().join("link.faiss");
    symlink("sub/target.faiss", &link).unwrap();
    ok(&["export", "--index", &codes, "--format", "faiss", "--out", &s(&link), "--quiet"]);
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
    assert_eq!(fs::read(sub.join("target.faiss")).unwrap(), fs::read(&plain).unwrap());
    assert_eq!(fs::read_dir(&sub).unwrap().count(), 1, "no temp file beside the target");

    // Search results (two files) through links too.
    let q = codes.clone();
    symlink("sub/ids_target.npy", dir.path().join("r.ids.npy")).unwrap();
    let r = s(&dir.path().join("r"));
    ok(&["search", "--index", &codes, "--queries", &q, "--k", "3", "--out", &r, "--quiet"]);
    assert!(fs::symlink_metadata(dir.path().join("r.ids.npy")).unwrap().file_type().is_symlink());
    assert_eq!(sigah_core::io::npy::read::<i64>(&sub.join("ids_target.npy")).unwrap().0, vec![40, 3]);
}

#[test]
fn dev_null_and_dev_stdout_are_written_directly() {
    // Before (as root): the rename replaced /dev/null or /dev/stdout with a
    // regular file, and nothing reached stdout.
    let (dir, codes, _) = codes_dir();
    let plain = dir.path().join("plain.faiss");
    ok(&["export", "--index", &codes, "--format", "faiss", "--out", &s(&plain), "--quiet"]);
    ok(&["export", "--index", &codes, "--format", "faiss", "--out", "/dev/null", "--quiet"]);
    assert!(fs::symlink_metadata("/dev/null").unwrap().file_type().is_char_device());
    let out = ok(&["export", "--index", &codes, "--format", "faiss", "--out", "/dev/stdout", "--quiet"]);
    assert_eq!(out.stdout, fs::read(&plain).unwrap());
    let out = ok(&["export", "--index", &codes, "--format", "faiss", "--out", "-", "--quiet"]);
    assert_eq!(out.stdout, fs::read(&plain).unwrap());
    assert!(!Path::new("-").exists(), "`-` is stdout, not a file named -");
}

#[test]
fn dash_is_stdout_where_the_format_allows() {
    let (dir, codes, _) = codes_dir();
    let tsv = dir.path().join("r.tsv");
    ok(&["search", "--index", &codes, "--queries", &codes, "--k", "2", "--out", &s(&tsv), "--quiet"]);
    let out = ok(&["search", "--index", &codes, "--queries", &codes, "--k", "2", "--out", "-", "--quiet"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), fs::read_to_string(&tsv).unwrap());
    // Two .npy files or a folder cannot be one stream.
    fails(&["export", "--index", &codes, "--format", "milvus", "--out", "-"], "not standard output");
}

#[test]
fn a_named_pipe_is_written_directly() {
    let (dir, codes, _) = codes_dir();
    let plain = dir.path().join("plain.faiss");
    ok(&["export", "--index", &codes, "--format", "faiss", "--out", &s(&plain), "--quiet"]);
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigah"))
        .args(["export", "--index", &codes, "--format", "faiss", "--out", &s(&fifo), "--quiet"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    fs::File::open(&fifo).unwrap().read_to_end(&mut got).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(got, fs::read(&plain).unwrap());
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe stays a pipe");
}

#[test]
fn a_folder_is_refused_and_left_alone() {
    let (dir, codes, _) = codes_dir();
    let folder = dir.path().join("folder.faiss");
    fs::create_dir(&folder).unwrap();
    fails(&["export", "--index", &codes, "--format", "faiss", "--out", &s(&folder)], "this is a folder");
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 0);
    // A link to a folder is a folder too.
    let link = dir.path().join("link");
    symlink(&folder, &link).unwrap();
    fails(&["export", "--index", &codes, "--format", "sigah", "--out", &s(&link)], "this is a folder");
}
