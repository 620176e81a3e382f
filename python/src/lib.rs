//! `sigah._native`: the Python binding of sigah-core, wrapped by the pure-Python
//! package `sigah` (python/sigah/). Thin on purpose: every call converts numpy
//! input, calls one public function of sigah-core with the GIL released, and
//! converts the answer back, so the binding follows the core as it changes.
//!
//! Errors: sigah-core's messages pass through unchanged (the CLI prints the same
//! text after `sigah: error:`). File problems (`Error::Io`, `Format`, `Data`)
//! raise `OSError`; shapes and values (`ShapeMismatch`, `Config`) raise
//! `ValueError`; a diverged training run raises `RuntimeError`; an index file
//! another process is writing (`Busy`) raises `TimeoutError`; a search past its
//! result limit (`Limit`) raises `MemoryError`. No input reaches a
//! panic: every shape, dtype and value the core would reject is checked here or
//! returned by the core as an error.

use pyo3::exceptions::{PyMemoryError, PyOSError, PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use sigah_core::Error;

mod arrays;
mod eval;
mod index;
mod linear;
mod model;

/// The Python exception for a sigah-core error (see the module doc).
pub(crate) fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        // OSError(errno, msg) becomes FileNotFoundError, PermissionError, ...
        Error::Io { error, .. } => match error.raw_os_error() {
            Some(code) => PyOSError::new_err((code, msg)),
            None => PyOSError::new_err(msg),
        },
        Error::Format { .. } | Error::Data { .. } => PyOSError::new_err(msg),
        Error::ShapeMismatch { .. } | Error::Config(_) | Error::Ids { .. } | Error::Width { .. } => {
            PyValueError::new_err(msg)
        }
        Error::NonFinite { .. } => PyRuntimeError::new_err(msg),
        // TimeoutError is an OSError: a file another process holds.
        Error::Busy { .. } => PyTimeoutError::new_err(msg),
        Error::Limit { .. } => PyMemoryError::new_err(msg),
    }
}

/// Runs `f` in a rayon pool of `threads` workers (`None`: the global pool, one
/// worker per core). sigah-core parallelises with the pool it is called in.
pub(crate) fn in_pool<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    match threads {
        None => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PyRuntimeError::new_err(format!("cannot start {n} worker threads: {e}")))?;
            Ok(pool.install(f))
        }
    }
}

/// Checks a `threads=` argument (the CLI's `--threads`).
pub(crate) fn check_threads(threads: Option<usize>) -> PyResult<Option<usize>> {
    if threads == Some(0) {
        return Err(PyValueError::new_err("threads must be at least 1 (or None for one per core)"));
    }
    Ok(threads)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<model::SiGAH>()?;
    m.add_class::<linear::Itq>()?;
    m.add_class::<linear::Pcah>()?;
    m.add_class::<linear::Lsh>()?;
    m.add_class::<index::HammingIndex>()?;
    m.add_function(wrap_pyfunction!(eval::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(eval::exact_knn, m)?)?;
    m.add_function(wrap_pyfunction!(isa, m)?)?;
    Ok(())
}

/// The instruction set sigah's kernels run on here (`SIGAH_ISA` caps it).
#[pyfunction]
fn isa() -> String {
    sigah_kernels::isa::selected().to_string()
}
