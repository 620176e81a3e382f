//! The AVX-512 path: 16 f32 lanes in a `__m512`, AVX-512F only. Selects use mask
//! registers (`vcmpps k, …, GT_OQ` then `vblendmps`); bit operations go through
//! the integer domain (`vpandd`/`vpord`/`vpxord`), because the f32 forms need
//! AVX-512DQ.

use std::arch::x86_64::*;

use super::generic::Lanes;

#[inline(always)]
unsafe fn bits(v: __m512) -> __m512i {
    // SAFETY: a bit cast; the caller guarantees AVX-512F.
    unsafe { _mm512_castps_si512(v) }
}

#[inline(always)]
unsafe fn floats(v: __m512i) -> __m512 {
    // SAFETY: a bit cast; the caller guarantees AVX-512F.
    unsafe { _mm512_castsi512_ps(v) }
}

impl Lanes for __m512 {
    const N: usize = 16;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller passes 16 readable floats and guarantees AVX-512F.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller passes 16 writable floats and guarantees AVX-512F.
        unsafe { _mm512_storeu_ps(p, self) }
    }
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { _mm512_set1_ps(v) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { _mm512_add_ps(self, o) }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { _mm512_sub_ps(self, o) }
    }
    #[inline(always)]
    unsafe fn abs(self) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { floats(_mm512_and_si512(bits(self), _mm512_set1_epi32(0x7fff_ffff))) }
    }
    #[inline(always)]
    unsafe fn sign_bits(self) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { floats(_mm512_and_si512(bits(self), _mm512_set1_epi32(i32::MIN))) }
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { floats(_mm512_or_si512(bits(self), bits(o))) }
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { floats(_mm512_xor_si512(bits(self), bits(o))) }
    }
    #[inline(always)]
    unsafe fn select_gt(self, o: Self, t: Self, f: Self) -> Self {
        // SAFETY: the caller guarantees AVX-512F. GT_OQ is Rust's `>` (false on
        // NaN); mask_blend takes its second vector where the mask bit is set.
        unsafe { _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(self, o), f, t) }
    }
}

super::generic::instantiate!(__m512, "avx512f,avx512bw,avx512vl,avx2,fma");
