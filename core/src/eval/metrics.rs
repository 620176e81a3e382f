//! Retrieval metrics over the Hamming ranking of the whole base set (docs/eval.md, "Protocol").
//!
//! For each query, every base code's Hamming distance comes from
//! [`sigah_kernels::hamming::bytes::hamming_bytes_one_to_many`] (which runs the
//! word kernel for rows of whole words); the ranking is a counting sort
//! over the distance (integers `0..=bits`), filled in base-index order, so ties
//! are broken by the smaller base index and a query costs O(n + bits), not
//! O(n log n). Queries run in parallel (rayon); per-query results are combined in
//! query order, so the numbers do not depend on the thread count.
//!
//! Definitions (macro-averaged over queries unless stated):
//! - AP = (1/R) Σ_{k : item k relevant} precision@k over the full ranking, R the
//!   query's number of relevant base items (AP = 0 when R = 0); mAP its mean.
//! - precision@N = relevant among the first N / N, recall@N = that / R (N is capped
//!   at the base size).
//! - precision within Hamming radius 2: relevant / retrieved among items at
//!   distance ≤ 2; an empty lookup counts as 0.
//! - The precision-recall curve is by Hamming radius r = 0..=bits and
//!   micro-averaged as in Gong & Lazebnik's ITQ evaluation: precision(r) = Σ_q
//!   relevant within r / Σ_q retrieved within r (no point when nothing is
//!   retrieved at r), recall(r) = Σ_q relevant within r / Σ_q R.

use rayon::prelude::*;
use sigah_kernels::hamming::bytes::hamming_bytes_one_to_many;

use crate::{Codes, Error, Result};

/// Which base items are relevant to each query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Relevance {
    /// Same label: base item i is relevant to query q iff `base[i] == queries[q]`.
    Labels { base: Vec<i32>, queries: Vec<i32> },
    /// Per query, the ids of its relevant base items (its K Euclidean nearest
    /// neighbours, from `gt.ivecs` or computed exactly).
    Neighbours { ids: Vec<Vec<u32>> },
}

impl Relevance {
    /// The report's name for it: `"label"`, or `"l2top{K}"` with K the neighbours
    /// per query.
    pub fn name(&self) -> String {
        match self {
            Relevance::Labels { .. } => "label".into(),
            Relevance::Neighbours { ids } => format!("l2top{}", ids.first().map_or(0, Vec::len)),
        }
    }

