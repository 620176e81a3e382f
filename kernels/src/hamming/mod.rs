//! Hamming distance between packed binary codes (u64 words, bit j of a code in
//! word j/64, bit j%64), one query against a block of codes.
//!
//! Two operations, each chosen once per call (never per code):
//! - [`hamming_one_to_many`]: every distance, written to a slice;
//! - [`hamming_scan`]: the query-stationary scan the index is built on: the codes
//!   are visited in order and a callback sees only those below a threshold it
//!   lowers as it goes (top-k's early reject, or a fixed radius).
//!
//! Paths ([`path_name`] says which one a level runs): the scalar reference
//! (`Isa::Scalar`), scalar `POPCNT` (`Isa::Portable` and `Isa::Avx2`), AVX-512
//! VPOPCNTDQ (`Isa::Avx512` on CPUs with VPOPCNTDQ; without it `Avx512` falls back
//! to scalar POPCNT), NEON on aarch64. Each is specialised for 64, 128, 256 and
//! 512-bit codes (1, 2, 4, 8 words, a const generic) plus a generic width.
//! Beside them, layouts a group of queries shares: word-sliced blocks
//! ([`sliced`], AVX-512) and AMX tiles ([`tiles`], `Isa::Amx`, many queries at
//! once as byte dot products).
//!
//! No AVX2 path. One was written (Muła's `vpshufb` nibble-table popcount with
//! `vpsadbw`, 4 codes per register at 64 bits, an order-restoring unpack/permute for
//! 128 bits, byte-count accumulation for wider codes) and measured against scalar
//! POPCNT, best of 40 runs, one thread, on this Xeon (AVX-512 capable, shared and
//! loaded), in G code comparisons/s, one-to-many [threshold scan]:
//!
//! | codes            | popcnt        | avx2          |
//! |------------------|---------------|---------------|
//! | 64 b, 1M (L3)    | 2.15 [2.28]   | 2.05 [2.30]   |
//! | 128 b, 1M        | 1.25 [1.32]   | 1.08 [1.11]   |
//! | 256 b, 1M        | 0.29 [0.38]   | 0.30 [0.29]   |
//! | 64 b, 4K (L1/L2) | 3.52 [2.56]   | 3.25 [2.74]   |
//! | 128 b, 4K        | 1.68 [1.39]   | 1.36 [1.28]   |
//! | 256 b, 4K        | 0.92 [0.92]   | 0.86 [0.75]   |
//!
//! It never beat POPCNT by more than noise and lost by 10-20 % at 128 and 256 bits,
//! as FAISS and NumKong also found, so it was removed (git history has it). The
//! AVX-512 path at the same sizes: 2.44 / 1.21 / 0.42 (1M) and 9.28 / 3.67 / 1.91 (4K).
//!
//! AVX-512 against POPCNT: AVX-512 wins at 64 bits (1M codes, one thread: 5.04
//! against 2.30 G/s, 2.2×; 5.46 against 2.66 in a second run) and 128 bits (1.6×),
//! and ties at 256 (docs/PERFORMANCE.md, "Hamming one-to-many", the 2026-12-08
//! re-run; the 2026-11-24 table there has them tied at 64 bits, where both were
//! bound by that run's L3 read ceiling). So `route.rs` takes AVX-512 at every width.

/// Calls `$f::<W>(args)` with W the word count when it is 1, 2, 4 or 8, else
/// `$f::<0>` (the generic-width body, which reads the width from the query).
macro_rules! by_width {
    ($words:expr, $f:ident, $($arg:expr),*) => {
        match $words {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            4 => $f::<4>($($arg),*),
            8 => $f::<8>($($arg),*),
            _ => $f::<0>($($arg),*),
        }
    };
}
pub(crate) use by_width;

pub mod bytes;
mod popcnt;
mod prefetch;
mod route;
pub mod scalar;
pub mod sliced;
pub mod tiles;

pub use prefetch::prefetch_lines;

#[cfg(target_arch = "aarch64")]
mod aarch64_neon;
#[cfg(target_arch = "x86_64")]
mod x86_avx512;

use crate::Isa;
use route::{route, Layout, Route};

/// The widest code (in u64 words) whose distances fit the u16 output of
/// [`hamming_one_to_many`]: 1023 · 64 = 65,472 ≤ `u16::MAX`.
pub const MAX_ONE_TO_MANY_WORDS: usize = u16::MAX as usize / 64;

/// `out[i] = popcount(query XOR codes[i])` for every code in `codes`, where each
/// code is `query.len()` words.
///
/// Distances are u16: they are at most the width, and codes are at most
/// [`MAX_ONE_TO_MANY_WORDS`] words (65,472 bits; sigah's codes stop at 4,096).
/// Writing 2 bytes per code instead of 4 matters because a pass over codes that
/// do not fit in cache is bound by the bytes it moves: a 64-bit code is 8 bytes
/// read, so u32 distances add half again to the traffic, u16 a quarter.
///
/// # Panics
/// If `query` is empty while `codes` is not, if `codes.len() != out.len() * query.len()`,
/// or if `query.len() > MAX_ONE_TO_MANY_WORDS`.
pub fn hamming_one_to_many(query: &[u64], codes: &[u64], out: &mut [u16]) {
    hamming_one_to_many_with(crate::isa::selected(), query, codes, out)
}

