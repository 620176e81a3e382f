//! `sigah.SiGAH`: train, encode, save and load SiGAH models (the same
//! `.safetensors` files `sigah train` writes and `sigah encode` reads).

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sigah_core::model::{ConfigLayers, EpochStats, LossTerms, Preset, SigahConfig, SigahModel};
use sigah_core::train::{CheckpointOptions, TrainObserver};
use sigah_core::Error;

use crate::{arrays, check_threads, in_pool, to_py};

/// The config as `sigah train` builds it ([`ConfigLayers`]): the defaults or
/// `config_file`, then `preset`, then the keyword arguments (config keys), then
/// `bits` and `seed` (the CLI's flags), then validation.
fn build_config(
    py: Python<'_>,
    config_file: Option<PathBuf>,
    preset: Option<&str>,
    bits: Option<usize>,
    seed: Option<u64>,
    extra: Option<&Bound<'_, PyDict>>,
) -> PyResult<SigahConfig> {
    let mut keys = None;
    if let Some(extra) = extra.filter(|d| !d.is_empty()) {
        // Keyword arguments are the config file's keys (flat, or a section as a
        // dict): unknown keys and wrong types get the message a file would.
        let json = py.import("json")?.call_method1("dumps", (extra,))?.extract::<String>()?;
        keys = Some(serde_json::from_str(&json).map_err(|e| PyValueError::new_err(format!("config: {e}")))?);
    }
    let preset = preset.map(Preset::from_name).transpose().map_err(to_py)?.unwrap_or_default();
    let layers = ConfigLayers { file: config_file.as_deref(), preset, keys, bits, seed, ..ConfigLayers::default() };
    layers.build(SigahConfig::default()).map_err(to_py)
}

/// Calls the Python progress callback once per epoch (with the GIL taken back for
/// the call); an exception in it, or Ctrl-C, stops training and is re-raised.
struct Progress {
    callback: Option<Py<PyAny>>,
    epochs: usize,
    raised: Option<PyErr>,
}

impl TrainObserver for Progress {
    fn start(&mut self, _first_epoch: usize, epochs: usize, _batches: usize) {
        self.epochs = epochs;
    }

    fn epoch_done(&mut self, stats: &EpochStats, terms: &LossTerms) -> sigah_core::Result<()> {
        let result = Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            if let Some(cb) = &self.callback {
                let mut v = serde_json::to_value(stats).expect("epoch statistics are JSON");
                v["epochs"] = self.epochs.into();
                v["terms"] = serde_json::to_value(terms).expect("loss terms are JSON");
                let d = py.import("json")?.call_method1("loads", (v.to_string(),))?;
                cb.call1(py, (d,))?;
            }
            Ok(())
        });
        result.map_err(|e| {
            self.raised = Some(e);
            Error::Config("training stopped by the progress callback".into())
        })
    }
}

/// A SiGAH hash function (see python/sigah/_native.pyi for the documentation).
#[pyclass(module = "sigah", name = "SiGAH")]
pub struct SiGAH {
    config: SigahConfig,
    threads: Option<usize>,
    model: Option<SigahModel>,
}

impl SiGAH {
    fn fitted(&self) -> PyResult<&SigahModel> {
        self.model.as_ref().ok_or_else(|| {
            PyValueError::new_err("this SiGAH model is not trained: call fit(X) or SiGAH.load(path) first")
        })
    }
}

#[pymethods]
impl SiGAH {
    #[new]
    #[pyo3(signature = (bits=None, seed=None, threads=None, config_file=None, preset=None, **config))]
    fn new(
        py: Python<'_>,
        bits: Option<usize>,
        seed: Option<u64>,
        threads: Option<usize>,
        config_file: Option<PathBuf>,
        preset: Option<&str>,
        config: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let threads = check_threads(threads)?;
        let config = build_config(py, config_file, preset, bits, seed, config)?;
        Ok(Self { config, threads, model: None })
    }

    /// Trains on `x` (float32 or uint8 `[n, d]`); returns self.
    #[pyo3(signature = (x, progress=None))]
    fn fit<'py>(
        mut slf: PyRefMut<'py, Self>,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let data = arrays::vectors("X", x)?;
        if data.rows == 0 {
            return Err(PyValueError::new_err("X: no vectors to train on"));
        }
        let mut obs = Progress { callback: progress, epochs: slf.config.training.epochs, raised: None };
        let (cfg, threads) = (slf.config.clone(), slf.threads);
        let result =
            py.detach(|| in_pool(threads, || SigahModel::train(&data, &cfg, &CheckpointOptions::default(), &mut obs)))?;
        if let Some(e) = obs.raised {
            return Err(e);
        }
        slf.model = Some(result.map_err(to_py)?);
        Ok(slf)
    }

    /// Packed codes of `x`: uint8 `[n, bits/8]`.
    fn encode<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, numpy::PyArray2<u8>>> {
        let model = self.fitted()?;
        let data = arrays::vectors("X", x)?;
        if data.cols != model.dim() {
            return Err(PyValueError::new_err(format!(
                "X: vectors have dimension {}, but the model expects dimension {}",
                data.cols,
                model.dim()
            )));
        }
        let codes = py.detach(|| in_pool(self.threads, || model.encode(&data)))?.map_err(to_py)?;
        arrays::codes_out(py, &codes)
    }

    /// Writes the model file (atomically), as `sigah train --out` does.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let model = self.fitted()?;
        py.detach(|| model.save(&path)).map_err(to_py)
    }

    /// Reads a model file written by `sigah train` or `save`.
    #[staticmethod]
    #[pyo3(signature = (path, threads=None))]
    fn load(py: Python<'_>, path: PathBuf, threads: Option<usize>) -> PyResult<Self> {
        let threads = check_threads(threads)?;
        let model = py.detach(|| SigahModel::load(&path)).map_err(to_py)?;
        Ok(Self { config: model.config.clone(), threads, model: Some(model) })
    }

    /// The bytes `save` writes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        let bytes = self.fitted()?.to_bytes().map_err(to_py)?;
        Ok(pyo3::types::PyBytes::new(py, &bytes))
    }

    #[getter]
    fn bits(&self) -> usize {
        self.config.architecture.bits
    }
    /// Input dimension (None before fit).
    #[getter]
    fn dim(&self) -> Option<usize> {
        self.model.as_ref().map(SigahModel::dim)
    }
    #[getter]
    fn is_fitted(&self) -> bool {
        self.model.is_some()
    }
    /// The full config (every key `--config` takes) as a dict.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?.call_method1("loads", (self.config.to_json(),))
    }
    /// What training reported (epochs, last epoch's statistics), None before fit.
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(m) = &self.model else { return Ok(None) };
        let json = serde_json::to_string(&m.summary).expect("the summary is JSON");
        Ok(Some(py.import("json")?.call_method1("loads", (json,))?))
    }

    fn __repr__(&self) -> String {
        match &self.model {
            Some(m) => format!(
                "SiGAH(bits={}, seed={}, dim={}, trained)",
                self.config.architecture.bits,
                self.config.training.seed,
                m.dim()
            ),
            None => {
                format!("SiGAH(bits={}, seed={}, untrained)", self.config.architecture.bits, self.config.training.seed)
            }
        }
    }
}
