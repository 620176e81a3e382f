//! HDF5 files in the ann-benchmarks layout (`sigah eval --hdf5`, README): datasets `train` (the
//! base vectors), `test` (the queries), `neighbors` (per query the ids of its
//! nearest `train` rows, nearest first) and `distances`, as in
//! `sift-128-euclidean.hdf5` and `gist-960-euclidean.hdf5`.
//!
//! The reader is `hdf5-reader`, a pure-Rust decoder: no libhdf5 to install, and
//! a malformed file is an `Err` from Rust code rather than a crash inside a C
//! library that no error path could catch (libhdf5 has a long list of crashes
//! on crafted files). Every read is bounded before it allocates: a dataset's
//! decoded size may not exceed [`DECODE_RATIO`] times the file's length, so a
//! small file claiming 10^12 rows (or a chunked dataset with no chunks written,
//! which reads as fill values) is refused instead of allocating terabytes.

use std::path::Path;

use hdf5_reader::{Datatype, H5Type};

use crate::{Error, Result, Tensor};

/// The most a dataset may decode to, as a multiple of the file's length: 1032
/// is DEFLATE's largest compression ratio (RFC 1951: 258 bytes per 2-bit
/// code, rounded up), the only filter h5py applies by default. Uncompressed
/// data (every ann-benchmarks file) is never larger than the file.
pub const DECODE_RATIO: usize = 1032;

/// What an ann-benchmarks file holds, read whole.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnFile {
    /// `train`: the base vectors.
    pub train: Tensor,
    /// `test`: the queries.
    pub test: Tensor,
    /// `neighbors`: per query the ids of its nearest `train` rows, nearest first.
    pub neighbors: Vec<Vec<u32>>,
    /// The file's `distance` attribute (`euclidean`, `angular`, ...), if any.
    pub distance: Option<String>,
}

/// An HDF5 file opened from its bytes (a mapped file or a decompressed `.gz`).
pub struct Hdf5<'a> {
    path: &'a Path,
    file: hdf5_reader::Hdf5File,
}

