//! The default result limit respects `ulimit -v`: a radius search that finds
//! every code is refused with exit 2 and one line, instead of aborting on its
//! first refused allocation (`core/src/index/limit.rs`).

use std::process::Command;

use sigah_core::io::npy;

#[test]
fn a_radius_search_under_ulimit_v_is_refused_not_aborted() {
    let dir = tempfile::tempdir().unwrap();
    let (codes, queries) = (dir.path().join("c.npy"), dir.path().join("q.npy"));
    // Any bytes: radius 64 of 64-bit codes matches every code.
    let bytes: Vec<u8> = (0..1_000_000 * 8).map(|i| (i % 251) as u8).collect();
    npy::write(&codes, &[1_000_000, 8], &bytes).unwrap();
    npy::write(&queries, &[2000, 8], &bytes[..2000 * 8]).unwrap();
    // 1 GiB of address space; radius 64 finds all 2 * 10^9 pairs (32 GB).
    let script = format!(
        "ulimit -v 1048576; exec '{}' search --index '{}' --queries '{}' --radius 64 --out '{}'",
        env!("CARGO_BIN_EXE_sigah"),
        codes.display(),
        queries.display(),
        dir.path().join("r.tsv").display()
    );
    let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("sigah: error: radius 64 over 2000 queries make more than "), "{err}");
    assert!(err.contains("(half the available memory at 28 bytes each; --max-results raises it)"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!dir.path().join("r.tsv").exists());
}
