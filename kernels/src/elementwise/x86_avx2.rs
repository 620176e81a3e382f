//! The AVX2 path: 8 f32 lanes in a `__m256`. Instructions: `vmovups`,
//! `vaddps`/`vsubps`, `vandps`/`vorps`/`vxorps`, `vcmpps` (GT_OQ) and `vblendvps`;
//! the kernels are memory-bound, so throughput is set by loads and stores.

use std::arch::x86_64::*;

use super::generic::Lanes;

impl Lanes for __m256 {
    const N: usize = 8;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller passes 8 readable floats and guarantees AVX.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller passes 8 writable floats and guarantees AVX.
        unsafe { _mm256_storeu_ps(p, self) }
    }
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { _mm256_set1_ps(v) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { _mm256_add_ps(self, o) }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { _mm256_sub_ps(self, o) }
    }
    #[inline(always)]
    unsafe fn abs(self) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), self) }
    }
    #[inline(always)]
    unsafe fn sign_bits(self) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { _mm256_and_ps(_mm256_set1_ps(-0.0), self) }
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { _mm256_or_ps(self, o) }
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { _mm256_xor_ps(self, o) }
    }
    #[inline(always)]
    unsafe fn select_gt(self, o: Self, t: Self, f: Self) -> Self {
        // SAFETY: the caller guarantees AVX. GT_OQ is Rust's `>` (false on NaN);
        // blendv takes `t` where the mask lane's top bit is set.
        unsafe { _mm256_blendv_ps(f, t, _mm256_cmp_ps::<_CMP_GT_OQ>(self, o)) }
    }
}

super::generic::instantiate!(__m256, "avx2,fma");
