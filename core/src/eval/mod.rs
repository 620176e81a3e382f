//! The evaluation protocol (docs/eval.md, "Protocol"): for every method and code width, train on
//! the training sample of the base set (the one SiGAH trains on), encode base and
//! queries, rank the whole base set by Hamming distance for each query and score
//! the ranking under each relevance, and by recall 10@C against the true top 10.
//!
//! A method is a name and a trainer ([`Method`], in `hash/method.rs`);
//! `baseline_methods` lists LSH, PCAH and ITQ. The SiGAH model registers itself
//! the same way (`train/method.rs`), so evaluation code knows nothing about any
//! method.

pub mod dataset;
pub mod metrics;
mod plots;
pub mod recall;
mod report;

pub use plots::write_plots;
pub use report::{markdown_table, write_report, write_report_with};

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::hash::{Method, MethodOptions, TrainSet, ITQ_ITERATIONS};
use crate::{Codes, Error, Result, Tensor};
use metrics::{evaluate, AtN, Metrics, PrPoint, Relevance};
use recall::{recall_at_candidates, RecallAtC, CANDIDATES, RECALL_K};

/// One evaluation run.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    pub methods: Vec<Method>,
    pub bits: Vec<usize>,
    pub seed: u64,
    pub epochs: Option<usize>,
    /// Where to write `<method>_<bits>_base.npy` and `_query.npy`.
    pub save_codes: Option<PathBuf>,
    /// Where to write each trained SiGAH model as `<method>_<bits>.safetensors`
    /// (the baselines have no model file).
    pub save_models: Option<PathBuf>,
    /// Every method trains on a uniform sample of at most this many base vectors
    /// (0: all of them), drawn from `seed`: the sample `sigah train` draws.
    pub train_size: usize,
}

/// One line of the results: a method at a width under a relevance.
#[derive(Clone, Debug, Serialize)]
pub struct ResultRow {
    pub method: String,
    pub bits: usize,
    /// `"label"` or `"l2top{K}"`.
    pub relevance: String,
    pub map: f64,
    pub p_at_100: f64,
    pub r_at_100: f64,
    pub p_at_1000: f64,
    pub r_at_1000: f64,
    /// Precision within Hamming radius 2 (empty lookups count 0).
    pub p_r2: f64,
    /// Recall 10@C for C = 10, 100, 1000 (capped at the base size): the share of
    /// each query's true 10 nearest among its first C Hamming candidates, which is
    /// recall@10 after re-ranking those C by the exact distance (`recall.rs`). The
    /// same for every relevance of a method and width.
    pub recall_10_at_10: f64,
    pub recall_10_at_100: f64,
    pub recall_10_at_1000: f64,
    /// Seconds to train on the training sample.
    pub train_s: f64,
    /// Seconds to encode the base set and the queries.
    pub encode_s: f64,
    /// The lowest and highest share of 1s of a bit over the base codes: a
    /// collapsed bit (the same for nearly every vector) shows as a value near 0
    /// or 1 (docs/RESULTS.md asks every SiGAH bit to stay in [0.1, 0.9]).
    pub bit_mean_min: f64,
    pub bit_mean_max: f64,
    /// The method's whole configuration as trained, so that a report can be
    /// traced to what produced it: a SiGAH model's own `SigahConfig`, a baseline's width, seed
    /// and iterations.
    pub config: serde_json::Value,
    /// The precision-recall curve by Hamming radius.
    pub pr_curve: Vec<PrPoint>,
    /// precision@N and recall@N over the ranking cut-offs.
    pub at_n: Vec<AtN>,
    /// Recall 10@C over the ranking cut-offs and C = 10, 100, 1000.
    pub recall_10_curve: Vec<RecallAtC>,
}

impl ResultRow {
    /// `bit_means`: the base codes' [`bit_mean_range`]; `config`: the method's
    /// configuration as the report stores it.
    fn new(
        method: &str,
        bits: usize,
        relevance: &Relevance,
        (m, recall): (Metrics, &[RecallAtC]),
        (train_s, encode_s): (f64, f64),
        (bit_mean_min, bit_mean_max): (f64, f64),
        config: serde_json::Value,
    ) -> Self {
        let at = |n| m.at(n).unwrap_or(AtN { n, precision: 0.0, recall: 0.0 });
        let r10 = |c| recall.iter().find(|r| r.c == c).map_or(0.0, |r| r.recall);
        ResultRow {
            method: method.to_string(),
            bits,
            relevance: relevance.name(),
            map: m.map,
            p_at_100: at(100).precision,
            r_at_100: at(100).recall,
            p_at_1000: at(1000).precision,
            r_at_1000: at(1000).recall,
            p_r2: m.p_r2,
            recall_10_at_10: r10(CANDIDATES[0]),
            recall_10_at_100: r10(CANDIDATES[1]),
            recall_10_at_1000: r10(CANDIDATES[2]),
            train_s,
            encode_s,
            bit_mean_min,
            bit_mean_max,
            config,
            pr_curve: m.pr_curve,
            at_n: m.at_n,
            recall_10_curve: recall.to_vec(),
        }
    }
}

