//! Hamming scans of many queries at once on the AMX tile unit ([`Isa::Amx`]).
//!
//! With bits as bytes, a distance is a dot product: for a code x (bytes 0/1) and
//! a query q, Σ_j x_j · (1 − 2 q_j) = |x| − 2 |x ∧ q|, so d(x, q) = that + |q|.
//! One `tdpbusd` multiplies a tile of 16 codes × 64 such bytes (u8) by one of 64
//! query bytes × 16 queries (s8 ±1) into 16 × 16 i32 sums: 16,384 byte products,
//! against 512 bit pairs per `vpopcntq` on the vector path, which at 256 bits
//! is bound by that one instruction's port (docs/PERFORMANCE.md). A tile of
//! sums is then 16 rows of 16 lanes compared with the 16 queries' thresholds.
//!
//! The layouts:
//! - [`TileQueries`]: the queries in tiles of 16, each word t of the 16 as one
//!   B tile (row k, bytes 4n..4n+4 = bits 4k..4k+3 of query n, as ±1), built
//!   once per group of queries, with each query's |q|;
//! - [`TileBlock`]: a block of codes, each word t of 16 codes as one A tile (row
//!   m = code m's 64 bits as bytes 0/1), filled once per block and group.
//!
//! The contract is the row scan's, per query: codes visited in order,
//! `hit(q, i, d)` called whenever `d` is below query q's current threshold, its
//! return value the new one; exactly the calls of [`tiles_scan_reference`] for
//! each query (calls of different queries may interleave).

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod x86_amx;

use crate::Isa;

/// Codes per A tile and queries per B tile (the tile unit's 16 rows).
pub const TILE: usize = 16;

/// Narrowest code, in u64 words, the tile scan takes (its bodies are written
/// for 2, 3 and 4).
pub const MIN_WORDS: usize = 2;

/// Widest code, in u64 words, the tile scan takes: four B tiles stay in
/// registers for a group of queries, with two A tiles and two of sums (8 in all).
pub const MAX_WORDS: usize = 4;

/// A cache line of bytes: one tile row.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Row(pub(crate) [u8; 64]);

/// Whether `isa` scans rows of `row` bytes on tiles: AMX and whole words, 2 to
/// 4 of them (128-256 bits), where they beat the sliced vector kernel by 1.3-1.6×
/// (docs/PERFORMANCE.md). At one word the vector kernel needs one `vpopcntq`
/// per 8 codes, and the tile scan has no body for it.
pub fn tiles_pay(isa: Isa, row: usize) -> bool {
    isa == Isa::Amx && row % 8 == 0 && (MIN_WORDS..=MAX_WORDS).contains(&(row / 8)) && isa.is_supported()
}

/// Queries in B tiles (see the module doc), with |q| per query.
pub struct TileQueries {
    w: usize,
    len: usize,
    /// Tile j, word t at rows `(j · w + t) · 16 ..`.
    rows: Vec<Row>,
    /// |q| per query, padded to whole tiles with zeros.
    weights: Vec<i32>,
}

impl TileQueries {
    /// Queries of `w` words each, one after another (`queries.len()` a multiple of `w`).
    ///
    /// # Panics
    /// If `w` is outside [`MIN_WORDS`]..=[`MAX_WORDS`], or the length is not a multiple of `w`.
    pub fn new(queries: &[u64], w: usize) -> Self {
        assert!(
            (MIN_WORDS..=MAX_WORDS).contains(&w) && queries.len() % w == 0,
            "TileQueries: {} words of {w}",
            queries.len()
        );
        let len = queries.len() / w;
        let tiles = len.div_ceil(TILE);
        // Padding queries are all zero bits: +1 bytes, and never offered (their
        // threshold is below every distance, see `tiles_scan`).
        let mut rows = vec![Row([1; 64]); tiles * w * TILE];
        let mut weights = vec![0; tiles * TILE];
        for (qi, q) in queries.chunks_exact(w).enumerate() {
            let (j, n) = (qi / TILE, qi % TILE);
            weights[qi] = q.iter().map(|x| x.count_ones() as i32).sum();
            for (t, &word) in q.iter().enumerate() {
                for k in 0..TILE {
                    for i in 0..4 {
                        let bit = (word >> (4 * k + i)) & 1;
                        rows[(j * w + t) * TILE + k].0[4 * n + i] = (1 - 2 * bit as i8) as u8;
                    }
                }
            }
        }
        Self { w, len, rows, weights }
    }

    /// Number of queries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A block of codes in A tiles (see the module doc).
pub struct TileBlock {
    w: usize,
    len: usize,
    /// Sub-block s (codes 16s..16s+16), word t at rows `(s · w + t) · 16 ..`.
    rows: Vec<Row>,
}

impl TileBlock {
    /// Room for `capacity` codes of `w` words.
    ///
    /// # Panics
    /// If `w` is outside [`MIN_WORDS`]..=[`MAX_WORDS`].
    pub fn new(w: usize, capacity: usize) -> Self {
        assert!((MIN_WORDS..=MAX_WORDS).contains(&w), "TileBlock: {w} words");
        Self { w, len: 0, rows: vec![Row([0; 64]); capacity.div_ceil(TILE) * w * TILE] }
    }

