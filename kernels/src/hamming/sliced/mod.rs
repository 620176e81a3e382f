//! Hamming scan over *word-sliced* blocks of codes: groups of [`LANES`] = 8 codes
//! of `w` u64 words stored word-major, so word `t` of code `j` of group `g` is at
//! `g · 8w + t · 8 + j`. One 512-bit load then holds the same word of 8 codes,
//! and a distance is `Σ_t popcount(q_t XOR block_t)` lane by lane with no
//! horizontal reduction.
//!
//! Why: in the row layout a 256-bit code fills half a register, so the AVX-512
//! row kernel ([`super::hamming_scan_with`]) needs an order-preserving tree of
//! `vpermt2q` pair sums to bring each code's four word counts into one lane: per
//! 8 codes 4 `vpopcntq` and 6 `vpermt2q`, all on port 5 of Ice Lake / Sapphire
//! Rapids, where the sliced kernel runs 4 `vpopcntq` on port 5 and the XORs,
//! adds and the compare anywhere (1M codes, 1,000 queries, one thread: 1.6× at
//! 256 bits, docs/PERFORMANCE.md). The search slices each L1-sized block once
//! per group of queries ([`slice_rows`]), so the copy is shared by the group.
//!
//! The contract is the row scan's: codes visited in order, `hit(i, d)` called
//! whenever `d` is below the current threshold, its return value the new one;
//! exactly the calls of [`scan_reference`].

#[cfg(target_arch = "x86_64")]
mod x86_avx512;

use crate::Isa;

/// Codes per sliced group (the u64 lanes of a 512-bit register).
pub const LANES: usize = 8;

/// Words a sliced block of `n` codes of `w` words occupies: whole groups, the
/// last one padded.
pub fn sliced_len(n: usize, w: usize) -> usize {
    n.div_ceil(LANES) * LANES * w
}

/// Where word `t` of code `i` lies in a sliced block of `w`-word codes.
#[inline(always)]
pub fn sliced_index(i: usize, t: usize, w: usize) -> usize {
    (i / LANES) * LANES * w + t * LANES + i % LANES
}

/// Copies rows of `row` bytes (bit j of a code at bit j % 8 of byte j / 8) into
/// the sliced layout of `ceil(row / 8)` little-endian words per code, zeros above
/// the last byte and in the padding codes of the last group.
///
/// # Panics
/// If `row` is 0 while `rows` is not empty, `rows.len()` is not a multiple of
/// `row`, or `out.len()` is not [`sliced_len`] of the rows.
pub fn slice_rows(rows: &[u8], row: usize, out: &mut [u64]) {
    let n = rows.len().checked_div(row).unwrap_or(0);
    assert!(row > 0 && rows.len() == n * row || rows.is_empty(), "slice_rows: {} bytes in rows of {row}", rows.len());
    let w = row.div_ceil(8);
    assert_eq!(out.len(), sliced_len(n, w), "slice_rows: output for {n} codes of {w} words");
    // The last group's padding codes read as zeros.
    out[n / LANES * LANES * w..].fill(0);
    #[cfg(target_arch = "x86_64")]
    if row % 8 == 0 && (w == 2 || w == 4) && crate::isa::has_avx512_vpopcntdq() {
        let whole = n / LANES * LANES;
        // SAFETY: AVX-512F is present; the rows hold `whole` codes of w words and
        // out has room for them (checked above).
        unsafe { x86_avx512::slice_groups(&rows[..whole * row], w, out) };
        let tail = &rows[whole * row..];
        let dst = &mut out[whole * w..];
        return match w {
            2 => slice_words::<2>(tail, dst),
            _ => slice_words::<4>(tail, dst),
        };
    }
    slice_rows_plain(rows, row, out)
}

/// [`slice_rows`] without vector instructions (the reference for the AVX-512
/// transposition, and every other level).
pub fn slice_rows_plain(rows: &[u8], row: usize, out: &mut [u64]) {
    let n = rows.len().checked_div(row).unwrap_or(0);
    let w = row.div_ceil(8);
    out[n / LANES * LANES * w..].fill(0);
    match (row % 8, w) {
        (0, 1) => slice_words::<1>(rows, out),
        (0, 2) => slice_words::<2>(rows, out),
        (0, 3) => slice_words::<3>(rows, out),
        (0, 4) => slice_words::<4>(rows, out),
        _ => {
            for (i, code) in rows.chunks_exact(row).enumerate() {
                for (t, bytes) in code.chunks(8).enumerate() {
                    let mut b = [0u8; 8];
                    b[..bytes.len()].copy_from_slice(bytes);
                    out[sliced_index(i, t, w)] = u64::from_le_bytes(b);
                }
            }
        }
    }
}

/// [`slice_rows`] for rows of exactly `W` words: a straight-line copy per code
/// (the common 64-256-bit case; it runs once per block and group of queries).
fn slice_words<const W: usize>(rows: &[u8], out: &mut [u64]) {
    for (src, dst) in rows.chunks(LANES * W * 8).zip(out.chunks_exact_mut(LANES * W)) {
        for (j, code) in src.chunks_exact(W * 8).enumerate() {
            for t in 0..W {
                dst[t * LANES + j] = u64::from_le_bytes(code[t * 8..t * 8 + 8].try_into().expect("8 bytes"));
            }
        }
    }
}

