//! Inputs users have (docs/ROBUSTNESS.md §1): files known by their first bytes, not their
//! names; float64 and integer `.npy` vectors; a wrong kind of file named as what
//! it is. The real binary, in a temporary folder.

use std::path::Path;
use std::process::{Command, Output};

use sigah_core::io::npy;

fn sigah(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).env("RUST_BACKTRACE", "1").output().expect("run sigah")
}

fn ok(args: &[&str]) -> String {
    let out = sigah(args);
    assert!(out.status.success(), "sigah {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Exit 2, one line, no panic, the message holding every string of `want`.
fn fails(args: &[&str], want: &[&str]) -> String {
    let out = sigah(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "sigah {args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in want {
        assert!(err.contains(w), "sigah {args:?}: expected {w:?} in: {err}");
    }
    println!("{} -> {}", args[0], err.trim_end());
    err
}

fn rows(n: usize, d: usize) -> Vec<f64> {
    (0..n * d).map(|i| ((i * 7 + (i / d) * 3) % 11) as f64 - 5.0 + 0.25 * (i % 3) as f64).collect()
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    /// A 16-d float64 data set, a tiny model trained on it, its codes.
    fn new() -> Files {
        let f = Files { dir: tempfile::tempdir().unwrap() };
        npy::write(&f.path("v64.npy"), &[64, 16], &rows(64, 16)).unwrap();
        let cfg = f.path("tiny.toml");
        std::fs::write(&cfg, "bits = 16\nhidden = [8]\ndisc_hidden = 8\nbatch_size = 32\nepochs = 1\n").unwrap();
        ok(&["train", "--data", &f.s("v64.npy"), "--config", &f.s("tiny.toml"), "--out", &f.s("m.safetensors"), "-q"]);
        ok(&["encode", "--model", &f.s("m.safetensors"), "--data", &f.s("v64.npy"), "--out", &f.s("codes.npy"), "-q"]);
        f
    }
    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

#[test]
fn float64_and_integer_npy_vectors_are_read() {
    // Earlier builds: float64, numpy's default, was refused ("float32 or uint8").
    let f = Files::new();
    let as_f32: Vec<f32> = rows(64, 16).iter().map(|&v| v as f32).collect();
    npy::write(&f.path("v32.npy"), &[64, 16], &as_f32).unwrap();
    ok(&["encode", "--model", &f.s("m.safetensors"), "--data", &f.s("v32.npy"), "--out", &f.s("c32.npy"), "-q"]);
    assert_eq!(std::fs::read(f.path("codes.npy")).unwrap(), std::fs::read(f.path("c32.npy")).unwrap());
    let ints: Vec<i16> = (0..64 * 16).map(|i| (i % 7) as i16 - 3).collect();
    let mut b = npy::header_bytes(npy::DType::I16, &[64, 16]);
    ints.iter().for_each(|v| b.extend(v.to_le_bytes()));
    std::fs::write(f.path("i16.npy"), b).unwrap();
    ok(&["encode", "--model", &f.s("m.safetensors"), "--data", &f.s("i16.npy"), "--out", &f.s("ci.npy"), "-q"]);
    // A 1-D array is refused (it was read as n vectors of dimension 1).
    npy::write(&f.path("flat.npy"), &[16], &[1.0f64; 16]).unwrap();
    fails(
        &["encode", "--model", &f.s("m.safetensors"), "--data", &f.s("flat.npy"), "--out", &f.s("x.npy")],
        &["flat.npy", "vectors must be a 2-D array [n, d], found shape [16]"],
    );
    assert!(!f.path("x.npy").exists());
}

#[test]
fn files_are_known_by_their_bytes_not_their_names() {
    let f = Files::new();
    // Earlier builds: `export --format sigah` then `info` failed with a safetensors message.
    ok(&["export", "--index", &f.s("codes.npy"), "--format", "sigah", "--out", &f.s("x.sigah"), "-q"]);
    let info = ok(&["info", &f.s("x.sigah")]);
    assert!(info.contains("bits: 16") && info.contains("codes: 64"), "{info}");
    // Codes named codes.bin, which search accepted and info did not.
    std::fs::copy(f.path("codes.npy"), f.path("codes.bin")).unwrap();
    let info = ok(&["info", &f.s("codes.bin")]);
    assert!(info.contains("64 codes of 16 bits"), "{info}");
    ok(&["search", "--index", &f.s("codes.bin"), "--queries", &f.s("codes.bin"), "--k", "1", "--out", &f.s("r"), "-q"]);
    // A .npy vector file with another name.
    std::fs::copy(f.path("v64.npy"), f.path("vectors.dat")).unwrap();
    ok(&["encode", "--model", &f.s("m.safetensors"), "--data", &f.s("vectors.dat"), "--out", &f.s("c2.npy"), "-q"]);
    assert_eq!(std::fs::read(f.path("codes.npy")).unwrap(), std::fs::read(f.path("c2.npy")).unwrap());
    // A model file named like codes, and the other way round.
    std::fs::copy(f.path("m.safetensors"), f.path("model.npy")).unwrap();
    let info = ok(&["info", &f.s("model.npy")]);
    assert!(info.contains("SiGAH model"), "{info}");
}

#[test]
fn a_wrong_kind_of_file_is_named_as_what_it_is() {
    let f = Files::new();
    let (m, codes) = (f.s("m.safetensors"), f.s("codes.npy"));
    fails(
        &["encode", "--model", &codes, "--data", &f.s("v64.npy"), "--out", &f.s("x.npy")],
        &["codes.npy", "this is a .npy array, not a sigah model"],
    );
    fails(
        &["search", "--index", &m, "--queries", &codes, "--k", "1", "--out", &f.s("r")],
        &["m.safetensors", "this is a sigah model (safetensors), not codes or a sigah index", "sigah encode"],
    );
    fails(
        &["search", "--index", &codes, "--queries", &m, "--k", "1", "--out", &f.s("r")],
        &["m.safetensors", "this is a sigah model (safetensors), not codes"],
    );
    fails(
        &["train", "--data", &m, "--out", &f.s("m2.safetensors")],
        &["m.safetensors", "this is a sigah model (safetensors), not vectors"],
    );
    ok(&["export", "--index", &codes, "--format", "faiss", "--out", &f.s("x.faiss"), "-q"]);
    fails(&["info", &f.s("x.faiss")], &["x.faiss", "this is a FAISS binary index"]);
    let h5 = f.path("x.h5");
    std::fs::write(&h5, b"\x89HDF\r\n\x1a\n\0\0\0\0\0\0\0\0").unwrap();
    fails(&["search", "--index", &codes, "--queries", &f.s("x.h5"), "--k", "1", "--out", &f.s("r")], &["an HDF5 file"]);
    assert!(!Path::new(&f.s("r.ids.npy")).exists() && !f.path("x.npy").exists() && !f.path("m2.safetensors").exists());
}
