//! The neighbour rows of each training batch (docs/METHOD.md): for the pair
//! term, one of each anchor's `knn_pairs` nearest training rows; for the ranking
//! term, a positive among its `rank_pos` nearest and a negative from the ranks
//! `rank_pos..rank_neg` (or any other row). All from the exact kNN graph of
//! `knn.rs` and the trainer's seeded RNG.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::loss::{BatchLayout, ListTargets};
use crate::model::{Preprocess, SigahConfig};
use crate::Tensor;

/// Draws the neighbour rows of each batch from the training set's kNN graph.
pub(crate) struct NeighbourSampler {
    /// `n × k` neighbour ids, nearest first, and k.
    graph: Option<(Vec<u32>, usize)>,
    /// Pair-term neighbours come from the first `pair_k` of each row (0: no pair rows).
    pair_k: usize,
    /// Ranking positives come from the first `pos_k` of each row (0: no ranking rows),
    /// negatives from `pos_k..neg_k`, or from every training row when `neg_k = 0`.
    pos_k: usize,
    neg_k: usize,
    /// The listwise term's neighbours are the first `list_k` of each row (0: off).
    list_k: usize,
    /// The listwise softmax's temperature for this data's dimension.
    list_temperature: f32,
}

impl NeighbourSampler {
    pub(crate) fn new(data: &Tensor, pre: &Preprocess, cfg: &SigahConfig) -> Self {
        let n = &cfg.neighbours;
        let pair = n.lambda_pair > 0.0 && n.knn_pairs > 0;
        let rank = n.lambda_rank > 0.0 && n.rank_pos > 0;
        let list = n.lambda_list > 0.0 && n.list_k > 0;
        let list_want = cfg.list_neighbours(data.rows);
        let want = [
            if pair { n.knn_pairs } else { 0 },
            if rank { n.rank_pos.max(n.rank_neg) } else { 0 },
            if list { list_want } else { 0 },
        ];
        let k = want.into_iter().max().unwrap_or(0);
        let graph = (k > 0).then(|| crate::knn::knn_graph(data, pre, k)).filter(|(_, k)| *k > 0);
        let got = graph.as_ref().map_or(0, |(_, k)| *k);
        let pos_k = if rank { n.rank_pos.min(got) } else { 0 };
        // Ranks past the graph (a tiny training set) fall back to random negatives.
        let neg_k = if n.rank_neg > pos_k && n.rank_neg <= got { n.rank_neg } else { 0 };
        let list_k = if list { list_want.min(got) } else { 0 };
        let list_temperature = cfg.list_temperature(pre.dim());
        Self { pair_k: if pair { n.knn_pairs.min(got) } else { 0 }, pos_k, neg_k, list_k, list_temperature, graph }
    }

    /// Whether a neighbour graph was built (some neighbour term is on).
    pub(crate) fn has_graph(&self) -> bool {
        self.graph.is_some()
    }

    /// Appends the batch `idx`, then its neighbour sections, to `rows`.
    pub(crate) fn rows(&self, idx: &[usize], n: usize, rng: &mut ChaCha8Rng, rows: &mut Vec<usize>) -> BatchLayout {
        rows.extend_from_slice(idx);
        let mut layout = BatchLayout::plain(idx.len());
        let Some((g, k)) = &self.graph else { return layout };
        if self.pair_k > 0 {
            rows.extend(idx.iter().map(|&i| g[i * k + rng.random_range(0..self.pair_k)] as usize));
            layout.pair = true;
        }
        if self.pos_k > 0 {
            rows.extend(idx.iter().map(|&i| g[i * k + rng.random_range(0..self.pos_k)] as usize));
            for &i in idx {
                let j = if self.neg_k > 0 {
                    g[i * k + rng.random_range(self.pos_k..self.neg_k)] as usize
                } else {
                    // Any other row (the anchor itself would be a zero-distance "negative").
                    let j = rng.random_range(0..n - 1);
                    j + (j >= i) as usize
                };
                rows.push(j);
            }
            layout.rank = true;
        }
        layout
    }
}

