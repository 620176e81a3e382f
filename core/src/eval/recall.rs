//! Recall k@C, the users' measure (docs/eval.md, "Recall 10@C"): the share of each
//! query's true k nearest base vectors that are among its first C Hamming
//! candidates, macro-averaged over queries.
//!
//! A user keeps the first C candidates of the Hamming ranking and re-ranks them by
//! the exact distance. Every true top-k member among the candidates is nearer than
//! every other candidate, so the re-ranked top k holds all of them: recall@k after
//! re-ranking C candidates is the share of the true k among those C. It therefore
//! needs only the ranking (`metrics::hamming_ranking`: ties by the smaller base
//! id, as everywhere in the protocol) and the true top-k, not the vectors.

use rayon::prelude::*;

use super::metrics::{cutoffs, hamming_ranking};
use crate::{Codes, Error, Result};

/// The k of recall k@C.
pub const RECALL_K: usize = 10;

/// The candidate counts C reported as columns and keys (capped at the base size).
pub const CANDIDATES: [usize; 3] = [10, 100, 1000];

/// The candidate counts of a recall k@C curve over `n_base` codes: the ranking
/// cut-offs of recall@N (`metrics::cutoffs`) and [`CANDIDATES`].
pub fn curve_candidates(n_base: usize) -> Vec<usize> {
    let mut c = cutoffs(n_base);
    c.extend(CANDIDATES);
    c.sort_unstable();
    c.dedup();
    c
}

/// Recall k@C at one candidate count C.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RecallAtC {
    pub c: usize,
    pub recall: f64,
}

/// Recall k@C of `queries` ranked against `base`, for every C in `candidates`
/// (each capped at the base size; the output keeps the order given). `truth[q]`
/// lists query q's true nearest base ids, nearest first; its first `k` are the
/// true top k (fewer when the row is shorter, e.g. a base of fewer than k).
pub fn recall_at_candidates(
    base: &Codes,
    queries: &Codes,
    truth: &[Vec<u32>],
    k: usize,
    candidates: &[usize],
) -> Result<Vec<RecallAtC>> {
    if base.bits() != queries.bits() {
        return Err(Error::ShapeMismatch {
            op: "recall_at_candidates",
            expected: format!("query codes of {} bits (as the base)", base.bits()),
            got: format!("{} bits", queries.bits()),
        });
    }
    check_truth(truth, k, base.len(), queries.len())?;
    let n = base.len();
    let caps: Vec<usize> = candidates.iter().map(|&c| c.min(n)).collect();
    let per_query: Vec<Vec<usize>> = (0..queries.len())
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), vec![false; n]),
            |(dist, order, marks), q| {
                hamming_ranking(queries.code_bytes(q), base, dist, order);
                let top = &truth[q][..truth[q].len().min(k)];
                top.iter().for_each(|&id| marks[id as usize] = true);
                let hits = caps.iter().map(|&c| order[..c].iter().filter(|&&id| marks[id as usize]).count()).collect();
                top.iter().for_each(|&id| marks[id as usize] = false);
                hits
            },
        )
        .collect();
    let nq = queries.len() as f64;
    Ok(candidates
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let sum: f64 = per_query.iter().zip(truth).map(|(h, t)| h[i] as f64 / t.len().min(k) as f64).sum();
            RecallAtC { c, recall: sum / nq }
        })
        .collect())
}

/// The truth fits `n_base` base items and `n_queries` queries: one non-empty row per
/// query whose first `k` ids are base indices.
pub fn check_truth(truth: &[Vec<u32>], k: usize, n_base: usize, n_queries: usize) -> Result<()> {
    if n_base == 0 || n_queries == 0 || k == 0 {
        return Err(Error::Config("recall k@C needs a base code, a query and k of at least 1".into()));
    }
    if truth.len() != n_queries {
        return Err(Error::ShapeMismatch {
            op: "recall_at_candidates",
            expected: format!("{n_queries} true-neighbour rows (one per query)"),
            got: truth.len().to_string(),
        });
    }
    for (q, row) in truth.iter().enumerate() {
        if row.is_empty() {
            return Err(Error::Config(format!("the true neighbours of query {q} are an empty list")));
        }
        if let Some(&id) = row.iter().take(k).find(|&&id| id as usize >= n_base) {
            return Err(Error::Config(format!(
                "the true neighbours of query {q} name base id {id}, but the base set has {n_base} items"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "recall_tests.rs"]
mod tests;
