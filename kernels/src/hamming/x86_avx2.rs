//! AVX2 path: the nibble-table popcount (W. Muła, "Faster population counts using
//! AVX2 instructions", 2016): `vpshufb` looks up the count of each nibble, `vpsadbw`
//! sums the bytes of each u64 lane. Four u64 counts per 256-bit register against
//! one `popcnt` per word on the scalar path. Codes of 1, 2 or a multiple of 4 words
//! use it; other widths take the scalar POPCNT path.

use std::arch::x86_64::*;

/// Per-u64-lane popcount of `v`.
#[inline]
#[target_feature(enable = "avx2")]
fn popcnt64(v: __m256i) -> __m256i {
    let table = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
    );
    let low = _mm256_set1_epi8(0x0f);
    let lo = _mm256_shuffle_epi8(table, _mm256_and_si256(v, low));
    let hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), low));
    _mm256_sad_epu8(_mm256_add_epi8(lo, hi), _mm256_setzero_si256())
}

/// Byte-wise counts (each byte 0..=8) of `load(p) XOR q`.
///
/// # Safety
/// `p` must be valid for reading 4 u64.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn bytecounts(q: __m256i, p: *const u64) -> __m256i {
    // SAFETY: the caller vouches for 32 readable bytes; loadu needs no alignment.
    let v = _mm256_xor_si256(unsafe { _mm256_loadu_si256(p.cast()) }, q);
    let table = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
    );
    let low = _mm256_set1_epi8(0x0f);
    let lo = _mm256_shuffle_epi8(table, _mm256_and_si256(v, low));
    let hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), low));
    _mm256_add_epi8(lo, hi)
}

/// Distances of the 4 codes of `w` words at `p` (w = 1, 2 or a multiple of 4),
/// one per u64 lane, in order.
///
/// # Safety
/// `p` valid for `4 * w` u64; `q` holds the query repeated (w = 1, 2) or is unused.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn dist4(w: usize, q: __m256i, query: &[u64], p: *const u64) -> __m256i {
    // SAFETY: all reads stay within the 4 * w words the caller vouches for, and the
    // query reads within query.len() == w.
    unsafe {
        match w {
            1 => popcnt64(_mm256_xor_si256(_mm256_loadu_si256(p.cast()), q)),
            2 => {
                let a = popcnt64(_mm256_xor_si256(_mm256_loadu_si256(p.cast()), q));
                let b = popcnt64(_mm256_xor_si256(_mm256_loadu_si256(p.add(4).cast()), q));
                // [a0+a1, b0+b1, a2+a3, b2+b3] = codes 0, 2, 1, 3: restore the order.
                let s = _mm256_add_epi64(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
                _mm256_permute4x64_epi64(s, 0b11_01_10_00)
            }
            _ => {
                // One code per 4-word chunk group: byte counts accumulate (at most
                // 8 per byte per chunk, 16 chunks at 4096 bits: no u8 overflow).
                let code = |k: usize| {
                    let c = p.add(k * w);
                    let mut acc = _mm256_setzero_si256();
                    let mut j = 0;
                    while j < w {
                        let qj = _mm256_loadu_si256(query.as_ptr().add(j).cast());
                        acc = _mm256_add_epi8(acc, bytecounts(qj, c.add(j)));
                        j += 4;
                    }
                    _mm256_sad_epu8(acc, _mm256_setzero_si256())
                };
                let (a, b, c, d) = (code(0), code(1), code(2), code(3));
                // Each holds 4 partial sums; reduce to one per code, in order.
                let ab = _mm256_add_epi64(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
                let cd = _mm256_add_epi64(_mm256_unpacklo_epi64(c, d), _mm256_unpackhi_epi64(c, d));
                _mm256_add_epi64(_mm256_permute2x128_si256(ab, cd, 0x20), _mm256_permute2x128_si256(ab, cd, 0x31))
            }
        }
    }
}

/// Whether this path handles `w`-word codes (else the caller uses scalar POPCNT).
pub(super) fn handles(w: usize) -> bool {
    w == 1 || w == 2 || (w % 4 == 0 && w > 0)
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn splat(query: &[u64]) -> __m256i {
    // SAFETY: query has 1 or 2 words when this is used; other widths get zeros.
    unsafe {
        match query.len() {
            1 => _mm256_set1_epi64x(query[0] as i64),
            2 => _mm256_broadcastsi128_si256(_mm_loadu_si128(query.as_ptr().cast())),
            _ => _mm256_setzero_si256(),
        }
    }
}

#[inline]
#[target_feature(enable = "popcnt")]
fn dist_scalar(q: &[u64], c: &[u64]) -> u32 {
    q.iter().zip(c).map(|(a, b)| (a ^ b).count_ones()).sum()
}

/// # Safety
/// The CPU must support AVX2 and POPCNT; `handles(query.len())`; lengths checked by the caller.
#[target_feature(enable = "avx2,popcnt")]
pub(super) unsafe fn one_to_many(query: &[u64], codes: &[u64], out: &mut [u32]) {
    let w = query.len();
    let n = out.len();
    // SAFETY: query.len() == w.
    let q = unsafe { splat(query) };
    let pack = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: codes holds n * w words and i + 4 <= n; out has room for 4 u32 at i.
        unsafe {
            let d = dist4(w, q, query, codes.as_ptr().add(i * w));
            let d32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(d, pack));
            _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), d32);
        }
        i += 4;
    }
    for (d, c) in out[i..].iter_mut().zip(codes[i * w..].chunks_exact(w)) {
        *d = dist_scalar(query, c);
    }
}

/// # Safety
/// As [`one_to_many`].
#[target_feature(enable = "avx2,popcnt")]
pub(super) unsafe fn scan<F: FnMut(usize, u32) -> u32>(query: &[u64], codes: &[u64], mut threshold: u32, hit: &mut F) {
    let w = query.len();
    let n = codes.len() / w;
    // SAFETY: query.len() == w.
    let q = unsafe { splat(query) };
    let mut t = _mm256_set1_epi64x(threshold as i64);
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: codes holds n * w words and i + 4 <= n.
        let d = unsafe { dist4(w, q, query, codes.as_ptr().add(i * w)) };
        // Distances and thresholds are < 2^32, so the signed compare is exact.
        let mut m = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(t, d))) as u32;
        if m != 0 {
            let mut lanes = [0u64; 4];
            // SAFETY: lanes is 32 writable bytes.
            unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), d) };
            while m != 0 {
                let j = m.trailing_zeros() as usize;
                m &= m - 1;
                let dj = lanes[j] as u32;
                if dj < threshold {
                    threshold = hit(i + j, dj);
                }
            }
            t = _mm256_set1_epi64x(threshold as i64);
        }
        i += 4;
    }
    for (j, c) in codes[i * w..].chunks_exact(w).enumerate() {
        let d = dist_scalar(query, c);
        if d < threshold {
            threshold = hit(i + j, d);
        }
    }
}
