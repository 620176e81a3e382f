//! Instruction-set detection and the one place that decides which path runs.
//!
//! The level is detected once and cached. `SIGAH_ISA=scalar|portable|avx2|avx512|amx|neon`
//! caps it (it can only lower the level, never enable what the CPU lacks), so tests
//! and benchmarks can force every path on one machine.

use std::sync::OnceLock;

/// An instruction-set level. On x86-64 the levels are ordered:
/// `Scalar < Portable < Avx2 < Avx512 < Amx`; on aarch64 `Scalar < Portable <= Neon`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Plain Rust, no explicit SIMD: the reference every other path is tested against.
    Scalar,
    /// `wide` vectors at the compile-time baseline (SSE2 on x86-64, NEON on aarch64).
    Portable,
    /// x86-64 AVX2 + FMA (+ POPCNT), `std::arch` intrinsics.
    Avx2,
    /// x86-64 AVX-512 F/BW/VL (GEMM, elementwise); Hamming also needs VPOPCNTDQ.
    Avx512,
    /// [`Isa::Avx512`] plus the AMX-INT8 tile unit (Sapphire Rapids and later), granted
    /// by the OS: the Hamming scan of many queries against 128-256-bit codes runs
    /// on tiles (`hamming::tiles`); every other kernel runs its AVX-512 path.
    Amx,
    /// aarch64 Advanced SIMD, `std::arch` intrinsics.
    Neon,
}

impl Isa {
    /// Lower-case name, as accepted by `SIGAH_ISA` and shown in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Amx => "amx",
            Isa::Neon => "neon",
        }
    }

    /// The level without the tile unit: what kernels that have no AMX path run
    /// ([`Isa::Amx`] is [`Isa::Avx512`] for them).
    pub fn without_tiles(self) -> Isa {
        if self == Isa::Amx {
            Isa::Avx512
        } else {
            self
        }
    }

    /// Parses a name as written by [`Isa::name`].
    pub fn from_name(name: &str) -> Option<Isa> {
        match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Some(Isa::Scalar),
            "portable" | "wide" | "sse2" => Some(Isa::Portable),
            "avx2" => Some(Isa::Avx2),
            "avx512" | "avx-512" => Some(Isa::Avx512),
            "amx" => Some(Isa::Amx),
            "neon" => Some(Isa::Neon),
            _ => None,
        }
    }

    /// Whether this CPU can run the level (ignoring `SIGAH_ISA`).
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Scalar | Isa::Portable => true,
            Isa::Avx2 => has_avx2(),
            Isa::Avx512 => has_avx512(),
            Isa::Amx => has_amx(),
            Isa::Neon => has_neon(),
        }
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") && is_x86_feature_detected!("popcnt")
}
#[cfg(not(target_arch = "x86_64"))]
fn has_avx2() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    has_avx2()
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vl")
}
#[cfg(not(target_arch = "x86_64"))]
fn has_avx512() -> bool {
    false
}

/// AVX-512 VPOPCNTDQ (Ice Lake, Zen 4 and later): the Hamming kernels' fast path.
#[cfg(target_arch = "x86_64")]
pub fn has_avx512_vpopcntdq() -> bool {
    has_avx512() && is_x86_feature_detected!("avx512vpopcntdq")
}
/// AVX-512 VPOPCNTDQ (never on non-x86 targets).
#[cfg(not(target_arch = "x86_64"))]
pub fn has_avx512_vpopcntdq() -> bool {
    false
}

/// AVX-512 VPOPCNTDQ with BITALG and VBMI: everything the byte-row Hamming body
/// (`hamming/bytes/x86_avx512.rs`) uses. The probe lives here, with every other
/// CPU-feature probe, so `hamming/route.rs` asks this module and not the body.
#[cfg(target_arch = "x86_64")]
pub fn has_avx512_bytes() -> bool {
    has_avx512_vpopcntdq() && is_x86_feature_detected!("avx512bitalg") && is_x86_feature_detected!("avx512vbmi")
}
/// The byte-row AVX-512 body (never on non-x86 targets).
#[cfg(not(target_arch = "x86_64"))]
pub fn has_avx512_bytes() -> bool {
    false
}

