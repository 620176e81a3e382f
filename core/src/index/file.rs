//! The index file: a 64-byte header, then the codes as rows of `bits / 8` bytes,
//! back to back (the `.npy` row layout), so the body is `n · bits / 8` bytes and is
//! mapped and read in place like a codes `.npy`.
//!
//! ```text
//! offset size  field
//!      0    8  magic "SIGAHIDX"
//!      8    4  u32 format version (2)
//!     12    4  u32 bits per code
//!     16    8  u64 n, the number of codes
//!     24    8  u64 checksum of the body: FNV-1a (64-bit) over the body read as
//!              little-endian u64 words, the last one zero-filled
//!     32   32  zero (reserved)
//! ```
//!
//! Version 1 stored each code as `ceil(bits / 64)` u64 words (padding bits zero):
//! the same bytes as version 2 when bits is a multiple of 64, so such files are
//! mapped in place too; narrower version-1 rows are unpacked into memory on load.
//! The checksum is the same function of the body in both versions.
//!
//! `load` verifies everything (size, checksum, version-1 padding); `open` maps the
//! body and checks only the header and the size, so it is O(1) however large the
//! file; [`HammingIndex::verify`] runs the remaining checks on demand.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;

use super::HammingIndex;
use crate::codes::check_bits;
use crate::io::write_atomic;
use crate::{Codes, Error, Result};

/// The first 8 bytes of an index file.
pub const INDEX_MAGIC: &[u8; 8] = b"SIGAHIDX";
/// The format version this build writes (it also reads version 1).
pub const INDEX_VERSION: u32 = 2;
/// Rows padded to whole u64 words.
const VERSION_WORDS: u32 = 1;
const HEADER: usize = 64;

