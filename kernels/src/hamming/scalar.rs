//! The Hamming reference: XOR and count, one code at a time. Every other path, for
//! u64-word codes and for byte-row codes ([`super::bytes`]) alike, is tested
//! against these functions and must agree exactly.

/// An unsigned integer that codes are packed into: u64 words or bytes.
pub trait Lane: Copy + std::ops::BitXor<Output = Self> {
    /// The number of set bits.
    fn ones(self) -> u32;
}

impl Lane for u64 {
    fn ones(self) -> u32 {
        self.count_ones()
    }
}

impl Lane for u8 {
    fn ones(self) -> u32 {
        self.count_ones()
    }
}

/// Popcount of `a XOR b`, lane by lane.
pub fn distance<L: Lane>(a: &[L], b: &[L]) -> u32 {
    a.iter().zip(b).map(|(&x, &y)| (x ^ y).ones()).sum()
}

/// `out[i] = distance(query, code i)`; the caller has checked the lengths and that
/// the width fits a u16 distance.
pub fn one_to_many<L: Lane>(query: &[L], codes: &[L], out: &mut [u16]) {
    if query.is_empty() {
        return;
    }
    for (d, code) in out.iter_mut().zip(codes.chunks_exact(query.len())) {
        *d = distance(query, code) as u16;
    }
}

/// The scan contract every path implements: visit the codes in order; whenever a
/// code's distance `d` is below the current `threshold`, call `hit(i, d)` and take
/// its return value as the new threshold.
pub fn scan<L: Lane, F: FnMut(usize, u32) -> u32>(query: &[L], codes: &[L], mut threshold: u32, mut hit: F) {
    if query.is_empty() {
        return;
    }
    for (i, code) in codes.chunks_exact(query.len()).enumerate() {
        let d = distance(query, code);
        if d < threshold {
            threshold = hit(i, d);
        }
    }
}
