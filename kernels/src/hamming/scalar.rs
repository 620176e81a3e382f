//! The Hamming reference: XOR and count, one code at a time. Every other path is
//! tested against these functions and must agree exactly.

/// Popcount of `a XOR b`, word by word.
pub fn distance(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// `out[i] = distance(query, code i)`; the caller has checked the lengths and that
/// the width fits a u16 distance.
pub fn one_to_many(query: &[u64], codes: &[u64], out: &mut [u16]) {
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
pub fn scan<F: FnMut(usize, u32) -> u32>(query: &[u64], codes: &[u64], mut threshold: u32, mut hit: F) {
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
