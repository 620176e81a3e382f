//! AVX-512 path for codes of B = 1 to 8 bytes: one register holds 64 / L codes,
//! each zero-extended into a lane of L bytes (L = 1 for 8-bit codes, 2 for 16-bit,
//! 4 for 24 and 32, 8 for 40 to 64), so one XOR and one lane popcount give 64, 32,
//! 16 or 8 distances: `vpopcntb`/`vpopcntw` (BITALG) or `vpopcntd`/`vpopcntq`
//! (VPOPCNTDQ). When B = L the rows are loaded as they lie; otherwise a masked load
//! of the 64 / L rows and one `vpermb` (VBMI) spread each row into its lane with
//! zeros above. The scan compares all lanes with the threshold in one `vpcmpu*` and
//! leaves the vector loop only when some code passes, like the word kernel.
//!
//! Every CPU with VPOPCNTDQ except Knights Mill also has BITALG and VBMI (Ice Lake,
//! Tiger Lake, Sapphire Rapids, Zen 4), so the path asks for all three rather than
//! carrying a variant per subset; without them the level runs scalar POPCNT.

use std::arch::x86_64::*;

/// Lane bytes for B-byte codes.
const fn lane(b: usize) -> usize {
    match b {
        1 => 1,
        2 => 2,
        3 | 4 => 4,
        _ => 8,
    }
}

/// Codes per register.
const fn per_reg(b: usize) -> usize {
    64 / lane(b)
}

/// Groups of `per_reg(B)` codes per threshold compare in the scan's hot loop.
const UNROLL: usize = 4;

/// How to spread rows into lanes when B < L: `idx` picks row byte `j·B + t` for byte
/// t < B of lane j; `keep` zeroes the other lane bytes; `src` masks the load to the
/// `per_reg(B) · B` bytes of the rows.
#[derive(Clone, Copy)]
struct Spread {
    idx: __m512i,
    keep: u64,
    src: u64,
}

#[inline]
#[target_feature(enable = "avx512f")]
fn spread<const B: usize>() -> Spread {
    let (l, v) = (lane(B), per_reg(B));
    let mut idx = [0u8; 64];
    let mut keep = 0u64;
    for (k, x) in idx.iter_mut().enumerate() {
        let (j, t) = (k / l, k % l);
        if t < B {
            *x = (j * B + t) as u8;
            keep |= 1 << k;
        }
    }
    let bytes = v * B;
    let src = if bytes == 64 { !0 } else { (1u64 << bytes) - 1 };
    // SAFETY: idx is 64 readable bytes; loadu has no alignment requirement.
    Spread { idx: unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }, keep, src }
}

/// The `per_reg(B)` codes starting at `p`, one per lane, zero-extended.
///
/// # Safety
/// `p` must be valid for reading `per_reg(B) · B` bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
unsafe fn load<const B: usize>(s: &Spread, p: *const u8) -> __m512i {
    if B == lane(B) {
        // SAFETY: per_reg(B) · B = 64 bytes are readable at p.
        unsafe { _mm512_loadu_si512(p.cast()) }
    } else {
        // SAFETY: the mask limits the load to the per_reg(B) · B readable bytes
        // (masked-off bytes are not accessed, so they cannot fault).
        let v = unsafe { _mm512_maskz_loadu_epi8(s.src, p.cast()) };
        _mm512_maskz_permutexvar_epi8(s.keep, s.idx, v)
    }
}

/// The query zero-extended into a lane and repeated across the register.
#[inline]
#[target_feature(enable = "avx512f")]
fn splat<const B: usize>(query: &[u8]) -> __m512i {
    let x = query.iter().take(B).enumerate().fold(0u64, |x, (k, &b)| x | (b as u64) << (8 * k));
    match lane(B) {
        1 => _mm512_set1_epi8(x as i8),
        2 => _mm512_set1_epi16(x as i16),
        4 => _mm512_set1_epi32(x as i32),
        _ => _mm512_set1_epi64(x as i64),
    }
}

/// Distances of the `per_reg(B)` codes at `p`, one per lane.
///
/// # Safety
/// As [`load`].
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512bitalg,avx512vpopcntdq")]
unsafe fn dist<const B: usize>(q: __m512i, s: &Spread, p: *const u8) -> __m512i {
    // SAFETY: forwarded from the caller.
    let x = _mm512_xor_si512(unsafe { load::<B>(s, p) }, q);
    match lane(B) {
        1 => _mm512_popcnt_epi8(x),
        2 => _mm512_popcnt_epi16(x),
        4 => _mm512_popcnt_epi32(x),
        _ => _mm512_popcnt_epi64(x),
    }
}

