//! numpy in: every array argument is checked (type, number of dimensions, dtype,
//! values) before any work starts, with a message naming the argument.
//!
//! Copies: sigah-core's `Tensor` and `Codes` own their buffers, so an input array
//! is copied once into them (a C-contiguous array by one `memcpy`-like pass; a
//! strided one, such as a column slice or a transposed array, is accepted and read
//! element by element in row-major order). Outputs are handed to numpy without a
//! copy where the core's result is already a `Vec` of the right type.

use numpy::ndarray::{Array2, Ix1, Ix2};
use numpy::{
    dtype, Element, IntoPyArray, PyArray, PyArrayDescrMethods, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sigah_core::{Codes, Tensor};

fn value_error(msg: String) -> PyErr {
    PyValueError::new_err(msg)
}

/// `obj` as a numpy array of `ndim` dimensions (`what` describes the expected shape).
fn ndarray<'a, 'py>(
    name: &str,
    obj: &'a Bound<'py, PyAny>,
    ndim: usize,
    what: &str,
) -> PyResult<&'a Bound<'py, PyUntypedArray>> {
    let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
        let ty = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        value_error(format!("{name}: expected a numpy array {what}, got {ty}"))
    })?;
    if arr.ndim() != ndim {
        return Err(value_error(format!(
            "{name}: expected a {ndim}-D array {what}, got {} dimensions (shape {:?})",
            arr.ndim(),
            arr.shape()
        )));
    }
    Ok(arr)
}

fn is<T: Element>(arr: &Bound<'_, PyUntypedArray>) -> bool {
    arr.dtype().is_equiv_to(&dtype::<T>(arr.py()))
}

/// The elements of a typed array in row-major order, copied.
fn elements<T: Element + Copy, D: numpy::ndarray::Dimension>(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Vec<T>> {
    let typed = arr.cast::<PyArray<T, D>>()?;
    let ro = typed.readonly();
    // `as_slice` also accepts Fortran-ordered arrays (column-major memory): only
    // a C-contiguous array's memory is its row-major order.
    match ro.as_slice() {
        Ok(s) if arr.is_c_contiguous() => Ok(s.to_vec()),
        _ => Ok(ro.as_array().iter().copied().collect()),
    }
}

/// Vectors `[n, d]`, float32 or uint8 (as `sigah train` reads `.npy` f32 and
/// `.bvecs`/`.npy` u8 files), every value finite.
pub fn vectors(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    let arr = ndarray(name, obj, 2, "of vectors [n, d]")?;
    let (n, d) = (arr.shape()[0], arr.shape()[1]);
    if d == 0 {
        // Refused here, as a bad argument: further down an empty row is a
        // malformed file's error (OSError).
        return Err(value_error(format!(
            "{name}: vectors of dimension 0 (shape [{n}, 0]): a vector needs at least one value"
        )));
    }
    let data: Vec<f32> = if is::<f32>(arr) {
        elements::<f32, Ix2>(arr)?
    } else if is::<u8>(arr) {
        elements::<u8, Ix2>(arr)?.into_iter().map(f32::from).collect()
    } else {
        return Err(value_error(format!(
            "{name}: dtype {} is not supported: pass float32 or uint8 vectors ({name}.astype(numpy.float32))",
            arr.dtype()
        )));
    };
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        let (r, c) = (i / d.max(1), i % d.max(1));
        return Err(value_error(format!(
            "{name}: row {r}, column {c} is {} (NaN or infinity): vectors must be finite",
            data[i]
        )));
    }
    Ok(Tensor::new(n, d, data))
}

