//! The lean training-data loader (`load_training_vectors`: mapped file copied in
//! slices, pages released behind with `madvise`; unsafe code, run under ASan) on
//! arbitrary file contents. The first byte picks `.fvecs` or `.npy`. Properties:
//! no panic, and it agrees with the in-memory loader sigah picks for the bytes
//! (by their magic, then the name) on every input (both accept with
//! bit-identical tensors, or both refuse).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigah_core::io::sniff::{self, Kind};
use sigah_core::io::vectors;
use sigah_core::io::load_training_vectors;

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else { return };
    let ext = if which % 2 == 0 { "fvecs" } else { "npy" };
    let path = std::env::temp_dir().join(format!("sigah-fuzz-train-{}.{ext}", std::process::id()));
    std::fs::write(&path, file).expect("temp file");
    let lean = load_training_vectors(&path);
    // The in-memory loader sigah would pick for these bytes: a file is known by
    // its magic first (docs/ROBUSTNESS.md §1), so a .npy named .fvecs is read as .npy; a
    // gzip, HDF5 or other recognised file goes to its own reader (the `gzip`
    // and `hdf5` targets), with nothing here to compare.
    let plain = match sniff::of_bytes(&file[..file.len().min(sniff::SNIFF_LEN)]) {
        Kind::Npy => vectors::parse_npy_vectors(&path, file),
        Kind::Other if ext == "fvecs" => vectors::parse_fvecs(&path, file),
        Kind::Other => vectors::parse_npy_vectors(&path, file),
        _ => return,
    };
    match (&lean, &plain) {
        (Ok(a), Ok(b)) => {
            assert_eq!((a.rows, a.cols), (b.rows, b.cols));
            let bits = |t: &sigah_core::Tensor| t.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(a), bits(b), "lean and in-memory loads differ");
        }
        (Err(_), Err(_)) => {}
        _ => panic!("the loaders disagree: lean {:?}, in-memory {:?}", lean.is_ok(), plain.is_ok()),
    }
});
