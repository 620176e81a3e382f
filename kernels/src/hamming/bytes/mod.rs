//! Hamming distance between codes stored as rows of `B` bytes (`B · 8` bits; bit j
//! of a code is bit `j % 8` of byte `j / 8`), with no padding between rows: the
//! layout of a `.npy` codes file and of sigah's index, so a code of any width
//! multiple of 8 bits costs exactly its own bytes.
//!
//! The operations and their contracts are the word kernels' (see
//! [`hamming`](super)): [`hamming_bytes_one_to_many`] writes every distance,
//! [`hamming_bytes_scan`] offers the codes below a threshold the callback lowers.
//!
//! Paths (each chosen once per call):
//! - rows of a multiple of 8 bytes whose query and block are 8-aligned are viewed
//!   as u64 words and run the word kernels (the same paths, the same speed);
//! - the scalar reference (`Isa::Scalar`);
//! - AVX-512 (`Isa::Avx512` on CPUs with VPOPCNTDQ, BITALG and VBMI) for 1 to 8
//!   bytes per code: 64, 32, 16 or 8 codes per register (see `x86_avx512.rs`);
//! - otherwise scalar POPCNT over unaligned u64/u32/u16/u8 pieces of each row
//!   (`popcount`, without the target feature, on aarch64: `count_ones` is already
//!   `cnt` + `addv` there, so NEON levels use it too).

mod popcnt;
pub mod scalar;

#[cfg(target_arch = "x86_64")]
mod x86_avx512;

use super::route::{route, Layout, Route};
use crate::Isa;

/// The widest code (in bytes) whose distances fit the u16 output of
/// [`hamming_bytes_one_to_many`]: 8,191 · 8 = 65,528 ≤ `u16::MAX`.
pub const MAX_ONE_TO_MANY_BYTES: usize = u16::MAX as usize / 8;

/// `out[i] = popcount(query XOR code i)` for every code in `codes`, where each code
/// is `query.len()` bytes.
///
/// # Panics
/// If `query` is empty while `codes` is not, if `codes.len() != out.len() * query.len()`,
/// or if `query.len() > MAX_ONE_TO_MANY_BYTES`.
pub fn hamming_bytes_one_to_many(query: &[u8], codes: &[u8], out: &mut [u16]) {
    hamming_bytes_one_to_many_with(crate::isa::selected(), query, codes, out)
}