/// Distance of code `i` of a sliced block to `query`: the math, one word at a time.
pub fn distance_reference(query: &[u64], sliced: &[u64], i: usize) -> u32 {
    let w = query.len();
    query.iter().enumerate().map(|(t, q)| (q ^ sliced[sliced_index(i, t, w)]).count_ones()).sum()
}

/// The reference scan: codes 0..n in order, `hit(i, d)` whenever `d` is below the
/// current threshold, whose return value becomes the threshold.
pub fn scan_reference<F: FnMut(usize, u32) -> u32>(
    query: &[u64],
    sliced: &[u64],
    n: usize,
    mut threshold: u32,
    mut hit: F,
) {
    for i in 0..n {
        let d = distance_reference(query, sliced, i);
        if d < threshold {
            threshold = hit(i, d);
        }
    }
}

/// Whether `isa` runs a vector path over sliced blocks of `w`-word codes (the
/// search slices blocks only where it does; other levels keep the row layout).
pub fn sliced_pays(isa: Isa, w: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        w >= 2 && isa.without_tiles() == Isa::Avx512 && crate::isa::has_avx512_vpopcntdq()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (isa, w);
        false
    }
}

/// The scan of `n` codes in a sliced block ([`slice_rows`]) on level `isa`.
///
/// # Panics
/// If `sliced.len() != sliced_len(n, query.len())`, the query is empty while
/// `n > 0`, or `isa` is unsupported.
pub fn hamming_sliced_scan_with<F: FnMut(usize, u32) -> u32>(
    isa: Isa,
    query: &[u64],
    sliced: &[u64],
    n: usize,
    threshold: u32,
    hit: F,
) {
    SlicedScanner::new(isa).scan(query, sliced, n, threshold, hit)
}

/// The body [`hamming_sliced_scan_with`] runs on a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    Reference,
    #[cfg(target_arch = "x86_64")]
    Popcnt,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// [`hamming_sliced_scan_with`] with the level checked and its body chosen once:
/// the search runs one scan per (block, query), 125,000 per query over 1M 256-bit
/// codes, and the CPU-feature checks cost about 2 % of the 256-bit scan (`perf`).
#[derive(Clone, Copy, Debug)]
pub struct SlicedScanner {
    body: Body,
}

impl SlicedScanner {
    /// The scanner of level `isa`.
    ///
    /// # Panics
    /// If `isa` is unsupported by this CPU.
    pub fn new(isa: Isa) -> Self {
        assert!(isa.is_supported(), "hamming_sliced_scan: {isa} is not supported by this CPU");
        #[cfg(target_arch = "x86_64")]
        {
            if isa.without_tiles() == Isa::Avx512 && crate::isa::has_avx512_vpopcntdq() {
                return Self { body: Body::Avx512 };
            }
            if isa != Isa::Scalar && std::is_x86_feature_detected!("popcnt") {
                return Self { body: Body::Popcnt };
            }
        }
        Self { body: Body::Reference }
    }

    /// The scan of `n` codes in a sliced block; see [`hamming_sliced_scan_with`].
    ///
    /// # Panics
    /// If `sliced.len() != sliced_len(n, query.len())`, or the query is empty
    /// while `n > 0`.
    #[inline]
    pub fn scan<F: FnMut(usize, u32) -> u32>(
        &self,
        query: &[u64],
        sliced: &[u64],
        n: usize,
        threshold: u32,
        mut hit: F,
    ) {
        assert!(!query.is_empty() || n == 0, "hamming_sliced_scan: empty query");
        assert_eq!(sliced.len(), sliced_len(n, query.len()), "hamming_sliced_scan: block of {n} codes");
        if n == 0 || threshold == 0 {
            return;
        }
        match self.body {
            // SAFETY: `new` checked AVX-512F and VPOPCNTDQ; the length is checked above.
            #[cfg(target_arch = "x86_64")]
            Body::Avx512 => unsafe { x86_avx512::scan(query, sliced, n, threshold, &mut hit) },
            // SAFETY: `new` checked POPCNT.
            #[cfg(target_arch = "x86_64")]
            Body::Popcnt => unsafe { scan_popcnt(query, sliced, n, threshold, &mut hit) },
            Body::Reference => scan_reference(query, sliced, n, threshold, hit),
        }
    }
}

/// The reference body with the `popcnt` instruction (at baseline x86-64
/// `count_ones` is a bit-twiddling sequence).
///
/// # Safety
/// The CPU must support POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn scan_popcnt<F: FnMut(usize, u32) -> u32>(q: &[u64], s: &[u64], n: usize, t: u32, hit: &mut F) {
    scan_reference(q, s, n, t, hit)
}

/// What a level runs over sliced blocks (for reports).
pub fn sliced_path_name(isa: Isa) -> &'static str {
    match isa.without_tiles() {
        Isa::Scalar => "scalar",
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if crate::isa::has_avx512_vpopcntdq() => "avx512-sliced",
        _ => "popcnt",
    }
}
