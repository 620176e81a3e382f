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
//! Version 3 (written when the index has custom ids or removed codes; before
//! version 4, also for multi-index tables, of which it records m) adds, after
//! the same 32 bytes:
//!
//! ```text
//!     32    4  u32 flags: 1 = custom ids follow the codes, 2 = a live bitset follows
//!     36    4  u32 m, the multi-index substrings (0: none; version 4: stored tables)
//!     40   24  zero (reserved)
//! body: the codes (n · bits / 8 bytes), zeros up to a multiple of 8, then the ids
//! (n little-endian i64) if flag 1, then the live bitset (⌈n / 64⌉ u64, bit p of
//! word p / 64 set when code p is not removed) if flag 2. The checksum covers the
//! whole body. Removing a code rewrites the bitset, never the codes' bytes.
//! ```
//!
//! Version 4 is version 3 with the multi-index tables stored after the body
//! (m tables, m > 0 at offset 36; layout in `index_tables.rs`), so opening maps
//! them instead of building them; version-3 files that record m still load
//! and get their tables built by `sigah search` as before.
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

use super::index_tables::{self, Desc, Source};
use super::write_atomic;
use crate::codes::check_bits;
use crate::index::{HammingIndex, MAX_SUBSTRING_BITS};
use crate::{Codes, Error, Result};

/// The first 8 bytes of an index file.
pub const INDEX_MAGIC: &[u8; 8] = b"SIGAHIDX";
/// The format version this build writes for a plain index (it also reads
/// version 1, and writes version 3 for ids and removals, 4 with multi-index tables).
pub const INDEX_VERSION: u32 = 2;
/// Rows padded to whole u64 words.
const VERSION_WORDS: u32 = 1;
/// Ids, live bitset, multi-index m.
const VERSION_EXTRAS: u32 = 3;
/// Version 3 plus the multi-index tables (`index_tables.rs`).
const VERSION_TABLES: u32 = 4;
const FLAG_IDS: u32 = 1;
const FLAG_LIVE: u32 = 2;
const HEADER: usize = 64;

/// FNV-1a over the body as little-endian u64 words, the last zero-filled (one
/// xor-multiply per 8 bytes rather than per byte: 8× fewer dependent multiplies,
/// still catches any single flipped byte or bit).
pub(crate) fn checksum(body: &[u8]) -> u64 {
    let mut f = Fnv::default();
    f.update(body);
    f.finish()
}

/// [`checksum`] of a body given in parts (the file is written part by part).
struct Fnv {
    h: u64,
    buf: [u8; 8],
    fill: usize,
}

impl Default for Fnv {
    fn default() -> Self {
        Self { h: 0xcbf2_9ce4_8422_2325, buf: [0; 8], fill: 0 }
    }
}