/// AMX-INT8 tiles usable by this process: the CPU has AMX-TILE and AMX-INT8
/// (CPUID leaf 7, EDX bits 24 and 25), AVX-512 with VPOPCNTDQ (the rest of the
/// Hamming paths), and Linux grants the tile data state (`arch_prctl
/// ARCH_REQ_XCOMP_PERM`; without the grant the first tile instruction faults).
/// Asked once per process; the grant covers every thread.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub fn has_amx() -> bool {
    static AMX: OnceLock<bool> = OnceLock::new();
    *AMX.get_or_init(|| {
        const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
        const XFEATURE_XTILEDATA: libc::c_long = 18;
        // CPUID leaf 7 exists on every AVX-512 CPU (checked first).
        let leaf7 = has_avx512_vpopcntdq() && {
            let r = std::arch::x86_64::__cpuid_count(7, 0);
            r.edx & (1 << 24) != 0 && r.edx & (1 << 25) != 0
        };
        // SAFETY: arch_prctl with this request only changes the process's
        // permission to use the tile state; it fails cleanly on older kernels.
        leaf7 && unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) } == 0
    })
}
/// AMX tiles (only on x86-64 Linux, where the OS grant can be asked for).
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
pub fn has_amx() -> bool {
    false
}

#[cfg(target_arch = "aarch64")]
fn has_neon() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}
#[cfg(not(target_arch = "aarch64"))]
fn has_neon() -> bool {
    false
}

/// The best level this CPU supports, ignoring `SIGAH_ISA`.
pub fn detected() -> Isa {
    if has_amx() {
        Isa::Amx
    } else if has_avx512() {
        Isa::Avx512
    } else if has_avx2() {
        Isa::Avx2
    } else if has_neon() {
        Isa::Neon
    } else {
        Isa::Portable
    }
}

/// The level kernels use: [`detected`], capped by `SIGAH_ISA` when it names a lower
/// level. Computed once per process.
pub fn selected() -> Isa {
    static SELECTED: OnceLock<Isa> = OnceLock::new();
    *SELECTED.get_or_init(|| cap(detected(), std::env::var("SIGAH_ISA").ok().as_deref()))
}

/// Applies a `SIGAH_ISA` value to a detected level. Unknown names are ignored with a
/// warning on stderr rather than silently picking a path the user did not ask for.
fn cap(best: Isa, requested: Option<&str>) -> Isa {
    let Some(text) = requested else { return best };
    match Isa::from_name(text) {
        Some(want) if want.is_supported() && want <= best => want,
        Some(want) => {
            eprintln!("sigah: SIGAH_ISA={text}: {want} is not available on this CPU; using {best}");
            best
        }
        None => {
            eprintln!("sigah: SIGAH_ISA={text} is not one of scalar, portable, avx2, avx512, amx, neon; using {best}");
            best
        }
    }
}

/// Every level this CPU can run, lowest first: what the property tests iterate over.
pub fn available() -> Vec<Isa> {
    [Isa::Scalar, Isa::Portable, Isa::Avx2, Isa::Avx512, Isa::Amx, Isa::Neon]
        .into_iter()
        .filter(|isa| isa.is_supported())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for isa in [Isa::Scalar, Isa::Portable, Isa::Avx2, Isa::Avx512, Isa::Amx, Isa::Neon] {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
        }
        assert_eq!(Isa::from_name("sse4"), None);
    }

    #[test]
    fn cap_only_lowers() {
        let best = detected();
        assert_eq!(cap(best, None), best);
        assert_eq!(cap(best, Some("scalar")), Isa::Scalar);
        assert_eq!(cap(best, Some("bogus")), best);
        // Asking for more than the CPU has keeps what it has.
        assert!(cap(Isa::Portable, Some("avx512")) == Isa::Portable);
    }

    #[test]
    fn available_contains_scalar_and_detected() {
        let all = available();
        assert_eq!(all[0], Isa::Scalar);
        assert!(all.contains(&detected()));
    }
}
