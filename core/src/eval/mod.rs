//! The evaluation protocol (DESIGN §4): for every method and code width, train on
//! the training sample of the base set (the one SiGAH trains on), encode base and
//! queries, rank the whole base set by Hamming distance for each query and score
//! the ranking under each relevance.
//!
//! A method is a name and a trainer function ([`Method`]); [`baseline_methods`]
//! lists LSH, PCAH and ITQ. The SiGAH model registers itself the same way, so
//! evaluation code knows nothing about any method.

mod plots;
mod report;

pub use plots::write_plots;
pub use report::{markdown_table, write_report, write_report_with};

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use serde::Serialize;

use crate::baselines::{pca, train_itq_from, train_lsh, train_pcah_from, HashFunction, Pca};
use crate::metrics::{evaluate, AtN, Metrics, PrPoint, Relevance};
use crate::{Codes, Error, Result, Tensor};

/// What a trainer gets besides the data.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    pub bits: usize,
    pub seed: u64,
    /// Training epochs for methods that have them (`None`: the method's default).
    pub epochs: Option<usize>,
    /// The SiGAH hyper-parameters to start from instead of the defaults (the
    /// SiGAH methods still take the width, seed and epochs from the fields above).
    pub sigah: Option<crate::model::SigahConfig>,
}

/// The training set, with statistics several methods share computed once and
/// kept (the full PCA serves PCAH and ITQ at every width: on MNIST it is most of
/// their training time).
#[derive(Debug)]
pub struct TrainSet<'a> {
    pub x: &'a Tensor,
    pca: OnceLock<Pca>,
}

impl<'a> TrainSet<'a> {
    /// Wraps the training vectors.
    pub fn new(x: &'a Tensor) -> Self {
        Self { x, pca: OnceLock::new() }
    }

    /// The PCA of the training set with every component, computed on first use.
    pub fn pca(&self) -> Result<&Pca> {
        if let Some(p) = self.pca.get() {
            return Ok(p);
        }
        let p = pca(self.x, self.x.cols)?;
        Ok(self.pca.get_or_init(|| p))
    }
}

/// Trains a hash function on the training set (a sample of the base, see [`run`]).
pub type Trainer = fn(&TrainSet<'_>, &TrainOptions) -> Result<Box<dyn HashFunction>>;

/// A hash method the evaluation can run.
#[derive(Clone, Copy, Debug)]
pub struct Method {
    pub name: &'static str,
    pub train: Trainer,
}

/// ITQ's rotation updates, as in Gong & Lazebnik 2011.
pub const ITQ_ITERATIONS: usize = 50;

fn itq_trainer(t: &TrainSet<'_>, o: &TrainOptions) -> Result<Box<dyn HashFunction>> {
    check_pca_width("ITQ", t, o.bits)?;
    Ok(Box::new(train_itq_from(t.x, t.pca()?, o.bits, o.seed, ITQ_ITERATIONS)?.0))
}
fn pcah_trainer(t: &TrainSet<'_>, o: &TrainOptions) -> Result<Box<dyn HashFunction>> {
    check_pca_width("PCAH", t, o.bits)?;
    Ok(Box::new(train_pcah_from(t.pca()?, o.bits)?))
}
fn lsh_trainer(t: &TrainSet<'_>, o: &TrainOptions) -> Result<Box<dyn HashFunction>> {
    Ok(Box::new(train_lsh(t.x, o.bits, o.seed)?))
}

/// PCA-based methods give one bit per input dimension: refuse wider codes before
/// the (costly) PCA is computed.
fn check_pca_width(method: &str, t: &TrainSet<'_>, bits: usize) -> Result<()> {
    if bits > t.x.cols {
        return Err(Error::Config(format!(
            "{method} takes at most one bit per input dimension: {bits} bits > dimension {}",
            t.x.cols
        )));
    }
    Ok(())
}

/// The baselines: ITQ, PCAH, LSH.
pub fn baseline_methods() -> Vec<Method> {
    vec![
        Method { name: "itq", train: itq_trainer },
        Method { name: "pcah", train: pcah_trainer },
        Method { name: "lsh", train: lsh_trainer },
    ]
}

/// The methods named in `names` (comma-separated list already split), in that
/// order, from `known`; an unknown name is an error listing the known ones.
pub fn select_methods(names: &[String], known: &[Method]) -> Result<Vec<Method>> {
    let mut out: Vec<Method> = Vec::new();
    for name in names {
        let name = name.trim().to_ascii_lowercase();
        let m = known.iter().find(|m| m.name == name).ok_or_else(|| {
            let list: Vec<&str> = known.iter().map(|m| m.name).collect();
            Error::Config(format!("unknown method '{name}' (known: {})", list.join(", ")))
        })?;
        if !out.iter().any(|o| o.name == m.name) {
            out.push(*m);
        }
    }
    if out.is_empty() {
        return Err(Error::Config("no methods to evaluate".into()));
    }
    Ok(out)
}

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
    /// See [`TrainOptions::sigah`].
    pub sigah: Option<crate::model::SigahConfig>,
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
    /// Seconds to train on the training sample.
    pub train_s: f64,
    /// Seconds to encode the base set and the queries.
    pub encode_s: f64,
    /// The method's whole configuration as trained (issue 13: reports must be
    /// traceable): a SiGAH model's own `SigahConfig`, a baseline's width, seed
    /// and iterations.
    pub config: serde_json::Value,
    /// The precision-recall curve by Hamming radius.
    pub pr_curve: Vec<PrPoint>,
    /// precision@N and recall@N over the ranking cut-offs.
    pub at_n: Vec<AtN>,
}