impl Fnv {
    fn step(&mut self, w: u64) {
        self.h = (self.h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn update(&mut self, mut bytes: &[u8]) {
        if self.fill > 0 {
            let take = (8 - self.fill).min(bytes.len());
            self.buf[self.fill..self.fill + take].copy_from_slice(&bytes[..take]);
            self.fill += take;
            bytes = &bytes[take..];
            if self.fill < 8 {
                return;
            }
            self.step(u64::from_le_bytes(self.buf));
            self.fill = 0;
        }
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.step(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.fill = rest.len();
    }
    /// The hash, the last partial word zero-filled.
    fn finish(mut self) -> u64 {
        if self.fill > 0 {
            self.buf[self.fill..].fill(0);
            self.step(u64::from_le_bytes(self.buf));
        }
        self.h
    }
}

struct Header {
    version: u32,
    bits: usize,
    n: usize,
    checksum: u64,
    flags: u32,
    /// Version 4: the tables' descriptors and where the section ends.
    descs: Vec<Desc>,
    tables_end: usize,
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
    /// Where the ids start (version 3): after the codes, padded to 8 bytes.
    fn ids_at(&self) -> usize {
        HEADER + (self.n * self.stride()).div_ceil(8) * 8
    }
    /// Where the live bitset starts (version 3).
    fn live_at(&self) -> usize {
        self.ids_at() + if self.flags & FLAG_IDS != 0 { self.n * 8 } else { 0 }
    }
    /// Whether the body has ids, a live bitset and m (versions 3 and 4).
    fn has_extras(&self) -> bool {
        self.version >= VERSION_EXTRAS
    }
    /// Where the version-3 body ends (and version 4's tables start).
    fn extras_end(&self) -> usize {
        self.live_at() + if self.flags & FLAG_LIVE != 0 { self.n.div_ceil(64) * 8 } else { 0 }
    }
    fn end(&self) -> usize {
        match self.version {
            VERSION_TABLES => self.tables_end,
            VERSION_EXTRAS => self.extras_end(),
            _ => HEADER + self.n * self.stride(),
        }
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
    if ![VERSION_WORDS, INDEX_VERSION, VERSION_EXTRAS, VERSION_TABLES].contains(&version) {
        return Err(bad(
            8,
            format!("unsupported index version {version} (this build reads {VERSION_WORDS} to {VERSION_TABLES})"),
        ));
    }
    let bits = u32_at(12) as usize;
    check_bits(bits).map_err(|_| bad(12, format!("invalid code width {bits} bits")))?;
    let n = u64_at(16);
    // 2^40 codes bounds every size below far from overflow on 64-bit hosts.
    let n = usize::try_from(n)
        .ok()
        .filter(|&n| n < 1 << 40)
        .ok_or_else(|| bad(16, format!("{n} codes of {bits} bits do not fit in memory")))?;
    let (mut flags, mut m) = (0, 0);
    let reserved = if version >= VERSION_EXTRAS {
        flags = u32_at(32);
        m = u32_at(36) as usize;
        if flags & !(FLAG_IDS | FLAG_LIVE) != 0 {
            return Err(bad(32, format!("unknown flags {flags:#x}")));
        }
        if m != 0 && (m < bits.div_ceil(MAX_SUBSTRING_BITS) || m > bits) {
            return Err(bad(36, format!("{m} multi-index substrings cannot split {bits}-bit codes")));
        }
        if version == VERSION_TABLES && (m == 0 || n >= u32::MAX as usize) {
            return Err(bad(36, format!("version 4 stores tables, but m = {m} for {n} codes")));
        }
        40
    } else {
        32
    };
    let mut header = Header { version, bits, n, checksum: u64_at(24), flags, descs: Vec::new(), tables_end: 0 };
    if version == VERSION_TABLES {
        let (descs, end) = index_tables::parse_descs(path, bytes, header.extras_end(), n, bits, m)?;
        (header.descs, header.tables_end) = (descs, end);
    }
    let body = header.end();
    if bytes.len() != body {
        return Err(bad(
            bytes.len().min(body),
            format!("{n} codes of {bits} bits need {body} bytes, the file has {}", bytes.len()),
        ));
    }
    if bytes[reserved..HEADER].iter().any(|&b| b != 0) {
        return Err(bad(reserved, "reserved header bytes are not zero".into()));
    }
    Ok(header)
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
    if header.has_extras() {
        return check_extras(path, header, body);
    }
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

/// Version 3: the code padding is zero, ids are non-negative and unique among
/// live codes, and the bitset has no bits past n.
fn check_extras(path: &Path, header: &Header, body: &[u8]) -> Result<()> {
    let at = |o: usize| o - HEADER;
    let codes_end = header.n * header.stride();
    if let Some(k) = body[codes_end..at(header.ids_at())].iter().position(|&b| b != 0) {
        return Err(Error::format(path, (HEADER + codes_end + k) as u64, "padding after the codes is not zero"));
    }
    let (ids, live) = read_extras(path, header, body)?;
    if let Some(live) = &live {
        let n = header.n;
        if n % 64 != 0 && live.last().is_some_and(|w| w >> (n % 64) != 0) {
            let offset = header.live_at() + live.len() * 8 - 8;
            return Err(Error::format(path, offset as u64, format!("live bits set past code {n}")));
        }
    }
    if let Some(ids) = ids {
        let alive = |p: usize| live.as_ref().is_none_or(|l| l[p / 64] >> (p % 64) & 1 == 1);
        let mut sorted: Vec<i64> = (0..ids.len()).filter(|&p| alive(p)).map(|p| ids[p]).collect();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::format(path, header.ids_at() as u64, format!("id {} appears more than once", w[0])));
        }
    }
    Ok(())
}

/// The ids (checked non-negative) and live bitset of a version-3 body.
#[allow(clippy::type_complexity)]
fn read_extras(path: &Path, header: &Header, body: &[u8]) -> Result<(Option<Vec<i64>>, Option<Vec<u64>>)> {
    let words = |from: usize, count: usize| -> Vec<u64> {
        body[from - HEADER..from - HEADER + count * 8]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    };
    let ids = if header.flags & FLAG_IDS != 0 {
        let ids: Vec<i64> = words(header.ids_at(), header.n).into_iter().map(|w| w as i64).collect();
        if let Some(p) = ids.iter().position(|&id| id < 0) {
            let offset = header.ids_at() + 8 * p;
            return Err(Error::format(path, offset as u64, format!("code {p} has a negative id {}", ids[p])));
        }
        Some(ids)
    } else {
        None
    };
    let live = (header.flags & FLAG_LIVE != 0).then(|| words(header.live_at(), header.n.div_ceil(64)));
    Ok((ids, live))
}

impl HammingIndex {
    /// Saves the index atomically (temp file, fsync, rename): version 2 for a
    /// plain index, version 3 with custom ids or removals, version 4 with
    /// multi-index tables (stored, so [`HammingIndex::open`] maps them).
    pub fn save(&self, path: &Path) -> Result<()> {
        self.save_as(path, true)
    }

    /// [`HammingIndex::save`]; `tables: false` records only m (version 3, as
    /// before version 4: for tests of older files).
    pub(crate) fn save_as(&self, path: &Path, tables: bool) -> Result<()> {
        let codes = self.codes().as_bytes();
        let mi = self.multi_index().filter(|_| tables);
        let m = self.multi_index().map_or(0, |t| t.m());
        let plain = self.ids().is_none() && self.live_bits().is_none() && m == 0;
        let mut extras = Vec::new();
        let mut flags = 0u32;
        if !plain {
            extras.resize(codes.len().div_ceil(8) * 8 - codes.len(), 0u8);
            if let Some(ids) = self.ids() {
                flags |= FLAG_IDS;
                extras.extend(ids.iter().flat_map(|id| id.to_le_bytes()));
            }
            if let Some(live) = self.live_bits() {
                flags |= FLAG_LIVE;
                extras.extend(live.iter().flat_map(|w| w.to_le_bytes()));
            }
        }
        let parts = mi.map(index_tables::parts).unwrap_or_default();
        let mut sum = Fnv::default();
        sum.update(codes);
        sum.update(&extras);
        parts.iter().for_each(|p| sum.update(p));
        let sum = sum.finish();
        write_atomic(path, |w: &mut dyn Write| {
            let mut h = [0u8; HEADER];
            h[..8].copy_from_slice(INDEX_MAGIC);
            let version = match (plain, mi.is_some()) {
                (true, _) => INDEX_VERSION,
                (false, false) => VERSION_EXTRAS,
                (false, true) => VERSION_TABLES,
            };
            h[8..12].copy_from_slice(&version.to_le_bytes());
            h[12..16].copy_from_slice(&(self.bits() as u32).to_le_bytes());
            h[16..24].copy_from_slice(&(self.len() as u64).to_le_bytes());
            h[24..32].copy_from_slice(&sum.to_le_bytes());
            if !plain {
                h[32..36].copy_from_slice(&flags.to_le_bytes());
                h[36..40].copy_from_slice(&(m as u32).to_le_bytes());
            }
            w.write_all(&h)?;
            w.write_all(codes)?;
            w.write_all(&extras)?;
            index_tables::write_parts(w, &parts)
        })
    }

    /// The multi-index substrings an index file records (0: none) without
    /// reading its body. A version-4 file stores the tables ([`HammingIndex::open`]
    /// maps them); for version 3, `sigah search` builds them with this m.
    pub fn file_multi_index_m(path: &Path) -> Result<usize> {
        let mut head = vec![0u8; HEADER];
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        std::io::Read::read_exact(&mut file, &mut head).map_err(|e| Error::io(path, e))?;
        let version = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        Ok(if &head[..8] == INDEX_MAGIC && (version == VERSION_EXTRAS || version == VERSION_TABLES) {
            u32::from_le_bytes(head[36..40].try_into().expect("4 bytes")) as usize
        } else {
            0
        })
    }

    /// Loads an index into memory, verifying the header, size, checksum and padding.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_file_bytes(path, &bytes)
    }

    /// Parses the bytes of an index file with every check `load` makes (`path` only
    /// names the file in errors); stored tables are copied into memory.
    pub fn from_file_bytes(path: &Path, bytes: &[u8]) -> Result<Self> {
        let header = parse_header(path, bytes)?;
        let body = &bytes[HEADER..];
        check_body(path, &header, body)?;
        let row = header.bits / 8;
        let codes = if header.has_extras() {
            let codes = Codes::from_bytes(header.bits, &body[..header.n * row])?;
            return Self::with_extras(path, &header, &Source::Bytes(bytes), codes);
        } else if header.rows_in_place() {
            Codes::from_bytes(header.bits, body)?
        } else {
            let rows: Vec<u8> = body.chunks_exact(header.stride()).flat_map(|c| &c[..row]).copied().collect();
            Codes::from_bytes(header.bits, &rows)?
        };
        Ok(Self::from_codes(codes))
    }

    /// Opens an index memory-mapped: the header and file size are checked, the
    /// codes and stored tables are mapped, not copied (the tables' directories and
    /// positions are checked to stay in bounds, O(n · m) reads without
    /// allocating), and the checksum is not computed (call
    /// [`HammingIndex::verify`]). A version-1 file of codes narrower than whole
    /// words is loaded instead (its rows must be unpacked; saving it again writes
    /// version 2).
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only and sigah never writes to an index it opened
        // (saving writes a new file and renames it); another process truncating
        // the file while it is mapped is outside what an mmap reader can guard against.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let header = parse_header(path, &map)?;
        if !header.rows_in_place() {
            return Self::from_file_bytes(path, &map);
        }
        let map = Arc::new(map);
        let codes = Codes::from_map(header.bits, header.n, map.clone(), HEADER);
        if header.has_extras() {
            return Self::with_extras(path, &header, &Source::Map(&map), codes);
        }
        Ok(Self::from_codes(codes))
    }

    /// An index of `codes` with a version-3 or 4 body's ids and live bitset
    /// (copied into memory: 8 bytes per code and n / 8 bytes, read once) and
    /// version 4's tables (mapped or copied as `src` is).
    fn with_extras(path: &Path, header: &Header, src: &Source, codes: Codes) -> Result<Self> {
        let (ids, live) = read_extras(path, header, &src.bytes()[HEADER..])?;
        let mut tables = None;
        if header.version == VERSION_TABLES {
            let (at, row) = (header.extras_end(), header.bits / 8);
            tables = Some(index_tables::read_tables(path, src, at, header.n, row, &header.descs)?);
        }
        Ok(Self::from_parts(codes, ids, live, tables))
    }

    /// Verifies a file's body against its header (checksum, version-1 padding,
    /// ids, and the stored tables' bounds).
    pub fn verify(path: &Path) -> Result<()> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: as in `open`.
        let map = Arc::new(unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?);
        let header = parse_header(path, &map)?;
        check_body(path, &header, &map[HEADER..])?;
        if header.version == VERSION_TABLES {
            index_tables::read_tables(
                path,
                &Source::Map(&map),
                header.extras_end(),
                header.n,
                header.bits / 8,
                &header.descs,
            )?;
        }
        Ok(())
    }
}
