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

use crate::io::npy::{self, DType};
use crate::{Error, Result, Tensor};

/// The file formats the loaders read, chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Fvecs,
    Bvecs,
    Ivecs,
    Npy,
    Csv,
}

impl Format {
    /// The format of a file from its first bytes, then its name: a `.npy` is
    /// known by its magic whatever it is called, a model, an index or an HDF5
    /// file given as vectors is named as what it is; texmex and CSV have no
    /// magic, so their extension decides.
    pub fn of_content(path: &Path, bytes: &[u8]) -> Result<Format> {
        match crate::io::sniff::of_bytes(&bytes[..bytes.len().min(crate::io::sniff::SNIFF_LEN)]) {
            crate::io::sniff::Kind::Npy => Ok(Format::Npy),
            crate::io::sniff::Kind::Other => Format::of(path),
            kind => Err(Error::format(path, 0, format!("this is {}, not vectors or labels", kind.describe()))),
        }
    }

    /// The format of `path`, by its extension (case-insensitive).
    pub fn of(path: &Path) -> Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        Ok(match ext.as_deref() {
            Some("fvecs") => Format::Fvecs,
            Some("bvecs") => Format::Bvecs,
            Some("ivecs") => Format::Ivecs,
            Some("npy") => Format::Npy,
            Some("csv") => Format::Csv,
            other => {
                let what = other.map_or_else(|| "no extension".to_string(), |e| format!("unknown extension '.{e}'"));
                return Err(Error::format(
                    path,
                    0,
                    format!("{what}: sigah reads vectors from .fvecs, .bvecs, .npy or .csv and labels from .ivecs, .npy or .csv"),
                ));
            }
        })
    }
}

/// Which CSV column holds the labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelColumn {
    /// Zero-based column index; negative counts from the end (-1 is the last).
    Index(i64),
    /// Column name from the header row.
    Name(String),
}

/// Whether a CSV file starts with a header row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Header {
    /// A header if any field of the first line is not a number.
    #[default]
    Auto,
    Yes,
    No,
}

/// How to read a CSV file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    pub header: Header,
    /// The label column, removed from the vectors; `None`: every column is a feature.
    pub label: Option<LabelColumn>,
}

/// The whole content of a file, memory-mapped when it is not empty (so a multi-GB
/// `.fvecs` costs its size once, as the output tensor, not twice).
enum FileBytes {
    Mapped(memmap2::Mmap),
    Empty,
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Empty => &[],
        }
    }
}

fn map_file(path: &Path) -> Result<FileBytes> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        // Opening a folder succeeds on Unix; mapping it fails with a baffling errno.
        return Err(Error::format(path, 0, "this is a folder, not a file"));
    }
    let len = meta.len();
    if len == 0 {
        // Mapping an empty file fails on some platforms; there is nothing to map.
        return Ok(FileBytes::Empty);
    }
    // SAFETY: the map is read-only and lives only while this loader copies out of
    // it. Another process truncating the file meanwhile could fault (SIGBUS); that
    // is the documented risk of every memory-mapped reader and the price of not
    // holding a second copy of a multi-GB file.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    Ok(FileBytes::Mapped(map))
}

/// Loads a vector file (`.fvecs`, `.bvecs`, `.npy`, `.csv` with every column a
/// feature) as an `n × d` tensor.
pub fn load_vectors(path: &Path) -> Result<Tensor> {
    load_vectors_with(path, &CsvOptions::default()).map(|(t, _)| t)
}

/// Loads a vector file; a CSV file is read with `csv`, and its label column (if
/// any) is returned too.
pub fn load_vectors_with(path: &Path, csv: &CsvOptions) -> Result<(Tensor, Option<Vec<i32>>)> {
    let bytes = map_file(path)?;
    match Format::of_content(path, &bytes)? {
        Format::Fvecs => parse_fvecs(path, &bytes).map(|t| (t, None)),
        Format::Bvecs => parse_bvecs(path, &bytes).map(|t| (t, None)),
        Format::Npy => parse_npy_vectors(path, &bytes).map(|t| (t, None)),
        Format::Csv => parse_csv(path, &bytes, csv),
        Format::Ivecs => Err(Error::format(
            path,
            0,
            ".ivecs holds integer ids or labels, not vectors: pass it as labels or ground truth",
        )),
    }
}

/// Loads a texmex `.ivecs` file (ground-truth ids, labels) as one `Vec` per row.
/// Every row must have the same length.
pub fn load_ivecs(path: &Path) -> Result<Vec<Vec<i32>>> {
    if Format::of(path)? != Format::Ivecs {
        return Err(Error::format(path, 0, "expected an .ivecs file"));
    }
    let bytes = map_file(path)?;
    parse_ivecs(path, &bytes)
}

/// Loads one integer label per row: `.ivecs` with one value per row, a 1-D (or
/// `n × 1`) `.npy` of i32/i64/u8, or a CSV file (its label column when `csv.label`
/// is set, else its only column).
pub fn load_labels(path: &Path, csv: &CsvOptions) -> Result<Vec<i32>> {
    let bytes = map_file(path)?;
    match Format::of_content(path, &bytes)? {
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
        Format::Fvecs | Format::Bvecs => {
            Err(Error::format(path, 0, "labels are read from .ivecs, .npy or .csv files, not float/byte vectors"))
        }
    }
}

