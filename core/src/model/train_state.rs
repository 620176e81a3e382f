//! Everything training needs to continue exactly where it stopped: what a
//! checkpoint (`io/checkpoint.rs`) keeps and the trainer (`train/`) advances.

use rand_chacha::ChaCha8Rng;

use super::SigahModel;
use crate::adam::Adam;

/// Everything training needs to continue exactly where it stopped.
pub struct TrainState {
    pub model: SigahModel,
    pub adam_g: Adam,
    pub adam_d: Adam,
    pub rng: ChaCha8Rng,
}
