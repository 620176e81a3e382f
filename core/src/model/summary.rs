//! What training reports: the statistics of each epoch, and the summary the model
//! file keeps (its `training` metadata).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The generator's loss terms over one epoch by name (`reconstruction`,
/// `energy`, `balance`, `pair`, `rank`, `list`): each the mean over the epoch's
/// batches of the term as it enters L_G, weight included, so that they add up to
/// `loss_g`. Terms that were off are absent. The training log records them; the
/// model file does not.
pub type LossTerms = BTreeMap<&'static str, f32>;

/// What one epoch measured (means over its batches).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// L_D (absent without the adversarial term).
    pub loss_d: Option<f32>,
    /// L_G.
    pub loss_g: f32,
    /// E(x) on real batches.
    pub energy_real: Option<f32>,
    /// E(x̃) on synthetic batches.
    pub energy_fake: Option<f32>,
    /// `‖x − x̃‖² / d` (preprocessed units).
    pub recon_mse: f32,
    /// Mean over bits of |2p_j − 1|, p_j the fraction of ones of bit j over the
    /// epoch: 0 when every bit is set half of the time, 1 when every bit is constant.
    pub bit_imbalance: f32,
    /// The margin μ in force at the end of the epoch.
    pub margin: Option<f32>,
}

/// What the model file records about its training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainingSummary {
    /// Epochs completed.
    pub epochs: usize,
    /// Training vectors.
    pub train_vectors: usize,
    /// The margin μ (fixed after the first epoch unless configured).
    pub margin: Option<f32>,
    /// The last epoch's statistics.
    pub last: Option<EpochStats>,
}
