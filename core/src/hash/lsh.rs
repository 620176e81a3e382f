//! LSH for the angle between centred vectors (Charikar 2002): each bit is the
//! sign of a projection onto a random Gaussian direction.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::linear::{check_training, column_mean, LinearHash};
use crate::{Result, Tensor};

/// Trains LSH: the mean of `x`, and a `d × bits` matrix of independent N(0, 1)
/// draws from a ChaCha8 stream seeded with `seed` (the same seed gives the same
/// hash function on every platform).
pub fn train_lsh(x: &Tensor, bits: usize, seed: u64) -> Result<LinearHash> {
    check_training("LSH", x, bits, None)?;
    let mean = column_mean(x);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = (0..x.cols * bits).map(|_| StandardNormal.sample(&mut rng)).collect();
    Ok(LinearHash { mean, proj: Tensor::new(x.cols, bits, data) })
}
