//! The vector and label loaders on arbitrary bytes: never panic, and whatever they
//! accept has the shape the bytes announce and round-trips (save(load(x)) == x for
//! the texmex formats; accepted floats are finite).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigah_core::io::vectors::{self, CsvOptions};

fn texmex(rows: usize, dim: usize, row: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    (0..rows).flat_map(|i| (dim as i32).to_le_bytes().into_iter().chain(row(i))).collect()
}

fuzz_target!(|data: &[u8]| {
    let p = std::path::Path::new("fuzz");
    if let Ok(t) = vectors::parse_fvecs(p, data) {
        assert!(t.all_finite());
        let back = texmex(t.rows, t.cols, |i| t.row(i).iter().flat_map(|v| v.to_le_bytes()).collect());
        assert_eq!(back, data);
    }
    if let Ok(t) = vectors::parse_bvecs(p, data) {
        let back = texmex(t.rows, t.cols, |i| t.row(i).iter().map(|&v| v as u8).collect());
        assert_eq!(back, data);
    }
    if let Ok(rows) = vectors::parse_ivecs(p, data) {
        let dim = rows.first().map_or(0, Vec::len);
        let back = texmex(rows.len(), dim, |i| rows[i].iter().flat_map(|v| v.to_le_bytes()).collect());
        assert_eq!(back, data);
    }
    let _ = vectors::parse_label_ivecs(p, data);
    if let Ok(t) = vectors::parse_npy_vectors(p, data) {
        assert!(t.all_finite() && t.len() <= data.len());
    }
    let _ = vectors::parse_npy_labels(p, data);
    if let Ok((t, labels)) = vectors::parse_csv(p, data, &CsvOptions::default()) {
        assert!(t.all_finite() && t.rows > 0 && labels.is_none());
    }
});