impl NeighbourSampler {
    /// The listwise term's targets for a batch whose first `anchors` entries of
    /// `rows` (training-row ids) are the anchors: row i of the target spreads
    /// weight 1 evenly over the batch rows among anchor i's `list_k` nearest
    /// training rows; the mask is −1e30 where a batch row *is* the anchor's
    /// training row (itself, or a copy drawn as someone's neighbour), 0 elsewhere.
    /// Anchors with no neighbour in the batch get weight 0 (`None` when the term
    /// is off or no anchor has one). `spare` is the last batch's targets, whose
    /// buffers are refilled: two fresh `anchors × rows` matrices a step would be
    /// allocated, faulted in and zeroed on the calling thread, while a reused row
    /// is cleared by the task that fills it.
    pub(crate) fn list_targets(
        &self,
        rows: &[usize],
        anchors: usize,
        spare: Option<ListTargets>,
    ) -> Option<ListTargets> {
        let (g, k) = self.graph.as_ref().filter(|_| self.list_k > 0)?;
        let r = rows.len();
        let (target, mask, weight) =
            spare.map_or((None, None, None), |s| (Some(s.target), Some(s.mask), Some(s.weight)));
        let mut target = reuse(target, anchors, r);
        let mut mask = reuse(mask, anchors, r);
        let mut weight = reuse(weight, anchors, 1);
        // An anchor looks up its list_k neighbours (and itself) among the batch's
        // rows, instead of testing each batch row against its neighbour list.
        let at = BatchPositions::new(rows);
        // Anchors are independent: their rows are filled in parallel.
        target
            .data
            .par_chunks_mut(r.max(1))
            .zip(mask.data.par_chunks_mut(r.max(1)))
            .zip(weight.data.par_iter_mut())
            .zip(rows[..anchors].par_iter())
            .for_each_init(Vec::new, |hit: &mut Vec<usize>, (((t, m), w), &a)| {
                t.fill(0.0);
                m.fill(0.0);
                *w = 0.0;
                at.each(a, |j| m[j] = -1e30);
                hit.clear();
                for &near in &g[a * k..a * k + self.list_k] {
                    if near as usize != a {
                        at.each(near as usize, |j| hit.push(j));
                    }
                }
                // A row listed twice (a repeated neighbour) counts once.
                hit.sort_unstable();
                hit.dedup();
                if !hit.is_empty() {
                    let share = 1.0 / hit.len() as f32;
                    hit.iter().for_each(|&j| t[j] = share);
                    *w = 1.0;
                }
            });
        let active = weight.data.iter().filter(|&&w| w > 0.0).count();
        (active > 0).then_some(ListTargets { target, mask, weight, active, temperature: self.list_temperature })
    }
}

/// `spare`'s buffer as a `rows × cols` tensor of unspecified values when it has
/// that size, else a new zeroed one.
fn reuse(spare: Option<Tensor>, rows: usize, cols: usize) -> Tensor {
    match spare {
        Some(t) if t.data.len() == rows * cols => Tensor { rows, cols, data: t.data },
        _ => Tensor::zeros(rows, cols),
    }
}

/// Where each training row sits in a batch: an open-addressing table from row id
/// to its first position, and a chain through the row's other positions (rows
/// repeat: an anchor can also be another anchor's neighbour).
struct BatchPositions {
    /// `(row, first position)` per slot; `usize::MAX` marks an empty slot.
    slots: Vec<(usize, usize)>,
    /// The next position of the same row, or `usize::MAX`.
    next: Vec<usize>,
}

impl BatchPositions {
    fn new(rows: &[usize]) -> Self {
        let size = (2 * rows.len()).next_power_of_two().max(2);
        let mut slots = vec![(usize::MAX, usize::MAX); size];
        let mut next = vec![usize::MAX; rows.len()];
        for (j, &row) in rows.iter().enumerate().rev() {
            let s = Self::slot(&slots, row);
            if slots[s].0 == row {
                next[j] = slots[s].1;
            }
            slots[s] = (row, j);
        }
        Self { slots, next }
    }

    /// The slot that holds `row`, or the empty slot where it would go.
    fn slot(slots: &[(usize, usize)], row: usize) -> usize {
        let mask = slots.len() - 1;
        // Fibonacci hashing spreads consecutive row ids over the table.
        let mut s = (row.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) & mask;
        while slots[s].0 != row && slots[s].0 != usize::MAX {
            s = (s + 1) & mask;
        }
        s
    }

