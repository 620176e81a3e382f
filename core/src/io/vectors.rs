//! Vector and label loaders: texmex `.fvecs` / `.bvecs` / `.ivecs`, `.npy` (f32 or
//! u8) and CSV (numbers, optional header, optional label column).
//!
//! Every loader reads untrusted bytes: it never panics, never allocates from a size
//! field before checking it against the file length, and every error names the
//! file, the row (and byte offset) and what is wrong. u8 data becomes f32; NaN and
//! infinite values are refused (they would silently poison training and metrics).
//!
//! The `parse_*` functions work on bytes already in memory (the demo embeds its
//! data set; the fuzz targets feed them arbitrary bytes); `path` is only used to
//! name the source in errors.

use std::path::Path;

pub use crate::io::csv::{parse_csv, CsvOptions, Header, LabelColumn};
use crate::io::input;
use crate::io::npy::{self, DType};
use crate::io::sniff::Kind;
use crate::{Error, Result, Tensor};

/// Every input the vector loaders ([`load_vectors`], [`load_queries`],
/// `io::load_data`) read, as help texts name them: the one list behind the help
/// of every flag that takes vectors (`cli/tests/help_formats.rs` checks each names all).
pub const VECTOR_FORMATS: [&str; 7] = [
    ".fvecs",
    ".bvecs",
    ".npy (float16/32/64, int8/16/32/64, uint8/16/32/64)",
    ".csv",
    ".hdf5",
    "each may be .gz",
    "- for standard input",
];

/// [`VECTOR_FORMATS`] as one phrase.
pub fn vector_formats() -> String {
    VECTOR_FORMATS.join(", ")
}

/// The file formats the loaders read, chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Fvecs,
    Bvecs,
    Ivecs,
    Npy,
    Csv,
    /// HDF5 in the ann-benchmarks layout: `train` (base) or `test` (queries).
    Hdf5,
}

impl Format {
    /// The format of a file from its first bytes, then its name: a `.npy` is
    /// known by its magic whatever it is called, a model, an index or an HDF5
    /// file given as vectors is named as what it is; texmex and CSV have no
    /// magic, so their extension decides.
    pub fn of_content(path: &Path, bytes: &[u8]) -> Result<Format> {
        Self::detect(path, crate::io::sniff::of_bytes(&bytes[..bytes.len().min(crate::io::sniff::SNIFF_LEN)]))
    }

    /// The one format-detection step every vector and label file goes through
    /// (whole files, mapped files, streams: `input::Stream::kind` is the same
    /// sniff of its first bytes): the kind of its first bytes, then `name`.
    pub(crate) fn detect(name: &Path, kind: Kind) -> Result<Format> {
        match kind {
            Kind::Npy => Ok(Format::Npy),
            Kind::Hdf5 => Ok(Format::Hdf5),
            Kind::Other => Format::of(name),
            kind => Err(Error::format(name, 0, format!("this is {}, not vectors or labels", kind.describe()))),
        }
    }

    /// The format of `path`, by its extension (case-insensitive).
    pub fn of(path: &Path) -> Result<Format> {
        if input::is_stdin(path) {
            return Err(Error::format(
                path,
                0,
                "standard input has no name to tell .fvecs, .bvecs and CSV apart: send .npy (or gzip-compressed .npy), or read a named pipe whose name says the format (mkfifo x.fvecs)",
            ));
        }
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        Ok(match ext.as_deref() {
            Some("fvecs") => Format::Fvecs,
            Some("bvecs") => Format::Bvecs,
            Some("ivecs") => Format::Ivecs,
            Some("npy") => Format::Npy,
            Some("csv") => Format::Csv,
            Some("hdf5" | "h5") => Format::Hdf5,
            other => {
                let what = other.map_or_else(|| "no extension".to_string(), |e| format!("unknown extension '.{e}'"));
                return Err(Error::format(
                    path,
                    0,
                    format!("{what}: sigah reads vectors from .fvecs, .bvecs, .npy, .csv or .hdf5 (each optionally .gz) and labels from .ivecs, .npy or .csv"),
                ));
            }
        })
    }
}

/// Loads a vector file (`.fvecs`, `.bvecs`, `.npy`, `.csv` with every column a
/// feature) as an `n × d` tensor.
pub fn load_vectors(path: &Path) -> Result<Tensor> {
    load_vectors_with(path, &CsvOptions::default()).map(|(t, _)| t)
}

/// Loads a vector file; a CSV file is read with `csv`, and its label column (if
/// any) is returned too. An HDF5 file gives its `train` dataset.
pub fn load_vectors_with(path: &Path, csv: &CsvOptions) -> Result<(Tensor, Option<Vec<i32>>)> {
    load_part(path, csv, "train")
}

