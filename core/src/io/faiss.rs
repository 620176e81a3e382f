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
//!
//! An index with custom ids or removed codes is written as an
//! `IndexBinaryIDMap` over the live codes (the `IndexBinaryIDMap` branch of
//! `write_index_binary`): `"IBMp"`, the same header fields (d, code_size,
//! ntotal, is_trained, metric_type), the inner `IndexBinaryFlat` as above, then
//! `id_map` as a WRITEVECTOR of i64 (u64 count, then the ids). A FAISS search
//! on it returns the user's ids, and removed codes are not in it.
//!
//! FAISS pads a k-NN row past the last result with distance `i32::MAX` and id
//! −1; [`faiss_distances`] is the one conversion of sigah's `u32::MAX` padding.

use std::io::Write;
use std::path::Path;

use crate::index::HammingIndex;
use crate::io::write_atomic;
use crate::{Codes, Result};

/// The fourcc FAISS writes first for an `IndexBinaryFlat`.
pub const FOURCC_BINARY_FLAT: &[u8; 4] = b"IBxF";
/// The fourcc of an `IndexBinaryIDMap`.
pub const FOURCC_BINARY_ID_MAP: &[u8; 4] = b"IBMp";
/// FAISS `METRIC_L2`, the metric_type `IndexBinary` carries (Hamming is implied).
pub const METRIC_L2: i32 = 1;

/// FAISS's `write_index_binary_header` after `fourcc`: d, code_size, ntotal,
/// is_trained, metric_type.
fn index_header(fourcc: &[u8; 4], bits: usize, n: usize) -> Vec<u8> {
    let mut h = Vec::with_capacity(33);
    h.extend_from_slice(fourcc);
    h.extend_from_slice(&(bits as i32).to_le_bytes());
    h.extend_from_slice(&((bits / 8) as i32).to_le_bytes());
    h.extend_from_slice(&(n as i64).to_le_bytes());
    h.push(1);
    h.extend_from_slice(&METRIC_L2.to_le_bytes());
    h
}

/// The header bytes before the codes.
pub fn binary_flat_header(codes: &Codes) -> Vec<u8> {
    let mut h = index_header(FOURCC_BINARY_FLAT, codes.bits(), codes.len());
    h.extend_from_slice(&((codes.len() * (codes.bits() / 8)) as u64).to_le_bytes());
    h
}

/// What [`write_index`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exported {
    /// The codes in the file (the live ones).
    pub codes: usize,
    /// `"IndexBinaryFlat"` or `"IndexBinaryIDMap"`.
    pub kind: &'static str,
}

/// Writes `index` for FAISS, atomically: an `IndexBinaryFlat` when its ids are
/// its positions and nothing was removed, else an `IndexBinaryIDMap` over the
/// live codes with their ids (removed codes are never written).
pub fn write_index(index: &HammingIndex, path: &Path) -> Result<Exported> {
    let plain = index.ids().is_none() && index.live_len() == index.len();
    if plain {
        write_binary_flat(index.codes(), path)?;
        return Ok(Exported { codes: index.len(), kind: "IndexBinaryFlat" });
    }
    let live: Vec<usize> = (0..index.len()).filter(|&p| !index.is_removed(p)).collect();
    let (bits, n) = (index.bits(), live.len());
    write_atomic(path, |w: &mut dyn Write| {
        w.write_all(&index_header(FOURCC_BINARY_ID_MAP, bits, n))?;
        w.write_all(&index_header(FOURCC_BINARY_FLAT, bits, n))?;
        w.write_all(&((n * (bits / 8)) as u64).to_le_bytes())?;
        for &p in &live {
            w.write_all(index.codes().code_bytes(p))?;
        }
        w.write_all(&(n as u64).to_le_bytes())?;
        for &p in &live {
            w.write_all(&index.id_at(p).to_le_bytes())?;
        }
        Ok(())
    })?;
    Ok(Exported { codes: n, kind: "IndexBinaryIDMap" })
}

/// sigah's k-NN distances as FAISS returns them: int32, the padding
/// (`u32::MAX`) as `i32::MAX`.
pub fn faiss_distances(d: Vec<u32>) -> Vec<i32> {
    d.into_iter().map(|v| i32::try_from(v).unwrap_or(i32::MAX)).collect()
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
    fn ids_and_removals_make_the_id_map_faiss_writes() {
        // faiss 1.15: IndexBinaryIDMap(IndexBinaryFlat(24)); add_with_ids([[1,2,3],
        // [4,5,6]], [7, 9]); serialize_index_binary gives exactly these 88 bytes.
        let codes = Codes::from_bytes(24, &[1, 2, 3, 10, 11, 12, 4, 5, 6]).unwrap();
        let mut index = HammingIndex::from_codes_with_ids(codes, vec![7, 8, 9]).unwrap();
        index.remove(&[8]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.faissindex");
        assert_eq!(write_index(&index, &p).unwrap(), Exported { codes: 2, kind: "IndexBinaryIDMap" });
        let header =
            |cc: &[u8]| [cc, &[24, 0, 0, 0], &[3, 0, 0, 0], &[2, 0, 0, 0, 0, 0, 0, 0], &[1], &[1, 0, 0, 0]].concat();
        let want: Vec<u8> = [
            header(b"IBMp"),
            header(b"IBxF"),
            vec![6, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6],
            vec![2, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0],
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
