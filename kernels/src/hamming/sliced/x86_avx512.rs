//! AVX-512 VPOPCNTDQ over sliced blocks: per group of 8 codes, for each word t
//! one `vpxorq` with query word t broadcast, one `vpopcntq` and one `vpaddq`
//! (lane j accumulates code j's distance), then one `vpcmpuq` with the threshold.
//! No permutes: that is the point of the layout (see `mod.rs`).

use std::arch::x86_64::*;

use super::LANES;

/// The query's words broadcast, for widths specialised at compile time (W ≤ 4).
type Splats = [__m512i; 4];

/// Popcount of word `t` of the group at `p` XOR `qt`, per lane.
///
/// # Safety
/// `p` must be valid for reading `8 · (t + 1)` u64.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn word(p: *const u64, t: usize, qt: __m512i) -> __m512i {
    // SAFETY: word t of the group is the 8 u64 at p + 8t, which the caller vouches for.
    let v = unsafe { _mm512_loadu_si512(p.add(t * LANES).cast()) };
    _mm512_popcnt_epi64(_mm512_xor_si512(v, qt))
}

/// Distances of the 8 codes of the group at `p` (lane j = code j). `W` = 0: the
/// generic width `w`, with each query word broadcast from memory as it goes.
///
/// # Safety
/// `p` must be valid for reading `8 · w` u64 (`w == W` when W > 0), `q` for `w`.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn dist8<const W: usize>(qs: &Splats, q: *const u64, w: usize, p: *const u64) -> __m512i {
    // SAFETY: t < w throughout, within what the caller vouches for.
    unsafe {
        if W > 0 {
            let mut acc = word(p, 0, qs[0]);
            // An index loop over a constant bound: fully unrolled (an iterator
            // adapter here was left as an out-of-line call per word).
            for t in 1..W {
                acc = _mm512_add_epi64(acc, word(p, t, qs[t]));
            }
            acc
        } else {
            let mut acc = _mm512_setzero_si512();
            for t in 0..w {
                acc = _mm512_add_epi64(acc, word(p, t, _mm512_set1_epi64(*q.add(t) as i64)));
            }
            acc
        }
    }
}

/// Groups per threshold compare in the hot loop: more for narrow codes, where the
/// loop overhead weighs more.
const fn unroll(w: usize) -> usize {
    if w <= 2 {
        4
    } else {
        2
    }
}

/// From group `g`, skips runs of groups in which no distance is below `t`; returns
/// the first group of a run with a candidate (or a group near the end). A function
/// without calls, as the row kernel's `skip`: with the hit callback in the same
/// loop nest the compiler spills the zmm registers around it.
///
/// # Safety
/// `codes` must hold `groups · 8 · w` readable u64, `q` `w`.
#[inline(never)]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn skip<const W: usize>(
    qs: &Splats,
    q: *const u64,
    w: usize,
    t: __m512i,
    codes: *const u64,
    mut g: usize,
    groups: usize,
) -> usize {
    let qs = *qs;
    let u = unroll(if W > 0 { W } else { w });
    while g + u <= groups {
        let mut any = 0u8;
        for k in 0..u {
            // SAFETY: g + u <= groups.
            let d = unsafe { dist8::<W>(&qs, q, w, codes.add((g + k) * LANES * w)) };
            any |= _mm512_cmplt_epu64_mask(d, t);
        }
        if any != 0 {
            return g;
        }
        g += u;
    }
    g
}

#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn scan_w<const W: usize>(
    query: &[u64],
    sliced: &[u64],
    n: usize,
    mut threshold: u32,
    hit: &mut impl FnMut(usize, u32) -> u32,
) {
    let w = query.len();
    let q = query.as_ptr();
    let mut qs = [_mm512_setzero_si512(); 4];
    for t in 0..W {
        qs[t] = _mm512_set1_epi64(query[t] as i64);
    }
    let groups = n.div_ceil(LANES);
    let u = unroll(if W > 0 { W } else { w });
    let mut g = 0;
    while g < groups {
        // SAFETY: sliced holds groups · 8 · w words (checked by the caller).
        g = unsafe { skip::<W>(&qs, q, w, _mm512_set1_epi64(threshold as i64), sliced.as_ptr(), g, groups) };
        let end = (g + u).min(groups);
        // Some group of g..end may hold a candidate (or these are the last groups):
        // recompute them one by one and offer the codes below the current threshold.
        for h in g..end {
            // SAFETY: h < groups.
            let d = unsafe { dist8::<W>(&qs, q, w, sliced.as_ptr().add(h * LANES * w)) };
            let valid = if (h + 1) * LANES <= n { 0xff } else { (1u8 << (n - h * LANES)) - 1 };
            let mut m = _mm512_cmplt_epu64_mask(d, _mm512_set1_epi64(threshold as i64)) & valid;
            if m != 0 {
                let mut lanes = [0u64; LANES];
                // SAFETY: lanes is 64 writable bytes.
                unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast(), d) };
                // The threshold may drop between codes: check each again, so the
                // hits are exactly the reference's.
                while m != 0 {
                    let j = m.trailing_zeros() as usize;
                    m &= m - 1;
                    let d = lanes[j] as u32;
                    if d < threshold {
                        threshold = hit(h * LANES + j, d);
                    }
                }
            }
        }
        g = end;
    }
}

