//! Codes as a `.npy` file: uint8 `[n, bits / 8]`, the rows as [`Codes`] stores
//! them, read into memory, parsed from bytes, memory-mapped in place, or written
//! atomically.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;

use crate::codes::{check_bits, MAX_BITS};
use crate::io::npy::{self, DType};
use crate::io::write_atomic;
use crate::{Codes, Error, Result};

impl Codes {
    /// Reads a uint8 `.npy` file of shape `[n, bits / 8]` into memory.
    pub fn read_npy(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse_npy(path, &bytes)
    }

    /// Parses the bytes of a codes `.npy` (`path` only names the file in errors).
    pub fn parse_npy(path: &Path, bytes: &[u8]) -> Result<Self> {
        let (bits, offset, n) = npy_layout(path, bytes)?;
        Self::from_bytes(bits, &bytes[offset..offset + n * (bits / 8)])
    }

    /// Opens a uint8 `.npy` file of shape `[n, bits / 8]` memory-mapped, in place
    /// and in O(1) for every width (the rows are used as they lie in the file).
    pub fn open_npy(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only and sigah never writes to its inputs. A file
        // truncated or rewritten by another process while mapped is outside what
        // any mmap-based reader can guard against (the same contract as every
        // memmap2 user); the header and size are validated before any row is read.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let (bits, offset, n) = npy_layout(path, &map)?;
        Ok(Self::from_map(bits, n, Arc::new(map), offset))
    }

    /// Writes the codes as a uint8 `.npy` of shape `[n, bits / 8]`, atomically.
    pub fn write_npy(&self, path: &Path) -> Result<()> {
        write_atomic(path, |w: &mut dyn Write| {
            w.write_all(&npy::header_bytes(DType::U8, &[self.len(), self.bytes_per_code()]))?;
            self.write_rows(w)
        })
    }
}

/// Checks a codes `.npy` header: uint8, 2-D, a valid width. Returns (bits, data
/// offset, n); `parse_header` has checked that the data is there.
fn npy_layout(path: &Path, bytes: &[u8]) -> Result<(usize, usize, usize)> {
    let header = npy::parse_header(path, bytes)?;
    if header.dtype != DType::U8 {
        return Err(Error::format(path, 0, format!("codes must be uint8 (descr |u1), found {}", header.dtype.descr())));
    }
    let [n, row] = header.shape[..] else {
        return Err(Error::format(
            path,
            0,
            format!("codes must be a 2-D array [n, bits/8], found shape {:?}", header.shape),
        ));
    };
    let bits = row.checked_mul(8).filter(|&b| check_bits(b).is_ok()).ok_or_else(|| {
        Error::format(path, 0, format!("{row} bytes per code: codes must be 1 to {} bytes wide", MAX_BITS / 8))
    })?;
    Ok((bits, header.data_offset, n))
}
