//! The fuzz targets' seed corpus (`fuzz/seeds/<target>/`) and the regression
//! tests for what fuzzing found (docs/ROBUSTNESS.md §3).
//!
//! The seeds are small valid files of every format. This test checks that each
//! one is still accepted by its loader (a format change that breaks them would
//! leave the fuzzer starting from garbage). `SIGAH_WRITE_SEEDS=1 cargo test -p
//! sigah-core --test fuzz_seeds` rewrites them from the code below.

use std::path::{Path, PathBuf};

use sigah_core::index::HammingIndex;
use sigah_core::io::hdf5::Hdf5;
use sigah_core::io::npy::{self, DType};
use sigah_core::io::vectors::{self, CsvOptions};
use sigah_core::model::{Architecture, Optimiser, Training};
use sigah_core::model::{DecoderKind, SigahConfig, SigahModel};
use sigah_core::train::{CheckpointOptions, Silent};
use sigah_core::{Codes, Tensor};

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds").join(target)
}

fn fvecs(rows: &[Vec<f32>]) -> Vec<u8> {
    let mut b = Vec::new();
    for r in rows {
        b.extend((r.len() as i32).to_le_bytes());
        r.iter().for_each(|v| b.extend(v.to_le_bytes()));
    }
    b
}

fn npy_bytes<T: bytemuck::Pod>(dtype: DType, shape: &[usize], data: &[T]) -> Vec<u8> {
    let mut b = npy::header_bytes(dtype, shape);
    b.extend_from_slice(bytemuck::cast_slice(data));
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn with(selector: u8, body: &[u8]) -> Vec<u8> {
    [&[selector][..], body].concat()
}

fn tiny_model(decoder: DecoderKind, hidden: Vec<usize>, input_pca: usize) -> Vec<u8> {
    let cfg = SigahConfig {
        architecture: Architecture {
            bits: 8,
            input_pca,
            hidden,
            latent: Some(8),
            decoder,
            disc_hidden: 2,
            ..SigahConfig::default().architecture.clone()
        },
        optimiser: Optimiser { batch_size: 4, ..SigahConfig::default().optimiser },
        training: Training { epochs: 1, ..SigahConfig::default().training },
        ..SigahConfig::default()
    };
    let data = Tensor::new(6, 3, (0..18).map(|i| (i % 7) as f32 - 3.0).collect());
    let opts = CheckpointOptions { checkpoint: None, checkpoint_every: 0, resume: None };
    let model = SigahModel::train(&data, &cfg, &opts, &mut Silent).unwrap();
    model.to_bytes().unwrap()
}

/// A version-1 index file (each code padded to whole u64 words), as sigah wrote
/// before rows were packed to `bits / 8` bytes: `body` is the padded codes.
fn index_v1(bits: u32, body: &[u8]) -> Vec<u8> {
    let mut b = b"SIGAHIDX".to_vec();
    b.extend(1u32.to_le_bytes());
    b.extend(bits.to_le_bytes());
    b.extend(((body.len() / (bits as usize).div_ceil(64) / 8) as u64).to_le_bytes());
    let sum = body.chunks(8).fold(0xcbf2_9ce4_8422_2325u64, |h, c| {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        (h ^ u64::from_le_bytes(w)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    b.extend(sum.to_le_bytes());
    b.extend([0u8; 32]);
    b.extend_from_slice(body);
    b
}

/// (target, file name, bytes) of every seed.
fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let rows = vec![vec![1.0f32, -2.5, 0.0, 3.25], vec![0.5, 0.25, -0.125, 8.0], vec![1e-3, 1e3, -7.0, 2.0]];
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    let bvecs: Vec<u8> = (0..3u8).flat_map(|i| [&4i32.to_le_bytes()[..], &[i, 255, 0, 7]].concat()).collect();
    let ivecs: Vec<u8> = [[2i32, 5, 9], [2, 1, 0]].iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
    let labels: Vec<u8> = [3i32, 0, 1, 3].iter().flat_map(|v| [1i32.to_le_bytes(), v.to_le_bytes()].concat()).collect();
    let codes = Codes::from_bytes(24, &[1, 2, 3, 255, 0, 128, 7, 7, 7]).unwrap();
    let mut index = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    for (bits, bytes) in [(24, &[1u8, 2, 3, 255, 0, 128][..]), (64, &[9u8; 16][..])] {
        let p = dir.path().join("i.sigahidx");
        HammingIndex::from_codes(Codes::from_bytes(bits, bytes).unwrap()).save(&p).unwrap();
        index.push(std::fs::read(&p).unwrap());
    }
    vec![
        ("vectors", "fvecs", with(0, &fvecs(&rows))),
        ("vectors", "bvecs", with(1, &bvecs)),
        ("vectors", "ivecs", with(2, &ivecs)),
        ("vectors", "label_ivecs", with(2, &labels)),
        ("vectors", "npy_f32", with(3, &npy_bytes(DType::F32, &[3, 4], &flat))),
        ("vectors", "npy_u8", with(3, &npy_bytes(DType::U8, &[2, 3], &[1u8, 2, 3, 4, 5, 6]))),
        ("vectors", "npy_labels", with(4, &npy_bytes(DType::I64, &[3], &[1i64, 0, 2]))),
        ("vectors", "csv", with(5, b"1,2.5,-3\n4,5e-1,6\n")),
        ("vectors", "csv_header", with(5, b"a,b,c\n1,2,3\n4,5,6\n")),
        ("training_vectors", "fvecs", with(0, &fvecs(&rows))),
        ("training_vectors", "npy_f32", with(3, &npy_bytes(DType::F32, &[3, 4], &flat))),
        ("training_vectors", "npy_u8", with(1, &npy_bytes(DType::U8, &[2, 3], &[1u8, 2, 3, 4, 5, 6]))),
        ("npy", "f32", npy_bytes(DType::F32, &[3, 4], &flat)),
        ("npy", "i32_1d", npy_bytes(DType::I32, &[2], &[7i32, -1])),
        ("npy", "u8_v2", {
            // Version 2.0 header (a 4-byte header length).
            let mut b = npy_bytes(DType::U8, &[1, 2], &[1u8, 2]);
            let len = u16::from_le_bytes([b[8], b[9]]) as u32;
            b[6] = 2;
            b.splice(8..10, (len - 2).to_le_bytes());
            b
        }),
        ("codes_npy", "24bit", npy_bytes(DType::U8, &[3, 3], &codes.to_bytes())),
        ("codes_npy", "64bit", npy_bytes(DType::U8, &[2, 8], &[0xa5u8; 16])),
        ("index_file", "24bit", index[0].clone()),
        ("index_file", "64bit", index[1].clone()),
        ("index_file", "24bit_v1", index_v1(24, &[1, 2, 3, 0, 0, 0, 0, 0, 255, 0, 128, 0, 0, 0, 0, 0])),
        ("model_file", "lista", tiny_model(DecoderKind::Lista, vec![2], 0)),
        ("model_file", "linear", tiny_model(DecoderKind::Linear, vec![], 0)),
        // With the input projection (`preprocess.proj`, 3 → 2 dimensions).
        ("model_file", "projected", tiny_model(DecoderKind::Lista, vec![2], 2)),
        // The stream target's framing (fuzz/fuzz_targets/stream.rs): selector % 3 picks fvecs, bvecs, npy.
        ("stream", "fvecs", with(0, &fvecs(&rows))),
        ("stream", "bvecs", with(1, &bvecs)),
        ("stream", "npy_f64", with(2, &npy_bytes(DType::F64, &[2, 2], &[1.5f64, -2.0, 0.0, 1e30]))),
        // gzip: selector bit 4 clear, the rest is a gzip stream after its 2-byte
        // magic; set, the rest is compressed by the target.
        ("gzip", "fvecs_stream", with(0, &gzip(&fvecs(&rows))[2..])),
        ("gzip", "npy_stream", with(2, &gzip(&npy_bytes(DType::F32, &[3, 4], &flat))[2..])),
        ("gzip", "bvecs_compressed", with(5, &bvecs)),
        ("gzip", "csv_compressed", with(7, b"1,2.5,-3\n4,5e-1,6\n")),
        ("config", "toml", with(0, b"bits = 16\nhidden = [8, 4]\ndecoder = \"linear\"\nmargin = 0.5\nlr_g = 0.003\n")),
        ("config", "json", with(1, br#"{"bits": 32, "hidden": [16], "latent": 64, "adversarial": false, "seed": 7}"#)),
    ]
}

/// Whether `bytes` is accepted by the loader the target `target` fuzzes.
fn accepted(target: &str, bytes: &[u8]) -> Result<(), String> {
    let p = Path::new("seed");
    let e = |e: sigah_core::Error| e.to_string();
    match target {
        "vectors" => {
            let (&which, file) = bytes.split_first().ok_or("empty")?;
            match which % 6 {
                0 => vectors::parse_fvecs(p, file).map(drop).map_err(e),
                1 => vectors::parse_bvecs(p, file).map(drop).map_err(e),
                2 => vectors::parse_ivecs(p, file).map(drop).map_err(e),
                3 => vectors::parse_npy_vectors(p, file).map(drop).map_err(e),
                4 => vectors::parse_npy_labels(p, file).map(drop).map_err(e),
                _ => vectors::parse_csv(p, file, &CsvOptions::default()).map(drop).map_err(e),
            }
        }
        "training_vectors" => {
            let (&which, file) = bytes.split_first().ok_or("empty")?;
            match which % 2 {
                0 => vectors::parse_fvecs(p, file).map(drop).map_err(e),
                _ => vectors::parse_npy_vectors(p, file).map(drop).map_err(e),
            }
        }
        "stream" => {
            let (&which, file) = bytes.split_first().ok_or("empty")?;
            let name = Path::new(["x.fvecs", "x.bvecs", "-"][(which % 3) as usize]);
            let reader = Box::new(std::io::Cursor::new(file.to_vec()));
            vectors::read_vectors(name, name, reader).map(drop).map_err(e)
        }
        "gzip" => {
            let (&which, body) = bytes.split_first().ok_or("empty")?;
            let name = Path::new(["x.fvecs.gz", "x.bvecs.gz", "x.npy.gz", "x.csv.gz"][(which % 4) as usize]);
            let gz = if which & 4 == 0 { [&[0x1f, 0x8b][..], body].concat() } else { gzip(body) };
            vectors::read_vectors(name, name, Box::new(std::io::Cursor::new(gz))).map(drop).map_err(e)
        }
        "hdf5" => Hdf5::open(p, bytes).and_then(|h| h.ann()).map(drop).map_err(e),
        "npy" => npy::parse_header(p, bytes).map(drop).map_err(e),
        "codes_npy" => Codes::parse_npy(p, bytes).map(drop).map_err(e),
        "index_file" => HammingIndex::from_file_bytes(p, bytes).map(drop).map_err(e),
        "model_file" => SigahModel::from_bytes(p, bytes).map(drop).map_err(e),
        "config" => {
            let (&which, text) = bytes.split_first().ok_or("empty")?;
            let p = Path::new(if which % 2 == 0 { "seed.toml" } else { "seed.json" });
            let text = std::str::from_utf8(text).map_err(|e| e.to_string())?;
            SigahConfig::parse(p, text).and_then(|c| c.validate()).map_err(e)
        }
        other => Err(format!("unknown target {other}")),
    }
}

#[test]
fn every_seed_is_a_valid_file_its_loader_accepts() {
    let write = std::env::var_os("SIGAH_WRITE_SEEDS").is_some();
    for (target, name, bytes) in seeds() {
        let path = seeds_dir(target).join(name);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        accepted(target, &bytes).unwrap_or_else(|e| panic!("seed {target}/{name} is rejected: {e}"));
        // The committed file is accepted too (it may be older than this code).
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        accepted(target, &on_disk).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    // The HDF5 seeds are written by h5py (fuzz/make_hdf5_seeds.py), not from
    // Rust: only checked.
    let hdf5: Vec<_> = std::fs::read_dir(seeds_dir("hdf5")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(hdf5.len() >= 3, "{hdf5:?}");
    for path in hdf5 {
        accepted("hdf5", &std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
