//! CSV vectors: comma-separated numbers, one vector per line, an optional
//! header row and an optional integer label column (the options are
//! [`CsvOptions`]). Split from `vectors.rs`, which re-exports [`parse_csv`].

use std::path::Path;

use crate::{Error, Result, Tensor};

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

/// Parses CSV bytes: comma-separated numbers, one vector per line, blank lines
/// ignored. With a label column, that column is returned as integer labels and
/// removed from the vectors.
pub fn parse_csv(path: &Path, bytes: &[u8], opts: &CsvOptions) -> Result<(Tensor, Option<Vec<i32>>)> {
    let lines = text_lines(path, bytes)?;
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
    let label_col = label_column(path, opts.label.as_ref(), &first_fields, has_header)?;
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

/// (line number, byte offset, line) of every non-blank line of UTF-8 `bytes`.
fn text_lines<'a>(path: &Path, bytes: &'a [u8]) -> Result<Vec<(usize, usize, &'a str)>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::format(path, e.valid_up_to() as u64, "not UTF-8 text (a CSV file must be text)".to_string())
    })?;
    let mut lines = Vec::new();
    let mut offset = 0usize;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        if !line.trim().is_empty() {
            lines.push((i + 1, offset, line));
        }
        offset += raw.len();
    }
    Ok(lines)
}

/// The index of the label column `label` names in rows of `first_fields.len()`
/// columns (by name only when the file has a header row).
fn label_column(
    path: &Path,
    label: Option<&LabelColumn>,
    first_fields: &[&str],
    has_header: bool,
) -> Result<Option<usize>> {
    let width = first_fields.len();
    Ok(match label {
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
    })
}
