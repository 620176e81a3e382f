//! `sigah search`, `sigah export` and `sigah bench search` run as a user runs them:
//! the real binary on real files in a temporary folder.

use std::path::Path;
use std::process::{Command, Output};

use sigah_core::index::HammingIndex;
use sigah_core::io::npy;
use sigah_core::Codes;

fn sigah(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).output().expect("run sigah")
}

fn ok(args: &[&str]) -> Output {
    let out = sigah(args);
    assert!(out.status.success(), "sigah {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Fails with exit code 2 and one `sigah: error:` line containing `want`.
fn fails(args: &[&str], want: &str) {
    let out = sigah(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "sigah {args:?}: {err}");
    assert!(err.contains(want), "sigah {args:?}: expected '{want}' in: {err}");
}

fn codes(n: usize, bits: usize, seed: u64) -> Codes {
    let mut s = seed | 1;
    let bytes: Vec<u8> = (0..n * bits / 8)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect();
    Codes::from_bytes(bits, &bytes).unwrap()
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn knn_writes_ids_and_distances_as_npy() {
    let dir = tempfile::tempdir().unwrap();
    let (base, queries) = (codes(3000, 128, 1), codes(7, 128, 2));
    base.write_npy(&dir.path().join("base.npy")).unwrap();
    queries.write_npy(&dir.path().join("q.npy")).unwrap();
    let (b, q, out) = (p(dir.path(), "base.npy"), p(dir.path(), "q.npy"), p(dir.path(), "res"));
    ok(&["search", "--index", &b, "--queries", &q, "--k", "12", "--out", &out, "--threads", "2", "--quiet"]);
    let (want_d, want_i) = HammingIndex::from_codes(base).knn(&queries, 12).unwrap();
    let (shape, ids) = npy::read::<i64>(&dir.path().join("res.ids.npy")).unwrap();
    assert_eq!((shape, ids), (vec![7, 12], want_i));
    let (shape, dist) = npy::read::<i32>(&dir.path().join("res.dist.npy")).unwrap();
    assert_eq!(shape, vec![7, 12]);
    assert_eq!(dist, want_d.iter().map(|&d| d as i32).collect::<Vec<_>>());
}

#[test]
fn padding_tsv_and_radius() {
    let dir = tempfile::tempdir().unwrap();
    let base = Codes::from_words(64, vec![0, 1, 3]).unwrap(); // distances 0, 1, 2 from 0
    let queries = Codes::from_words(64, vec![0]).unwrap();
    base.write_npy(&dir.path().join("base.npy")).unwrap();
    queries.write_npy(&dir.path().join("q.npy")).unwrap();
    let (b, q) = (p(dir.path(), "base.npy"), p(dir.path(), "q.npy"));
    ok(&["search", "--index", &b, "--queries", &q, "--k", "5", "--out", &p(dir.path(), "pad"), "--quiet"]);
    // k is capped at the 3 codes searched: no padding columns.
    assert_eq!(npy::read::<i64>(&dir.path().join("pad.ids.npy")).unwrap(), (vec![1, 3], vec![0, 1, 2]));
    assert_eq!(npy::read::<i32>(&dir.path().join("pad.dist.npy")).unwrap().1, vec![0, 1, 2]);
    ok(&["search", "--index", &b, "--queries", &q, "--k", "5", "--out", &p(dir.path(), "r.tsv"), "--quiet"]);
    let tsv = std::fs::read_to_string(dir.path().join("r.tsv")).unwrap();
    assert_eq!(tsv, "query\trank\tid\tdistance\n0\t0\t0\t0\n0\t1\t1\t1\n0\t2\t2\t2\n");
    ok(&["search", "--index", &b, "--queries", &q, "--radius", "1", "--out", &p(dir.path(), "rad"), "--quiet"]);
    assert_eq!(npy::read::<i64>(&dir.path().join("rad.ids.npy")).unwrap(), (vec![1, 2], vec![0, 1]));
}

#[test]
fn export_faiss_and_sigah_index() {
    let dir = tempfile::tempdir().unwrap();
    let base = codes(50, 72, 3);
    base.write_npy(&dir.path().join("base.npy")).unwrap();
    let b = p(dir.path(), "base.npy");
    ok(&["export", "--index", &b, "--format", "faiss", "--out", &p(dir.path(), "b.faissindex"), "--quiet"]);
    let file = std::fs::read(dir.path().join("b.faissindex")).unwrap();
    let mut want = sigah_core::io::faiss::binary_flat_header(&base);
    want.extend(base.to_bytes());
    assert_eq!(file, want);
    ok(&["export", "--index", &b, "--format", "sigah", "--out", &p(dir.path(), "b.sigahidx"), "--quiet"]);
    assert_eq!(HammingIndex::load(&dir.path().join("b.sigahidx")).unwrap().codes(), &base);
    // search opens a sigah index file as well as codes.
    let q = codes(2, 72, 4);
    q.write_npy(&dir.path().join("q.npy")).unwrap();
    let qs = p(dir.path(), "q.npy");
    ok(&[
        "search",
        "--index",
        &p(dir.path(), "b.sigahidx"),
        "--queries",
        &qs,
        "--k",
        "3",
        "--out",
        &p(dir.path(), "a"),
    ]);
    ok(&["search", "--index", &b, "--queries", &qs, "--k", "3", "--out", &p(dir.path(), "c")]);
    assert_eq!(
        std::fs::read(dir.path().join("a.ids.npy")).unwrap(),
        std::fs::read(dir.path().join("c.ids.npy")).unwrap()
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    codes(10, 64, 1).write_npy(&dir.path().join("b64.npy")).unwrap();
    codes(2, 128, 1).write_npy(&dir.path().join("q128.npy")).unwrap();
    npy::write(&dir.path().join("f32.npy"), &[2, 8], &[0.5f32; 16]).unwrap();
    let (b, q, f) = (p(dir.path(), "b64.npy"), p(dir.path(), "q128.npy"), p(dir.path(), "f32.npy"));
    let out = p(dir.path(), "o");
    fails(&["search", "--index", &b, "--queries", &q, "--k", "1", "--out", &out], "128-bit codes");
    fails(&["search", "--index", &b, "--queries", &b, "--k", "0", "--out", &out], "--k must be at least 1");
    fails(&["search", "--index", &f, "--queries", &b, "--k", "1", "--out", &out], "f32.npy: codes must be uint8");
    fails(&["search", "--index", &b, "--queries", &b, "--out", &out], "--k");
    fails(&["search", "--index", &p(dir.path(), "none.npy"), "--queries", &b, "--k", "1", "--out", &out], "none.npy");
    fails(&["export", "--index", &b, "--format", "parquet", "--out", &out], "parquet");
    // Milvus bulk files go into a folder: a file there is refused, untouched.
    let before = std::fs::read(dir.path().join("f32.npy")).unwrap();
    fails(&["export", "--index", &b, "--format", "milvus", "--out", &f], "is a file");
    assert_eq!(std::fs::read(dir.path().join("f32.npy")).unwrap(), before);
    let err =
        String::from_utf8_lossy(&sigah(&["search", "--index", &b, "--queries", &q, "--k", "1", "--out", &out]).stderr)
            .into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!dir.path().join("o.ids.npy").exists(), "no output after an error");
}

#[test]
fn bench_search_reports_every_path_as_json() {
    let out = ok(&[
        "bench",
        "search",
        "--n",
        "5000",
        "--queries",
        "20",
        "--bits",
        "128",
        "--k",
        "5",
        "--seconds",
        "0",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n"], 5000);
    assert_eq!(v["bits"], 128);
    let rows = v["results"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["queries_per_s"].as_f64().unwrap() > 0.0 && r["path"].is_string()));
    assert!(rows.iter().any(|r| r["path"] == v["selected"]), "the selected path is among those measured");
}
