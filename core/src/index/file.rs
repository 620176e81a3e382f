//! The index file: a 64-byte header, then the codes as little-endian u64 words
//! (`words_per_code` per code, padding bits zero), so the body can be mapped and
//! read in place like a codes `.npy`.
//!
//! ```text
//! offset size  field
//!      0    8  magic "SIGAHIDX"
//!      8    4  u32 format version (1)
//!     12    4  u32 bits per code
//!     16    8  u64 n, the number of codes
//!     24    8  u64 checksum of the body: FNV-1a (64-bit) over the body's u64 words
//!     32   32  zero (reserved)
//! ```
//!
//! `load` verifies everything (size, checksum, padding bits); `open` maps the
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
/// The format version this build writes and reads.
pub const INDEX_VERSION: u32 = 1;
const HEADER: usize = 64;

/// FNV-1a over u64 words (one xor-multiply per word rather than per byte: 8× fewer
/// dependent multiplies, still catches any single flipped word or bit).
pub(crate) fn checksum(words: &[u64]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &w in words {
        h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

struct Header {
    bits: usize,
    n: usize,
    checksum: u64,
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
    if version != INDEX_VERSION {
        return Err(bad(8, format!("unsupported index version {version} (this build reads {INDEX_VERSION})")));
    }
    let bits = u32_at(12) as usize;
    check_bits(bits).map_err(|_| bad(12, format!("invalid code width {bits} bits")))?;
    let n = u64_at(16);
    let body = usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(bits.div_ceil(64) * 8))
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
    Ok(Header { bits, n: n as usize, checksum: u64_at(24) })
}

impl HammingIndex {
    /// Saves the index atomically (temp file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let words = self.codes.as_words();
        write_atomic(path, |w: &mut dyn Write| {
            let mut h = [0u8; HEADER];
            h[..8].copy_from_slice(INDEX_MAGIC);
            h[8..12].copy_from_slice(&INDEX_VERSION.to_le_bytes());
            h[12..16].copy_from_slice(&(self.bits() as u32).to_le_bytes());
            h[16..24].copy_from_slice(&(self.len() as u64).to_le_bytes());
            h[24..32].copy_from_slice(&checksum(words).to_le_bytes());
            w.write_all(&h)?;
            for chunk in words.chunks(1 << 16) {
                let bytes: Vec<u8> = chunk.iter().flat_map(|x| x.to_le_bytes()).collect();
                w.write_all(&bytes)?;
            }
            Ok(())
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
        let words: Vec<u64> =
            bytes[HEADER..].chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
        let index = Self::from_codes(Codes::from_words_unchecked(header.bits, words));
        index.check_body(path, header.checksum)?;
        Ok(index)
    }

    /// Opens an index memory-mapped in O(1): the header and file size are checked,
    /// the body is not read (call [`HammingIndex::verify`] for the checksum).
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only and sigah never writes to an index it opened;
        // another process truncating the file while it is mapped is outside what an
        // mmap reader can guard against.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let header = parse_header(path, &map)?;
        if cfg!(target_endian = "big") {
            return Self::load(path);
        }
        let codes = Codes::from_map(header.bits, header.n, Arc::new(map), HEADER);
        Ok(Self::from_codes(codes))
    }

    /// Verifies a file's body against its header (checksum, zero padding bits).
    pub fn verify(path: &Path) -> Result<()> {
        let index = Self::open(path)?;
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut head = [0u8; HEADER];
        std::io::Read::read_exact(&mut &file, &mut head).map_err(|e| Error::io(path, e))?;
        let want = u64::from_le_bytes(head[24..32].try_into().expect("8 bytes"));
        index.check_body(path, want)
    }

    fn check_body(&self, path: &Path, want: u64) -> Result<()> {
        let got = checksum(self.codes.as_words());
        if got != want {
            return Err(Error::format(
                path,
                24,
                format!("checksum mismatch: header says {want:#018x}, the codes hash to {got:#018x} (corrupt file?)"),
            ));
        }
        if let Some(i) = self.codes.first_bad_padding() {
            let offset = HEADER + (i + 1) * self.codes.words_per_code() * 8 - 8;
            return Err(Error::format(path, offset as u64, format!("code {i} has bits set above bit {}", self.bits())));
        }
        Ok(())
    }
}
