//! The one dispatch decision of the Hamming kernels: which body runs for an
//! instruction-set level and a code layout. The word kernels, the byte-row
//! kernels, the gather and the path names all ask [`route`], so a level never
//! means one thing for words and another for bytes.

use crate::Isa;

/// How the codes of one call are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Rows of this many aligned u64 words.
    Words(usize),
    /// Rows of this many bytes that are not viewed as words.
    Bytes(usize),
    /// Rows read at scattered positions (one cache miss each: no vector body).
    Gather,
}

/// The body that runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// The scalar reference.
    Reference,
    /// The POPCNT body without a target feature (aarch64, or x86 without POPCNT).
    Plain,
    #[cfg(target_arch = "x86_64")]
    Popcnt,
    /// AVX-512 VPOPCNTDQ for words; for byte rows of 1 to 8 bytes, the byte-row
    /// AVX-512 body (which needs BITALG and VBMI too).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// NEON, for words only (byte rows use `count_ones`, already `cnt` + `addv`).
    #[cfg(target_arch = "aarch64")]
    Neon,
}

/// The body for `isa` and `layout` (chosen once per call, never per code).
pub(crate) fn route(isa: Isa, layout: Layout) -> Route {
    match (isa.without_tiles(), layout) {
        (Isa::Scalar, _) => Route::Reference,
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, Layout::Words(_)) if crate::isa::has_avx512_vpopcntdq() => Route::Avx512,
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, Layout::Bytes(b)) if b <= 8 && crate::isa::has_avx512_bytes() => Route::Avx512,
        #[cfg(target_arch = "x86_64")]
        _ if std::is_x86_feature_detected!("popcnt") => Route::Popcnt,
        #[cfg(target_arch = "aarch64")]
        (Isa::Neon, Layout::Words(_)) => Route::Neon,
        _ => Route::Plain,
    }
}
