//! What a file is, from its first bytes rather than its name: a parser chosen
//! by extension fails on codes named `codes.bin` or an index saved as `x.sigah`
//! with another format's message (docs/ROBUSTNESS.md §1).

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// The kinds of file sigah can tell by their magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `\x93NUMPY`: codes, vectors, labels or ids.
    Npy,
    /// A u64 header length then `{`: a sigah model or checkpoint.
    Safetensors,
    /// `SIGAHIDX`: a sigah index file.
    SigahIndex,
    /// `\x89HDF\r\n\x1a\n`: an HDF5 file (ann-benchmarks data sets).
    Hdf5,
    /// `\x1f\x8b`: gzip-compressed.
    Gzip,
    /// A FAISS binary index (`IBxF`, what `sigah export --format faiss` writes).
    FaissBinary,
    /// None of these (texmex, CSV, or not a sigah file at all).
    Other,
}

impl Kind {
    /// What the file is, in words, for "this is X, not Y" messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Npy => "a .npy array",
            Kind::Safetensors => "a sigah model (safetensors)",
            Kind::SigahIndex => "a sigah index file",
            Kind::Hdf5 => "an HDF5 file",
            Kind::Gzip => "a gzip-compressed file",
            Kind::FaissBinary => "a FAISS binary index",
            Kind::Other => "not a file sigah recognises by its first bytes",
        }
    }
}

/// The bytes [`of_bytes`] needs.
pub const SNIFF_LEN: usize = 16;

/// The kind of a file starting with `head` (at least [`SNIFF_LEN`] bytes when
/// the file has them).
pub fn of_bytes(head: &[u8]) -> Kind {
    if head.starts_with(b"\x93NUMPY") {
        Kind::Npy
    } else if head.starts_with(super::index_file::INDEX_MAGIC) {
        Kind::SigahIndex
    } else if head.starts_with(b"\x89HDF\r\n\x1a\n") {
        Kind::Hdf5
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(b"IBxF") {
        Kind::FaissBinary
    } else if head.len() >= 9 && head[8] == b'{' && u64::from_le_bytes(head[..8].try_into().unwrap_or_default()) > 1 {
        Kind::Safetensors
    } else {
        Kind::Other
    }
}

/// The kind of the file at `path` (reads its first bytes; a folder is an error).
pub fn of_file(path: &Path) -> Result<Kind> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().map_err(|e| Error::io(path, e))?.is_dir() {
        return Err(Error::format(path, 0, "this is a folder, not a file"));
    }
    let mut head = Vec::with_capacity(SNIFF_LEN);
    file.take(SNIFF_LEN as u64).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
    Ok(of_bytes(&head))
}

/// Fails when the file at `path` is recognisably another kind than `want`,
/// saying what it is: `codes.npy: this is a .npy array, not a sigah model`. A
/// file of no known kind passes: the loader's own message (a bad header, a
/// truncated row) says more than "unrecognised" would.
pub fn expect(path: &Path, want: Kind, role: &str) -> Result<()> {
    match of_file(path)? {
        Kind::Other => Ok(()),
        kind if kind == want => Ok(()),
        kind => Err(Error::format(path, 0, format!("this is {}, not {role}", kind.describe()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_magic_is_recognised() {
        assert_eq!(of_bytes(&crate::io::npy::header_bytes(crate::io::npy::DType::U8, &[1, 1])), Kind::Npy);
        assert_eq!(of_bytes(b"SIGAHIDX\x01\x00\x00\x00"), Kind::SigahIndex);
        assert_eq!(of_bytes(b"\x89HDF\r\n\x1a\n\0\0\0\0"), Kind::Hdf5);
        assert_eq!(of_bytes(&[0x1f, 0x8b, 8, 0]), Kind::Gzip);
        assert_eq!(of_bytes(b"\x40\0\0\0\0\0\0\0{\"__metadata__\""), Kind::Safetensors);
        assert_eq!(of_bytes(b"\x08\0\0\0\0\0\x80?"), Kind::Other, "an fvecs row");
        assert_eq!(of_bytes(b""), Kind::Other);
    }
}