/// The threshold in every lane, clamped to the lane's range: distances are at most
/// 8·B, far below the clamp, so `d < clamp(t)` exactly when `d < t`.
#[inline]
#[target_feature(enable = "avx512f")]
fn threshold<const B: usize>(t: u32) -> __m512i {
    match lane(B) {
        1 => _mm512_set1_epi8(t.min(255) as u8 as i8),
        2 => _mm512_set1_epi16(t.min(65535) as u16 as i16),
        4 => _mm512_set1_epi32(t as i32),
        _ => _mm512_set1_epi64(t as i64),
    }
}

/// Bit j set when lane j of `d` is below lane j of `t` (unsigned).
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn below<const B: usize>(d: __m512i, t: __m512i) -> u64 {
    match lane(B) {
        1 => _mm512_cmplt_epu8_mask(d, t),
        2 => _mm512_cmplt_epu16_mask(d, t) as u64,
        4 => _mm512_cmplt_epu32_mask(d, t) as u64,
        _ => _mm512_cmplt_epu64_mask(d, t) as u64,
    }
}

/// Writes the `per_reg(B)` distances of `d` as u16 at `out`.
///
/// # Safety
/// `out` must be valid for writing `per_reg(B)` u16.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn store<const B: usize>(d: __m512i, out: *mut u16) {
    // SAFETY: each arm writes exactly per_reg(B) u16 (64, 32, 16 or 8) at out.
    unsafe {
        match lane(B) {
            1 => {
                _mm512_storeu_si512(out.cast(), _mm512_cvtepu8_epi16(_mm512_castsi512_si256(d)));
                _mm512_storeu_si512(out.add(32).cast(), _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64::<1>(d)));
            }
            2 => _mm512_storeu_si512(out.cast(), d),
            4 => _mm256_storeu_si256(out.cast(), _mm512_cvtepi32_epi16(d)),
            _ => _mm_storeu_si128(out.cast(), _mm512_cvtepi64_epi16(d)),
        }
    }
}

