//! How much training a data set gets (docs/METHOD.md, "Schedule"): a uniform
//! sample of at most `train_size` rows, and whole epochs over it up to
//! `max_steps` batches. Both bound the cost of `sigah train` whatever n is: past
//! `train_size` rows, more data costs only its loading and encoding.

use crate::model::SigahConfig;
use crate::Tensor;

/// What a config's schedule comes to on `n` training rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Rows trained on (`min(n, train_size)`).
    pub rows: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// Epochs: `epochs`, cut to the fewest whole epochs that reach `max_steps`.
    pub epochs: usize,
}

impl Schedule {
    /// Training steps (batches) in all.
    pub fn steps(&self) -> usize {
        self.epochs * self.batches
    }
}

impl SigahConfig {
    /// The schedule on a data set of `n` rows.
    pub fn schedule(&self, n: usize) -> Schedule {
        let rows = if self.training.train_size > 0 { n.min(self.training.train_size) } else { n };
        let batches = rows.div_ceil(self.optimiser.batch_size.max(1));
        let epochs = if self.training.max_steps > 0 && batches > 0 {
            self.training.epochs.min(self.training.max_steps.div_ceil(batches))
        } else {
            self.training.epochs
        };
        Schedule { rows, batches, epochs }
    }
}

/// The rows training uses: `None` for all of `data`, else a uniform sample of
/// `train_size` distinct rows (kept in file order), drawn from `seed`.
pub fn training_sample(data: &Tensor, cfg: &SigahConfig) -> Option<Tensor> {
    data.uniform_row_sample(cfg.training.train_size, cfg.training.seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Optimiser, Training};

    #[test]
    fn epochs_are_cut_to_reach_max_steps() {
        let cfg = SigahConfig {
            optimiser: Optimiser { batch_size: 100, ..Default::default() },
            training: Training { epochs: 30, max_steps: 1000, train_size: 5000, ..Default::default() },
            ..Default::default()
        };
        // 45 batches an epoch: 30 epochs are 1,350 steps; 23 epochs reach 1,000.
        assert_eq!(cfg.schedule(4500), Schedule { rows: 4500, batches: 45, epochs: 23 });
        // Past train_size the rows, and so the steps, stop growing.
        assert_eq!(cfg.schedule(1_000_000), Schedule { rows: 5000, batches: 50, epochs: 20 });
        assert_eq!(cfg.schedule(1_000_000).steps(), 1000);
        // A small set keeps all its epochs.
        assert_eq!(cfg.schedule(300).epochs, 30);
        // 0 turns either bound off.
        let off = SigahConfig { training: Training { max_steps: 0, train_size: 0, ..cfg.training }, ..cfg.clone() };
        assert_eq!(off.schedule(1_000_000), Schedule { rows: 1_000_000, batches: 10_000, epochs: 30 });
        // One epoch of more than max_steps batches is still one whole epoch.
        let cfg = SigahConfig { training: Training { max_steps: 10, train_size: 0, ..cfg.training }, ..cfg };
        assert_eq!(cfg.schedule(5000).epochs, 1);
    }

    #[test]
    fn the_sample_is_uniform_distinct_ordered_and_seeded() {
        let data = Tensor::new(1000, 1, (0..1000).map(|i| i as f32).collect());
        let cfg = SigahConfig { training: Training { train_size: 100, ..Default::default() }, ..Default::default() };
        let s = training_sample(&data, &cfg).unwrap();
        assert_eq!(s.shape(), (100, 1));
        assert!(s.data.windows(2).all(|w| w[0] < w[1]), "distinct rows in file order");
        assert_eq!(training_sample(&data, &cfg), Some(s.clone()), "the same seed, the same sample");
        let other = training_sample(
            &data,
            &SigahConfig { training: Training { seed: cfg.training.seed + 1, ..cfg.training }, ..cfg.clone() },
        )
        .unwrap();
        assert_ne!(other, s);
        // Uniform: both halves of the file are drawn from about equally.
        let low = s.data.iter().filter(|&&v| v < 500.0).count();
        assert!((30..=70).contains(&low), "{low} of 100 from the first half");
        // Data within train_size is used whole.
        assert_eq!(
            training_sample(
                &data,
                &SigahConfig { training: Training { train_size: 1000, ..cfg.training }, ..cfg.clone() }
            ),
            None
        );
        assert_eq!(
            training_sample(&data, &SigahConfig { training: Training { train_size: 0, ..cfg.training }, ..cfg }),
            None
        );
    }
}
