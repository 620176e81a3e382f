//! Writers of one index file exclude one another (`core/src/io/lock.rs`): many
//! `sigah index add` and `remove` processes at once lose no acknowledged change;
//! a writer that cannot get the lock in time fails (exit 2) and changes nothing;
//! a writer killed mid-write leaves the previous file readable and the lock
//! released. Also: exports write what the index holds and say how many.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sigah_core::index::HammingIndex;
use sigah_core::io::npy;
use sigah_core::Codes;

fn sigah() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigah"));
    c.env("RUST_BACKTRACE", "1");
    c
}

fn run(args: &[&str]) -> Output {
    sigah().args(args).output().expect("run sigah")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "sigah {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `n` codes of `bits` bits, all distinct in their first 8 bytes (xorshift).
fn codes(n: usize, bits: usize, seed: u64) -> Codes {
    let mut x = seed | 1;
    let bytes: Vec<u8> = (0..n * bits / 8)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    Codes::from_bytes(bits, &bytes).unwrap()
}

fn write_codes(path: &Path, c: &Codes) {
    npy::write(path, &[c.len(), c.bits() / 8], c.as_bytes()).unwrap();
}

fn write_ids(path: &Path, ids: &[i64]) {
    npy::write(path, &[ids.len()], ids).unwrap();
}

/// An index file of 1,000 64-bit codes with ids 0..1000 in `dir`.
fn index_in(dir: &Path) -> PathBuf {
    let (c, ix) = (dir.join("base.npy"), dir.join("x.sigah"));
    write_codes(&c, &codes(1000, 64, 1));
    ok(&["index", "build", "--codes", s(&c), "--out", s(&ix), "--quiet"]);
    ix
}

/// Live ids of an index file, sorted.
fn live_ids(path: &Path) -> Vec<i64> {
    let ix = HammingIndex::load(path).unwrap();
    let mut ids: Vec<i64> = (0..ix.len()).filter(|&p| !ix.is_removed(p)).map(|p| ix.id_at(p)).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn eight_concurrent_writers_over_several_rounds_lose_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let ix = index_in(dir.path());
    let mut expect: Vec<i64> = (0..1000).collect();
    for round in 0..3i64 {
        // 4 adders of 50 codes with their own ids, 4 removers of 25 ids each, at once.
        let mut jobs: Vec<(Child, Vec<i64>, bool)> = Vec::new();
        for w in 0..8i64 {
            let (ids, add): (Vec<i64>, bool) = if w < 4 {
                ((0..50).map(|i| 10_000 * (round + 1) + 100 * w + i).collect(), true)
            } else {
                ((0..25).map(|i| 80 * (round * 4 + w - 4) + i).collect(), false)
            };
            let idf = dir.path().join(format!("ids{round}_{w}.npy"));
            write_ids(&idf, &ids);
            let mut cmd = sigah();
            if add {
                let cf = dir.path().join(format!("c{round}_{w}.npy"));
                write_codes(&cf, &codes(50, 64, (round * 8 + w + 2) as u64));
                cmd.args(["index", "add", "--index", s(&ix), "--codes", s(&cf), "--ids", s(&idf)]);
            } else {
                cmd.args(["index", "remove", "--index", s(&ix), "--ids", s(&idf)]);
            }
            let child = cmd.args(["--quiet", "--wait", "60"]).stderr(Stdio::piped()).spawn().unwrap();
            jobs.push((child, ids, add));
        }
        for (child, ids, add) in jobs {
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            if out.status.success() {
                if add {
                    expect.extend(&ids);
                } else {
                    expect.retain(|id| !ids.contains(id));
                }
            } else {
                // A refused change says why, and is checked below to be absent.
                assert_eq!(out.status.code(), Some(2), "{err}");
                assert!(err.contains("is being written by another process"), "{err}");
            }
        }
        expect.sort_unstable();
        assert_eq!(live_ids(&ix), expect, "round {round}");
    }
    // With a minute's wait every writer got its turn: all 24 changes are in.
    assert_eq!(expect.len(), 1000 + 3 * 200 - 3 * 100);
}

#[test]
fn a_writer_that_cannot_get_the_lock_fails_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ix = index_in(dir.path());
    let before = std::fs::read(&ix).unwrap();
    // Hold the writers' lock as another sigah writer would.
    let held = File::options().create(true).truncate(false).write(true).open(dir.path().join(".x.sigah.lock")).unwrap();
    held.lock().unwrap();
    let t = Instant::now();
    let out = run(&["index", "remove", "--index", s(&ix), "--id", "5,6,7", "--wait", "0.3"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let want = format!("sigah: error: {} is being written by another process (waited 0.3 s", ix.display());
    assert!(err.starts_with(&want), "{err}");
    assert_eq!(std::fs::read(&ix).unwrap(), before);
    // A reader is never blocked by a writer.
    let q = dir.path().join("q.npy");
    write_codes(&q, &codes(3, 64, 1));
    ok(&["search", "--index", s(&ix), "--queries", s(&q), "--k", "1", "--out", s(&dir.path().join("r")), "--quiet"]);
    drop(held);
    ok(&["index", "remove", "--index", s(&ix), "--id", "5,6,7", "--wait", "0"]);
    assert_eq!(live_ids(&ix).len(), 997);
}

#[test]
fn a_writer_killed_mid_write_leaves_the_old_file_and_releases_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let ix = index_in(dir.path());
    let before = std::fs::read(&ix).unwrap();
    // Enough codes that the write takes a while: 4M 64-bit codes, 32 MB.
    let big = dir.path().join("big.npy");
    let c = codes(1 << 22, 64, 9);
    write_codes(&big, &c);
    let mut child = sigah().args(["index", "add", "--index", s(&ix), "--codes", s(&big), "--quiet"]).spawn().unwrap();
    let tmp = dir.path().join(format!(".x.sigah.tmp.{}", child.id()));
    let t = Instant::now();
    while !tmp.exists() && t.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(tmp.exists(), "the writer never started its temp file");
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(std::fs::read(&ix).unwrap(), before, "the old file must stay as it was");
    HammingIndex::verify(&ix).unwrap();
    // The kernel dropped the dead writer's lock: the next writer does not wait.
    let t = Instant::now();
    ok(&["index", "remove", "--index", s(&ix), "--id", "1", "--wait", "0", "--quiet"]);
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(live_ids(&ix).len(), 999);
}

#[test]
fn exports_keep_ids_and_removals_and_print_the_count_written() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.npy");
    write_codes(&c, &codes(1000, 64, 3));
    let ids: Vec<i64> = (0..1000).map(|i| 10 * i + 5).collect();
    let idf = dir.path().join("ids.npy");
    write_ids(&idf, &ids);
    let ix = dir.path().join("x.sigah");
    ok(&["index", "build", "--codes", s(&c), "--ids", s(&idf), "--out", s(&ix), "--quiet"]);
    ok(&["index", "remove", "--index", s(&ix), "--id", "5,15", "--quiet"]);
    let faiss = dir.path().join("x.faiss");
    let err = ok(&["export", "--index", s(&ix), "--format", "faiss", "--out", s(&faiss)]);
    assert!(err.contains("wrote 998 codes of 64 bits") && err.contains("IndexBinaryIDMap"), "{err}");
    let bytes = std::fs::read(&faiss).unwrap();
    assert_eq!(&bytes[..4], b"IBMp");
    // The id map at the end holds the live ids, not row numbers.
    let tail: Vec<i64> =
        bytes[bytes.len() - 998 * 8..].chunks(8).map(|b| i64::from_le_bytes(b.try_into().unwrap())).collect();
    assert_eq!(tail, ids[2..]);
    let err = ok(&["export", "--index", s(&ix), "--format", "milvus", "--out", s(&dir.path().join("mv"))]);
    assert!(err.contains("wrote 998 codes"), "{err}");
    // A plain index still exports a flat index of every code.
    let err = ok(&["export", "--index", s(&c), "--format", "faiss", "--out", s(&faiss)]);
    assert!(err.contains("wrote 1000 codes") && err.contains("IndexBinaryFlat"), "{err}");
}
