//! The multi-index tables in an index file (format version 4): after the
//! version-3 body (codes, padding, ids, live bitset), a descriptor per table and
//! then each table's arrays, so [`HammingIndex::open`](crate::index::HammingIndex::open)
//! maps them in place instead of rebuilding them (`mih.rs` describes the arrays).
//!
//! ```text
//! m descriptors of 16 bytes: u32 start bit, u32 substring bits, u32 directory
//!   bits, u32 1 if the table holds copies of the codes (else 0)
//! then per table, each array zero-padded to a multiple of 8 bytes:
//!   offsets  (2^dir + 1) u32   CSR directory: bucket p is pos[offsets[p]..offsets[p + 1]]
//!   low      n u8 if bits > dir: the key's low bits per entry
//!   pos      n u32             code positions, bucket by bucket
//!   rows     n · bits / 8 bytes if copies: the codes in `pos` order
//! ```
//!
//! All little-endian, as the rest of the file. The checksum covers the section.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;

use crate::index::mih::{MultiIndex, Table};
use crate::index::slab::Slab;
use crate::{Error, Result};

/// Bytes of one table descriptor.
const DESC: usize = 16;

/// One table's descriptor as stored.
#[derive(Clone, Copy, Debug)]
pub(super) struct Desc {
    start: usize,
    len: usize,
    dir: usize,
    inline: bool,
}

fn pad8(x: usize) -> usize {
    x.div_ceil(8) * 8
}

impl Desc {
    /// Byte sizes (unpadded) of offsets, low, pos and rows for n codes of `row` bytes.
    fn sizes(&self, n: usize, row: usize) -> [usize; 4] {
        let low = if self.len > self.dir { n } else { 0 };
        [((1usize << self.dir) + 1) * 4, low, n * 4, if self.inline { n * row } else { 0 }]
    }
    fn bytes(&self, n: usize, row: usize) -> usize {
        self.sizes(n, row).iter().map(|&s| pad8(s)).sum()
    }
}

/// Reads and checks the m descriptors at `at`; returns them and the end of the
/// section (checked against nothing yet: the caller compares it with the file).
pub(super) fn parse_descs(
    path: &Path,
    bytes: &[u8],
    at: usize,
    n: usize,
    bits: usize,
    m: usize,
) -> Result<(Vec<Desc>, usize)> {
    let bad = |offset: usize, reason: String| Error::format(path, offset as u64, reason);
    let table_end = at + m * DESC;
    if bytes.len() < table_end {
        return Err(bad(bytes.len(), format!("truncated: {m} multi-index table descriptors end at byte {table_end}")));
    }
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes")) as usize;
    let mut descs = Vec::with_capacity(m);
    let mut end = table_end;
    for j in 0..m {
        let o = at + j * DESC;
        let (start, len, dir, inline) = (u32_at(o), u32_at(o + 4), u32_at(o + 8), u32_at(o + 12));
        let (want_start, want_len) = (j * bits / m, (j + 1) * bits / m - j * bits / m);
        if start != want_start || len != want_len {
            return Err(bad(o, format!("table {j} covers bits {start}+{len}, not {want_start}+{want_len} of {m}")));
        }
        if dir > len || len - dir > 8 || inline > 1 {
            return Err(bad(o + 8, format!("table {j}: invalid directory of {dir} bits (or copies flag {inline})")));
        }
        let d = Desc { start, len, dir, inline: inline == 1 };
        end = end
            .checked_add(d.bytes(n, bits / 8))
            .filter(|&e| e <= isize::MAX as usize)
            .ok_or_else(|| bad(o, format!("table {j} does not fit in memory")))?;
        descs.push(d);
    }
    Ok((descs, end))
}

/// Where the arrays come from: copied out of the file's bytes, or mapped.
pub(super) enum Source<'a> {
    Bytes(&'a [u8]),
    Map(&'a Arc<Mmap>),
}

impl Source<'_> {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Source::Bytes(b) => b,
            Source::Map(m) => m,
        }
    }
    fn u32s(&self, at: usize, count: usize) -> Slab<u32> {
        match self {
            Source::Map(m) if cfg!(target_endian = "little") => Slab::mapped(m, at, count),
            _ => Slab::Owned(
                self.bytes()[at..at + 4 * count]
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect(),
            ),
        }
    }
    fn u8s(&self, at: usize, count: usize) -> Slab<u8> {
        match self {
            Source::Map(m) => Slab::mapped(m, at, count),
            Source::Bytes(b) => Slab::Owned(b[at..at + count].to_vec()),
        }
    }
}

/// The tables of a file whose descriptors `parse_descs` read at `at`, after
/// checking what a search relies on to stay in bounds: every directory runs from
/// 0 up to n, every position is below n (O(n · m) reads, no allocation when
/// mapped). The low bits and copies are covered by the checksum only.
pub(super) fn read_tables(
    path: &Path,
    src: &Source,
    at: usize,
    n: usize,
    row: usize,
    descs: &[Desc],
) -> Result<MultiIndex> {
    let mut o = at + descs.len() * DESC;
    let mut tables = Vec::with_capacity(descs.len());
    for (j, d) in descs.iter().enumerate() {
        let [so, sl, sp, sr] = d.sizes(n, row);
        let offsets = src.u32s(o, so / 4);
        let low = src.u8s(o + pad8(so), sl);
        let pos_at = o + pad8(so) + pad8(sl);
        let pos = src.u32s(pos_at, n);
        let rows = src.u8s(pos_at + pad8(sp), sr);
        let monotone = offsets.windows(2).all(|w| w[0] <= w[1]);
        if offsets[0] != 0 || offsets[offsets.len() - 1] as usize != n || !monotone {
            return Err(Error::format(path, o as u64, format!("table {j}: the directory does not run from 0 to {n}")));
        }
        if let Some(i) = pos.iter().position(|&p| p as usize >= n) {
            let reason = format!("table {j}: entry {i} names code {} of {n}", pos[i]);
            return Err(Error::format(path, (pos_at + 4 * i) as u64, reason));
        }
        tables.push(Table { start: d.start, len: d.len, dir: d.dir, offsets, low, pos, rows });
        o += d.bytes(n, row);
    }
    Ok(MultiIndex { tables, n })
}

/// The section's parts in file order, each a multiple of 8 bytes (the
/// checksum and the writer take the same parts).
pub(super) fn parts(mi: &MultiIndex) -> Vec<Cow<'_, [u8]>> {
    let mut descs = Vec::with_capacity(mi.tables.len() * DESC);
    for t in &mi.tables {
        for v in [t.start, t.len, t.dir, usize::from(!t.rows.is_empty())] {
            descs.extend_from_slice(&(v as u32).to_le_bytes());
        }
    }
    let mut out = vec![Cow::Owned(descs)];
    for t in &mi.tables {
        for bytes in [le_u32s(&t.offsets), Cow::Borrowed(&t.low[..]), le_u32s(&t.pos), Cow::Borrowed(&t.rows[..])] {
            let pad = pad8(bytes.len()) - bytes.len();
            out.push(bytes);
            if pad > 0 {
                out.push(Cow::Owned(vec![0; pad]));
            }
        }
    }
    out
}

/// u32s as little-endian bytes (borrowed on a little-endian host).
fn le_u32s(v: &[u32]) -> Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        Cow::Borrowed(bytemuck::cast_slice(v))
    } else {
        Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

/// Writes `parts` in order.
pub(super) fn write_parts(w: &mut dyn Write, parts: &[Cow<'_, [u8]>]) -> std::io::Result<()> {
    parts.iter().try_for_each(|p| w.write_all(p))
}
