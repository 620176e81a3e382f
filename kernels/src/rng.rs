//! splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014): the one seeded generator of deterministic test and
//! benchmark data (the criterion benches in `benches/`, `sigah bench`, the
//! kernels' and core's tests). Not for training: the trainer draws from
//! `rand_chacha`, whose stream the model files depend on.

/// The golden-ratio increment of the splitmix64 state.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 output for state `x`: `x + γ`, then the finaliser. A pure
/// function of `x`, for values keyed by an index (`splitmix64(i)`).
#[inline]
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The splitmix64 stream from a seed: the i-th value is `splitmix64(seed + i·γ)`.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next value of the stream.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let z = splitmix64(self.state);
        self.state = self.state.wrapping_add(GAMMA);
        z
    }

    /// The next `len` values.
    pub fn take(&mut self, len: usize) -> Vec<u64> {
        (0..len).map(|_| self.next_u64()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_stream() {
        // The first outputs for seed 1234567 in the reference implementation
        // (prng.di.unimi.it/splitmix64.c).
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }
}
