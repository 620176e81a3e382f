//! The portable path: `wide::f32x8`, whose instructions are fixed when the crate
//! is compiled (two SSE2 `f32x4` halves on baseline x86-64, NEON on aarch64).

use wide::f32x8;

use super::generic::Lanes;

impl Lanes for f32x8 {
    const N: usize = 8;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller passes a pointer to 8 readable floats; `[f32; 8]` has
        // alignment 4 and is read unaligned anyway.
        f32x8::new(unsafe { p.cast::<[f32; 8]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller passes a pointer to 8 writable floats.
        unsafe { p.cast::<[f32; 8]>().write_unaligned(self.to_array()) }
    }
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        f32x8::splat(v)
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        self + o
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    unsafe fn abs(self) -> Self {
        self & f32x8::from_bits(wide::u32x8::splat(0x7fff_ffff))
    }
    #[inline(always)]
    unsafe fn sign_bits(self) -> Self {
        self & f32x8::splat(-0.0)
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        self ^ o
    }
    #[inline(always)]
    unsafe fn select_gt(self, o: Self, t: Self, f: Self) -> Self {
        // `simd_gt` is an ordered compare (all-ones lanes where self > o, false on NaN).
        self.simd_gt(o).bitselect(t, f)
    }
}

super::generic::instantiate!(f32x8);
