//! Reading and writing `.safetensors` files of named f32 tensors plus string
//! metadata (the model file and the checkpoint), through the `safetensors` crate.
//!
//! Determinism: the crate sorts tensors by name but serialises the metadata from a
//! `HashMap`, whose order changes from run to run. Identical models must give
//! identical bytes, so the header is re-serialised with sorted keys (same content,
//! same length: the file stays a valid safetensors file with the same offsets).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;

use crate::io::write_atomic;
use crate::{Error, Result};

/// One tensor read from a file.
#[derive(Debug, Clone)]
pub struct StTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
    /// Byte offset of the tensor's data in the file (for error messages).
    pub offset: u64,
}

/// A whole file.
#[derive(Debug, Clone)]
pub struct StFile {
    pub metadata: BTreeMap<String, String>,
    pub tensors: HashMap<String, StTensor>,
}

/// Writes `tensors` (name, shape, values) and `metadata` to `path` atomically.
pub fn write(path: &Path, tensors: &[(String, Vec<usize>, &[f32])], metadata: &BTreeMap<String, String>) -> Result<()> {
    let bytes = serialize(tensors, metadata)?;
    write_atomic(path, |w: &mut dyn Write| w.write_all(&bytes))
}

/// The bytes [`write`] puts in the file.
pub fn serialize(tensors: &[(String, Vec<usize>, &[f32])], metadata: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let views = tensors
        .iter()
        .map(|(name, shape, data)| {
            let view = TensorView::new(Dtype::F32, shape.clone(), bytemuck::cast_slice(data))
                .map_err(|e| Error::Config(format!("tensor {name}: {e}")))?;
            Ok((name.clone(), view))
        })
        .collect::<Result<Vec<_>>>()?;
    let meta: HashMap<String, String> = metadata.clone().into_iter().collect();
    let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| Error::Config(format!("safetensors: {e}")))?;
    Ok(canonical_header(bytes))
}

/// Rewrites the JSON header of a serialised file with sorted keys, padded with
/// spaces to its original length.
fn canonical_header(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + n]).expect("safetensors wrote a JSON header");
    let sorted: BTreeMap<String, serde_json::Value> = header
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::Object(m) => {
                let m: BTreeMap<String, serde_json::Value> = m.into_iter().collect();
                (k, serde_json::to_value(m).expect("a map serialises"))
            }
            v => (k, v),
        })
        .collect();
    let mut text = serde_json::to_vec(&sorted).expect("a map serialises");
    assert!(text.len() <= n, "a reordered header has the same length");
    text.resize(n, b' ');
    bytes[8..8 + n].copy_from_slice(&text);
    bytes
}

/// Reads a safetensors file of f32 tensors. Never panics on bad bytes: every
/// problem is an [`Error::Format`] naming the file and the byte offset.
pub fn read(path: &Path) -> Result<StFile> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse(path, &bytes)
}

/// Parses safetensors bytes already in memory (the fuzz target's entry point);
/// `path` only names the source in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<StFile> {
    let (n, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::format(path, 0, format!("not a valid safetensors file: {e}")))?;
    let data_start = 8 + n;
    let metadata: BTreeMap<String, String> = meta.metadata().clone().unwrap_or_default().into_iter().collect();
    let mut tensors = HashMap::new();
    for (name, info) in meta.tensors() {
        let (begin, end) = info.data_offsets;
        let offset = (data_start + begin) as u64;
        if info.dtype != Dtype::F32 {
            return Err(Error::format(path, offset, format!("tensor {name} has dtype {:?}, expected F32", info.dtype)));
        }
        let count = info.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let raw = bytes.get(data_start + begin..data_start + end);
        let (Some(count), Some(raw)) = (count, raw) else {
            return Err(Error::format(path, offset, format!("tensor {name}: data outside the file")));
        };
        if count.checked_mul(4) != Some(raw.len()) {
            return Err(Error::format(
                path,
                offset,
                format!("tensor {name}: {} bytes for shape {:?}", raw.len(), info.shape),
            ));
        }
        let data = raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        tensors.insert(name, StTensor { shape: info.shape.clone(), data, offset });
    }
    Ok(StFile { metadata, tensors })
}