/// [`hamming_one_to_many`] on a given level.
///
/// # Panics
/// As [`hamming_one_to_many`], or if `isa` is unsupported.
pub fn hamming_one_to_many_with(isa: Isa, query: &[u64], codes: &[u64], out: &mut [u16]) {
    check_block("hamming_one_to_many", query.len(), codes.len(), out.len());
    assert!(
        query.len() <= MAX_ONE_TO_MANY_WORDS,
        "hamming_one_to_many: {}-word codes have distances beyond u16 (at most {MAX_ONE_TO_MANY_WORDS} words)",
        query.len()
    );
    assert!(isa.is_supported(), "hamming_one_to_many: {isa} is not supported by this CPU");
    if query.is_empty() {
        return;
    }
    match route(isa, Layout::Words(query.len())) {
        Route::Reference => scalar::one_to_many(query, codes, out),
        Route::Plain => popcnt::one_to_many_plain(query, codes, out),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: route() picks Popcnt only when the CPU has POPCNT; lengths are checked.
        Route::Popcnt => unsafe { popcnt::one_to_many(query, codes, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: route() picks Avx512 only with AVX-512F + VPOPCNTDQ + POPCNT.
        Route::Avx512 => unsafe { x86_avx512::one_to_many(query, codes, out) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: route() picks Neon only when NEON is detected.
        Route::Neon => unsafe { aarch64_neon::one_to_many(query, codes, out) },
    }
}

/// Scans `codes` in order with [`isa::selected`](crate::isa::selected): whenever a
/// code's distance `d` is below the current threshold (initially `threshold`),
/// calls `hit(i, d)` (i = the code's position in `codes`) and takes its return
/// value as the new threshold. Exactly the calls of [`scalar::scan`], in order.
///
/// # Panics
/// As [`hamming_one_to_many`] (with `codes.len()` a multiple of `query.len()`).
pub fn hamming_scan<F: FnMut(usize, u32) -> u32>(query: &[u64], codes: &[u64], threshold: u32, hit: F) {
    hamming_scan_with(crate::isa::selected(), query, codes, threshold, hit)
}

/// [`hamming_scan`] on a given level.
///
/// # Panics
/// As [`hamming_scan`], or if `isa` is unsupported.
pub fn hamming_scan_with<F: FnMut(usize, u32) -> u32>(isa: Isa, query: &[u64], codes: &[u64], threshold: u32, hit: F) {
    let n = if query.is_empty() { 0 } else { codes.len() / query.len() };
    check_block("hamming_scan", query.len(), codes.len(), n);
    assert!(isa.is_supported(), "hamming_scan: {isa} is not supported by this CPU");
    scan_words(isa, query, codes, threshold, hit)
}

/// [`hamming_scan_with`] after its checks (the byte-row scan comes here for rows
/// of whole aligned words).
pub(crate) fn scan_words<F: FnMut(usize, u32) -> u32>(
    isa: Isa,
    query: &[u64],
    codes: &[u64],
    threshold: u32,
    mut hit: F,
) {
    if query.is_empty() || threshold == 0 {
        return;
    }
    match route(isa, Layout::Words(query.len())) {
        Route::Reference => scalar::scan(query, codes, threshold, hit),
        Route::Plain => popcnt::scan_plain(query, codes, threshold, &mut hit),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in hamming_one_to_many_with.
        Route::Popcnt => unsafe { popcnt::scan(query, codes, threshold, &mut hit) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in hamming_one_to_many_with.
        Route::Avx512 => unsafe { x86_avx512::scan(query, codes, threshold, &mut hit) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: as in hamming_one_to_many_with.
        Route::Neon => unsafe { aarch64_neon::scan(query, codes, threshold, &mut hit) },
    }
}

/// What a level runs for `words`-word codes: `"scalar"`, `"popcnt"` (x86 POPCNT),
/// `"popcount"` (`count_ones` without a target feature), `"avx512-vpopcntdq"` or
/// `"neon"` (for reports and benchmark labels). Every path handles every width
/// today; `words` keeps the door open for width-limited paths.
pub fn path_name(isa: Isa, words: usize) -> &'static str {
    match route(isa, Layout::Words(words)) {
        Route::Reference => "scalar",
        Route::Plain => "popcount",
        #[cfg(target_arch = "x86_64")]
        Route::Popcnt => "popcnt",
        #[cfg(target_arch = "x86_64")]
        Route::Avx512 => "avx512-vpopcntdq",
        #[cfg(target_arch = "aarch64")]
        Route::Neon => "neon",
    }
}

pub(crate) fn check_block(op: &str, words: usize, codes: usize, out: usize) {
    assert!(
        words > 0 && codes == out * words || words == 0 && codes == 0 && out == 0,
        "{op}: {codes} code words do not hold {out} codes of {words} words"
    );
}
