//! How training reports its progress: phases, batches and epochs.

use crate::model::{EpochStats, LossTerms};
use crate::Result;

/// Hooks for progress display and logging.
pub trait TrainObserver {
    /// A phase before or around the epochs finished ("sample", "preprocess",
    /// "itq start", "knn graph", "training"), after `seconds`.
    fn phase(&mut self, _name: &str, _seconds: f64) {}
    /// Training is about to run epochs `first_epoch..=epochs` of `batches` batches each.
    fn start(&mut self, _first_epoch: usize, _epochs: usize, _batches: usize) {}
    /// A batch finished.
    fn batch_done(&mut self, _epoch: usize, _batch: usize) {}
    /// An epoch finished, with its statistics and its loss terms by name; an
    /// error stops training.
    fn epoch_done(&mut self, _stats: &EpochStats, _terms: &LossTerms) -> Result<()> {
        Ok(())
    }
}

/// An observer that does nothing.
#[derive(Debug, Default)]
pub struct Silent;
impl TrainObserver for Silent {}