impl ResultRow {
    fn new(method: &str, bits: usize, relevance: &Relevance, m: Metrics, train_s: f64, encode_s: f64) -> Self {
        let at = |n| m.at(n).unwrap_or(AtN { n, precision: 0.0, recall: 0.0 });
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
            train_s,
            encode_s,
            config: serde_json::Value::Null,
            pr_curve: m.pr_curve,
            at_n: m.at_n,
        }
    }
}

/// Runs every method at every width on `base`/`queries`, scoring each trained
/// function under every relevance in `relevances` (trained once, scored many
/// times). `status` receives one line per step, for progress output.
pub fn run(
    base: &Tensor,
    queries: &Tensor,
    relevances: &[Relevance],
    config: &EvalConfig,
    status: &mut dyn FnMut(&str),
) -> Result<Vec<ResultRow>> {
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
    }
    for dir in [&config.save_codes, &config.save_models].into_iter().flatten() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut rows = Vec::new();
    // Every method trains on the sample SiGAH would train on (the same rows for
    // the same seed and train_size), and every method encodes the whole base: the
    // comparison is then between methods, not between training sets.
    let sample_cfg = crate::model::SigahConfig { seed: config.seed, ..config.sigah.clone().unwrap_or_default() };
    let sample = crate::model::training_sample(base, &sample_cfg);
    let train_set = TrainSet::new(sample.as_ref().unwrap_or(base));
    for &bits in &config.bits {
        for method in &config.methods {
            status(&format!("{} {bits} bits: training on {} vectors", method.name, train_set.x.rows));
            let opts = TrainOptions { bits, seed: config.seed, epochs: config.epochs, sigah: config.sigah.clone() };
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
            let any: &dyn std::any::Any = hash.as_ref();
            let sigah_model = any.downcast_ref::<crate::model::SigahModel>();
            if let (Some(dir), Some(model)) = (&config.save_models, sigah_model) {
                model.save(&dir.join(format!("{}_{bits}.safetensors", method.name)))?;
            }
            let method_config = match sigah_model {
                Some(model) => serde_json::to_value(&model.config).unwrap_or_default(),
                None => {
                    let mut c = serde_json::json!({"bits": bits, "seed": config.seed});
                    if method.name == "itq" {
                        c["iterations"] = ITQ_ITERATIONS.into();
                    }
                    c
                }
            };
            if let Some(dir) = &config.save_codes {
                save_codes(&dir.join(format!("{}_{bits}_base.npy", method.name)), &base_codes)?;
                save_codes(&dir.join(format!("{}_{bits}_query.npy", method.name)), &query_codes)?;
            }
            for rel in relevances {
                let m = evaluate(&base_codes, &query_codes, rel)?;
                let mut row = ResultRow::new(method.name, bits, rel, m, train_s, encode_s);
                row.config = method_config.clone();
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// The `.npy` form of codes: uint8 `[n, bits/8]`, byte b holding bits 8b..8b+8
/// (bit j is `(byte[j/8] >> (j%8)) & 1`, DESIGN §3): the rows as stored.
pub fn codes_to_bytes(codes: &Codes) -> Vec<u8> {
    codes.to_bytes()
}

/// Writes codes as `.npy` uint8 `[n, bits/8]`, atomically.
pub fn save_codes(path: &std::path::Path, codes: &Codes) -> Result<()> {
    codes.write_npy(path)
}

#[cfg(test)]
mod tests;