    /// Calls `f` with each position of `row` in the batch, in increasing order.
    fn each(&self, row: usize, mut f: impl FnMut(usize)) {
        let (found, mut j) = self.slots[Self::slot(&self.slots, row)];
        if found != row {
            return;
        }
        while j != usize::MAX {
            f(j);
            j = self.next[j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NeighbourTerms;
    use rand::SeedableRng;

    #[test]
    fn sections_come_from_the_right_ranks() {
        // 40 points on a line at 0, 1, 2, ...: the neighbours of i by rank are
        // i ± 1, i ± 2, ... (ties to the lower index), so the rank of j is known.
        let data = Tensor::new(40, 1, (0..40).map(|i| i as f32).collect());
        let pre = Preprocess::fit(&data, 0).unwrap();
        let cfg = SigahConfig {
            neighbours: NeighbourTerms {
                knn_pairs: 2,
                lambda_rank: 1.0,
                rank_pos: 4,
                rank_neg: 10,
                ..Default::default()
            },
            ..Default::default()
        };
        let s = NeighbourSampler::new(&data, &pre, &cfg);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let idx: Vec<usize> = (10..30).collect();
        let mut rows = Vec::new();
        for _ in 0..20 {
            rows.clear();
            let layout = s.rows(&idx, data.rows, &mut rng, &mut rows);
            assert_eq!(layout, BatchLayout { anchors: 20, pair: true, rank: true });
            assert_eq!(rows.len(), layout.rows());
            for (a, &i) in idx.iter().enumerate() {
                let dist = |j: usize| i.abs_diff(j);
                assert_eq!(rows[a], i);
                assert!((1..=1).contains(&dist(rows[20 + a])), "pair: within the 2 nearest (distance 1)");
                assert!((1..=2).contains(&dist(rows[40 + a])), "positive: within the 4 nearest");
                assert!((3..=5).contains(&dist(rows[60 + a])), "negative: ranks 4..10");
            }
        }
        // Random negatives: any row but the anchor; no pair section without the pair term.
        let cfg = SigahConfig { neighbours: NeighbourTerms { lambda_pair: 0.0, rank_neg: 0, ..cfg.neighbours }, ..cfg };
        let s = NeighbourSampler::new(&data, &pre, &cfg);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            rows.clear();
            let layout = s.rows(&idx, data.rows, &mut rng, &mut rows);
            assert_eq!(layout, BatchLayout { anchors: 20, pair: false, rank: true });
            for (a, &i) in idx.iter().enumerate() {
                assert_ne!(rows[40 + a], i);
                seen.insert(rows[40 + a]);
            }
        }
        assert!(seen.len() > 35, "negatives cover the set: {}", seen.len());
        // Neither term: the batch alone.
        let cfg = SigahConfig {
            neighbours: NeighbourTerms { lambda_pair: 0.0, lambda_rank: 0.0, ..Default::default() },
            ..Default::default()
        };
        let s = NeighbourSampler::new(&data, &pre, &cfg);
        rows.clear();
        assert_eq!(s.rows(&idx, data.rows, &mut rng, &mut rows), BatchLayout::plain(20));
        assert_eq!(rows, idx);
    }

    #[test]
    fn list_targets_mark_the_anchors_neighbours_and_mask_itself() {
        // Points on a line: the 4 nearest of i are i ± 1 and i ± 2 (160 rows, so
        // that one in 32 rows still allows list_k = 4).
        let data = Tensor::new(160, 1, (0..160).map(|i| i as f32).collect());
        let pre = Preprocess::fit(&data, 0).unwrap();
        let cfg = SigahConfig {
            neighbours: NeighbourTerms {
                lambda_list: 1.0,
                list_k: 4,
                lambda_pair: 0.0,
                lambda_rank: 0.0,
                ..Default::default()
            },
            ..Default::default()
        };
        let s = NeighbourSampler::new(&data, &pre, &cfg);
        // Anchors 10, 20, 30; then rows 11, 20 (a copy of anchor 20), 33, 5, 12.
        let rows = [10, 20, 30, 11, 20, 33, 5, 12];
        let l = s.list_targets(&rows, 3, None).unwrap();
        assert_eq!((l.target.shape(), l.mask.shape(), l.weight.shape()), ((3, 8), (3, 8), (3, 1)));
        // Anchor 10: 11 and 12 are among its 4 nearest, weight 1/2 each.
        assert_eq!(l.target.row(0), &[0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.5]);
        // Anchor 20: no neighbour in the batch; both copies of itself are masked.
        assert_eq!(l.target.row(1), &[0.0; 8]);
        assert_eq!(l.mask.row(1), &[0.0, -1e30, 0.0, 0.0, -1e30, 0.0, 0.0, 0.0]);
        // Anchor 30: none either (33 is its 5th or 6th nearest).
        assert_eq!(l.target.row(2), &[0.0; 8]);
        assert_eq!(l.mask.row(0), &[-1e30, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!((l.weight.data.as_slice(), l.active), (&[1.0, 0.0, 0.0][..], 1));
        // No anchor with a neighbour in the batch, or the term off: no targets.
        assert!(s.list_targets(&[20, 30, 0], 2, None).is_none());
        let off = NeighbourSampler::new(
            &data,
            &pre,
            &SigahConfig { neighbours: NeighbourTerms { lambda_list: 0.0, ..cfg.neighbours }, ..cfg },
        );
        assert!(off.list_targets(&rows, 3, None).is_none());
    }

    #[test]
    fn a_small_training_set_caps_the_listwise_neighbours_at_one_in_32_rows() {
        // 64 points on a line: list_k 4 is cut to 2, the anchor's i ± 1.
        let data = Tensor::new(64, 1, (0..64).map(|i| i as f32).collect());
        let pre = Preprocess::fit(&data, 0).unwrap();
        let cfg = SigahConfig {
            neighbours: NeighbourTerms { lambda_list: 1.0, list_k: 4, ..Default::default() },
            ..Default::default()
        };
        let s = NeighbourSampler::new(&data, &pre, &cfg);
        let l = s.list_targets(&[10, 11, 12, 9, 8], 1, None).unwrap();
        assert_eq!(l.target.row(0), &[0.0, 0.5, 0.0, 0.5, 0.0]);
        // 128 rows allow all 4.
        let data = Tensor::new(128, 1, (0..128).map(|i| i as f32).collect());
        let s = NeighbourSampler::new(&data, &Preprocess::fit(&data, 0).unwrap(), &cfg);
        let l = s.list_targets(&[10, 11, 12, 9, 8], 1, None).unwrap();
        assert_eq!(l.target.row(0), &[0.0, 0.25, 0.25, 0.25, 0.25]);
    }

    #[test]
    fn list_targets_equal_a_row_by_row_reference() {
        // Random batches with repeated rows, on clustered points: each target row
        // is 1/hits on the batch rows among the anchor's list_k nearest (not the
        // anchor itself), and the anchor's own copies are masked.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let data = Tensor::new(400, 2, (0..800).map(|i| ((i * 37) % 101) as f32 + (i % 3) as f32 * 0.1).collect());
        let pre = Preprocess::fit(&data, 0).unwrap();
        let cfg = SigahConfig {
            neighbours: NeighbourTerms { lambda_list: 1.0, list_k: 12, ..Default::default() },
            ..Default::default()
        };
        let s = NeighbourSampler::new(&data, &pre, &cfg);
        let (g, k) = s.graph.as_ref().unwrap();
        // Each batch refills the last one's buffers, whose stale entries must go.
        let mut spare = None;
        for _ in 0..20 {
            let rows: Vec<usize> = (0..120).map(|_| rng.random_range(0..60)).collect();
            let l = s.list_targets(&rows, 40, spare.take()).unwrap();
            for (i, &a) in rows[..40].iter().enumerate() {
                let near = &g[a * k..a * k + 12];
                let hit = |r: usize| r != a && near.contains(&(r as u32));
                let hits = rows.iter().filter(|&&r| hit(r)).count();
                for (j, &r) in rows.iter().enumerate() {
                    let t = if hit(r) { 1.0 / hits as f32 } else { 0.0 };
                    assert_eq!(l.target.row(i)[j], t, "anchor {a}, row {r}");
                    assert_eq!(l.mask.row(i)[j], if r == a { -1e30 } else { 0.0 });
                }
                assert_eq!(l.weight.data[i], if hits > 0 { 1.0 } else { 0.0 });
            }
            spare = Some(l);
        }
    }
}
