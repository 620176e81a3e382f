//! Multi-index hashing (Norouzi, Punjani and Fleet, "Fast exact search in Hamming
//! space with multi-index hashing", TPAMI 2014): the tables.
//!
//! Each code is cut into m disjoint substrings of `s_j` consecutive bits (the
//! lengths differ by at most one). Two codes at distance d differ by d_j bits in
//! substring j with Σ d_j = d, so (pigeonhole) some substring is within ⌊d / m⌋ of
//! the query's: probing every table at substring radius 0, 1, 2, … finds every
//! code, nearest first in a provable order (the search is in `mih_search.rs`).
//!
//! A table is compact, three flat arrays (no hash map of vectors):
//! - `pos`: the code positions (u32), sorted by their substring key;
//! - `offsets`: a directory over the top `dir` bits of the key, CSR-style:
//!   the codes whose key starts with prefix p are `pos[offsets[p]..offsets[p + 1]]`;
//! - `low`: when the key has more bits than the directory (`s > dir`), the key's
//!   low `s − dir` (≤ 8) bits of each entry, so a bucket is checked exactly.
//!
//! - `rows`: for codes of up to [`INLINE_MAX_BITS`] bits, a copy of each entry's
//!   code in bucket order, so a probe reads its bucket's codes sequentially and
//!   rejects them against the current k-th distance without touching the code
//!   array (random reads there cost a cache miss per candidate: on 10M real
//!   64-bit codes, 175 ns per candidate before this copy).
//!
//! `dir` is `s` when 2^s is at most about n, else ⌊log2 n⌋ (at least s − 8): the
//! directory then costs at most 4 bytes per code, and a bucket holds about one
//! code. Memory per code: m · (4 + (1 if s > dir) + ≤ 4 + (bits / 8 if inlined))
//! bytes plus the code itself.

use super::slab::Slab;
use crate::Codes;

/// The longest substring a table indexes (keys are u32).
pub const MAX_SUBSTRING_BITS: usize = 32;

/// The widest codes whose tables hold a copy of each code (`Table::rows`): at 64
/// bits the m ≈ 3 copies cost 24 bytes per code; at 128 bits m ≈ 6 copies would
/// cost 96, so wider codes are read from the code array instead.
pub const INLINE_MAX_BITS: usize = 64;

/// One table: the positions of all codes bucketed by one substring.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    /// First bit of the substring.
    pub(crate) start: usize,
    /// Bits in the substring (1..=32).
    pub(crate) len: usize,
    /// Bits of the key the directory resolves.
    pub(crate) dir: usize,
    pub(crate) offsets: Slab<u32>,
    pub(crate) low: Slab<u8>,
    pub(crate) pos: Slab<u32>,
    /// The code at `pos[i]` in bytes `i · row..(i + 1) · row`; empty when not inlined.
    pub(crate) rows: Slab<u8>,
}

/// The m tables over one set of codes.
#[derive(Clone, Debug)]
pub struct MultiIndex {
    pub(crate) tables: Vec<Table>,
    /// Codes indexed (positions 0..n).
    pub(crate) n: usize,
}

/// Bits `start..start + len` of a code stored as bytes (bit j = bit j % 8 of byte
/// j / 8), as an integer; `len` ≤ 32.
#[inline]
pub(crate) fn substring(code: &[u8], start: usize, len: usize) -> u32 {
    let b = start / 8;
    let end = (b + 8).min(code.len());
    let mut buf = [0u8; 8];
    buf[..end - b].copy_from_slice(&code[b..end]);
    // A shift of at most 7 plus at most 32 bits stays inside the 64 read.
    ((u64::from_le_bytes(buf) >> (start % 8)) & ((1u64 << len) - 1)) as u32
}

/// The number of substrings for `bits`-bit codes and `n` of them: m ≈ bits / log2 n
/// (the paper's choice, §4.3: substrings of about log2 n bits hold about one code
/// per bucket), at least enough that a substring fits 32 bits, at most one per bit.
///
/// Tables that hold copies of the codes (up to [`INLINE_MAX_BITS`]) read a
/// bucket's entries in sequence for ~1 ns each while a probe costs cache misses,
/// so there substrings are about log2 n − 4 bits (buckets of ~16 codes) and m is
/// rounded up: `sigah bench mih`, 10M real 64-bit codes, k = 10, one thread, ran
/// 3.0× the scan with m = 3, 5.3× with m = 4 and 2.6× with m = 5.
pub fn auto_m(bits: usize, n: usize) -> usize {
    let lg = (n.max(2) as f64).log2();
    let m = if bits <= INLINE_MAX_BITS && lg > 8.0 {
        (bits as f64 / (lg - 4.0)).ceil() as usize
    } else {
        (bits as f64 / lg).round() as usize
    };
    m.clamp(bits.div_ceil(MAX_SUBSTRING_BITS), bits.max(1))
}