/// One texmex file's layout: `n` rows of `dim` elements of `elem` bytes, each row
/// preceded by its little-endian i32 dimension. Checks every row header against
/// the first before anything is allocated.
fn texmex_layout(path: &Path, bytes: &[u8], elem: usize) -> Result<(usize, usize)> {
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
    let n = bytes.len() / row_bytes;
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
                return Err(non_finite(path, row, j, (start + 4 * j) as u64, v as f64));
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

fn non_finite(path: &Path, row: usize, col: usize, offset: u64, v: f64) -> Error {
    Error::format(path, offset, format!("row {row}, column {col}: value {v} is not finite"))
}

/// Parses `.npy` bytes holding a 2-D array `[n, d]` of any dtype [`npy::READS`]
/// lists, converted to f32 (issue 13: float64, numpy's default, was refused).
/// A 1-D array is refused: n values are n vectors of one dimension or one vector
/// of n, and guessing wrong trains on nonsense.
pub fn parse_npy_vectors(path: &Path, bytes: &[u8]) -> Result<Tensor> {
    let header = npy::parse_header(path, bytes)?;
    let [n, d] = header.shape[..] else {
        return Err(Error::format(
            path,
            0,
            format!(
                "vectors must be a 2-D array [n, d], found shape {:?} (numpy: x.reshape(1, -1) for one vector, x.reshape(-1, 1) for n values)",
                header.shape
            ),
        ));
    };
    let body = &bytes[header.data_offset..];
    let data = npy::to_f32(header.dtype, body, n * d).map_err(|(i, v)| {
        let offset = (header.data_offset + header.dtype.size() * i) as u64;
        let (row, col) = (i / d.max(1), i % d.max(1));
        if v.is_finite() {
            Error::format(
                path,
                offset,
                format!("row {row}, column {col}: {} value {v:e} is outside the float32 range", header.dtype.name()),
            )
        } else {
            non_finite(path, row, col, offset, v)
        }
    })?;
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

/// Parses CSV bytes: comma-separated numbers, one vector per line, blank lines
/// ignored. With a label column, that column is returned as integer labels and
/// removed from the vectors.
pub fn parse_csv(path: &Path, bytes: &[u8], opts: &CsvOptions) -> Result<(Tensor, Option<Vec<i32>>)> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::format(path, e.valid_up_to() as u64, "not UTF-8 text (a CSV file must be text)".to_string())
    })?;
    // (line number, byte offset, line) of every non-blank line.
    let mut lines = Vec::new();
    let mut offset = 0usize;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        if !line.trim().is_empty() {
            lines.push((i + 1, offset, line));
        }
        offset += raw.len();
    }
    let Some(&(_, _, first)) = lines.first() else {
        return Err(Error::format(path, 0, "empty file: no rows"));
    };
    let first_fields: Vec<&str> = first.split(',').map(str::trim).collect();
    let has_header = match opts.header {
        Header::Yes => true,
        Header::No => false,
        Header::Auto => first_fields.iter().any(|f| f.parse::<f64>().is_err()),
    };
    let width = first_fields.len();
    let label_col = match &opts.label {
        None => None,
        Some(LabelColumn::Index(i)) => {
            let idx = if *i < 0 { width as i64 + i } else { *i };
            if idx < 0 || idx >= width as i64 {
                return Err(Error::data(path, format!("label column {i} does not exist: rows have {width} columns")));
            }
            Some(idx as usize)
        }
        Some(LabelColumn::Name(name)) => {
            if !has_header {
                return Err(Error::data(path, format!("label column '{name}' named, but the file has no header row")));
            }
            let idx = first_fields.iter().position(|f| f.trim_matches('"') == name).ok_or_else(|| {
                Error::data(path, format!("no column named '{name}' in the header ({})", first_fields.join(", ")))
            })?;
            Some(idx)
        }
    };
    let rows = if has_header { &lines[1..] } else { &lines[..] };
    if rows.is_empty() {
        return Err(Error::format(path, first.len() as u64, "no data rows after the header"));
    }
    let d = width - usize::from(label_col.is_some());
    let mut data = Vec::with_capacity(rows.len().saturating_mul(d).min(bytes.len()));
    let mut labels = label_col.map(|_| Vec::with_capacity(rows.len()));
    for (row, &(line_no, line_offset, line)) in rows.iter().enumerate() {
        let mut count = 0;
        let mut field_offset = line_offset;
        for (j, field) in line.split(',').enumerate() {
            count += 1;
            let here = field_offset as u64;
            field_offset += field.len() + 1;
            if count > width {
                continue; // counted, reported below
            }
            let f = field.trim();
            let at =
                |reason: String| Error::format(path, here, format!("row {row} (line {line_no}), column {j}: {reason}"));
            if Some(j) == label_col {
                let v: f64 = f.parse().map_err(|_| at(format!("label '{f}' is not a number")))?;
                if v.fract() != 0.0 || v < i32::MIN as f64 || v > i32::MAX as f64 {
                    return Err(at(format!("label '{f}' is not an int32 integer")));
                }
                if let Some(l) = labels.as_mut() {
                    l.push(v as i32);
                }
            } else {
                let v: f32 = f.parse().map_err(|_| at(format!("'{f}' is not a number")))?;
                if !v.is_finite() {
                    return Err(at(format!("value {f} is not finite")));
                }
                data.push(v);
            }
        }
        if count != width {
            return Err(Error::format(
                path,
                line_offset as u64,
                format!("row {row} (line {line_no}) has {count} columns, the first row has {width}"),
            ));
        }
    }
    Ok((Tensor::new(rows.len(), d, data), labels))
}

#[cfg(test)]
#[path = "vectors_tests.rs"]
mod tests;