impl<'a> Hdf5<'a> {
    /// Opens HDF5 `bytes` (copied); `path` names them in errors.
    pub fn open(path: &'a Path, bytes: &[u8]) -> Result<Hdf5<'a>> {
        Hdf5::open_owned(path, crate::io::input::Bytes::Owned(bytes.to_vec()))
    }

    /// Opens HDF5 `bytes` without copying them: a mapped file stays a map, so
    /// a 3.6 GB `gist-960-euclidean.hdf5` costs its tensors, not a second copy
    /// of the file.
    pub(crate) fn open_owned(path: &'a Path, bytes: crate::io::input::Bytes) -> Result<Hdf5<'a>> {
        let limit = bytes.len().saturating_mul(DECODE_RATIO);
        let options = hdf5_reader::OpenOptions::default()
            .with_max_read_bytes(limit)
            .with_max_chunk_bytes(limit.min(hdf5_reader::DEFAULT_MAX_CHUNK_BYTES))
            // Object headers are read from the file itself, so none can be longer.
            .with_max_object_header_bytes(limit / DECODE_RATIO)
            // The chunk cache would keep up to 64 MiB of decoded chunks alive
            // beside the tensor: each dataset is read once, so it buys nothing.
            .with_chunk_cache_bytes(0);
        let file = hdf5_reader::Hdf5File::from_owner(bytes, options)
            .map_err(|e| Error::format(path, 0, format!("not a readable HDF5 file: {e}")))?;
        Ok(Hdf5 { path, file })
    }

    fn dataset(&self, name: &str) -> Result<hdf5_reader::Dataset> {
        self.file.dataset(name).map_err(|e| {
            Error::data(
                self.path,
                format!(
                    "no dataset '{name}' ({e}): sigah reads HDF5 in the ann-benchmarks layout (train, test, neighbors)"
                ),
            )
        })
    }

    /// The 2-D dataset `name` as f32 vectors (float32 as is; float64 and the
    /// integers converted, a value beyond the float32 range refused).
    pub fn vectors(&self, name: &str) -> Result<Tensor> {
        let ds = self.dataset(name)?;
        let (n, d) = self.shape_2d(&ds, name)?;
        let data = match ds.dtype().clone() {
            Datatype::FloatingPoint { size: 4, .. } => self.read::<f32>(&ds, name)?,
            Datatype::FloatingPoint { size: 8, .. } => to_f32(self.read::<f64>(&ds, name)?, |v| v),
            Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
                (1, false) => to_f32(self.read::<u8>(&ds, name)?, f64::from),
                (1, true) => to_f32(self.read::<i8>(&ds, name)?, f64::from),
                (2, false) => to_f32(self.read::<u16>(&ds, name)?, f64::from),
                (2, true) => to_f32(self.read::<i16>(&ds, name)?, f64::from),
                (4, false) => to_f32(self.read::<u32>(&ds, name)?, f64::from),
                (4, true) => to_f32(self.read::<i32>(&ds, name)?, f64::from),
                // Beyond 2^53 an i64 rounds to f64 then f32: within one f32 ulp.
                (8, false) => to_f32(self.read::<u64>(&ds, name)?, |v| v as f64),
                (8, true) => to_f32(self.read::<i64>(&ds, name)?, |v| v as f64),
                _ => return Err(self.bad_type(name, ds.dtype())),
            },
            other => return Err(self.bad_type(name, &other)),
        };
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                self.path,
                format!(
                    "dataset '{name}', row {}, column {}: value {} is not finite or outside the float32 range",
                    i / d.max(1),
                    i % d.max(1),
                    data[i]
                ),
            ));
        }
        Ok(Tensor::new(n, d, data))
    }

    /// The 2-D integer dataset `name` as rows of ids, each below `n_base`.
    pub fn ids(&self, name: &str, n_base: usize) -> Result<Vec<Vec<u32>>> {
        let ds = self.dataset(name)?;
        let (n, k) = self.shape_2d(&ds, name)?;
        let flat: Vec<i64> = match ds.dtype().clone() {
            Datatype::FixedPoint { size: 4, signed: true, .. } => {
                self.read::<i32>(&ds, name)?.into_iter().map(i64::from).collect()
            }
            Datatype::FixedPoint { size: 4, signed: false, .. } => {
                self.read::<u32>(&ds, name)?.into_iter().map(i64::from).collect()
            }
            Datatype::FixedPoint { size: 8, signed: true, .. } => self.read::<i64>(&ds, name)?,
            other => return Err(self.bad_type(name, &other)),
        };
        let mut rows = Vec::with_capacity(n);
        for (q, row) in flat.chunks_exact(k.max(1)).take(n).enumerate() {
            let ids = row
                .iter()
                .map(|&id| {
                    u32::try_from(id).ok().filter(|&i| (i as usize) < n_base).ok_or_else(|| {
                        Error::data(
                            self.path,
                            format!("dataset '{name}', row {q}: id {id} is not a row of 'train' ({n_base} rows)"),
                        )
                    })
                })
                .collect::<Result<Vec<u32>>>()?;
            rows.push(ids);
        }
        Ok(rows)
    }

    /// The file's `distance` attribute, as ann-benchmarks writes it.
    pub fn distance(&self) -> Option<String> {
        self.file.root_group().ok()?.attribute("distance").ok()?.read_string().ok()
    }

    fn shape_2d(&self, ds: &hdf5_reader::Dataset, name: &str) -> Result<(usize, usize)> {
        match ds.shape() {
            &[n, d] => {
                let (n, d) = (usize::try_from(n), usize::try_from(d));
                match (n, d) {
                    (Ok(n), Ok(d)) if n > 0 && d > 0 => Ok((n, d)),
                    _ => Err(Error::data(self.path, format!("dataset '{name}' is empty: shape {:?}", ds.shape()))),
                }
            }
            shape => Err(Error::data(self.path, format!("dataset '{name}' must be 2-D [n, d], found shape {shape:?}"))),
        }
    }

    fn read<T: H5Type>(&self, ds: &hdf5_reader::Dataset, name: &str) -> Result<Vec<T>> {
        let array = ds
            .read_array::<T>()
            .map_err(|e| Error::data(self.path, format!("dataset '{name}' cannot be read: {e}")))?;
        // h5py and numpy store rows in C order, and so does `read_array`; a
        // view in another order would be transposed data, not a file to read.
        if !array.is_standard_layout() {
            return Err(Error::data(self.path, format!("dataset '{name}' did not decode in row-major order")));
        }
        Ok(array.into_raw_vec_and_offset().0)
    }

    fn bad_type(&self, name: &str, dtype: &Datatype) -> Error {
        Error::data(
            self.path,
            format!(
                "dataset '{name}' has type {dtype:?}: sigah reads HDF5 vectors of floats or integers and neighbour ids of int32, uint32 or int64"
            ),
        )
    }

    /// The whole ann-benchmarks layout, checked to agree: `test` has the
    /// dimension of `train`, `neighbors` one row per `test` row, every id a
    /// `train` row.
    pub fn ann(&self) -> Result<AnnFile> {
        let train = self.vectors("train")?;
        let test = self.vectors("test")?;
        if test.cols != train.cols {
            return Err(Error::data(
                self.path,
                format!("'test' has dimension {}, but 'train' has dimension {}", test.cols, train.cols),
            ));
        }
        let neighbors = self.ids("neighbors", train.rows)?;
        if neighbors.len() != test.rows {
            return Err(Error::data(
                self.path,
                format!("'neighbors' has {} rows, but 'test' has {} queries", neighbors.len(), test.rows),
            ));
        }
        Ok(AnnFile { train, test, neighbors, distance: self.distance() })
    }
}

fn to_f32<T: Copy>(values: Vec<T>, to_f64: impl Fn(T) -> f64) -> Vec<f32> {
    // A value beyond the f32 range becomes ±inf here and is refused by the
    // caller's finiteness check, which names its place.
    values.into_iter().map(|v| to_f64(v) as f32).collect()
}

/// Reads the ann-benchmarks file at `path` whole. A `.gz` file is decompressed
/// into memory first; standard input and pipes are refused (HDF5 is read by
/// seeking).
pub fn load_ann(path: &Path) -> Result<AnnFile> {
    let bytes = match crate::io::input::open(path)? {
        crate::io::input::Opened::File(bytes) => bytes,
        crate::io::input::Opened::Stream(stream) => {
            stream.check_seekable(path)?;
            if stream.kind != crate::io::sniff::Kind::Hdf5 {
                return Err(not_hdf5(path, stream.kind));
            }
            crate::io::input::Bytes::Owned(stream.read_all(path)?)
        }
    };
    match crate::io::sniff::of_bytes(&bytes[..bytes.len().min(crate::io::sniff::SNIFF_LEN)]) {
        crate::io::sniff::Kind::Hdf5 => Hdf5::open_owned(path, bytes)?.ann(),
        kind => Err(not_hdf5(path, kind)),
    }
}

fn not_hdf5(path: &Path, kind: crate::io::sniff::Kind) -> Error {
    Error::format(path, 0, format!("this is {}, not an HDF5 file (ann-benchmarks layout)", kind.describe()))
}
