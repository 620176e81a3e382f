//! Hamming distance between packed binary codes (u64 words, bit j of a code in
//! word j/64, bit j%64), one query against a block of codes.
//!
//! Paths: scalar `POPCNT`, AVX2, AVX-512 VPOPCNTDQ, NEON; specialised for 64, 128,
//! 256 and 512-bit codes plus a generic width.

pub mod scalar;

use crate::Isa;

/// `out[i] = popcount(query XOR codes[i])` for every code in `codes`, where each
/// code is `query.len()` words.
///
/// # Panics
/// If `query` is empty while `codes` is not, or `codes.len() != out.len() * query.len()`.
pub fn hamming_one_to_many(query: &[u64], codes: &[u64], out: &mut [u32]) {
    hamming_one_to_many_with(crate::isa::selected(), query, codes, out)
}

/// [`hamming_one_to_many`] on a given level.
///
/// # Panics
/// As [`hamming_one_to_many`], or if `isa` is unsupported.
pub fn hamming_one_to_many_with(isa: Isa, query: &[u64], codes: &[u64], out: &mut [u32]) {
    check_block("hamming_one_to_many", query.len(), codes.len(), out.len());
    assert!(isa.is_supported(), "hamming_one_to_many: {isa} is not supported by this CPU");
    scalar::one_to_many(query, codes, out)
}

pub(crate) fn check_block(op: &str, words: usize, codes: usize, out: usize) {
    assert!(
        words > 0 && codes == out * words || words == 0 && codes == 0 && out == 0,
        "{op}: {codes} code words do not hold {out} codes of {words} words"
    );
}
