//! Shared helpers for the criterion benchmarks in `benches/benches/`.

pub mod mlp;

/// Deterministic pseudo-random f32 values in [-0.5, 0.5) (xorshift), so every bench
/// run multiplies the same matrices without pulling an RNG crate into the hot loop.
pub fn pseudo_random_f32(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

/// Deterministic pseudo-random u64 words (`sigah_kernels::rng`, splitmix64).
pub fn pseudo_random_u64(len: usize, seed: u64) -> Vec<u64> {
    sigah_kernels::rng::SplitMix64::new(seed).take(len)
}