/// Loads the query vectors of a file: as [`load_vectors`], but an HDF5 file in
/// the ann-benchmarks layout gives its `test` dataset.
pub fn load_queries(path: &Path) -> Result<Tensor> {
    load_part(path, &CsvOptions::default(), "test").map(|(t, _)| t)
}

/// Loads vectors from any input [`input::open`] takes; `hdf5` names the
/// dataset an HDF5 file gives.
fn load_part(path: &Path, csv: &CsvOptions, hdf5: &str) -> Result<(Tensor, Option<Vec<i32>>)> {
    match input::open(path)? {
        input::Opened::File(bytes) => match Format::of_content(path, &bytes)? {
            // HDF5 keeps its map (see `Hdf5::open_owned`); the other formats copy out of it.
            Format::Hdf5 => crate::io::hdf5::Hdf5::open_owned(path, bytes)?.vectors(hdf5).map(|t| (t, None)),
            format => vectors_from_bytes(path, format, &bytes, csv, hdf5),
        },
        input::Opened::Stream(s) => vectors_from_stream(path, s, csv, hdf5),
    }
}

/// Loads vectors from a stream, as standard input gives them: gzip is
/// decompressed, `.npy` is known by its magic, texmex and CSV by `name`'s
/// extension; HDF5 is refused (it needs a seek). `path` names the stream in
/// errors. (The fuzz targets feed it arbitrary bytes in arbitrary pieces.)
pub fn read_vectors(path: &Path, name: &Path, reader: Box<dyn std::io::Read>) -> Result<Tensor> {
    let stream = input::stream(path, reader, name.to_path_buf(), false)?;
    vectors_from_stream(path, stream, &CsvOptions::default(), "train").map(|(t, _)| t)
}

fn vectors_from_stream(
    path: &Path,
    stream: input::Stream,
    csv: &CsvOptions,
    hdf5: &str,
) -> Result<(Tensor, Option<Vec<i32>>)> {
    stream.check_seekable(path)?;
    let format = Format::detect(&stream.name, stream.kind).map_err(|e| rename(e, path))?;
    match format {
        Format::Npy => input::read_npy(path, stream.reader).map(|t| (t, None)),
        Format::Fvecs => input::read_texmex(path, stream.reader, 4).map(|t| (t, None)),
        Format::Bvecs => input::read_texmex(path, stream.reader, 1).map(|t| (t, None)),
        Format::Hdf5 => {
            let bytes = input::Bytes::Owned(stream.read_all(path)?);
            crate::io::hdf5::Hdf5::open_owned(path, bytes)?.vectors(hdf5).map(|t| (t, None))
        }
        Format::Csv | Format::Ivecs => {
            let bytes = stream.read_all(path)?;
            vectors_from_bytes(path, format, &bytes, csv, hdf5)
        }
    }
}

/// Vectors in `format` from a whole file's bytes; `path` names the input in errors.
fn vectors_from_bytes(
    path: &Path,
    format: Format,
    bytes: &[u8],
    csv: &CsvOptions,
    hdf5: &str,
) -> Result<(Tensor, Option<Vec<i32>>)> {
    match format {
        Format::Fvecs => parse_fvecs(path, bytes).map(|t| (t, None)),
        Format::Bvecs => parse_bvecs(path, bytes).map(|t| (t, None)),
        Format::Npy => parse_npy_vectors(path, bytes).map(|t| (t, None)),
        Format::Csv => parse_csv(path, bytes, csv),
        Format::Hdf5 => crate::io::hdf5::Hdf5::open(path, bytes)?.vectors(hdf5).map(|t| (t, None)),
        Format::Ivecs => Err(Error::format(
            path,
            0,
            ".ivecs holds integer ids or labels, not vectors: pass it as labels or ground truth",
        )),
    }
}

/// An error about `name` (a `.gz` file's inner name) told about `path`.
fn rename(e: Error, path: &Path) -> Error {
    match e {
        Error::Format { offset, reason, .. } => Error::format(path, offset, reason),
        Error::Data { reason, .. } => Error::data(path, reason),
        other => other,
    }
}

/// The whole content of an input (streams read to their end, `.gz`
/// decompressed) and the name whose extension tells its format.
fn whole(path: &Path) -> Result<(input::Bytes, std::path::PathBuf)> {
    match input::open(path)? {
        input::Opened::File(bytes) => Ok((bytes, path.to_path_buf())),
        input::Opened::Stream(s) => {
            let name = s.name.clone();
            Ok((input::Bytes::Owned(s.read_all(path)?), name))
        }
    }
}

/// Loads a texmex `.ivecs` file (ground-truth ids, labels) as one `Vec` per row.
/// Every row must have the same length.
pub fn load_ivecs(path: &Path) -> Result<Vec<Vec<i32>>> {
    let (bytes, name) = whole(path)?;
    if Format::of_content(&name, &bytes).map_err(|e| rename(e, path))? != Format::Ivecs {
        return Err(Error::format(path, 0, "expected an .ivecs file"));
    }
    parse_ivecs(path, &bytes)
}