/// FNV-1a over the body as little-endian u64 words, the last zero-filled (one
/// xor-multiply per 8 bytes rather than per byte: 8× fewer dependent multiplies,
/// still catches any single flipped byte or bit).
pub(crate) fn checksum(body: &[u8]) -> u64 {
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
    let mut chunks = body.chunks_exact(8);
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for c in &mut chunks {
        h = step(h, u64::from_le_bytes(c.try_into().expect("8 bytes")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        h = step(h, u64::from_le_bytes(b));
    }
    h
}

struct Header {
    version: u32,
    bits: usize,
    n: usize,
    checksum: u64,
}

impl Header {
    /// Bytes each code takes in the body.
    fn stride(&self) -> usize {
        stride(self.version, self.bits)
    }
    /// Whether the body is rows of `bits / 8` bytes (every version-2 file, and
    /// version 1 when bits is a multiple of 64).
    fn rows_in_place(&self) -> bool {
        self.stride() == self.bits / 8
    }
}

fn stride(version: u32, bits: usize) -> usize {
    if version == VERSION_WORDS {
        bits.div_ceil(64) * 8
    } else {
        bits / 8
    }
}

fn parse_header(path: &Path, bytes: &[u8]) -> Result<Header> {
    let bad = |offset: usize, reason: String| Error::format(path, offset as u64, reason);
    if bytes.len() < HEADER {
        return Err(bad(
            bytes.len(),
            format!("truncated: an index header is {HEADER} bytes, the file has {}", bytes.len()),
        ));
    }
    if &bytes[..8] != INDEX_MAGIC {
        return Err(bad(0, "not a sigah index (missing the SIGAHIDX magic)".into()));
    }
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
    let version = u32_at(8);
    if version != INDEX_VERSION && version != VERSION_WORDS {
        return Err(bad(
            8,
            format!("unsupported index version {version} (this build reads {VERSION_WORDS} and {INDEX_VERSION})"),
        ));
    }
    let bits = u32_at(12) as usize;
    check_bits(bits).map_err(|_| bad(12, format!("invalid code width {bits} bits")))?;
    let n = u64_at(16);
    let body = usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(stride(version, bits)))
        .and_then(|b| b.checked_add(HEADER))
        .ok_or_else(|| bad(16, format!("{n} codes of {bits} bits do not fit in memory")))?;
    if bytes.len() != body {
        return Err(bad(
            bytes.len().min(body),
            format!("{n} codes of {bits} bits need {body} bytes, the file has {}", bytes.len()),
        ));
    }
    if bytes[32..HEADER].iter().any(|&b| b != 0) {
        return Err(bad(32, "reserved header bytes are not zero".into()));
    }
    Ok(Header { version, bits, n: n as usize, checksum: u64_at(24) })
}

/// Checks a body against its header: the checksum, and for version-1 rows that
/// are not whole words, that the padding bytes are zero.
fn check_body(path: &Path, header: &Header, body: &[u8]) -> Result<()> {
    let got = checksum(body);
    if got != header.checksum {
        return Err(Error::format(
            path,
            24,
            format!(
                "checksum mismatch: header says {:#018x}, the codes hash to {got:#018x} (corrupt file?)",
                header.checksum
            ),
        ));
    }
    let (stride, row) = (header.stride(), header.bits / 8);
    if stride != row {
        for (i, code) in body.chunks_exact(stride).enumerate() {
            if let Some(k) = code[row..].iter().position(|&b| b != 0) {
                let offset = HEADER + i * stride + row + k;
                return Err(Error::format(
                    path,
                    offset as u64,
                    format!("code {i} has bits set above bit {}", header.bits),
                ));
            }
        }
    }
    Ok(())
}

impl HammingIndex {
    /// Saves the index atomically (temp file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let body = self.codes.as_bytes();
        write_atomic(path, |w: &mut dyn Write| {
            let mut h = [0u8; HEADER];
            h[..8].copy_from_slice(INDEX_MAGIC);
            h[8..12].copy_from_slice(&INDEX_VERSION.to_le_bytes());
            h[12..16].copy_from_slice(&(self.bits() as u32).to_le_bytes());
            h[16..24].copy_from_slice(&(self.len() as u64).to_le_bytes());
            h[24..32].copy_from_slice(&checksum(body).to_le_bytes());
            w.write_all(&h)?;
            w.write_all(body)
        })
    }

    /// Loads an index into memory, verifying the header, size, checksum and padding.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_file_bytes(path, &bytes)
    }

    /// Parses the bytes of an index file with every check `load` makes (`path` only
    /// names the file in errors).
    pub fn from_file_bytes(path: &Path, bytes: &[u8]) -> Result<Self> {
        let header = parse_header(path, bytes)?;
        let body = &bytes[HEADER..];
        check_body(path, &header, body)?;
        let row = header.bits / 8;
        let codes = if header.rows_in_place() {
            Codes::from_bytes(header.bits, body)?
        } else {
            let rows: Vec<u8> = body.chunks_exact(header.stride()).flat_map(|c| &c[..row]).copied().collect();
            Codes::from_bytes(header.bits, &rows)?
        };
        Ok(Self::from_codes(codes))
    }

    /// Opens an index memory-mapped in O(1): the header and file size are checked,
    /// the body is not read (call [`HammingIndex::verify`] for the checksum). A
    /// version-1 file of codes narrower than whole words is loaded instead (its rows
    /// must be unpacked; saving it again writes version 2).
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only and sigah never writes to an index it opened;
        // another process truncating the file while it is mapped is outside what an
        // mmap reader can guard against.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let header = parse_header(path, &map)?;
        if !header.rows_in_place() {
            return Self::from_file_bytes(path, &map);
        }
        Ok(Self::from_codes(Codes::from_map(header.bits, header.n, Arc::new(map), HEADER)))
    }

    /// Verifies a file's body against its header (checksum, version-1 padding).
    pub fn verify(path: &Path) -> Result<()> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: as in `open`.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let header = parse_header(path, &map)?;
        check_body(path, &header, &map[HEADER..])
    }
}
