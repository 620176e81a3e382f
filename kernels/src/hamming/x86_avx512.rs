//! AVX-512 VPOPCNTDQ path: eight codes per step. `vpxorq` with the query repeated
//! across the register, `vpopcntq` (one u64 count per lane; 1 µop, 3-cycle latency,
//! throughput 1/cycle on Ice Lake / Sapphire Rapids), then for codes wider than one
//! word an order-preserving tree of `vpermt2q` pair sums, so lane j always holds
//! code j's distance. The scan compares the eight distances with the threshold in
//! one `vpcmpuq` and only leaves the vector loop when some code passes.

use std::arch::x86_64::*;

/// Sums adjacent u64 lanes of the 16-lane concatenation `a || b`: lane j of the
/// result is `(a||b)[2j] + (a||b)[2j+1]`, so the order of codes is preserved.
#[inline]
#[target_feature(enable = "avx512f")]
fn pairsum(a: __m512i, b: __m512i) -> __m512i {
    let evens = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    let odds = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    _mm512_add_epi64(_mm512_permutex2var_epi64(a, evens, b), _mm512_permutex2var_epi64(a, odds, b))
}

/// Per-lane popcount of 8 words at `p` XOR `q`.
///
/// # Safety
/// `p` must be valid for reading 8 u64.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn pc(q: __m512i, p: *const u64) -> __m512i {
    // SAFETY: the caller guarantees 64 readable bytes at p; loadu has no alignment need.
    let v = unsafe { _mm512_loadu_si512(p.cast()) };
    _mm512_popcnt_epi64(_mm512_xor_si512(v, q))
}

/// The query repeated to fill a register (W = 1, 2, 4 or 8 words).
///
/// # Safety
/// `query.len() == W`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn splat<const W: usize>(query: &[u64]) -> __m512i {
    debug_assert_eq!(query.len(), W);
    let p = query.as_ptr();
    // SAFETY: query holds W words, and each arm reads exactly W words from it.
    unsafe {
        match W {
            1 => _mm512_set1_epi64(*p as i64),
            2 => _mm512_broadcast_i32x4(_mm_loadu_si128(p.cast())),
            4 => _mm512_broadcast_i64x4(_mm256_loadu_si256(p.cast())),
            _ => _mm512_loadu_si512(p.cast()),
        }
    }
}

/// Distances of the 8 codes of W words (1, 2, 4 or 8) starting at `p`, one per lane.
///
/// # Safety
/// `p` must be valid for reading `8 * W` u64.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn dist8<const W: usize>(q: __m512i, p: *const u64) -> __m512i {
    // SAFETY: every offset below stays within the 8 * W words the caller vouches for.
    unsafe {
        match W {
            1 => pc(q, p),
            2 => pairsum(pc(q, p), pc(q, p.add(8))),
            4 => pairsum(pairsum(pc(q, p), pc(q, p.add(8))), pairsum(pc(q, p.add(16)), pc(q, p.add(24)))),
            _ => {
                let v = |i: usize| pc(q, p.add(8 * i));
                let lo = pairsum(pairsum(v(0), v(1)), pairsum(v(2), v(3)));
                let hi = pairsum(pairsum(v(4), v(5)), pairsum(v(6), v(7)));
                pairsum(lo, hi)
            }
        }
    }
}

/// Distance of one code of any width: masked 8-word chunks, summed at the end.
///
/// # Safety
/// `q` and `c` must have the same length.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn dist_generic(q: &[u64], c: &[u64]) -> u32 {
    let mut acc = _mm512_setzero_si512();
    let mut j = 0;
    while j < q.len() {
        let left = q.len() - j;
        let mask: __mmask8 = if left >= 8 { 0xff } else { (1u8 << left) - 1 };
        // SAFETY: the mask limits both loads to the `left` words remaining in q and c.
        let (a, b) = unsafe {
            (
                _mm512_maskz_loadu_epi64(mask, q.as_ptr().add(j).cast()),
                _mm512_maskz_loadu_epi64(mask, c.as_ptr().add(j).cast()),
            )
        };
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(a, b)));
        j += 8;
    }
    _mm512_reduce_add_epi64(acc) as u32
}

#[inline]
#[target_feature(enable = "popcnt")]
fn dist_scalar(q: &[u64], c: &[u64]) -> u32 {
    q.iter().zip(c).map(|(a, b)| (a ^ b).count_ones()).sum()
}