/// # Safety
/// The CPU must support AVX-512F and VPOPCNTDQ; `sliced` holds `sliced_len(n, w)`.
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
pub(super) unsafe fn scan<F: FnMut(usize, u32) -> u32>(
    query: &[u64],
    sliced: &[u64],
    n: usize,
    threshold: u32,
    hit: &mut F,
) {
    // SAFETY: W matches query.len() (or is 0, the generic width); features enabled.
    unsafe {
        match query.len() {
            1 => scan_w::<1>(query, sliced, n, threshold, hit),
            2 => scan_w::<2>(query, sliced, n, threshold, hit),
            3 => scan_w::<3>(query, sliced, n, threshold, hit),
            4 => scan_w::<4>(query, sliced, n, threshold, hit),
            _ => scan_w::<0>(query, sliced, n, threshold, hit),
        }
    }
}

/// Whole groups of 8 rows of `w` = 2 or 4 words into the sliced layout, by
/// `vpermt2q` transposition: 2 permutes per group at 2 words, 8 at 4 words (a
/// 4 × 8 transpose in two steps), where the scalar copy moves each word alone.
/// The search slices every block once per group of queries, so this is on the
/// scan's path (about a tenth of the 256-bit scan in scalar code).
///
/// # Safety
/// The CPU must support AVX-512F; `rows` holds a multiple of `8 · w` words'
/// bytes and `out` at least as many words.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn slice_groups(rows: &[u8], w: usize, out: &mut [u64]) {
    let groups = rows.len() / (64 * w);
    assert!(out.len() >= groups * 8 * w && (w == 2 || w == 4));
    let (src, dst) = (rows.as_ptr(), out.as_mut_ptr());
    let ld = |g: usize, r: usize| {
        // SAFETY: register r of group g lies within rows (g < groups, r < w).
        unsafe { _mm512_loadu_si512(src.add((g * w + r) * 64).cast()) }
    };
    let st = |g: usize, t: usize, v: __m512i| {
        // SAFETY: word t of group g lies within out (checked above).
        unsafe { _mm512_storeu_si512(dst.add((g * w + t) * 8).cast(), v) }
    };
    let idx = |v: [i64; 8]| _mm512_set_epi64(v[7], v[6], v[5], v[4], v[3], v[2], v[1], v[0]);
    if w == 2 {
        // Rows a = c0..c3, b = c4..c7, two words each: evens are word 0, odds word 1.
        let (even, odd) = (idx([0, 2, 4, 6, 8, 10, 12, 14]), idx([1, 3, 5, 7, 9, 11, 13, 15]));
        for g in 0..groups {
            let (a, b) = (ld(g, 0), ld(g, 1));
            st(g, 0, _mm512_permutex2var_epi64(a, even, b));
            st(g, 1, _mm512_permutex2var_epi64(a, odd, b));
        }
    } else {
        // Registers a..d hold codes (0,1), (2,3), (4,5), (6,7), four words each.
        // Step 1: words 0|1 and 2|3 of codes 0-3 (from a, b) and 4-7 (from c, d);
        // step 2: the low and high halves of those joined.
        let (w01, w23) = (idx([0, 4, 8, 12, 1, 5, 9, 13]), idx([2, 6, 10, 14, 3, 7, 11, 15]));
        let (lo, hi) = (idx([0, 1, 2, 3, 8, 9, 10, 11]), idx([4, 5, 6, 7, 12, 13, 14, 15]));
        for g in 0..groups {
            let (a, b, c, d) = (ld(g, 0), ld(g, 1), ld(g, 2), ld(g, 3));
            let (x, y) = (_mm512_permutex2var_epi64(a, w01, b), _mm512_permutex2var_epi64(a, w23, b));
            let (x2, y2) = (_mm512_permutex2var_epi64(c, w01, d), _mm512_permutex2var_epi64(c, w23, d));
            st(g, 0, _mm512_permutex2var_epi64(x, lo, x2));
            st(g, 1, _mm512_permutex2var_epi64(x, hi, x2));
            st(g, 2, _mm512_permutex2var_epi64(y, lo, y2));
            st(g, 3, _mm512_permutex2var_epi64(y, hi, y2));
        }
    }
}
