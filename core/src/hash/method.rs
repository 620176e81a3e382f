//! The interface of a hash method as the evaluation runs it: a name and a trainer
//! that turns the training set into a [`HashFunction`]. The baselines register
//! here ([`baseline_methods`]); SiGAH registers the same way from
//! `train/method.rs`, so the evaluation knows nothing about any method.

use std::sync::{Arc, OnceLock};

use super::{pca, train_itq_from, train_lsh, train_pcah_from, HashFunction, Pca};
use crate::{Error, Result, Tensor};

/// What a method's trainer gets besides the data.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodOptions {
    pub bits: usize,
    pub seed: u64,
    /// Training epochs for methods that have them (`None`: the method's default).
    pub epochs: Option<usize>,
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

/// Trains a hash function on the training set (a sample of the base, see
/// `eval::run`).
pub type TrainFn = dyn Fn(&TrainSet<'_>, &MethodOptions) -> Result<Box<dyn HashFunction>> + Send + Sync;

/// Refuses options the method cannot train with on data of this dimension,
/// without the data: `eval` checks every (method, width) pair before it trains any.
pub type CheckFn = dyn Fn(usize, &MethodOptions) -> Result<()> + Send + Sync;

/// A hash method the evaluation can run: a name, its trainer, and the check of
/// its options.
#[derive(Clone)]
pub struct Method {
    pub name: &'static str,
    pub train: Arc<TrainFn>,
    pub check: Arc<CheckFn>,
}

impl Method {
    /// A method from its name and trainer, accepting every width `codes::check_bits` does.
    pub fn new(
        name: &'static str,
        train: impl Fn(&TrainSet<'_>, &MethodOptions) -> Result<Box<dyn HashFunction>> + Send + Sync + 'static,
    ) -> Self {
        Self { name, train: Arc::new(train), check: Arc::new(|_, _| Ok(())) }
    }

    /// The same method with `check` run on (dimension, options) before any training.
    pub fn with_check(mut self, check: impl Fn(usize, &MethodOptions) -> Result<()> + Send + Sync + 'static) -> Self {
        self.check = Arc::new(check);
        self
    }
}

impl std::fmt::Debug for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Method").field("name", &self.name).finish_non_exhaustive()
    }
}

/// ITQ's rotation updates, as in Gong & Lazebnik 2011.
pub const ITQ_ITERATIONS: usize = 50;

fn itq_trainer(t: &TrainSet<'_>, o: &MethodOptions) -> Result<Box<dyn HashFunction>> {
    check_pca_width("ITQ", t.x.cols, o)?;
    Ok(Box::new(train_itq_from(t.x, t.pca()?, o.bits, o.seed, ITQ_ITERATIONS)?.0))
}
fn pcah_trainer(t: &TrainSet<'_>, o: &MethodOptions) -> Result<Box<dyn HashFunction>> {
    check_pca_width("PCAH", t.x.cols, o)?;
    Ok(Box::new(train_pcah_from(t.pca()?, o.bits)?))
}
fn lsh_trainer(t: &TrainSet<'_>, o: &MethodOptions) -> Result<Box<dyn HashFunction>> {
    Ok(Box::new(train_lsh(t.x, o.bits, o.seed)?))
}

/// PCA-based methods give one bit per input dimension: refuse wider codes before
/// the (costly) PCA is computed.
fn check_pca_width(method: &str, dim: usize, o: &MethodOptions) -> Result<()> {
    if o.bits > dim {
        return Err(Error::Config(format!(
            "{method} takes at most one bit per input dimension: {} bits > dimension {dim}",
            o.bits
        )));
    }
    Ok(())
}

/// The baselines: ITQ, PCAH, LSH.
pub fn baseline_methods() -> Vec<Method> {
    vec![
        Method::new("itq", itq_trainer).with_check(|dim, o| check_pca_width("ITQ", dim, o)),
        Method::new("pcah", pcah_trainer).with_check(|dim, o| check_pca_width("PCAH", dim, o)),
        Method::new("lsh", lsh_trainer),
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
            out.push(m.clone());
        }
    }
    if out.is_empty() {
        return Err(Error::Config("no methods to evaluate".into()));
    }
    Ok(out)
}