/// Everything `run` can refuse, checked before any training.
fn check_run(base: &Tensor, queries: &Tensor, relevances: &[Relevance], config: &EvalConfig) -> Result<()> {
    if base.cols != queries.cols {
        return Err(Error::ShapeMismatch {
            op: "eval",
            expected: format!("queries of dimension {}", base.cols),
            got: queries.cols.to_string(),
        });
    }
    for r in relevances {
        r.check(base.rows, queries.rows)?;
    }
    for &bits in &config.bits {
        crate::codes::check_bits(bits)?;
        // Every pair before any training: a refused pair must not come after an
        // hour of work on the ones before it.
        for method in &config.methods {
            let opts = MethodOptions { bits, seed: config.seed, epochs: config.epochs };
            (method.check)(base.cols, &opts)
                .map_err(|e| Error::Config(format!("{} at {bits} bits: {e}", method.name)))?;
        }
    }
    Ok(())
}

/// Runs every method at every width on `base`/`queries`, scoring each trained
/// function under every relevance in `relevances` (trained once, scored many
/// times). `truth`: each query's true nearest base vectors, nearest first (an
/// ann-benchmarks file's `neighbors`), whose first 10 score recall 10@C; `None`
/// computes the exact top 10 here. `status` receives one line per step, for
/// progress output.
pub fn run(
    base: &Tensor,
    queries: &Tensor,
    relevances: &[Relevance],
    truth: Option<&[Vec<u32>]>,
    config: &EvalConfig,
    status: &mut dyn FnMut(&str),
) -> Result<Vec<ResultRow>> {
    check_run(base, queries, relevances, config)?;
    for dir in [&config.save_codes, &config.save_models].into_iter().flatten() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let truth = true_top(base, queries, truth)?;
    let candidates = recall::curve_candidates(base.rows);
    let mut rows = Vec::new();
    // Every method trains on the sample SiGAH would train on (the same rows for
    // the same seed and train_size), and every method encodes the whole base: the
    // comparison is then between methods, not between training sets.
    let sample = base.uniform_row_sample(config.train_size, config.seed);
    let train_set = TrainSet::new(sample.as_ref().unwrap_or(base));
    for &bits in &config.bits {
        for method in &config.methods {
            status(&format!("{} {bits} bits: training on {} vectors", method.name, train_set.x.rows));
            let opts = MethodOptions { bits, seed: config.seed, epochs: config.epochs };
            let t = Instant::now();
            let hash = (method.train)(&train_set, &opts)?;
            let train_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let base_codes = hash.encode(base)?;
            let query_codes = hash.encode(queries)?;
            let encode_s = t.elapsed().as_secs_f64();
            if base_codes.bits() != bits {
                return Err(Error::Config(format!(
                    "method {} produced {}-bit codes, {bits} were asked for",
                    method.name,
                    base_codes.bits()
                )));
            }
            if let Some(dir) = &config.save_models {
                hash.save(&dir.join(format!("{}_{bits}.safetensors", method.name))).transpose()?;
            }
            let method_config = match hash.config() {
                Some(config) => config,
                None => {
                    let mut c = serde_json::json!({"bits": bits, "seed": config.seed});
                    if method.name == "itq" {
                        c["iterations"] = ITQ_ITERATIONS.into();
                    }
                    c
                }
            };
            if let Some(dir) = &config.save_codes {
                base_codes.write_npy(&dir.join(format!("{}_{bits}_base.npy", method.name)))?;
                query_codes.write_npy(&dir.join(format!("{}_{bits}_query.npy", method.name)))?;
            }
            let bit_means = bit_mean_range(&base_codes);
            let recall = recall_at_candidates(&base_codes, &query_codes, &truth, RECALL_K, &candidates)?;
            for rel in relevances {
                let scores = (evaluate(&base_codes, &query_codes, rel)?, recall.as_slice());
                let times = (train_s, encode_s);
                rows.push(ResultRow::new(method.name, bits, rel, scores, times, bit_means, method_config.clone()));
            }
        }
    }
    Ok(rows)
}

/// The true top [`RECALL_K`] of each query: `given`'s rows, checked before any
/// training, or the exact top 10 computed here.
fn true_top(base: &Tensor, queries: &Tensor, given: Option<&[Vec<u32>]>) -> Result<Vec<Vec<u32>>> {
    match given {
        Some(t) => {
            recall::check_truth(t, RECALL_K, base.rows, queries.rows)?;
            Ok(t.iter().map(|row| row[..row.len().min(RECALL_K)].to_vec()).collect())
        }
        None => crate::knn::exact_knn(base, queries, RECALL_K),
    }
}

/// The lowest and highest share of 1s among the bits of `codes` (bit j of a
/// code is bit j % 8 of its byte j / 8); (0, 0) for no codes.
pub fn bit_mean_range(codes: &Codes) -> (f64, f64) {
    if codes.is_empty() {
        return (0.0, 0.0);
    }
    let mut ones = vec![0u64; codes.bits()];
    for i in 0..codes.len() {
        for (byte_at, &byte) in codes.code_bytes(i).iter().enumerate() {
            for (k, count) in ones[byte_at * 8..].iter_mut().take(8).enumerate() {
                *count += u64::from((byte >> k) & 1);
            }
        }
    }
    let n = codes.len() as f64;
    ones.iter().fold((1.0f64, 0.0f64), |(lo, hi), &c| (lo.min(c as f64 / n), hi.max(c as f64 / n)))
}

#[cfg(test)]
mod tests;
