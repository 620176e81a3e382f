//! The NumPy `.npy` format (versions 1.0, 2.0 and 3.0), little-endian, C order.
//!
//! Layout: magic `\x93NUMPY`, major and minor version bytes, a header length
//! (u16 for 1.0, u32 for 2.0/3.0), then an ASCII Python dict
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }` padded with spaces
//! and a newline so the data starts on a 64-byte boundary.

use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// The element types sigah reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    U8,
    I32,
    I64,
    U32,
    F32,
    F64,
    I8,
    I16,
    U16,
    U64,
    F16,
}

/// What `.npy` files sigah reads, said once for every message, so that no two
/// messages can disagree about it.
pub const READS: &str = "sigah reads .npy of float32, float64, float16, int8/16/32/64 and uint8/16/32/64, \
                         little-endian, C order (vectors are converted to float32)";

impl DType {
    /// The `descr` string NumPy writes for this type (little-endian).
    pub fn descr(self) -> &'static str {
        match self {
            DType::U8 => "|u1",
            DType::I32 => "<i4",
            DType::I64 => "<i8",
            DType::U32 => "<u4",
            DType::F32 => "<f4",
            DType::F64 => "<f8",
            DType::I8 => "|i1",
            DType::I16 => "<i2",
            DType::U16 => "<u2",
            DType::U64 => "<u8",
            DType::F16 => "<f2",
        }
    }

    /// numpy's name for it, for messages.
    pub fn name(self) -> &'static str {
        match self {
            DType::U8 => "uint8",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U32 => "uint32",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::U16 => "uint16",
            DType::U64 => "uint64",
            DType::F16 => "float16",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::U8 | DType::I8 => 1,
            DType::I16 | DType::U16 | DType::F16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::F64 | DType::U64 => 8,
        }
    }

    fn from_descr(descr: &str) -> Option<DType> {
        Some(match descr {
            "|u1" | "<u1" | "u1" | "|b1" => DType::U8,
            "<i4" => DType::I32,
            "<i8" => DType::I64,
            "<u4" => DType::U32,
            "<f4" => DType::F32,
            "<f8" => DType::F64,
            "|i1" | "<i1" | "i1" => DType::I8,
            "<i2" => DType::I16,
            "<u2" => DType::U16,
            "<u8" => DType::U64,
            "<f2" => DType::F16,
            _ => return None,
        })
    }
}

/// A Rust type that maps to one [`DType`].
pub trait Element: bytemuck::Pod {
    /// Its NumPy type.
    const DTYPE: DType;
}
/// `impl Element for T { const DTYPE = D; }` for each `T => D`.
macro_rules! elements {
    ($($t:ty => $d:ident),* $(,)?) => {
        $(impl Element for $t {
            const DTYPE: DType = DType::$d;
        })*
    };
}
elements!(u8 => U8, i32 => I32, i64 => I64, u32 => U32, f32 => F32, f64 => F64);

/// A parsed `.npy` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// Byte offset of the first element.
    pub data_offset: usize,
}

impl Header {
    /// Number of elements (product of the shape; 1 for a 0-d array).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape as (rows, cols): a 1-D array is one column per row.
    pub fn rows_cols(&self, path: &Path) -> Result<(usize, usize)> {
        match self.shape.as_slice() {
            [n] => Ok((*n, 1)),
            [n, d] => Ok((*n, *d)),
            other => Err(Error::format(path, 0, format!("expected a 1-D or 2-D array, found shape {other:?}"))),
        }
    }
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Parses the header at the start of `bytes` and checks that the data it announces
/// is all there (`bytes` may be a whole memory-mapped file).
pub fn parse_header(path: &Path, bytes: &[u8]) -> Result<Header> {
    let header = parse_header_only(path, bytes)?;
    let end = header.data_offset;
    let need = body_len(path, &header)?
        .checked_add(end)
        .ok_or_else(|| Error::format(path, end as u64, "shape is too large"))?;
    if bytes.len() < need {
        return Err(Error::format(
            path,
            bytes.len() as u64,
            format!(
                "truncated: shape {:?} of {} needs {} bytes of data, the file has {}",
                header.shape,
                header.dtype.descr(),
                need - end,
                bytes.len() - end
            ),
        ));
    }
    Ok(header)
}

/// The bytes of data `header` announces (checked: a shape whose product
/// overflows is an error, not a wrapped small number).
pub fn body_len(path: &Path, header: &Header) -> Result<usize> {
    header
        .shape
        .iter()
        .try_fold(header.dtype.size(), |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::format(path, header.data_offset as u64, "shape is too large"))
}

/// Parses the header at the start of `bytes` (the magic, the version, the
/// header dictionary) without looking for the data after it: what a stream
/// (standard input, a pipe, a `.gz`) reads before the data arrives.
pub fn parse_header_only(path: &Path, bytes: &[u8]) -> Result<Header> {
    let bad = |offset: usize, reason: String| Error::format(path, offset as u64, reason);
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad(0, "not a .npy file (missing the \\x93NUMPY magic)".into()));
    }
    let major = bytes[6];
    let (header_len, start): (usize, usize) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(bad(8, "truncated header length".into()));
            }
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        v => return Err(bad(6, format!("unsupported .npy version {v}"))),
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad(start, format!("header claims {header_len} bytes but the file is {} bytes", bytes.len())))?;
    let text = std::str::from_utf8(&bytes[start..end]).map_err(|_| bad(start, "header is not text".into()))?;

    let descr = dict_value(text, "descr").ok_or_else(|| bad(start, "header has no 'descr'".into()))?;
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    let dtype = DType::from_descr(descr).ok_or_else(|| bad(start, format!("unsupported dtype '{descr}': {READS}")))?;
    let fortran =
        dict_value(text, "fortran_order").ok_or_else(|| bad(start, "header has no 'fortran_order'".into()))?;
    if fortran.trim() != "False" {
        return Err(bad(start, "Fortran-order arrays are not supported; save with np.ascontiguousarray".into()));
    }
    let shape_text = dict_value(text, "shape").ok_or_else(|| bad(start, "header has no 'shape'".into()))?;
    let shape =
        parse_shape(shape_text).ok_or_else(|| bad(start, format!("cannot read shape {}", shape_text.trim())))?;

    Ok(Header { dtype, shape, data_offset: end })
}

/// The raw text of `key`'s value in a Python dict literal: up to the next
/// top-level comma (commas inside a tuple do not end it).
fn dict_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let at = text.find(&format!("'{key}'")).or_else(|| text.find(&format!("\"{key}\"")))?;
    let rest = &text[at + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?;
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(&rest[..i]),
            _ => {}
        }
    }
    None
}

fn parse_shape(text: &str) -> Option<Vec<usize>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.trim_end_matches('L').parse().ok()).collect()
}

/// Reads a whole `.npy` file of element type `T`, returning its shape and data.
/// Errors if the file's dtype is not `T`'s.
pub fn read<T: Element>(path: &Path) -> Result<(Vec<usize>, Vec<T>)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let header = parse_header(path, &bytes)?;
    if header.dtype != T::DTYPE {
        return Err(Error::format(
            path,
            0,
            format!("expected dtype {}, found {}", T::DTYPE.descr(), header.dtype.descr()),
        ));
    }
    let data = decode::<T>(&bytes[header.data_offset..], header.len());
    Ok((header.shape, data))
}

/// Copies `n` elements out of little-endian bytes (works whatever the alignment).
pub fn decode<T: Element>(bytes: &[u8], n: usize) -> Vec<T> {
    let size = std::mem::size_of::<T>();
    let mut out = vec![T::zeroed(); n];
    bytemuck::cast_slice_mut::<T, u8>(&mut out).copy_from_slice(&bytes[..n * size]);
    out
}

/// The `n` elements at the start of `body` (of `dtype`) as f32: exact for
/// float16, the integers up to 2^24 and every float64 a float32 holds, rounded to
/// nearest otherwise. `Err((i, value))` names the first element that is not a
/// finite number or, from float64, lies outside the float32 range.
pub fn to_f32(dtype: DType, body: &[u8], n: usize) -> std::result::Result<Vec<f32>, (usize, f64)> {
    let size = dtype.size();
    let mut out = Vec::with_capacity(n);
    for (i, c) in body[..n * size].chunks_exact(size).enumerate() {
        let v: f64 = match dtype {
            DType::U8 => c[0] as f64,
            DType::I8 => c[0] as i8 as f64,
            DType::I16 => i16::from_le_bytes([c[0], c[1]]) as f64,
            DType::U16 => u16::from_le_bytes([c[0], c[1]]) as f64,
            DType::F16 => f16_to_f32(u16::from_le_bytes([c[0], c[1]])) as f64,
            DType::I32 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
            DType::U32 => u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
            DType::F32 => f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
            // i64/u64 → f64 may round beyond 2^53, then → f32 rounds again to
            // 24 bits: the result is within one f32 ulp of the value.
            DType::I64 => i64::from_le_bytes(c.try_into().unwrap_or_default()) as f64,
            DType::U64 => u64::from_le_bytes(c.try_into().unwrap_or_default()) as f64,
            DType::F64 => f64::from_le_bytes(c.try_into().unwrap_or_default()),
        };
        let f = v as f32;
        if !f.is_finite() {
            return Err((i, v));
        }
        out.push(f);
    }
    Ok(out)
}

/// IEEE binary16 to binary32, exactly (every half value is a float value).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exp = (h >> 10) & 0x1f;
    let frac = (h & 0x3ff) as f32;
    match exp {
        0 => sign * frac * (2.0f32).powi(-24),
        0x1f if frac == 0.0 => sign * f32::INFINITY,
        0x1f => f32::NAN,
        e => sign * (1.0 + frac / 1024.0) * (2.0f32).powi(e as i32 - 15),
    }
}

/// The header bytes for an array of `dtype` and `shape` (version 1.0 when it fits).
pub fn header_bytes(dtype: DType, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let dict = format!("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", dtype.descr(), shape_text);
    let v1 = dict.len() + 10 + 1 < u16::MAX as usize;
    let prefix = if v1 { 10 } else { 12 };
    let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
    let pad = total - prefix - dict.len() - 1;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    let header_len = total - prefix;
    if v1 {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out
}

/// Writes `data` with `shape` to `path` atomically.
///
/// # Panics
/// If the shape's product is not `data.len()`.
pub fn write<T: Element>(path: &Path, shape: &[usize], data: &[T]) -> Result<()> {
    stage(path, shape, data)?.commit()
}

/// Writes `data` with `shape` for `path` without putting it in place yet
/// ([`crate::io::stage`]): for outputs that must appear together or not at all.
///
/// # Panics
/// If the shape's product is not `data.len()`.
pub fn stage<T: Element>(path: &Path, shape: &[usize], data: &[T]) -> Result<crate::io::Staged> {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "npy::write: shape {shape:?} does not hold {} elements",
        data.len()
    );
    crate::io::stage(path, |w: &mut dyn Write| {
        w.write_all(&header_bytes(T::DTYPE, shape))?;
        w.write_all(bytemuck::cast_slice(data))
    })
}

/// The `[n, d]` of a `.npy` of vectors; any other rank is refused.
pub(crate) fn vector_shape(path: &Path, header: &Header) -> Result<(usize, usize)> {
    match header.shape[..] {
        [n, d] => Ok((n, d)),
        _ => Err(Error::format(
            path,
            0,
            format!(
                "vectors must be a 2-D array [n, d], found shape {:?} (numpy: x.reshape(1, -1) for one vector, x.reshape(-1, 1) for n values)",
                header.shape
            ),
        )),
    }
}

/// The error for element `i` of a `.npy` of vectors whose value `v` has no
/// finite f32.
pub(crate) fn vector_value_error(path: &Path, header: &Header, d: usize, i: usize, v: f64) -> Error {
    let offset = (header.data_offset + header.dtype.size() * i) as u64;
    let (row, col) = (i / d.max(1), i % d.max(1));
    if v.is_finite() {
        Error::format(
            path,
            offset,
            format!("row {row}, column {col}: {} value {v:e} is outside the float32 range", header.dtype.name()),
        )
    } else {
        Error::non_finite_value(path, row, col, offset, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_dtype() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        write(&p, &[2, 3], &[1.5f32, -2.0, 3.0, 0.0, 5.0, 6.0]).unwrap();
        assert_eq!(read::<f32>(&p).unwrap(), (vec![2, 3], vec![1.5, -2.0, 3.0, 0.0, 5.0, 6.0]));
        write(&p, &[4], &[1u8, 2, 3, 255]).unwrap();
        assert_eq!(read::<u8>(&p).unwrap(), (vec![4], vec![1, 2, 3, 255]));
        write(&p, &[1, 2], &[-1i64, 7]).unwrap();
        assert_eq!(read::<i64>(&p).unwrap(), (vec![1, 2], vec![-1, 7]));
        write(&p, &[0, 8], &[] as &[i32]).unwrap();
        assert_eq!(read::<i32>(&p).unwrap(), (vec![0, 8], vec![]));
    }

    #[test]
    fn header_is_what_numpy_writes() {
        // numpy.save(f, np.zeros((2, 3), np.float32)) writes exactly this header.
        let h = header_bytes(DType::F32, &[2, 3]);
        let expect = b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        assert_eq!(&h[..expect.len()], expect);
        assert_eq!(h.len(), 128);
        assert_eq!(*h.last().unwrap(), b'\n');
        let h1 = header_bytes(DType::U8, &[5]);
        assert!(String::from_utf8_lossy(&h1[10..]).contains("'shape': (5,)"));
    }

    #[test]
    fn wrong_dtype_and_truncation_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        write(&p, &[2, 2], &[1.0f32; 4]).unwrap();
        let e = read::<u8>(&p).unwrap_err().to_string();
        assert!(e.contains("expected dtype |u1, found <f4"), "{e}");
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        let e = read::<f32>(&p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        std::fs::write(&p, b"hello world, not npy").unwrap();
        assert!(read::<f32>(&p).unwrap_err().to_string().contains("magic"));
    }

    #[test]
    fn huge_claimed_shape_does_not_allocate() {
        let mut bytes = header_bytes(DType::F32, &[1_000_000_000_000, 1000]);
        bytes.extend_from_slice(&[0; 16]);
        let e = parse_header(Path::new("x.npy"), &bytes).unwrap_err().to_string();
        assert!(e.contains("truncated") || e.contains("too large"), "{e}");
    }
}
