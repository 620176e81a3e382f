//! The NEON path: 4 f32 lanes in a `float32x4_t`. Instructions: `ld1`/`st1`,
//! `fadd`/`fsub`, `fabs`, `and`/`orr`/`eor` on the bit patterns, `fcmgt` and `bsl`.

use std::arch::aarch64::*;

use super::generic::Lanes;

impl Lanes for float32x4_t {
    const N: usize = 4;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller passes 4 readable floats and guarantees NEON.
        unsafe { vld1q_f32(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller passes 4 writable floats and guarantees NEON.
        unsafe { vst1q_f32(p, self) }
    }
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        // SAFETY: the caller guarantees NEON.
        unsafe { vdupq_n_f32(v) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: the caller guarantees NEON.
        unsafe { vaddq_f32(self, o) }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: the caller guarantees NEON.
        unsafe { vsubq_f32(self, o) }
    }
    #[inline(always)]
    unsafe fn abs(self) -> Self {
        // SAFETY: the caller guarantees NEON. `fabs` clears the sign bit only.
        unsafe { vabsq_f32(self) }
    }
    #[inline(always)]
    unsafe fn sign_bits(self) -> Self {
        // SAFETY: the caller guarantees NEON.
        unsafe { vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(self), vdupq_n_u32(0x8000_0000))) }
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        // SAFETY: the caller guarantees NEON.
        unsafe { vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(self), vreinterpretq_u32_f32(o))) }
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        // SAFETY: the caller guarantees NEON.
        unsafe { vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(self), vreinterpretq_u32_f32(o))) }
    }
    #[inline(always)]
    unsafe fn select_gt(self, o: Self, t: Self, f: Self) -> Self {
        // SAFETY: the caller guarantees NEON. `fcmgt` is false on NaN, like `>`.
        unsafe { vbslq_f32(vcgtq_f32(self, o), t, f) }
    }
}

super::generic::instantiate!(float32x4_t, "neon");
