//! Data files for the tests that run the binary on real files: included with
//! `mod common;` by each test that needs them (a folder, so cargo does not
//! build it as a test of its own).
#![allow(dead_code)]

use std::path::Path;

/// A uint8 .npy of `n` codes of `bytes` bytes each.
pub fn codes_npy(path: &Path, n: usize, bytes: usize) {
    let header = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({n}, {bytes}), }}");
    let pad = (64 - (10 + header.len() + 1) % 64) % 64;
    let header = format!("{header}{}\n", " ".repeat(pad));
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    b.extend((0..n * bytes).map(|i| (i.wrapping_mul(2654435761) >> 7) as u8));
    std::fs::write(path, b).unwrap();
}

/// A `.fvecs` of `n` rows of dimension `d`, with spread enough to train on.
pub fn fvecs(path: &Path, n: usize, d: usize) {
    let mut b = Vec::new();
    for i in 0..n {
        b.extend((d as i32).to_le_bytes());
        b.extend((0..d).flat_map(|j| (((i * 7 + j * 3) % 11) as f32 - 5.0 + (i % 3) as f32).to_le_bytes()));
    }
    std::fs::write(path, b).unwrap();
}
