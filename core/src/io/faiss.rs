//! Export to the FAISS `IndexBinaryFlat` file format, so `faiss.read_index_binary`
//! (and anything built on FAISS) loads sigah's codes directly.
//!
//! The layout, from faiss `impl/index_write.cpp` (`write_index_binary`, the
//! `IndexBinaryFlat` branch, and `write_index_binary_header`), little-endian:
//!
//! ```text
//! "IBxF"                 fourcc
//! i32  d                 bits per code
//! i32  code_size         bytes per code (d / 8)
//! i64  ntotal            number of codes
//! u8   is_trained        1 (a flat index needs no training)
//! i32  metric_type       1 = METRIC_L2, what IndexBinary sets by default
//! u64  n bytes           WRITEVECTOR: the element count of `xb` ...
//! u8 × n                 ... then the codes, row after row (code_size bytes each)
//! ```
//!
//! The code bytes are exactly the rows sigah stores and the `.npy` rows (`codes.rs`
//! bit order), which is
//! FAISS's own: bit j of a code is `(byte[j/8] >> (j%8)) & 1`.

use std::io::Write;
use std::path::Path;

use crate::io::write_atomic;
use crate::{Codes, Result};

/// The fourcc FAISS writes first for an `IndexBinaryFlat`.
pub const FOURCC_BINARY_FLAT: &[u8; 4] = b"IBxF";
/// FAISS `METRIC_L2`, the metric_type `IndexBinary` carries (Hamming is implied).
pub const METRIC_L2: i32 = 1;

/// The header bytes before the codes.
pub fn binary_flat_header(codes: &Codes) -> Vec<u8> {
    let code_size = codes.bits() / 8;
    let mut h = Vec::with_capacity(33);
    h.extend_from_slice(FOURCC_BINARY_FLAT);
    h.extend_from_slice(&(codes.bits() as i32).to_le_bytes());
    h.extend_from_slice(&(code_size as i32).to_le_bytes());
    h.extend_from_slice(&(codes.len() as i64).to_le_bytes());
    h.push(1);
    h.extend_from_slice(&METRIC_L2.to_le_bytes());
    h.extend_from_slice(&((codes.len() * code_size) as u64).to_le_bytes());
    h
}

/// Writes `codes` as a FAISS `IndexBinaryFlat` file, atomically.
pub fn write_binary_flat(codes: &Codes, path: &Path) -> Result<()> {
    write_atomic(path, |w: &mut dyn Write| {
        w.write_all(&binary_flat_header(codes))?;
        codes.write_rows(w)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_what_faiss_writes() {
        // faiss 1.15: IndexBinaryFlat(24); add([[1,2,3],[4,5,6]]); write_index_binary
        // gives exactly these 39 bytes.
        let codes = Codes::from_bytes(24, &[1, 2, 3, 4, 5, 6]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.faissindex");
        write_binary_flat(&codes, &p).unwrap();
        let want: Vec<u8> = [
            &b"IBxF"[..],
            &[24, 0, 0, 0],
            &[3, 0, 0, 0],
            &[2, 0, 0, 0, 0, 0, 0, 0],
            &[1],
            &[1, 0, 0, 0],
            &[6, 0, 0, 0, 0, 0, 0, 0],
            &[1, 2, 3, 4, 5, 6],
        ]
        .concat();
        assert_eq!(std::fs::read(&p).unwrap(), want);
    }

    #[test]
    fn wide_codes_keep_their_byte_order() {
        let bytes: Vec<u8> = (0..3 * 16).map(|i| (i * 37 % 256) as u8).collect();
        let codes = Codes::from_bytes(128, &bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.faissindex");
        write_binary_flat(&codes, &p).unwrap();
        let file = std::fs::read(&p).unwrap();
        assert_eq!(file.len(), 33 + 48);
        assert_eq!(&file[33..], &bytes[..]);
        assert_eq!(&file[4..8], &128i32.to_le_bytes());
        assert_eq!(&file[25..33], &48u64.to_le_bytes());
    }
}