/// How far ahead of the loads the one-to-many loop prefetches, in bytes. The
/// distances are written out, so a pass over codes that do not fit in L2 is bound
/// by how many cache-line misses one core keeps in flight; asking for the lines
/// this far ahead (about four L2-miss latencies of streaming) lifted 1M 64-bit codes
/// from about 2.9 to 3.8 G comparisons/s on this Xeon (16 KB beat 4, 8, 32 and 64 KB).
const PREFETCH_AHEAD: usize = 16 * 1024;

/// Prefetches the `lines` cache lines starting `PREFETCH_AHEAD` bytes after `p`.
/// A prefetch never faults, so addresses past the end of the codes are harmless;
/// `wrapping_add` keeps the pointer arithmetic defined there too.
#[inline(always)]
fn prefetch_ahead(p: *const u64, lines: usize) {
    let ahead = p.cast::<u8>().wrapping_add(PREFETCH_AHEAD);
    for l in 0..lines {
        // SAFETY: prefetch is a hint with no architectural effect on invalid addresses.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64 * l).cast()) };
    }
}

/// Narrows four groups of 8 u64 distances (codes 0-7, 8-15, 16-23, 24-31) to 32
/// u16 in code order.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn narrow32(d: [__m512i; 4]) -> __m512i {
    let join = |a: __m512i, b: __m512i| {
        _mm512_inserti64x4::<1>(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(a)), _mm512_cvtepi64_epi32(b))
    };
    let (lo, hi) = (join(d[0], d[1]), join(d[2], d[3]));
    _mm512_inserti64x4::<1>(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(lo)), _mm512_cvtepi32_epi16(hi))
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn one_to_many_w<const W: usize>(query: &[u64], codes: &[u64], out: &mut [u16]) {
    let n = out.len();
    let mut i = 0;
    if W != 0 {
        // SAFETY: the dispatcher only picks W when query.len() == W.
        let q = unsafe { splat::<W>(query) };
        // Align the output to a cache line first (16-byte steps of 8 codes, single
        // codes before that), so each 64-byte store below fills one line instead of
        // splitting across two.
        while i < n && (out.as_ptr() as usize + 2 * i) % 64 != 0 {
            if (out.as_ptr() as usize + 2 * i) % 16 == 0 && i + 8 <= n {
                // SAFETY: i + 8 <= n; 8 u16 (16 bytes) fit in out at i.
                unsafe {
                    let d = dist8::<W>(q, codes.as_ptr().add(i * W));
                    _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm512_cvtepi64_epi16(d));
                }
                i += 8;
            } else {
                out[i] = dist_scalar(query, &codes[i * W..(i + 1) * W]) as u16;
                i += 1;
            }
        }
        // 32 codes per step: one full 64-byte store of u16 distances.
        while i + 32 <= n {
            let p = codes.as_ptr().wrapping_add(i * W);
            prefetch_ahead(p, 4 * W);
            // SAFETY: codes holds n * W words (checked by the caller) and i + 32 <= n,
            // so the four groups of 8 codes are in bounds; out has 32 u16 at i.
            unsafe {
                let d = [0, 1, 2, 3].map(|g| dist8::<W>(q, p.add(8 * g * W)));
                _mm512_storeu_si512(out.as_mut_ptr().add(i).cast(), narrow32(d));
            }
            i += 32;
        }
        while i + 8 <= n {
            // SAFETY: i + 8 <= n; 8 u16 (16 bytes) fit in out at i.
            unsafe {
                let d = dist8::<W>(q, codes.as_ptr().add(i * W));
                _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm512_cvtepi64_epi16(d));
            }
            i += 8;
        }
        for (d, c) in out[i..].iter_mut().zip(codes[i * W..].chunks_exact(W)) {
            *d = dist_scalar(query, c) as u16;
        }
    } else {
        for (d, c) in out.iter_mut().zip(codes.chunks_exact(query.len())) {
            // SAFETY: chunks have the query's length.
            *d = unsafe { dist_generic(query, c) } as u16;
        }
    }
}

/// Groups of 8 codes per compare; this many groups per branch (more for narrow
/// codes, where the loop overhead is a larger share of the work).
const fn unroll(w: usize) -> usize {
    if w <= 2 {
        4
    } else {
        2
    }
}