/// Lane j of a register stored as bytes.
#[inline(always)]
fn lane_value<const B: usize>(lanes: &[u8; 64], j: usize) -> u32 {
    let l = lane(B);
    let mut b = [0u8; 8];
    b[..l].copy_from_slice(&lanes[j * l..(j + 1) * l]);
    u64::from_le_bytes(b) as u32
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512bitalg,avx512vpopcntdq,popcnt")]
unsafe fn one_to_many_b<const B: usize>(query: &[u8], codes: &[u8], out: &mut [u16]) {
    let (n, v) = (out.len(), per_reg(B));
    let (q, s) = (splat::<B>(query), spread::<B>());
    let mut i = 0;
    while i + v <= n {
        // SAFETY: codes holds n · B bytes (checked by the caller) and i + v <= n, so
        // the v rows at i are readable; out holds n u16, so v fit at i.
        unsafe { store::<B>(dist::<B>(q, &s, codes.as_ptr().add(i * B)), out.as_mut_ptr().add(i)) };
        i += v;
    }
    for (d, c) in out[i..].iter_mut().zip(codes[i * B..].chunks_exact(B)) {
        *d = super::popcnt::dist::<B>(query, c) as u16;
    }
}

/// The hot loop of the scan: from code `i`, skips blocks of [`UNROLL`] registers
/// of codes in which no distance is below `t`, then single registers near the end.
/// Returns the start of the first block (or register) with a candidate, or a
/// position with fewer than `per_reg(B)` codes left. Kept free of calls, for the
/// reason given in the word kernel's `skip` (zmm registers are caller-saved).
///
/// # Safety
/// `codes` must be valid for reading `n · B` bytes.
#[inline(never)]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512bitalg,avx512vpopcntdq")]
unsafe fn skip<const B: usize>(q: __m512i, t: __m512i, s: &Spread, codes: *const u8, mut i: usize, n: usize) -> usize {
    let v = per_reg(B);
    while i + v * UNROLL <= n {
        let mut any = 0u64;
        for g in 0..UNROLL {
            // SAFETY: i + v · UNROLL <= n, so every register's rows are in range.
            any |= below::<B>(unsafe { dist::<B>(q, s, codes.add((i + v * g) * B)) }, t);
        }
        if any != 0 {
            return i;
        }
        i += v * UNROLL;
    }
    while i + v <= n {
        // SAFETY: i + v <= n.
        if below::<B>(unsafe { dist::<B>(q, s, codes.add(i * B)) }, t) != 0 {
            return i;
        }
        i += v;
    }
    i
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512bitalg,avx512vpopcntdq,popcnt")]
unsafe fn scan_b<const B: usize>(
    query: &[u8],
    codes: &[u8],
    mut threshold_now: u32,
    hit: &mut impl FnMut(usize, u32) -> u32,
) {
    let (n, v) = (codes.len() / B, per_reg(B));
    let (q, s) = (splat::<B>(query), spread::<B>());
    let mut i = 0;
    loop {
        // SAFETY: codes holds n · B bytes.
        i = unsafe { skip::<B>(q, threshold::<B>(threshold_now), &s, codes.as_ptr(), i, n) };
        if i + v > n {
            break;
        }
        // Some code among the next registers passed: recompute them one by one and
        // offer the candidates in order, re-checking each against the threshold as
        // it drops, so the hits are exactly the reference's.
        let regs = if i + v * UNROLL <= n { UNROLL } else { 1 };
        for g in 0..regs {
            // SAFETY: i + v · regs <= n.
            let d = unsafe { dist::<B>(q, &s, codes.as_ptr().add((i + v * g) * B)) };
            let mut m = below::<B>(d, threshold::<B>(threshold_now));
            if m != 0 {
                let mut lanes = [0u8; 64];
                // SAFETY: lanes is 64 writable bytes.
                unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast(), d) };
                while m != 0 {
                    let j = m.trailing_zeros() as usize;
                    m &= m - 1;
                    let dj = lane_value::<B>(&lanes, j);
                    if dj < threshold_now {
                        threshold_now = hit(i + v * g + j, dj);
                    }
                }
            }
        }
        i += v * regs;
    }
    for (j, c) in codes[i * B..].chunks_exact(B).enumerate() {
        let d = super::popcnt::dist::<B>(query, c);
        if d < threshold_now {
            threshold_now = hit(i + j, d);
        }
    }
}

/// # Safety
/// [`has_avx512_bytes`](crate::isa::has_avx512_bytes) must hold; `query.len()` is 1 to 8; lengths are checked by the caller.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512bitalg,avx512vpopcntdq,popcnt")]
pub(super) unsafe fn one_to_many(query: &[u8], codes: &[u8], out: &mut [u16]) {
    // SAFETY: B == query.len() in every arm; the caller vouches for the rest.
    unsafe {
        match query.len() {
            1 => one_to_many_b::<1>(query, codes, out),
            2 => one_to_many_b::<2>(query, codes, out),
            3 => one_to_many_b::<3>(query, codes, out),
            4 => one_to_many_b::<4>(query, codes, out),
            5 => one_to_many_b::<5>(query, codes, out),
            6 => one_to_many_b::<6>(query, codes, out),
            7 => one_to_many_b::<7>(query, codes, out),
            8 => one_to_many_b::<8>(query, codes, out),
            b => unreachable!("hamming_bytes_one_to_many: the AVX-512 path takes 1 to 8 bytes per code, got {b}"),
        }
    }
}

/// # Safety
/// As [`one_to_many`].
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512bitalg,avx512vpopcntdq,popcnt")]
pub(super) unsafe fn scan<F: FnMut(usize, u32) -> u32>(query: &[u8], codes: &[u8], threshold: u32, hit: &mut F) {
    // SAFETY: as in one_to_many.
    unsafe {
        match query.len() {
            1 => scan_b::<1>(query, codes, threshold, hit),
            2 => scan_b::<2>(query, codes, threshold, hit),
            3 => scan_b::<3>(query, codes, threshold, hit),
            4 => scan_b::<4>(query, codes, threshold, hit),
            5 => scan_b::<5>(query, codes, threshold, hit),
            6 => scan_b::<6>(query, codes, threshold, hit),
            7 => scan_b::<7>(query, codes, threshold, hit),
            8 => scan_b::<8>(query, codes, threshold, hit),
            b => unreachable!("hamming_bytes_scan: the AVX-512 path takes 1 to 8 bytes per code, got {b}"),
        }
    }
}
