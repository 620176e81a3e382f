//! The Hamming reference: XOR and count, one code at a time.

/// Popcount of `a XOR b`, word by word.
pub fn distance(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// `out[i] = distance(query, code i)`; the caller has checked the lengths.
pub fn one_to_many(query: &[u64], codes: &[u64], out: &mut [u32]) {
    if query.is_empty() {
        return;
    }
    for (d, code) in out.iter_mut().zip(codes.chunks_exact(query.len())) {
        *d = distance(query, code);
    }
}