/// Loads one integer label per row: `.ivecs` with one value per row, a 1-D (or
/// `n × 1`) `.npy` of i32/i64/u8, or a CSV file (its label column when `csv.label`
/// is set, else its only column).
pub fn load_labels(path: &Path, csv: &CsvOptions) -> Result<Vec<i32>> {
    let (bytes, name) = whole(path)?;
    match Format::of_content(&name, &bytes).map_err(|e| rename(e, path))? {
        Format::Ivecs => parse_label_ivecs(path, &bytes),
        Format::Npy => parse_npy_labels(path, &bytes),
        Format::Csv => {
            let opts =
                CsvOptions { header: csv.header, label: Some(csv.label.clone().unwrap_or(LabelColumn::Index(0))) };
            let (table, labels) = parse_csv(path, &bytes, &opts)?;
            if csv.label.is_none() && table.cols != 0 {
                return Err(Error::data(
                    path,
                    format!("a label file needs one column, found {}; name the label column", table.cols + 1),
                ));
            }
            Ok(labels.unwrap_or_default())
        }
        Format::Fvecs | Format::Bvecs | Format::Hdf5 => {
            Err(Error::format(path, 0, "labels are read from .ivecs, .npy or .csv files, not float/byte vectors"))
        }
    }
}

/// One texmex file's layout: `n` rows of `dim` elements of `elem` bytes, each row
/// preceded by its little-endian i32 dimension. Checks every row header against
/// the first before anything is allocated.
fn texmex_layout(path: &Path, bytes: &[u8], elem: usize) -> Result<(usize, usize)> {
    let (n, dim, row_bytes) = texmex_head(path, bytes, elem)?;
    for row in 0..n {
        let offset = row * row_bytes;
        let d = read_dim(path, bytes, row, offset)?;
        if d != dim {
            return Err(Error::format(
                path,
                offset as u64,
                format!("row {row} has dimension {d}, but row 0 has {dim}"),
            ));
        }
    }
    let rest = bytes.len() - n * row_bytes;
    if rest != 0 {
        let offset = n * row_bytes;
        // A different dimension is the likelier story than a cut if the header says so.
        if rest >= 4 {
            let d = read_dim(path, bytes, n, offset)?;
            if d != dim {
                return Err(Error::format(
                    path,
                    offset as u64,
                    format!("row {n} has dimension {d}, but row 0 has {dim}"),
                ));
            }
        }
        return Err(Error::format(
            path,
            offset as u64,
            format!("truncated row {n}: {rest} bytes, a row of dimension {dim} needs {row_bytes}"),
        ));
    }
    Ok((n, dim))
}

/// The dimension of a texmex file's row 0, the bytes of a row, and the number of
/// whole rows; the parsers and the memory-bounded loader
/// (`io/training_vectors.rs`) all start here.
pub(crate) fn texmex_head(path: &Path, bytes: &[u8], elem: usize) -> Result<(usize, usize, usize)> {
    if bytes.is_empty() {
        return Err(Error::format(path, 0, "empty file: no vectors"));
    }
    let dim = read_dim(path, bytes, 0, 0)?;
    let row_bytes =
        dim.checked_mul(elem).and_then(|b| b.checked_add(4)).filter(|&b| b <= bytes.len()).ok_or_else(|| {
            Error::format(
                path,
                0,
                format!(
                    "row 0 claims dimension {dim} ({} bytes per row) but the file has only {} bytes",
                    (dim as u128) * (elem as u128) + 4,
                    bytes.len()
                ),
            )
        })?;
    Ok((bytes.len() / row_bytes, dim, row_bytes))
}

fn read_dim(path: &Path, bytes: &[u8], row: usize, offset: usize) -> Result<usize> {
    let Some(head) = bytes.get(offset..offset + 4) else {
        return Err(Error::format(path, offset as u64, format!("truncated row {row}: no room for its dimension")));
    };
    let d = i32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    if d <= 0 {
        return Err(Error::format(
            path,
            offset as u64,
            format!("row {row} claims dimension {d}, which is not positive"),
        ));
    }
    Ok(d as usize)
}

/// Parses texmex `.fvecs` bytes (f32 rows).
pub fn parse_fvecs(path: &Path, bytes: &[u8]) -> Result<Tensor> {
    let (n, dim) = texmex_layout(path, bytes, 4)?;
    let row_bytes = 4 + 4 * dim;
    let mut data = Vec::with_capacity(n * dim);
    for row in 0..n {
        let start = row * row_bytes + 4;
        for (j, chunk) in bytes[start..start + 4 * dim].chunks_exact(4).enumerate() {
            let v = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            if !v.is_finite() {
                return Err(Error::non_finite_value(path, row, j, (start + 4 * j) as u64, v as f64));
            }
            data.push(v);
        }
    }
    Ok(Tensor::new(n, dim, data))
}

