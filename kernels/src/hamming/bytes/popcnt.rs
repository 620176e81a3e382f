//! The scalar `POPCNT` path for byte rows: one code at a time, read as unaligned
//! little-endian u64 pieces then a u32, u16 and u8 tail, specialised by width (a
//! const generic `B` bytes, 0 = the query's length) so a narrow code is one or two
//! loads and popcounts. As for the word kernels, the x86 entry points carry
//! `#[target_feature(enable = "popcnt")]` and the same body without it is the
//! portable path (aarch64 compiles `count_ones` to `cnt` + `addv`).

/// `N` bytes of `s` from `at` as a little-endian integer (an unaligned load).
#[inline(always)]
fn le<const N: usize>(s: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b[..N].copy_from_slice(&s[at..at + N]);
    u64::from_le_bytes(b)
}

/// Distance of one code of `B` bytes (`B == 0`: the query's length).
#[inline(always)]
pub(super) fn dist<const B: usize>(q: &[u8], c: &[u8]) -> u32 {
    let b = if B == 0 { q.len() } else { B };
    let (q, c) = (&q[..b], &c[..b]);
    let mut s = 0;
    let mut j = 0;
    while j + 8 <= b {
        s += (le::<8>(q, j) ^ le::<8>(c, j)).count_ones();
        j += 8;
    }
    if b - j >= 4 {
        s += (le::<4>(q, j) ^ le::<4>(c, j)).count_ones();
        j += 4;
    }
    if b - j >= 2 {
        s += (le::<2>(q, j) ^ le::<2>(c, j)).count_ones();
        j += 2;
    }
    if b > j {
        s += (q[j] ^ c[j]).count_ones();
    }
    s
}

/// Calls `$f::<B>(args)` with B the bytes per code for the widths worth unrolling
/// (8 to 120 bits), else `$f::<0>` (the generic-width body: a loop, 3-4× slower).
macro_rules! by_bytes {
    ($bytes:expr, $f:ident, $($arg:expr),*) => {
        match $bytes {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            9 => $f::<9>($($arg),*),
            10 => $f::<10>($($arg),*),
            11 => $f::<11>($($arg),*),
            12 => $f::<12>($($arg),*),
            13 => $f::<13>($($arg),*),
            14 => $f::<14>($($arg),*),
            15 => $f::<15>($($arg),*),
            16 => $f::<16>($($arg),*),
            32 => $f::<32>($($arg),*),
            _ => $f::<0>($($arg),*),
        }
    };
}

#[inline(always)]
fn one_to_many_body<const B: usize>(q: &[u8], codes: &[u8], out: &mut [u16]) {
    for (d, c) in out.iter_mut().zip(codes.chunks_exact(q.len())) {
        *d = dist::<B>(q, c) as u16;
    }
}

#[inline(always)]
fn scan_body<const B: usize>(q: &[u8], codes: &[u8], mut threshold: u32, hit: &mut impl FnMut(usize, u32) -> u32) {
    for (i, c) in codes.chunks_exact(q.len()).enumerate() {
        let d = dist::<B>(q, c);
        if d < threshold {
            threshold = hit(i, d);
        }
    }
}

#[inline(always)]
fn gather_body<const B: usize>(q: &[u8], codes: &[u8], positions: &[u32], out: &mut [u16]) {
    let b = q.len();
    for (i, (d, &p)) in out.iter_mut().zip(positions).enumerate() {
        if let Some(&ahead) = positions.get(i + GATHER_AHEAD) {
            let at = ahead as usize * b;
            if let Some(row) = codes.get(at..at + b) {
                crate::hamming::prefetch_lines(row);
            }
        }
        let at = p as usize * b;
        *d = dist::<B>(q, &codes[at..at + b]) as u16;
    }
}

/// Rows the gather asks for ahead of the one it reads: the positions are random,
/// so every row is a cache miss, and the out-of-order window alone keeps only a
/// few of them in flight.
const GATHER_AHEAD: usize = 16;

/// # Safety
/// The CPU must support `popcnt`; lengths are checked by the caller (positions
/// out of range panic on the slice bounds).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
pub(super) unsafe fn gather(q: &[u8], codes: &[u8], positions: &[u32], out: &mut [u16]) {
    by_bytes!(q.len(), gather_body, q, codes, positions, out)
}

/// The same body without a target feature.
pub(super) fn gather_plain(q: &[u8], codes: &[u8], positions: &[u32], out: &mut [u16]) {
    by_bytes!(q.len(), gather_body, q, codes, positions, out)
}

/// # Safety
/// The CPU must support `popcnt`; lengths are checked by the caller.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
pub(super) unsafe fn one_to_many(q: &[u8], codes: &[u8], out: &mut [u16]) {
    by_bytes!(q.len(), one_to_many_body, q, codes, out)
}

/// # Safety
/// The CPU must support `popcnt`; lengths are checked by the caller.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
pub(super) unsafe fn scan<F: FnMut(usize, u32) -> u32>(q: &[u8], codes: &[u8], threshold: u32, hit: &mut F) {
    by_bytes!(q.len(), scan_body, q, codes, threshold, hit)
}

/// The same body without a target feature (aarch64, or an x86 CPU without POPCNT).
pub(super) fn one_to_many_plain(q: &[u8], codes: &[u8], out: &mut [u16]) {
    by_bytes!(q.len(), one_to_many_body, q, codes, out)
}

/// The same body without a target feature.
pub(super) fn scan_plain<F: FnMut(usize, u32) -> u32>(q: &[u8], codes: &[u8], threshold: u32, hit: &mut F) {
    by_bytes!(q.len(), scan_body, q, codes, threshold, hit)
}