    /// Codes the block can hold.
    pub fn capacity(&self) -> usize {
        self.rows.len() / self.w
    }

    /// Number of codes held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Replaces the block with rows of `8 · w` bytes (bit j of a code at bit j % 8
    /// of byte j / 8).
    ///
    /// # Panics
    /// If `rows` is not whole codes or holds more than [`capacity`](Self::capacity).
    pub fn fill(&mut self, rows: &[u8]) {
        let row = 8 * self.w;
        let n = rows.len() / row;
        assert!(rows.len() == n * row && n <= self.capacity(), "TileBlock::fill: {} bytes", rows.len());
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        if crate::isa::has_amx() {
            // SAFETY: AMX implies AVX-512 BW (`has_amx`); lengths checked above.
            unsafe { x86_amx::expand_codes(rows, self.w, &mut self.rows) };
            self.len = n;
            return;
        }
        expand_codes_plain(rows, self.w, &mut self.rows);
        self.len = n;
    }
}

/// [`TileBlock::fill`]'s layout, one byte at a time (the reference for the
/// AVX-512 expansion, and what runs without it).
fn expand_codes_plain(rows: &[u8], w: usize, out: &mut [Row]) {
    for (i, code) in rows.chunks_exact(8 * w).enumerate() {
        let (s, m) = (i / TILE, i % TILE);
        for (t, bytes) in code.chunks_exact(8).enumerate() {
            let word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
            for (j, b) in out[(s * w + t) * TILE + m].0.iter_mut().enumerate() {
                *b = ((word >> j) & 1) as u8;
            }
        }
    }
}

/// Every query of `queries` over the codes of `block`, query q starting from
/// `thresholds[q]` (updated as it goes); see the module doc for the contract.
///
/// # Panics
/// If the widths differ, `thresholds` is not one per query, or the tile unit
/// is not usable ([`tiles_pay`]).
pub fn tiles_scan<F: FnMut(usize, usize, u32) -> u32>(
    queries: &TileQueries,
    block: &TileBlock,
    thresholds: &mut [u32],
    mut hit: F,
) {
    assert_eq!(queries.w, block.w, "tiles_scan: query and code widths");
    assert_eq!(thresholds.len(), queries.len, "tiles_scan: one threshold per query");
    assert!(crate::isa::has_amx(), "tiles_scan: AMX is not usable here");
    if block.len == 0 || queries.len == 0 {
        return;
    }
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    // SAFETY: AMX is usable (asserted); the layouts' lengths follow from their
    // constructors and the widths match.
    unsafe {
        x86_amx::scan(queries, block, thresholds, &mut hit)
    };
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    let _ = &mut hit;
}

/// The reference: for each query q in turn, codes 0..n of `codes` (rows of `w`
/// words) in order, `hit(q, i, d)` whenever `d` is below the current threshold.
pub fn tiles_scan_reference<F: FnMut(usize, usize, u32) -> u32>(
    queries: &[u64],
    codes: &[u64],
    w: usize,
    thresholds: &mut [u32],
    mut hit: F,
) {
    for (q, query) in queries.chunks_exact(w).enumerate() {
        for (i, code) in codes.chunks_exact(w).enumerate() {
            let d: u32 = query.iter().zip(code).map(|(a, b)| (a ^ b).count_ones()).sum();
            if d < thresholds[q] {
                thresholds[q] = hit(q, i, d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_expansion_is_bits_as_bytes() {
        let codes: Vec<u64> = (0..40u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        let bytes: Vec<u8> = codes.iter().flat_map(|x| x.to_le_bytes()).collect();
        let mut block = TileBlock::new(2, 20);
        expand_codes_plain(&bytes, 2, &mut block.rows);
        for i in 0..20 {
            for t in 0..2 {
                let row = &block.rows[((i / TILE) * 2 + t) * TILE + i % TILE].0;
                let back = row.iter().enumerate().fold(0u64, |acc, (j, &b)| acc | (b as u64) << j);
                assert_eq!(back, codes[2 * i + t], "code {i} word {t}");
            }
        }
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        if crate::isa::has_amx() {
            let mut fast = TileBlock::new(2, 20);
            fast.fill(&bytes);
            assert!(fast.rows.iter().zip(&block.rows).all(|(a, b)| a.0 == b.0));
        }
    }

    #[test]
    fn query_tiles_hold_signed_bits() {
        let q = [0b1011u64, 1 << 63];
        let tq = TileQueries::new(&q, 2);
        assert_eq!((tq.len(), tq.weights[0]), (1, 4));
        // Bits 0..4 of word 0 are in row 0, bytes 0..4 of query 0: 1, 1, 0, 1.
        assert_eq!(&tq.rows[0].0[..4], &[255, 255, 1, 255]);
        // Bit 63 of word 1: row 15, byte 3.
        assert_eq!(tq.rows[TILE + 15].0[3], 255);
        // Padding queries are zero bits.
        assert_eq!(tq.rows[0].0[4], 1);
    }
}
