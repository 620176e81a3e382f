//! `sigah.ITQ`, `sigah.PCAH`, `sigah.LSH`: the baselines, as `sigah eval` trains
//! them (ITQ with 50 rotation updates; the seed of ITQ's first rotation and of
//! LSH's projections defaults to 0, `sigah eval --seed`'s default).

use numpy::PyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sigah_core::hash::{train_itq, train_lsh, train_pcah, HashFunction, LinearHash, ITQ_ITERATIONS};
use sigah_core::Tensor;

use crate::{arrays, to_py};

/// `(mean [d], projection [d, bits])`.
type Params<'py> = (Bound<'py, numpy::PyArray1<f32>>, Bound<'py, PyArray2<f32>>);

/// What the three classes share: the width and, once fitted, the hash.
struct Linear {
    name: &'static str,
    bits: usize,
    hash: Option<LinearHash>,
}

impl Linear {
    fn new(name: &'static str, bits: usize) -> PyResult<Self> {
        sigah_core::codes::check_bits(bits).map_err(to_py)?;
        Ok(Self { name, bits, hash: None })
    }

    fn fit(
        &mut self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        train: impl FnOnce(&Tensor) -> sigah_core::Result<LinearHash> + Send,
    ) -> PyResult<()> {
        let data = arrays::vectors("X", x)?;
        self.hash = Some(py.detach(|| train(&data)).map_err(to_py)?);
        Ok(())
    }

    fn encode<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<u8>>> {
        let hash = self.hash.as_ref().ok_or_else(|| {
            PyValueError::new_err(format!("this {} hash is not trained: call fit(X) first", self.name))
        })?;
        let data = arrays::vectors("X", x)?;
        if data.cols != hash.dim() {
            return Err(PyValueError::new_err(format!(
                "X: vectors have dimension {}, but the {} hash expects dimension {}",
                data.cols,
                self.name,
                hash.dim()
            )));
        }
        let codes = py.detach(|| hash.encode(&data)).map_err(to_py)?;
        arrays::codes_out(py, &codes)
    }

    /// `(mean [d], projection [d, bits])`: `code = ((x − mean) · projection > 0)`.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Params<'py>> {
        let h = self
            .hash
            .as_ref()
            .ok_or_else(|| PyValueError::new_err(format!("this {} hash is not trained", self.name)))?;
        let mean = numpy::PyArray1::from_slice(py, &h.mean);
        Ok((mean, arrays::matrix(py, h.proj.rows, h.proj.cols, h.proj.data.clone())?))
    }
}

macro_rules! linear_class {
    ($ty:ident, $name:literal, $doc:literal, ($($arg:ident : $t:ty = $def:expr),*), |$x:ident, $bits:ident| $train:expr) => {
        #[doc = $doc]
        #[pyclass(module = "sigah", name = $name)]
        pub struct $ty {
            inner: Linear,
            $($arg: $t,)*
        }

        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(signature = (bits=64 $(, $arg=$def)*))]
            fn new(bits: usize $(, $arg: $t)*) -> PyResult<Self> {
                Ok(Self { inner: Linear::new($name, bits)?, $($arg,)* })
            }

            /// Trains on `x` (float32 or uint8 `[n, d]`); returns self.
            fn fit<'py>(mut slf: PyRefMut<'py, Self>, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<PyRefMut<'py, Self>> {
                let $bits = slf.inner.bits;
                $(let $arg = slf.$arg;)*
                slf.inner.fit(py, x, move |$x: &Tensor| $train)?;
                Ok(slf)
            }

            /// Packed codes of `x`: uint8 `[n, bits/8]`.
            fn encode<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<u8>>> {
                self.inner.encode(py, x)
            }

            /// `(mean, projection)` of the trained hash.
            fn params<'py>(&self, py: Python<'py>) -> PyResult<Params<'py>> {
                self.inner.params(py)
            }

            #[getter]
            fn bits(&self) -> usize {
                self.inner.bits
            }
            #[getter]
            fn is_fitted(&self) -> bool {
                self.inner.hash.is_some()
            }

            fn __repr__(&self) -> String {
                let state = if self.inner.hash.is_some() { "trained" } else { "untrained" };
                format!("{}(bits={}, {state})", $name, self.inner.bits)
            }
        }
    };
}

linear_class!(
    Itq,
    "ITQ",
    "Iterative quantisation (Gong & Lazebnik 2011).",
    (seed: u64 = 0, iterations: usize = ITQ_ITERATIONS),
    |x, bits| train_itq(x, bits, seed, iterations).map(|(h, _)| h)
);
linear_class!(Pcah, "PCAH", "PCA hashing: one bit per top principal direction.", (), |x, bits| train_pcah(x, bits));
linear_class!(Lsh, "LSH", "Sign-random-projection LSH (Charikar 2002).", (seed: u64 = 0), |x, bits| train_lsh(x, bits, seed));