    /// Checks it against `n_base` base items and `n_queries` queries.
    pub fn check(&self, n_base: usize, n_queries: usize) -> Result<()> {
        let mismatch = |what: &str, expected: usize, got: usize| Error::ShapeMismatch {
            op: "relevance",
            expected: format!("{expected} {what}"),
            got: got.to_string(),
        };
        match self {
            Relevance::Labels { base, queries } => {
                if base.len() != n_base {
                    return Err(mismatch("base labels (one per base vector)", n_base, base.len()));
                }
                if queries.len() != n_queries {
                    return Err(mismatch("query labels (one per query)", n_queries, queries.len()));
                }
            }
            Relevance::Neighbours { ids } => {
                if ids.len() != n_queries {
                    return Err(mismatch("ground-truth rows (one per query)", n_queries, ids.len()));
                }
                if let Some((q, &id)) = ids
                    .iter()
                    .enumerate()
                    .find_map(|(q, r)| r.iter().find(|&&id| id as usize >= n_base).map(|id| (q, id)))
                {
                    return Err(Error::Config(format!(
                        "ground truth of query {q} names base id {id}, but the base set has {n_base} vectors"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Precision and recall after the first `n` items of the ranking.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct AtN {
    pub n: usize,
    pub precision: f64,
    pub recall: f64,
}

/// One point of the precision-recall curve: all items within Hamming `radius`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PrPoint {
    pub radius: u32,
    pub precision: f64,
    pub recall: f64,
}

/// The metrics of one set of codes against one relevance.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    pub queries: usize,
    pub map: f64,
    /// precision@N and recall@N at the cut-offs of [`cutoffs`] (includes 100 and 1000).
    pub at_n: Vec<AtN>,
    /// Precision within Hamming radius 2 (empty lookups count 0).
    pub p_r2: f64,
    /// The precision-recall curve by Hamming radius.
    pub pr_curve: Vec<PrPoint>,
}

impl Metrics {
    /// precision@N and recall@N at `n` (one of the computed cut-offs).
    pub fn at(&self, n: usize) -> Option<AtN> {
        self.at_n.iter().copied().find(|a| a.n == n)
    }
}

/// The ranking cut-offs of the recall@N curve: 1, 2, 5, 10, 20, 50, ... below
/// `n_base`, then `n_base`; 100 and 1000 always (capped at `n_base` when computed).
pub fn cutoffs(n_base: usize) -> Vec<usize> {
    let mut out = vec![100, 1000];
    let mut decade = 1usize;
    while decade < n_base {
        for m in [1, 2, 5] {
            let c = decade * m;
            if c < n_base {
                out.push(c);
            }
        }
        decade = decade.saturating_mul(10);
    }
    out.push(n_base.max(1));
    out.sort_unstable();
    out.dedup();
    out
}

/// Everything one query contributes.
struct QueryStats {
    ap: f64,
    /// relevant among the first `cutoffs[i]` ranked items.
    hits_at: Vec<usize>,
    n_relevant: usize,
    /// Per distance d, how many base items are at d, and how many of those are relevant.
    at_dist: Vec<usize>,
    rel_at_dist: Vec<usize>,
}

/// Per-thread buffers, reused across queries.
struct Scratch {
    dist: Vec<u16>,
    order: Vec<u32>,
    marks: Vec<bool>,
}

/// The Hamming ranking of the whole base set for one query: base ids sorted by
/// (distance, id), by counting sort. `dist` receives the distances.
pub fn hamming_ranking(query: &[u8], base: &Codes, dist: &mut Vec<u16>, order: &mut Vec<u32>) {
    dist.resize(base.len(), 0);
    hamming_bytes_one_to_many(query, base.as_bytes(), dist);
    counting_sort(dist, base.bits(), order);
}

/// Base ids in order of (distance, id); distances are `0..=bits`.
fn counting_sort(dist: &[u16], bits: usize, order: &mut Vec<u32>) {
    let mut start = vec![0usize; bits + 2];
    for &d in dist {
        start[d as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    order.resize(dist.len(), 0);
    // Ids visited in increasing order land in increasing order within a bucket:
    // the sort is stable, which is the tie rule.
    for (id, &d) in dist.iter().enumerate() {
        order[start[d as usize]] = id as u32;
        start[d as usize] += 1;
    }
}

fn query_stats(
    q: usize,
    queries: &Codes,
    base: &Codes,
    relevance: &Relevance,
    cuts: &[usize],
    s: &mut Scratch,
) -> QueryStats {
    hamming_ranking(queries.code_bytes(q), base, &mut s.dist, &mut s.order);
    let n = base.len();
    // Mark the relevant items once, so the walk below is a table look-up.
    s.marks.clear();
    s.marks.resize(n, false);
    match relevance {
        Relevance::Labels { base: bl, queries: ql } => {
            for (m, &l) in s.marks.iter_mut().zip(bl) {
                *m = l == ql[q];
            }
        }
        Relevance::Neighbours { ids } => {
            for &id in &ids[q] {
                s.marks[id as usize] = true;
            }
        }
    }
    let n_relevant = s.marks.iter().filter(|&&m| m).count();
    let mut at_dist = vec![0usize; base.bits() + 1];
    let mut rel_at_dist = vec![0usize; base.bits() + 1];
    for (id, &d) in s.dist.iter().enumerate() {
        at_dist[d as usize] += 1;
        rel_at_dist[d as usize] += usize::from(s.marks[id]);
    }
    let mut hits = 0usize;
    let mut ap_sum = 0.0f64;
    let mut hits_at = vec![0usize; cuts.len()];
    let mut next_cut = 0;
    for (rank, &id) in s.order.iter().enumerate() {
        if s.marks[id as usize] {
            hits += 1;
            ap_sum += hits as f64 / (rank + 1) as f64;
        }
        while next_cut < cuts.len() && cuts[next_cut].min(n) == rank + 1 {
            hits_at[next_cut] = hits;
            next_cut += 1;
        }
    }
    let ap = if n_relevant == 0 { 0.0 } else { ap_sum / n_relevant as f64 };
    QueryStats { ap, hits_at, n_relevant, at_dist, rel_at_dist }
}

/// Scores `queries` against `base` under `relevance`.
pub fn evaluate(base: &Codes, queries: &Codes, relevance: &Relevance) -> Result<Metrics> {
    if base.bits() != queries.bits() {
        return Err(Error::ShapeMismatch {
            op: "metrics::evaluate",
            expected: format!("query codes of {} bits (as the base)", base.bits()),
            got: format!("{} bits", queries.bits()),
        });
    }
    if base.is_empty() || queries.is_empty() {
        return Err(Error::Config("evaluation needs at least one base code and one query".into()));
    }
    relevance.check(base.len(), queries.len())?;
    let n = base.len();
    let cuts = cutoffs(n);
    let stats: Vec<QueryStats> = (0..queries.len())
        .into_par_iter()
        .map_init(
            || Scratch { dist: Vec::new(), order: Vec::new(), marks: Vec::new() },
            |s, q| query_stats(q, queries, base, relevance, &cuts, s),
        )
        .collect();

    let nq = stats.len() as f64;
    let map = stats.iter().map(|s| s.ap).sum::<f64>() / nq;
    let at_n = cuts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let denom = c.min(n) as f64;
            let precision = stats.iter().map(|s| s.hits_at[i] as f64 / denom).sum::<f64>() / nq;
            let recall = stats
                .iter()
                .map(|s| if s.n_relevant == 0 { 0.0 } else { s.hits_at[i] as f64 / s.n_relevant as f64 })
                .sum::<f64>()
                / nq;
            AtN { n: c, precision, recall }
        })
        .collect();
    let p_r2 = stats
        .iter()
        .map(|s| {
            let within = s.at_dist.iter().take(3).sum::<usize>();
            let rel = s.rel_at_dist.iter().take(3).sum::<usize>();
            if within == 0 {
                0.0
            } else {
                rel as f64 / within as f64
            }
        })
        .sum::<f64>()
        / nq;
    let total_relevant: usize = stats.iter().map(|s| s.n_relevant).sum();
    let mut pr_curve = Vec::new();
    let (mut retrieved, mut relevant) = (0usize, 0usize);
    for r in 0..=base.bits() {
        retrieved += stats.iter().map(|s| s.at_dist[r]).sum::<usize>();
        relevant += stats.iter().map(|s| s.rel_at_dist[r]).sum::<usize>();
        if retrieved > 0 {
            pr_curve.push(PrPoint {
                radius: r as u32,
                precision: relevant as f64 / retrieved as f64,
                recall: if total_relevant == 0 { 0.0 } else { relevant as f64 / total_relevant as f64 },
            });
        }
    }
    Ok(Metrics { queries: queries.len(), map, at_n, p_r2, pr_curve })
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