/// The hot loop of the scan: from code `i`, skips blocks of `unroll(W)` groups of 8
/// codes in which no distance is below `t`, then single groups near the end.
/// Returns the start of the first block (or group) with a candidate, or a position
/// with fewer than 8 codes left.
///
/// It is a function of its own, with no calls inside, because every zmm register
/// is caller-saved: with the (rare) call to the hit callback in the same loop nest
/// the compiler kept the query, the threshold and the distances on the stack and
/// reloaded them every step (measured 1.7-2.5× slower).
///
/// # Safety
/// `codes` must be valid for reading `n * W` u64; W is 1, 2, 4 or 8.
#[inline(never)]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn skip<const W: usize>(q: __m512i, t: __m512i, codes: *const u64, mut i: usize, n: usize) -> usize {
    let u = unroll(W);
    while i + 8 * u <= n {
        let mut any = 0u8;
        for g in 0..u {
            // SAFETY: i + 8 * u <= n, so the u groups are within the n * W words.
            let d = unsafe { dist8::<W>(q, codes.add((i + 8 * g) * W)) };
            any |= _mm512_cmplt_epu64_mask(d, t);
        }
        if any != 0 {
            return i;
        }
        i += 8 * u;
    }
    while i + 8 <= n {
        // SAFETY: i + 8 <= n.
        let d = unsafe { dist8::<W>(q, codes.add(i * W)) };
        if _mm512_cmplt_epu64_mask(d, t) != 0 {
            return i;
        }
        i += 8;
    }
    i
}

/// Offers the codes of one group whose bit is set in `m` (lane j = code `base + j`)
/// to `hit`, in order. The threshold may have dropped since the vector compare, so
/// each is checked again: the hits are exactly the reference's.
#[inline(always)]
fn deliver(lanes: &[u64; 8], mut m: u8, base: usize, threshold: &mut u32, hit: &mut impl FnMut(usize, u32) -> u32) {
    while m != 0 {
        let j = m.trailing_zeros() as usize;
        m &= m - 1;
        let d = lanes[j] as u32;
        if d < *threshold {
            *threshold = hit(base + j, d);
        }
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
unsafe fn scan_w<const W: usize>(
    query: &[u64],
    codes: &[u64],
    mut threshold: u32,
    hit: &mut impl FnMut(usize, u32) -> u32,
) {
    let w = query.len();
    let n = codes.len() / w;
    let mut i = 0;
    if W != 0 {
        // SAFETY: the dispatcher only picks W when query.len() == W.
        let q = unsafe { splat::<W>(query) };
        let u = unroll(W);
        loop {
            // SAFETY: codes holds n * W words.
            i = unsafe { skip::<W>(q, _mm512_set1_epi64(threshold as i64), codes.as_ptr(), i, n) };
            if i + 8 > n {
                break;
            }
            // Some code among the next u groups (or the next group, near the end)
            // passed: recompute them group by group and offer the candidates.
            let groups = if i + 8 * u <= n { u } else { 1 };
            for g in 0..groups {
                // SAFETY: i + 8 * groups <= n.
                let d = unsafe { dist8::<W>(q, codes.as_ptr().add((i + 8 * g) * W)) };
                let m = _mm512_cmplt_epu64_mask(d, _mm512_set1_epi64(threshold as i64));
                if m != 0 {
                    let mut lanes = [0u64; 8];
                    // SAFETY: lanes is 64 writable bytes.
                    unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast(), d) };
                    deliver(&lanes, m, i + 8 * g, &mut threshold, hit);
                }
            }
            i += 8 * groups;
        }
        for (j, c) in codes[i * W..].chunks_exact(W).enumerate() {
            let d = dist_scalar(query, c);
            if d < threshold {
                threshold = hit(i + j, d);
            }
        }
    } else {
        for (i, c) in codes.chunks_exact(w).enumerate() {
            // SAFETY: chunks have the query's length.
            let d = unsafe { dist_generic(query, c) };
            if d < threshold {
                threshold = hit(i, d);
            }
        }
    }
}

/// # Safety
/// The CPU must support AVX-512F, AVX-512BW, VPOPCNTDQ and POPCNT; lengths are
/// checked by the caller.
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
pub(super) unsafe fn one_to_many(query: &[u64], codes: &[u64], out: &mut [u16]) {
    // SAFETY: by_width passes W == query.len() or W == 0 (generic); features are enabled.
    unsafe { super::by_width!(query.len(), one_to_many_w, query, codes, out) }
}

/// # Safety
/// As [`one_to_many`].
#[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
pub(super) unsafe fn scan<F: FnMut(usize, u32) -> u32>(query: &[u64], codes: &[u64], threshold: u32, hit: &mut F) {
    // SAFETY: as in one_to_many.
    unsafe { super::by_width!(query.len(), scan_w, query, codes, threshold, hit) }
}