/// Packed codes `[n, bits/8]`, uint8, bit j of a code at `(byte[j/8] >> (j%8)) & 1`.
pub fn codes(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Codes> {
    let arr = ndarray(name, obj, 2, "of packed codes [n, bits/8]")?;
    if !is::<u8>(arr) {
        let hint = if is::<bool>(arr) {
            " (pack bits with sigah.pack_bits or numpy.packbits(b, axis=1, bitorder=\"little\"))"
        } else {
            ""
        };
        return Err(value_error(format!(
            "{name}: dtype {} is not supported: codes are uint8 [n, bits/8]{hint}",
            arr.dtype()
        )));
    }
    let bits = arr.shape()[1] * 8;
    let bytes = elements::<u8, Ix2>(arr)?;
    Codes::from_bytes(bits, &bytes).map_err(|e| value_error(format!("{name}: {e}")))
}

/// Integers of any numpy integer dtype that fits in i64, with the array's shape.
fn integers(name: &str, arr: &Bound<'_, PyUntypedArray>) -> PyResult<Vec<i64>> {
    macro_rules! read {
        ($($t:ty),*) => {
            $(if is::<$t>(arr) {
                return Ok(match arr.ndim() {
                    1 => elements::<$t, Ix1>(arr)?,
                    _ => elements::<$t, Ix2>(arr)?,
                }.into_iter().map(i64::from).collect());
            })*
        };
    }
    read!(i64, i32, i16, i8, u32, u16, u8);
    if is::<u64>(arr) {
        let v = match arr.ndim() {
            1 => elements::<u64, Ix1>(arr)?,
            _ => elements::<u64, Ix2>(arr)?,
        };
        return v
            .into_iter()
            .map(|x| i64::try_from(x).map_err(|_| value_error(format!("{name}: {x} does not fit in int64"))))
            .collect();
    }
    Err(value_error(format!("{name}: dtype {} is not supported: pass an integer array (int64)", arr.dtype())))
}

/// Ids `[n]` for `n` codes (any length with `None`), int64 (any integer dtype is
/// read), each ≥ 0.
pub fn ids(name: &str, obj: &Bound<'_, PyAny>, n: Option<usize>) -> PyResult<Vec<i64>> {
    let arr = ndarray(name, obj, 1, "of ids [n]")?;
    if let Some(n) = n.filter(|&n| n != arr.len()) {
        return Err(value_error(format!("{name}: {} ids for {n} codes: give one id per code", arr.len())));
    }
    let v = integers(name, arr)?;
    if let Some(i) = v.iter().position(|&x| x < 0) {
        return Err(value_error(format!(
            "{name}: id {} at position {i} is negative (-1 marks padding in results)",
            v[i]
        )));
    }
    Ok(v)
}

/// Labels `[n]` (one class per vector), any integer dtype that fits in i32.
pub fn labels(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<i32>> {
    let arr = ndarray(name, obj, 1, "of labels [n]")?;
    integers(name, arr)?
        .into_iter()
        .map(|x| i32::try_from(x).map_err(|_| value_error(format!("{name}: label {x} does not fit in int32"))))
        .collect()
}

/// Ground-truth neighbour ids `[nq, K]`, each in `0..2^32`.
pub fn neighbour_ids(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u32>>> {
    let arr = ndarray(name, obj, 2, "of ground-truth ids [nq, K]")?;
    let k = arr.shape()[1];
    let v = integers(name, arr)?;
    let v: Vec<u32> = v
        .into_iter()
        .map(|x| u32::try_from(x).map_err(|_| value_error(format!("{name}: {x} is not a base id (0 ≤ id < 2^32)"))))
        .collect::<PyResult<_>>()?;
    Ok(if k == 0 { vec![Vec::new(); arr.shape()[0]] } else { v.chunks(k).map(<[u32]>::to_vec).collect() })
}

/// Codes out: uint8 `[n, bits/8]` (one copy out of the core's word buffer).
pub fn codes_out<'py>(py: Python<'py>, codes: &Codes) -> PyResult<Bound<'py, PyArray<u8, Ix2>>> {
    let row = codes.bytes_per_code();
    let a = Array2::from_shape_vec((codes.len(), row), codes.to_bytes()).map_err(|e| value_error(e.to_string()))?;
    Ok(a.into_pyarray(py))
}

/// A row-major `[rows, cols]` buffer handed to numpy without a copy.
pub fn matrix<T: Element>(
    py: Python<'_>,
    rows: usize,
    cols: usize,
    data: Vec<T>,
) -> PyResult<Bound<'_, PyArray<T, Ix2>>> {
    let a = Array2::from_shape_vec((rows, cols), data).map_err(|e| value_error(e.to_string()))?;
    Ok(a.into_pyarray(py))
}
