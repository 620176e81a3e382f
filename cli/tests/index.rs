//! `sigah index build|add|remove|info` and `sigah search --index FILE.sigah`: the
//! real binary on real files. Results are compared with brute force over the
//! codes a search may return; bad input must fail with one line, exit code 2, and
//! leave the index file byte for byte as it was.

use std::path::Path;
use std::process::{Command, Output};

use sigah_core::io::npy;
use sigah_core::Codes;

fn sigah(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigah")).env("RUST_BACKTRACE", "1").args(args).output().expect("run sigah")
}

fn ok(args: &[&str]) -> String {
    let out = sigah(args);
    assert!(out.status.success(), "sigah {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Exit code 2, one `sigah: error:` line naming `want`, and `file` unchanged.
fn fails(args: &[&str], want: &[&str], file: &Path) {
    let before = std::fs::read(file).ok();
    let out = sigah(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "sigah {args:?}: {err}");
    assert!(err.starts_with("sigah: error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "more than one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in want {
        assert!(err.contains(w), "sigah {args:?}: expected {w:?} in: {err}");
    }
    assert_eq!(std::fs::read(file).ok(), before, "sigah {args:?} changed {}", file.display());
    println!("{} -> {}", args[1], err.trim_end());
}

/// Clustered codes (so the multi-index tables have real work), xorshift.
fn codes(n: usize, bits: usize, seed: u64) -> Codes {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let row = bits / 8;
    let protos: Vec<u8> = (0..8 * row).map(|_| next() as u8).collect();
    let mut bytes = Vec::new();
    for _ in 0..n {
        let c = (next() % 8) as usize;
        let mut code = protos[c * row..(c + 1) * row].to_vec();
        for _ in 0..next() % 6 {
            let j = (next() % bits as u64) as usize;
            code[j / 8] ^= 1 << (j % 8);
        }
        bytes.extend(code);
    }
    Codes::from_bytes(bits, &bytes).unwrap()
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

fn write_ids(path: &str, ids: &[i64]) {
    npy::write(Path::new(path), &[ids.len()], ids).unwrap();
}

/// The k best (distance, id) over `live` (code, id) pairs; k is capped at the
/// codes searched (no padding columns nobody asked for), so there is no padding.
fn brute(live: &[(Vec<u8>, i64)], q: &[u8], k: usize) -> Vec<(i32, i64)> {
    let mut all: Vec<(i32, i64)> = live
        .iter()
        .map(|(c, id)| (c.iter().zip(q).map(|(a, b)| (a ^ b).count_ones()).sum::<u32>() as i32, *id))
        .collect();
    all.sort_unstable();
    all.truncate(k);
    all
}

fn results(prefix: &str, nq: usize) -> Vec<Vec<(i32, i64)>> {
    let (shape, ids) = npy::read::<i64>(Path::new(&format!("{prefix}.ids.npy"))).unwrap();
    let k = shape[1];
    let (_, dist) = npy::read::<i32>(Path::new(&format!("{prefix}.dist.npy"))).unwrap();
    (0..nq).map(|q| (0..k).map(|r| (dist[q * k + r], ids[q * k + r])).collect()).collect()
}

#[test]
fn build_add_remove_search_with_custom_ids() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bits = 64;
    let (a, b, q) = (codes(6000, bits, 1), codes(500, bits, 2), codes(20, bits, 3));
    a.write_npy(&d.join("a.npy")).unwrap();
    b.write_npy(&d.join("b.npy")).unwrap();
    q.write_npy(&d.join("q.npy")).unwrap();
    let ids_a: Vec<i64> = (0..6000).map(|i| (i * 7_919 % 6000) * 1000 + 3).collect();
    let ids_b: Vec<i64> = (0..500).map(|i| 10_000_000 + 500 - i).collect();
    write_ids(&p(d, "ida.npy"), &ids_a);
    write_ids(&p(d, "idb.npy"), &ids_b);
    let idx = p(d, "x.sigah");
    ok(&["index", "build", "--codes", &p(d, "a.npy"), "--ids", &p(d, "ida.npy"), "--out", &idx, "--quiet"]);
    ok(&["index", "add", "--index", &idx, "--codes", &p(d, "b.npy"), "--ids", &p(d, "idb.npy"), "--quiet"]);
    let gone: Vec<i64> = ids_a.iter().chain(&ids_b).copied().step_by(5).collect();
    write_ids(&p(d, "gone.npy"), &gone);
    ok(&["index", "remove", "--index", &idx, "--ids", &p(d, "gone.npy"), "--quiet"]);
    let info = ok(&["index", "info", &idx, "--verify"]);
    assert!(info.contains("codes: 5200 (6500 stored, 1300 removed)"), "{info}");
    assert!(info.contains("custom int64") && info.contains("multi-index: m = "), "{info}");

    let mut live: Vec<(Vec<u8>, i64)> = Vec::new();
    for (codes, ids) in [(&a, &ids_a), (&b, &ids_b)] {
        for (i, &id) in ids.iter().enumerate() {
            if !gone.contains(&id) {
                live.push((codes.code_bytes(i).to_vec(), id));
            }
        }
    }
    let allow: Vec<i64> = live.iter().map(|l| l.1).filter(|id| id % 3 == 0).collect();
    write_ids(&p(d, "allow.npy"), &allow);
    let allowed: Vec<(Vec<u8>, i64)> = live.iter().filter(|l| allow.contains(&l.1)).cloned().collect();
    for k in [1, 10, 6000] {
        for engine in ["auto", "scan", "mih"] {
            // The k nearest of every query, optionally among the allowed ids.
            let search = |name: &str, allow: Option<&str>| {
                let (out, ks, queries) = (p(d, name), k.to_string(), p(d, "q.npy"));
                let mut args = vec!["search", "--index", &idx, "--queries", &queries, "--k", &ks, "--engine", engine];
                args.extend(allow.map(|a| ["--allow", a]).into_iter().flatten());
                args.extend(["--out", &out, "--quiet"]);
                ok(&args);
                results(&out, 20)
            };
            for (qi, row) in search(&format!("r{k}{engine}"), None).iter().enumerate() {
                assert_eq!(row, &brute(&live, q.code_bytes(qi), k), "k {k}, {engine}, query {qi}");
            }
            let allow_file = p(d, "allow.npy");
            for (qi, row) in search(&format!("a{k}{engine}"), Some(&allow_file)).iter().enumerate() {
                assert_eq!(row, &brute(&allowed, q.code_bytes(qi), k), "allow, k {k}, {engine}, query {qi}");
            }
        }
    }
    // A radius search over the same file, as TSV.
    let tsv = p(d, "r.tsv");
    ok(&["search", "--index", &idx, "--queries", &p(d, "q.npy"), "--radius", "6", "--out", &tsv, "--quiet"]);
    let text = std::fs::read_to_string(&tsv).unwrap();
    let want: usize =
        (0..20).map(|qi| brute(&live, q.code_bytes(qi), live.len()).iter().filter(|p| p.0 <= 6).count()).sum();
    assert_eq!(text.lines().count() - 1, want);
}

#[test]
fn bad_ids_and_widths_fail_cleanly_and_leave_the_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    codes(100, 64, 1).write_npy(&d.join("c.npy")).unwrap();
    codes(5, 64, 2).write_npy(&d.join("five.npy")).unwrap();
    codes(5, 32, 2).write_npy(&d.join("narrow.npy")).unwrap();
    write_ids(&p(d, "ids.npy"), &(0..100).map(|i| i * 2).collect::<Vec<_>>());
    write_ids(&p(d, "dup.npy"), &[1, 2, 3, 2, 5]);
    write_ids(&p(d, "taken.npy"), &[1, 3, 4, 5, 7]);
    write_ids(&p(d, "neg.npy"), &[-5]);
    write_ids(&p(d, "unknown.npy"), &[0, 2, 77]);
    let idx = p(d, "x.sigah");
    let missing = d.join("never.sigah");
    // Building: repeated, negative, too few ids; nothing is written.
    let mut dup100: Vec<i64> = (0..100).collect();
    dup100[50] = 7;
    write_ids(&p(d, "dup100.npy"), &dup100);
    fails(
        &["index", "build", "--codes", &p(d, "c.npy"), "--ids", &p(d, "dup100.npy"), "--out", &p(d, "never.sigah")],
        &["dup100.npy", "id 7 appears more than once"],
        &missing,
    );
    fails(
        &["index", "build", "--codes", &p(d, "c.npy"), "--ids", &p(d, "dup.npy"), "--out", &p(d, "never.sigah")],
        &["dup.npy", "5 ids for 100 codes"],
        &missing,
    );
    ok(&["index", "build", "--codes", &p(d, "c.npy"), "--ids", &p(d, "ids.npy"), "--out", &idx, "--quiet"]);
    let file = Path::new(&idx);
    fails(
        &["index", "add", "--index", &idx, "--codes", &p(d, "five.npy"), "--ids", &p(d, "dup.npy")],
        &["dup.npy", "id 2 appears more than once"],
        file,
    );
    fails(
        &["index", "add", "--index", &idx, "--codes", &p(d, "five.npy"), "--ids", &p(d, "taken.npy")],
        &["taken.npy", "id 4 is already in the index"],
        file,
    );
    fails(
        &["index", "add", "--index", &idx, "--codes", &p(d, "narrow.npy")],
        &["narrow.npy", "32-bit codes", "x.sigah", "64-bit"],
        file,
    );
    fails(
        &["index", "remove", "--index", &idx, "--ids", &p(d, "unknown.npy")],
        &["unknown.npy", "id 77 is not in the index"],
        file,
    );
    fails(&["index", "remove", "--index", &idx, "--id", "4,5"], &["x.sigah", "id 5 is not in the index"], file);
    fails(
        &["index", "remove", "--index", &idx, "--ids", &p(d, "neg.npy")],
        &["neg.npy", "id -5 is not in the index"],
        file,
    );
    fails(
        &["search", "--index", &idx, "--queries", &p(d, "narrow.npy"), "--k", "3", "--out", &p(d, "o")],
        &["narrow.npy", "32-bit"],
        file,
    );
    fails(
        &[
            "search",
            "--index",
            &idx,
            "--queries",
            &p(d, "five.npy"),
            "--k",
            "3",
            "--allow",
            &p(d, "unknown.npy"),
            "--out",
            &p(d, "o"),
        ],
        &["unknown.npy", "id 77 is not in the index"],
        file,
    );
    // A corrupt index file is named, and add refuses it.
    let mut bytes = std::fs::read(file).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x40;
    std::fs::write(file, &bytes).unwrap();
    fails(&["index", "add", "--index", &idx, "--codes", &p(d, "five.npy")], &["x.sigah", "checksum"], file);
    fails(&["index", "info", &idx, "--verify"], &["x.sigah", "checksum"], file);
    // Removing twice: the second is unknown.
    let idx2 = p(d, "y.sigah");
    ok(&["index", "build", "--codes", &p(d, "c.npy"), "--out", &idx2, "--quiet", "--no-multi-index"]);
    ok(&["index", "remove", "--index", &idx2, "--id", "3", "--quiet"]);
    fails(
        &["index", "remove", "--index", &idx2, "--id", "3"],
        &["y.sigah", "id 3 is not in the index"],
        Path::new(&idx2),
    );
    let info = ok(&["index", "info", &idx2]);
    assert!(info.contains("codes: 99 (100 stored, 1 removed)") && info.contains("multi-index: none"), "{info}");
}

#[test]
fn codes_files_and_plain_index_files_still_search() {
    // The commands from before index files stored ids, removals and tables keep
    // working: a codes .npy, an exported index.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (base, q) = (codes(5000, 128, 5), codes(9, 128, 6));
    base.write_npy(&d.join("b.npy")).unwrap();
    q.write_npy(&d.join("q.npy")).unwrap();
    ok(&["export", "--index", &p(d, "b.npy"), "--format", "sigah", "--out", &p(d, "b.sigah"), "--quiet"]);
    let live: Vec<(Vec<u8>, i64)> = (0..5000).map(|i| (base.code_bytes(i).to_vec(), i as i64)).collect();
    for src in ["b.npy", "b.sigah"] {
        for engine in ["auto", "mih"] {
            let out = p(d, &format!("{src}{engine}"));
            ok(&[
                "search",
                "--index",
                &p(d, src),
                "--queries",
                &p(d, "q.npy"),
                "--k",
                "7",
                "--engine",
                engine,
                "--out",
                &out,
                "--quiet",
            ]);
            for (qi, row) in results(&out, 9).iter().enumerate() {
                assert_eq!(row, &brute(&live, q.code_bytes(qi), 7), "{src}, {engine}");
            }
        }
    }
}