/// Parses texmex `.bvecs` bytes (u8 rows), as f32.
pub fn parse_bvecs(path: &Path, bytes: &[u8]) -> Result<Tensor> {
    let (n, dim) = texmex_layout(path, bytes, 1)?;
    let row_bytes = 4 + dim;
    let mut data = Vec::with_capacity(n * dim);
    for row in 0..n {
        let start = row * row_bytes + 4;
        data.extend(bytes[start..start + dim].iter().map(|&b| b as f32));
    }
    Ok(Tensor::new(n, dim, data))
}

/// Parses texmex `.ivecs` bytes (i32 rows).
pub fn parse_ivecs(path: &Path, bytes: &[u8]) -> Result<Vec<Vec<i32>>> {
    let (n, dim) = texmex_layout(path, bytes, 4)?;
    let row_bytes = 4 + 4 * dim;
    Ok((0..n)
        .map(|row| {
            let start = row * row_bytes + 4;
            bytes[start..start + 4 * dim]
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
        .collect())
}

/// Parses `.ivecs` labels: one value per row.
pub fn parse_label_ivecs(path: &Path, bytes: &[u8]) -> Result<Vec<i32>> {
    let (_, dim) = texmex_layout(path, bytes, 4)?;
    if dim != 1 {
        return Err(Error::format(path, 0, format!("a label file has one value per row, row 0 has {dim}")));
    }
    Ok(parse_ivecs(path, bytes)?.into_iter().map(|r| r[0]).collect())
}

/// Parses `.npy` bytes holding a 2-D array `[n, d]` of any dtype [`npy::READS`]
/// lists, converted to f32 (float64 is numpy's default, so refusing it would
/// refuse most files users have).
/// A 1-D array is refused: n values are n vectors of one dimension or one vector
/// of n, and guessing wrong trains on nonsense.
pub fn parse_npy_vectors(path: &Path, bytes: &[u8]) -> Result<Tensor> {
    let header = npy::parse_header(path, bytes)?;
    let (n, d) = npy::vector_shape(path, &header)?;
    let body = &bytes[header.data_offset..];
    let data =
        npy::to_f32(header.dtype, body, n * d).map_err(|(i, v)| npy::vector_value_error(path, &header, d, i, v))?;
    Ok(Tensor::new(n, d, data))
}

/// Parses `.npy` labels: 1-D or `n × 1`, of i32, i64 (in the i32 range) or u8.
pub fn parse_npy_labels(path: &Path, bytes: &[u8]) -> Result<Vec<i32>> {
    let header = npy::parse_header(path, bytes)?;
    let (n, d) = header.rows_cols(path)?;
    if d != 1 {
        return Err(Error::format(
            path,
            0,
            format!("labels must be 1-D or one column, found shape {:?}", header.shape),
        ));
    }
    let body = &bytes[header.data_offset..];
    match header.dtype {
        DType::I32 => Ok(npy::decode::<i32>(body, n)),
        DType::U8 => Ok(body[..n].iter().map(|&b| b as i32).collect()),
        DType::I64 => npy::decode::<i64>(body, n)
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                i32::try_from(v).map_err(|_| {
                    Error::format(
                        path,
                        (header.data_offset + 8 * i) as u64,
                        format!("row {i}: label {v} is outside the int32 range"),
                    )
                })
            })
            .collect(),
        DType::I8 | DType::I16 | DType::U16 | DType::U32 | DType::U64 => {
            // Exact through f64 for these (all within 2^53 or checked below).
            let size = header.dtype.size();
            body[..n * size]
                .chunks_exact(size)
                .enumerate()
                .map(|(i, c)| {
                    let v: i128 = match header.dtype {
                        DType::I8 => c[0] as i8 as i128,
                        DType::I16 => i16::from_le_bytes([c[0], c[1]]) as i128,
                        DType::U16 => u16::from_le_bytes([c[0], c[1]]) as i128,
                        DType::U32 => u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i128,
                        _ => u64::from_le_bytes(c.try_into().unwrap_or_default()) as i128,
                    };
                    i32::try_from(v).map_err(|_| {
                        Error::format(
                            path,
                            (header.data_offset + size * i) as u64,
                            format!("row {i}: label {v} is outside the int32 range"),
                        )
                    })
                })
                .collect()
        }
        other => Err(Error::format(
            path,
            0,
            format!("labels must be integers (int8-int64, uint8-uint64), found {}", other.name()),
        )),
    }
}

#[cfg(test)]
#[path = "vectors_tests.rs"]
mod tests;
