//! NEON path (aarch64): `cnt` counts the bits of each byte of `query XOR code`
//! (16 bytes per instruction), `uadalp` accumulates byte pairs into u16 lanes, and
//! one `addv` per code gives the distance. 64-bit codes go two per register, with
//! the `uaddlp` chain widening the byte counts to one u64 per code.

use std::arch::aarch64::*;

/// Distance of one code of any width: 2 words per step, a last odd word by `cnt`
/// on a 64-bit register.
///
/// # Safety
/// `q.len() == c.len()`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn dist(q: &[u64], c: &[u64]) -> u32 {
    let w = q.len();
    let mut acc = vdupq_n_u16(0);
    let mut j = 0;
    while j + 2 <= w {
        // SAFETY: j + 2 <= w words remain in both slices.
        let x = unsafe { veorq_u64(vld1q_u64(q.as_ptr().add(j)), vld1q_u64(c.as_ptr().add(j))) };
        acc = vpadalq_u8(acc, vcntq_u8(vreinterpretq_u8_u64(x)));
        j += 2;
    }
    let mut d = vaddlvq_u16(acc);
    if j < w {
        d += (q[j] ^ c[j]).count_ones();
    }
    d
}

/// Distances of codes 2 at a time for 1-word codes.
///
/// # Safety
/// `p` valid for reading 2 u64.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn dist2(q: uint64x2_t, p: *const u64) -> uint64x2_t {
    // SAFETY: the caller vouches for 2 readable words.
    let x = veorq_u64(unsafe { vld1q_u64(p) }, q);
    vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(vcntq_u8(vreinterpretq_u8_u64(x)))))
}

/// # Safety
/// The CPU must support NEON; lengths checked by the caller.
#[target_feature(enable = "neon")]
pub(super) unsafe fn one_to_many(query: &[u64], codes: &[u64], out: &mut [u16]) {
    let w = query.len();
    let n = out.len();
    let mut i = 0;
    if w == 1 {
        let q = vdupq_n_u64(query[0]);
        while i + 2 <= n {
            // SAFETY: codes holds n words and i + 2 <= n.
            let d = unsafe { dist2(q, codes.as_ptr().add(i)) };
            out[i] = vgetq_lane_u64::<0>(d) as u16;
            out[i + 1] = vgetq_lane_u64::<1>(d) as u16;
            i += 2;
        }
    }
    for (d, c) in out[i..].iter_mut().zip(codes[i * w..].chunks_exact(w)) {
        // SAFETY: chunks have the query's length.
        *d = unsafe { dist(query, c) } as u16;
    }
}

/// # Safety
/// As [`one_to_many`].
#[target_feature(enable = "neon")]
pub(super) unsafe fn scan<F: FnMut(usize, u32) -> u32>(query: &[u64], codes: &[u64], mut threshold: u32, hit: &mut F) {
    let w = query.len();
    let n = codes.len() / w;
    let mut i = 0;
    if w == 1 {
        let q = vdupq_n_u64(query[0]);
        while i + 2 <= n {
            // SAFETY: codes holds n words and i + 2 <= n.
            let d = unsafe { dist2(q, codes.as_ptr().add(i)) };
            for (j, dj) in [vgetq_lane_u64::<0>(d) as u32, vgetq_lane_u64::<1>(d) as u32].into_iter().enumerate() {
                if dj < threshold {
                    threshold = hit(i + j, dj);
                }
            }
            i += 2;
        }
    }
    for (j, c) in codes[i * w..].chunks_exact(w).enumerate() {
        // SAFETY: chunks have the query's length.
        let d = unsafe { dist(query, c) };
        if d < threshold {
            threshold = hit(i + j, d);
        }
    }
}
