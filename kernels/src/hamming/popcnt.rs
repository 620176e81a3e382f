//! The scalar `POPCNT` path: one code at a time, the query held in registers,
//! specialised by width so the word loop is unrolled. At baseline x86-64
//! `u64::count_ones` compiles to a bit-twiddling sequence, so the x86 entry points
//! carry `#[target_feature(enable = "popcnt")]`; on aarch64 `count_ones` is already
//! `cnt` + `addv`, so the same body serves as the portable path there.

/// Distance of one code of `W` words (`W == 0`: the query's length).
#[inline(always)]
fn dist<const W: usize>(q: &[u64], c: &[u64]) -> u32 {
    if W == 0 {
        q.iter().zip(c).map(|(a, b)| (a ^ b).count_ones()).sum()
    } else {
        let (q, c) = (&q[..W], &c[..W]);
        let mut s = 0;
        for j in 0..W {
            s += (q[j] ^ c[j]).count_ones();
        }
        s
    }
}

#[inline(always)]
pub(super) fn one_to_many_body<const W: usize>(q: &[u64], codes: &[u64], out: &mut [u16]) {
    let w = q.len();
    for (d, c) in out.iter_mut().zip(codes.chunks_exact(w)) {
        *d = dist::<W>(q, c) as u16;
    }
}

#[inline(always)]
pub(super) fn scan_body<const W: usize>(
    q: &[u64],
    codes: &[u64],
    mut threshold: u32,
    hit: &mut impl FnMut(usize, u32) -> u32,
) {
    let w = q.len();
    for (i, c) in codes.chunks_exact(w).enumerate() {
        let d = dist::<W>(q, c);
        if d < threshold {
            threshold = hit(i, d);
        }
    }
}

/// # Safety
/// The CPU must support `popcnt`; lengths are checked by the caller.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
pub(super) unsafe fn one_to_many(q: &[u64], codes: &[u64], out: &mut [u16]) {
    super::by_width!(q.len(), one_to_many_body, q, codes, out)
}

/// # Safety
/// The CPU must support `popcnt`; lengths are checked by the caller.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
pub(super) unsafe fn scan<F: FnMut(usize, u32) -> u32>(q: &[u64], codes: &[u64], threshold: u32, hit: &mut F) {
    super::by_width!(q.len(), scan_body, q, codes, threshold, hit)
}

/// The same body without a target feature (aarch64, or an x86 CPU without POPCNT).
pub(super) fn one_to_many_plain(q: &[u64], codes: &[u64], out: &mut [u16]) {
    super::by_width!(q.len(), one_to_many_body, q, codes, out)
}

/// The same body without a target feature.
pub(super) fn scan_plain<F: FnMut(usize, u32) -> u32>(q: &[u64], codes: &[u64], threshold: u32, hit: &mut F) {
    super::by_width!(q.len(), scan_body, q, codes, threshold, hit)
}