/// Directory bits for a substring of `len` bits over `n` codes (see the module docs).
pub(crate) fn dir_bits(len: usize, n: usize) -> usize {
    let lg = if n < 2 { 0 } else { n.ilog2() as usize };
    len.min(lg.max(len.saturating_sub(8)))
}

impl Table {
    fn build(codes: &Codes, start: usize, len: usize) -> Self {
        let n = codes.len();
        let dir = dir_bits(len, n);
        let shift = len - dir;
        let keys: Vec<u32> = (0..n).map(|i| substring(codes.code_bytes(i), start, len)).collect();
        // Counting sort on the prefix, then each (small) bucket by its low bits.
        let mut offsets = vec![0u32; (1usize << dir) + 1];
        for &k in &keys {
            offsets[(k >> shift) as usize + 1] += 1;
        }
        for p in 1..offsets.len() {
            offsets[p] += offsets[p - 1];
        }
        let mut fill = offsets.clone();
        let mut pos = vec![0u32; n];
        for (i, &k) in keys.iter().enumerate() {
            let slot = &mut fill[(k >> shift) as usize];
            pos[*slot as usize] = i as u32;
            *slot += 1;
        }
        let mut low = Vec::new();
        if shift > 0 {
            let mask = (1u32 << shift) - 1;
            for p in 0..1usize << dir {
                let bucket = &mut pos[offsets[p] as usize..offsets[p + 1] as usize];
                bucket.sort_unstable_by_key(|&i| (keys[i as usize] & mask, i));
            }
            low = pos.iter().map(|&i| (keys[i as usize] & mask) as u8).collect();
        }
        let mut rows = Vec::new();
        if codes.bits() <= INLINE_MAX_BITS {
            rows.reserve_exact(n * codes.bytes_per_code());
            for &i in &pos {
                rows.extend_from_slice(codes.code_bytes(i as usize));
            }
        }
        Self { start, len, dir, offsets: offsets.into(), low: low.into(), pos: pos.into(), rows: rows.into() }
    }

    /// The entries (indexes into `pos`) whose key is `key`.
    #[inline]
    pub(crate) fn range(&self, key: u32) -> std::ops::Range<usize> {
        let shift = self.len - self.dir;
        let p = (key >> shift) as usize;
        let (a, b) = (self.offsets[p] as usize, self.offsets[p + 1] as usize);
        if shift == 0 {
            return a..b;
        }
        // Entries of a bucket are sorted by their low bits: find the run equal to ours.
        let want = (key & ((1u32 << shift) - 1)) as u8;
        let lows = &self.low[a..b];
        let from = lows.partition_point(|&l| l < want);
        let to = from + lows[from..].partition_point(|&l| l == want);
        a + from..a + to
    }

    /// The positions whose key is `key`.
    #[cfg(test)]
    pub(crate) fn bucket(&self, key: u32) -> &[u32] {
        &self.pos[self.range(key)]
    }

    fn memory_bytes(&self) -> usize {
        self.offsets.heap_bytes() + self.low.heap_bytes() + self.pos.heap_bytes() + self.rows.heap_bytes()
    }
}

impl MultiIndex {
    /// Tables over `codes` with `m` substrings (see [`auto_m`]); the tables are
    /// built in parallel on the calling rayon pool.
    ///
    /// # Panics
    /// If m is 0, more than the bits, too few for 32-bit substrings, or there are
    /// 2^32 codes or more (positions are u32); callers check.
    pub fn build(codes: &Codes, m: usize) -> Self {
        use rayon::prelude::*;
        let bits = codes.bits();
        assert!(
            m >= bits.div_ceil(MAX_SUBSTRING_BITS) && m <= bits,
            "MultiIndex::build: {m} substrings of {bits} bits"
        );
        assert!(codes.len() < u32::MAX as usize, "MultiIndex::build: positions are u32");
        let bounds: Vec<(usize, usize)> = (0..m).map(|j| (j * bits / m, (j + 1) * bits / m - j * bits / m)).collect();
        let tables = bounds.into_par_iter().map(|(start, len)| Table::build(codes, start, len)).collect();
        Self { tables, n: codes.len() }
    }