/// How a `rows × cols` tensor is stored: row vectors (biases, θ, the mean) as 1-D,
/// as PyTorch stores them; everything else as 2-D.
pub fn stored_shape(rows: usize, cols: usize) -> Vec<usize> {
    if rows == 1 {
        vec![cols]
    } else {
        vec![rows, cols]
    }
}

impl StFile {
    /// The metadata value `key`, or a format error naming it.
    pub fn meta(&self, path: &Path, key: &str) -> Result<&str> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| Error::format(path, 8, format!("metadata key {key:?} is missing")))
    }

    /// The metadata value `key` parsed as JSON into `T`.
    pub fn meta_json<T: serde::de::DeserializeOwned>(&self, path: &Path, key: &str) -> Result<T> {
        serde_json::from_str(self.meta(path, key)?)
            .map_err(|e| Error::format(path, 8, format!("metadata key {key:?} is invalid: {e}")))
    }

    /// Takes the tensor `name` of shape `rows × cols` (stored as [`stored_shape`]),
    /// checking its shape and that every value is finite.
    pub fn take(&mut self, path: &Path, name: &str, rows: usize, cols: usize) -> Result<crate::Tensor> {
        let t = self.tensors.remove(name).ok_or_else(|| Error::format(path, 8, format!("tensor {name} is missing")))?;
        let want = stored_shape(rows, cols);
        if t.shape != want {
            return Err(Error::format(
                path,
                t.offset,
                format!("tensor {name} has shape {:?}, expected {want:?}", t.shape),
            ));
        }
        if let Some(i) = t.data.iter().position(|v| !v.is_finite()) {
            return Err(Error::format(
                path,
                t.offset + 4 * i as u64,
                format!("tensor {name} holds {} at index {i}", t.data[i]),
            ));
        }
        Ok(crate::Tensor::new(rows, cols, t.data))
    }

    /// Errors if tensors are left that nobody took (a file for another model).
    pub fn check_all_taken(&self, path: &Path) -> Result<()> {
        let mut left: Vec<&String> = self.tensors.keys().collect();
        left.sort();
        match left.first() {
            None => Ok(()),
            Some(name) => Err(Error::format(path, self.tensors[*name].offset, format!("unexpected tensor {name}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_deterministic_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let meta: BTreeMap<String, String> = (0..20).map(|i| (format!("key{i}"), format!("value {i}"))).collect();
        let w = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [0.5f32, -0.5];
        let tensors = vec![("a.weight".to_string(), vec![3, 2], &w[..]), ("a.bias".to_string(), vec![2], &b[..])];
        let (p1, p2) = (dir.path().join("1.safetensors"), dir.path().join("2.safetensors"));
        write(&p1, &tensors, &meta).unwrap();
        // A fresh HashMap per call: without the canonical header the metadata order
        // (and so the bytes) would differ between these two writes.
        write(&p2, &tensors, &meta).unwrap();
        assert_eq!(std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap());
        let mut f = read(&p1).unwrap();
        assert_eq!(f.metadata, meta);
        let t = f.take(&p1, "a.weight", 3, 2).unwrap();
        assert_eq!(t.data, w);
        let e = f.take(&p1, "a.bias", 2, 1).unwrap_err().to_string();
        assert!(e.contains("a.bias") && e.contains("[2]") && e.contains("[2, 1]"), "{e}");
    }

    #[test]
    fn garbage_is_a_format_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.safetensors");
        for bytes in [&b""[..], b"\x05\0\0\0\0\0\0\0{}", b"\xff\xff\xff\xff\0\0\0\0{}", b"\x02\0\0\0\0\0\0\0[]"] {
            std::fs::write(&p, bytes).unwrap();
            let e = read(&p).unwrap_err().to_string();
            assert!(e.contains("bad.safetensors"), "{e}");
        }
    }
}
