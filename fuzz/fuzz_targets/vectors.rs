//! The vector and label loaders (texmex `.fvecs` / `.bvecs` / `.ivecs`, `.npy`
//! vectors, CSV) on arbitrary bytes. The first byte picks the loader, the rest is
//! the file. Properties: no panic; the peak allocation stays within a bound
//! proportional to the input; whatever is accepted is written back in the same
//! format and read again unchanged (`load(save(x)) == x`); texmex is canonical,
//! so the written bytes must equal the accepted input exactly.
#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigah_core::io::npy::{self, DType};
use sigah_core::io::vectors::{self, CsvOptions};
use sigah_core::Tensor;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fn texmex<T: Copy>(rows: &[Vec<T>], bytes_of: impl Fn(T) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        out.extend_from_slice(&(row.len() as i32).to_le_bytes());
        for &v in row {
            out.extend(bytes_of(v));
        }
    }
    out
}

fn rows_of(t: &Tensor) -> Vec<Vec<f32>> {
    assert_eq!(t.data.len(), t.rows * t.cols, "tensor shape and data disagree");
    (0..t.rows).map(|i| t.row(i).to_vec()).collect()
}

fn same(a: &Tensor, b: &Tensor) {
    assert_eq!((a.rows, a.cols), (b.rows, b.cols));
    let bits = |t: &Tensor| t.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(a), bits(b));
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else { return };
    // Every loader may use up to 16 bytes per input byte (u8 -> f32 is 4, CSV
    // "0," -> f32 is 2, plus Vec doubling and row bookkeeping).
    const FACTOR: usize = 16;
    match which % 6 {
        0 => {
            let p = Path::new("fuzz.fvecs");
            if let Ok(t) = common::within_budget(file, FACTOR, || vectors::parse_fvecs(p, file)) {
                assert!(t.data.iter().all(|v| v.is_finite()));
                let again = texmex(&rows_of(&t), |v: f32| v.to_le_bytes().to_vec());
                assert_eq!(again, file, "fvecs is canonical");
                same(&vectors::parse_fvecs(p, &again).expect("re-read"), &t);
            }
        }
        1 => {
            let p = Path::new("fuzz.bvecs");
            if let Ok(t) = common::within_budget(file, FACTOR, || vectors::parse_bvecs(p, file)) {
                let again = texmex(&rows_of(&t), |v: f32| {
                    assert!(v == v.round() && (0.0..=255.0).contains(&v), "bvecs value {v}");
                    vec![v as u8]
                });
                assert_eq!(again, file, "bvecs is canonical");
            }
        }
        2 => {
            let p = Path::new("fuzz.ivecs");
            if let Ok(rows) = common::within_budget(file, FACTOR, || vectors::parse_ivecs(p, file)) {
                assert!(rows.windows(2).all(|w| w[0].len() == w[1].len()), "ragged ivecs accepted");
                assert_eq!(texmex(&rows, |v: i32| v.to_le_bytes().to_vec()), file, "ivecs is canonical");
            }
            if let Ok(labels) = common::within_budget(file, FACTOR, || vectors::parse_label_ivecs(p, file)) {
                let rows: Vec<Vec<i32>> = labels.iter().map(|&l| vec![l]).collect();
                assert_eq!(texmex(&rows, |v: i32| v.to_le_bytes().to_vec()), file, "label ivecs is canonical");
            }
        }
        3 => {
            let p = Path::new("fuzz.npy");
            if let Ok(t) = common::within_budget(file, FACTOR, || vectors::parse_npy_vectors(p, file)) {
                let mut again = npy::header_bytes(DType::F32, &[t.rows, t.cols]);
                for v in &t.data {
                    again.extend_from_slice(&v.to_le_bytes());
                }
                same(&vectors::parse_npy_vectors(p, &again).expect("re-read"), &t);
            }
        }
        4 => {
            let p = Path::new("fuzz.npy");
            let _ = common::within_budget(file, FACTOR, || vectors::parse_npy_labels(p, file));
        }
        _ => {
            let p = Path::new("fuzz.csv");
            if let Ok((t, labels)) =
                common::within_budget(file, FACTOR, || vectors::parse_csv(p, file, &CsvOptions::default()))
            {
                assert!(labels.is_none(), "labels without a label column");
                assert!(t.data.iter().all(|v| v.is_finite()));
                // Rust prints the shortest text that parses back to the same f32.
                let text: String = rows_of(&t)
                    .iter()
                    .map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",") + "\n")
                    .collect();
                let (back, _) = vectors::parse_csv(p, text.as_bytes(), &CsvOptions::default()).expect("re-read");
                same(&back, &t);
            }
        }
    }
});