/// [`hamming_bytes_one_to_many`] on a given level.
///
/// # Panics
/// As [`hamming_bytes_one_to_many`], or if `isa` is unsupported.
pub fn hamming_bytes_one_to_many_with(isa: Isa, query: &[u8], codes: &[u8], out: &mut [u16]) {
    check_rows("hamming_bytes_one_to_many", query.len(), codes.len(), out.len());
    assert!(
        query.len() <= MAX_ONE_TO_MANY_BYTES,
        "hamming_bytes_one_to_many: {}-byte codes have distances beyond u16 (at most {MAX_ONE_TO_MANY_BYTES} bytes)",
        query.len()
    );
    assert!(isa.is_supported(), "hamming_bytes_one_to_many: {isa} is not supported by this CPU");
    if query.is_empty() {
        return;
    }
    if let Some((q, c)) = as_words(query, codes) {
        return super::hamming_one_to_many_with(isa, q, c, out);
    }
    match route(isa, Layout::Bytes(query.len())) {
        Route::Reference => scalar::one_to_many(query, codes, out),
        Route::Plain => popcnt::one_to_many_plain(query, codes, out),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: route() picks Popcnt only when the CPU has POPCNT; lengths are checked.
        Route::Popcnt => unsafe { popcnt::one_to_many(query, codes, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: route() picks Avx512 only when isa::has_avx512_bytes() and for 1 to
        // 8 bytes per code; lengths are checked.
        Route::Avx512 => unsafe { x86_avx512::one_to_many(query, codes, out) },
        #[cfg(target_arch = "aarch64")]
        Route::Neon => unreachable!("route: NEON is a word body"),
    }
}

/// Scans `codes` in order with [`isa::selected`](crate::isa::selected): whenever a
/// code's distance `d` is below the current threshold (initially `threshold`),
/// calls `hit(i, d)` (i = the code's position in `codes`) and takes its return
/// value as the new threshold. Exactly the calls of [`scalar::scan`], in order.
///
/// # Panics
/// If `query` is empty while `codes` is not, or `codes.len()` is not a multiple of
/// `query.len()`.
pub fn hamming_bytes_scan<F: FnMut(usize, u32) -> u32>(query: &[u8], codes: &[u8], threshold: u32, hit: F) {
    hamming_bytes_scan_with(crate::isa::selected(), query, codes, threshold, hit)
}

/// [`hamming_bytes_scan`] on a given level.
///
/// # Panics
/// As [`hamming_bytes_scan`], or if `isa` is unsupported.
pub fn hamming_bytes_scan_with<F: FnMut(usize, u32) -> u32>(
    isa: Isa,
    query: &[u8],
    codes: &[u8],
    threshold: u32,
    mut hit: F,
) {
    let n = if query.is_empty() { 0 } else { codes.len() / query.len() };
    check_rows("hamming_bytes_scan", query.len(), codes.len(), n);
    assert!(isa.is_supported(), "hamming_bytes_scan: {isa} is not supported by this CPU");
    if query.is_empty() || threshold == 0 {
        return;
    }
    if let Some((q, c)) = as_words(query, codes) {
        return super::scan_words(isa, q, c, threshold, hit);
    }
    match route(isa, Layout::Bytes(query.len())) {
        Route::Reference => scalar::scan(query, codes, threshold, hit),
        Route::Plain => popcnt::scan_plain(query, codes, threshold, &mut hit),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in hamming_bytes_one_to_many_with.
        Route::Popcnt => unsafe { popcnt::scan(query, codes, threshold, &mut hit) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in hamming_bytes_one_to_many_with.
        Route::Avx512 => unsafe { x86_avx512::scan(query, codes, threshold, &mut hit) },
        #[cfg(target_arch = "aarch64")]
        Route::Neon => unreachable!("route: NEON is a word body"),
    }
}

/// `out[i] = popcount(query XOR code positions[i])`, where `codes` holds rows of
/// `query.len()` bytes: the distances of a list of candidates in random order (the
/// candidates a multi-index lookup finds, `sigah_core::index`). Scalar POPCNT
/// serves every level above the reference: the rows are scattered, so each costs
/// a cache miss and a 512-bit register would hold one or two of them at most.
///
/// # Panics
/// If `out.len() != positions.len()`, a position's row lies beyond `codes`,
/// `query.len() > MAX_ONE_TO_MANY_BYTES`, or `isa` is unsupported.
pub fn hamming_bytes_gather_with(isa: Isa, query: &[u8], codes: &[u8], positions: &[u32], out: &mut [u16]) {
    assert_eq!(
        out.len(),
        positions.len(),
        "hamming_bytes_gather: {} outputs for {} positions",
        out.len(),
        positions.len()
    );
    assert!(
        query.len() <= MAX_ONE_TO_MANY_BYTES,
        "hamming_bytes_gather: {}-byte codes have distances beyond u16",
        query.len()
    );
    assert!(isa.is_supported(), "hamming_bytes_gather: {isa} is not supported by this CPU");
    if query.is_empty() {
        out.fill(0);
        return;
    }
    match route(isa, Layout::Gather) {
        Route::Reference => {
            let b = query.len();
            for (d, &p) in out.iter_mut().zip(positions) {
                let at = p as usize * b;
                *d = scalar::distance(query, &codes[at..at + b]) as u16;
            }
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: route() picks Popcnt only when the CPU has POPCNT (Avx512 is never
        // routed for a gather); positions are bounds-checked by slicing.
        Route::Popcnt => unsafe { popcnt::gather(query, codes, positions, out) },
        _ => popcnt::gather_plain(query, codes, positions, out),
    }
}

/// The rows as u64 words when they are whole words and both slices are 8-aligned.
/// A popcount of XOR does not depend on how bytes are ordered inside a word, so
/// this holds on either endianness.
fn as_words<'a>(query: &'a [u8], codes: &'a [u8]) -> Option<(&'a [u64], &'a [u64])> {
    if query.len() % 8 != 0 {
        return None;
    }
    // SAFETY: every bit pattern is a valid u64; align_to only yields a middle part
    // that is properly aligned, and we use it only when it is the whole slice.
    let ((qp, q, qs), (cp, c, cs)) = unsafe { (query.align_to::<u64>(), codes.align_to::<u64>()) };
    (qp.is_empty() && qs.is_empty() && cp.is_empty() && cs.is_empty()).then_some((q, c))
}

/// What a level runs for codes of `bytes` bytes whose rows are not whole aligned
/// words: `"scalar"`, `"popcnt"`, `"popcount"` or `"avx512-bytes"` (for reports
/// and benchmark labels). Aligned rows of whole words run
/// [`path_name`](super::path_name)`(isa, bytes / 8)`.
pub fn bytes_path_name(isa: Isa, bytes: usize) -> &'static str {
    match route(isa, Layout::Bytes(bytes)) {
        Route::Reference => "scalar",
        Route::Plain => "popcount",
        #[cfg(target_arch = "x86_64")]
        Route::Popcnt => "popcnt",
        #[cfg(target_arch = "x86_64")]
        Route::Avx512 => "avx512-bytes",
        #[cfg(target_arch = "aarch64")]
        Route::Neon => unreachable!("route: NEON is a word body"),
    }
}

/// What a level runs for 8-aligned rows of `bytes` bytes (sigah's own buffers and
/// every map of a file NumPy or sigah wrote): the word path for whole words, else
/// [`bytes_path_name`].
pub fn row_path_name(isa: Isa, bytes: usize) -> &'static str {
    if bytes % 8 == 0 {
        super::path_name(isa, bytes / 8)
    } else {
        bytes_path_name(isa, bytes)
    }
}

fn check_rows(op: &str, bytes: usize, codes: usize, out: usize) {
    assert!(
        bytes > 0 && codes == out * bytes || bytes == 0 && codes == 0 && out == 0,
        "{op}: {codes} code bytes do not hold {out} codes of {bytes} bytes"
    );
}