    /// The number of substrings (tables).
    pub fn m(&self) -> usize {
        self.tables.len()
    }

    /// Bytes the tables occupy, in memory or mapped from the file (the codes are
    /// not counted): what they cost per code whether built or opened.
    pub fn table_bytes(&self) -> usize {
        self.tables.iter().map(|t| t.offsets.len() * 4 + t.low.len() + t.pos.len() * 4 + t.rows.len()).sum()
    }

    /// Whether the tables are read from a memory-mapped index file.
    pub fn is_mapped(&self) -> bool {
        self.tables.iter().all(|t| t.pos.is_mapped())
    }

    /// Heap bytes the tables hold (the codes are not counted; mapped tables are
    /// page cache and count nothing).
    pub fn memory_bytes(&self) -> usize {
        self.tables.iter().map(Table::memory_bytes).sum::<usize>() + std::mem::size_of::<Self>()
    }
}

/// Calls `f(mask)` for every `len`-bit mask with exactly `r` bits set (Gosper's
/// hack: the next larger integer with the same popcount), in increasing order.
#[inline]
pub(crate) fn for_each_mask(len: usize, r: usize, mut f: impl FnMut(u32) -> bool) {
    if r > len {
        return;
    }
    let limit = 1u64 << len;
    let mut v: u64 = (1u64 << r) - 1;
    while v < limit {
        if !f(v as u32) {
            return;
        }
        if v == 0 {
            return;
        }
        let t = v | (v - 1);
        let nt = !t;
        v = (t + 1) | (((nt & nt.wrapping_neg()) - 1) >> (v.trailing_zeros() + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_every_combination_once_in_order() {
        for len in 0..=12 {
            for r in 0..=len + 1 {
                let mut got = Vec::new();
                for_each_mask(len, r, |m| {
                    got.push(m);
                    true
                });
                let want: Vec<u32> = (0..1u32 << len).filter(|m| m.count_ones() as usize == r).collect();
                assert_eq!(got, want, "len {len}, r {r}");
            }
        }
        let mut count = 0u64;
        for_each_mask(32, 2, |_| {
            count += 1;
            true
        });
        assert_eq!(count, 32 * 31 / 2);
    }

    #[test]
    fn substrings_read_bits_in_order() {
        let code: Vec<u8> = (0..9u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let bit = |j: usize| (code[j / 8] >> (j % 8)) & 1;
        for start in 0..72 {
            for len in 1..=32.min(72 - start) {
                let want = (0..len).map(|i| u32::from(bit(start + i)) << i).sum::<u32>();
                assert_eq!(substring(&code, start, len), want, "start {start}, len {len}");
            }
        }
    }

    #[test]
    fn buckets_hold_exactly_the_codes_with_that_key() {
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let codes = Codes::from_bytes(24, &bytes).unwrap();
        for m in [1, 2, 3, 5, 24] {
            let mi = MultiIndex::build(&codes, m);
            assert_eq!(mi.m(), m);
            for t in &mi.tables {
                let mut seen = 0;
                for key in 0..1u32 << t.len {
                    let b = t.bucket(key);
                    for &p in b {
                        assert_eq!(substring(codes.code_bytes(p as usize), t.start, t.len), key);
                    }
                    seen += b.len();
                }
                assert_eq!(seen, codes.len(), "m {m}: every code in exactly one bucket");
            }
        }
    }

    #[test]
    fn m_follows_bits_over_log2_n() {
        assert_eq!(auto_m(64, 1 << 20), 4);
        assert_eq!(auto_m(64, 10_000_000), 4);
        assert_eq!(auto_m(32, 1 << 20), 2);
        assert_eq!(auto_m(128, 1 << 20), 6);
        assert_eq!(auto_m(256, 1 << 20), 13);
        assert_eq!(auto_m(8, 1 << 20), 1);
        assert_eq!(auto_m(256, 1), 256);
        assert_eq!(auto_m(4096, 1 << 30), 137);
    }
}
