//! The HDF5 reader (ann-benchmarks layout: `train`, `test`, `neighbors`; the
//! `hdf5-reader` crate underneath) on arbitrary bytes, starting from files
//! h5py wrote (`seeds/hdf5`, from `make_hdf5_seeds.py`). Properties: no panic;
//! the peak allocation stays within the decode cap (1032 times the input, the
//! most DEFLATE can expand) times the f32 copy; whatever is accepted is
//! consistent (`test` has `train`'s dimension, one `neighbors` row per query,
//! every id a `train` row, every value finite).
#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigah_core::io::hdf5::{Hdf5, DECODE_RATIO};

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.hdf5");
    // Decoded bytes (≤ DECODE_RATIO per input byte), the typed copy and the f32
    // tensor: 4 times the cap, plus the reader's own copy of the file.
    let factor = 4 * DECODE_RATIO + 16;
    // Plus a fixed allowance found by this target: hdf5-reader reserves room
    // for a v1 object header's 16-bit message count before checking it
    // (`Vec::with_capacity(num_messages)`, 65,535 × 144 bytes = 9.4 MB, in
    // object_header.rs), and `ann()` holds at most the root group's and three
    // datasets' headers at once, each parsed twice at most: 8 of them.
    let fixed = 8 * 65_535 * 144;
    if let Ok(ann) = common::within_budget_plus(data, factor, fixed, || Hdf5::open(p, data).and_then(|h| h.ann())) {
        assert_eq!(ann.test.cols, ann.train.cols);
        assert_eq!(ann.neighbors.len(), ann.test.rows);
        assert!(ann.neighbors.iter().flatten().all(|&id| (id as usize) < ann.train.rows));
        assert!(ann.train.data.iter().chain(&ann.test.data).all(|v| v.is_finite()));
        assert_eq!(ann.train.data.len(), ann.train.rows * ann.train.cols);
    }
    // Each dataset alone, as `--base FILE.hdf5` and `--queries FILE.hdf5` read them.
    if let Ok(h) = Hdf5::open(p, data) {
        for name in ["train", "test"] {
            if let Ok(t) = common::within_budget_plus(data, factor, fixed, || h.vectors(name)) {
                assert_eq!(t.data.len(), t.rows * t.cols);
            }
        }
    }
});
