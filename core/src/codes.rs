//! Packed binary codes: n codes of `bits` bits, each stored in
//! `words_per_code = ceil(bits / 64)` little-endian u64 words. Bit j of a code is
//! bit `j % 64` of word `j / 64`; unused high bits of the last word are zero.
//! Byte b of the `.npy` form is bits `8b..8b+8` of the code, so
//! bit j is `(byte[j / 8] >> (j % 8)) & 1` (DESIGN §3).
//!
//! Storage is either owned words or a read-only memory map of a `.npy` file
//! ([`Codes::open_npy`]). A map is viewed in place as u64 words when that is
//! possible: `bits % 64 == 0` (a row is whole words), a little-endian host, and a
//! data offset that is a multiple of 8 (NumPy pads its header to 64 bytes, and a
//! map starts on a page boundary, so files NumPy writes always qualify). Then the
//! open is O(1) and the codes cost no memory beyond the page cache. Otherwise each
//! row of `bits / 8` bytes must be widened to whole words, so `open_npy` repacks
//! into owned memory (O(n)); the memory is then `n · words_per_code · 8` bytes.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;

use crate::io::npy::{self, DType};
use crate::io::write_atomic;
use crate::{Error, Result};

/// The largest code width sigah handles.
pub const MAX_BITS: usize = 4096;

/// Where the words live.
#[derive(Clone)]
enum Store {
    Owned(Vec<u64>),
    /// `words` u64 starting `offset` bytes into the map (offset % 8 == 0, checked
    /// when opened, so the cast in `as_words` cannot fail).
    Mapped {
        map: Arc<Mmap>,
        offset: usize,
        words: usize,
    },
}

/// n packed binary codes of the same width.
#[derive(Clone)]
pub struct Codes {
    bits: usize,
    words_per_code: usize,
    len: usize,
    store: Store,
}

/// Checks a code width: a positive multiple of 8 up to [`MAX_BITS`].
pub fn check_bits(bits: usize) -> Result<()> {
    if bits == 0 || bits % 8 != 0 || bits > MAX_BITS {
        return Err(Error::Config(format!("bits must be a multiple of 8 between 8 and {MAX_BITS}, got {bits}")));
    }
    Ok(())
}

impl Codes {
    /// `len` all-zero codes of `bits` bits.
    pub fn zeros(len: usize, bits: usize) -> Result<Self> {
        check_bits(bits)?;
        let words_per_code = bits.div_ceil(64);
        Ok(Self { bits, words_per_code, len, store: Store::Owned(vec![0; len * words_per_code]) })
    }

    /// Codes from packed words (`words.len()` must be a multiple of the words per code,
    /// and bits beyond `bits` must be zero).
    pub fn from_words(bits: usize, words: Vec<u64>) -> Result<Self> {
        check_bits(bits)?;
        let words_per_code = bits.div_ceil(64);
        if words.len() % words_per_code != 0 {
            return Err(Error::ShapeMismatch {
                op: "Codes::from_words",
                expected: format!("a multiple of {words_per_code} words"),
                got: words.len().to_string(),
            });
        }
        let len = words.len() / words_per_code;
        let codes = Self { bits, words_per_code, len, store: Store::Owned(words) };
        if let Some(i) = codes.first_bad_padding() {
            return Err(Error::ShapeMismatch {
                op: "Codes::from_words",
                expected: format!("zero padding above bit {bits}"),
                got: format!("bits set in code {i}"),
            });
        }
        Ok(codes)
    }

    /// Codes from words whose padding the caller checks later (loaders that report
    /// the offending offset themselves). `bits` must be valid and `words.len()` a
    /// multiple of the words per code.
    pub(crate) fn from_words_unchecked(bits: usize, words: Vec<u64>) -> Self {
        let words_per_code = bits.div_ceil(64);
        debug_assert!(check_bits(bits).is_ok() && words.len() % words_per_code == 0);
        Self { bits, words_per_code, len: words.len() / words_per_code, store: Store::Owned(words) }
    }

    /// `n` codes read in place from `map` at byte `offset` (a multiple of 8, with
    /// `n * words_per_code` words there: checked by the caller).
    pub(crate) fn from_map(bits: usize, n: usize, map: Arc<Mmap>, offset: usize) -> Self {
        let words_per_code = bits.div_ceil(64);
        assert!(offset % 8 == 0 && offset + n * words_per_code * 8 <= map.len(), "Codes::from_map: bad layout");
        Self { bits, words_per_code, len: n, store: Store::Mapped { map, offset, words: n * words_per_code } }
    }

    /// Binarises a row-major `rows × bits` matrix: bit j of code i is `values[i, j] > 0`.
    pub fn from_signs(values: &[f32], bits: usize) -> Result<Self> {
        check_bits(bits)?;
        if values.len() % bits != 0 {
            return Err(Error::ShapeMismatch {
                op: "Codes::from_signs",
                expected: format!("a multiple of {bits} values"),
                got: values.len().to_string(),
            });
        }
        let wpc = bits.div_ceil(64);
        let len = values.len() / bits;
        let mut words = vec![0u64; len * wpc];
        for (row, code) in values.chunks_exact(bits).zip(words.chunks_exact_mut(wpc)) {
            for (j, &v) in row.iter().enumerate() {
                if v > 0.0 {
                    code[j / 64] |= 1 << (j % 64);
                }
            }
        }
        Ok(Self { bits, words_per_code: wpc, len, store: Store::Owned(words) })
    }

    /// Codes from rows of `bits / 8` bytes each (the `.npy` layout).
    pub fn from_bytes(bits: usize, bytes: &[u8]) -> Result<Self> {
        check_bits(bits)?;
        let row = bits / 8;
        if bytes.len() % row != 0 {
            return Err(Error::ShapeMismatch {
                op: "Codes::from_bytes",
                expected: format!("a multiple of {row} bytes"),
                got: bytes.len().to_string(),
            });
        }
        let wpc = bits.div_ceil(64);
        let len = bytes.len() / row;
        let mut words = vec![0u64; len * wpc];
        for (src, dst) in bytes.chunks_exact(row).zip(words.chunks_exact_mut(wpc)) {
            pack_row(src, dst);
        }
        Ok(Self { bits, words_per_code: wpc, len, store: Store::Owned(words) })
    }

    /// The codes as rows of `bits / 8` bytes (the `.npy` layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let row = self.bits / 8;
        let mut out = Vec::with_capacity(self.len * row);
        for i in 0..self.len {
            out.extend(self.code(i).iter().flat_map(|w| w.to_le_bytes()).take(row));
        }
        out
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether there are no codes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Bits per code.
    pub fn bits(&self) -> usize {
        self.bits
    }
    /// u64 words per code.
    pub fn words_per_code(&self) -> usize {
        self.words_per_code
    }
    /// Code `i`'s words.
    pub fn code(&self, i: usize) -> &[u64] {
        &self.as_words()[i * self.words_per_code..(i + 1) * self.words_per_code]
    }
    /// Bit `j` of code `i`.
    pub fn bit(&self, i: usize, j: usize) -> bool {
        (self.code(i)[j / 64] >> (j % 64)) & 1 == 1
    }
    /// All words, code after code.
    pub fn as_words(&self) -> &[u64] {
        match &self.store {
            Store::Owned(words) => words,
            Store::Mapped { map, offset, words } => bytemuck::cast_slice(&map[*offset..*offset + words * 8]),
        }
    }
    /// Whether the words are read in place from a memory-mapped file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.store, Store::Mapped { .. })
    }

    /// Appends one code given as words.
    ///
    /// A mapped set is copied into memory first (maps are read-only).
    pub fn push(&mut self, code: &[u64]) -> Result<()> {
        if code.len() != self.words_per_code {
            return Err(Error::ShapeMismatch {
                op: "Codes::push",
                expected: format!("{} words", self.words_per_code),
                got: code.len().to_string(),
            });
        }
        if self.bits % 64 != 0 && code[self.words_per_code - 1] >> (self.bits % 64) != 0 {
            return Err(Error::ShapeMismatch {
                op: "Codes::push",
                expected: format!("zero padding above bit {}", self.bits),
                got: "bits set above it".into(),
            });
        }
        self.owned_mut().extend_from_slice(code);
        self.len += 1;
        Ok(())
    }

    /// Appends all of `other` (same width).
    pub fn extend(&mut self, other: &Codes) -> Result<()> {
        if other.bits != self.bits {
            return Err(Error::ShapeMismatch {
                op: "Codes::extend",
                expected: format!("{}-bit codes", self.bits),
                got: format!("{}-bit codes", other.bits),
            });
        }
        self.owned_mut().extend_from_slice(other.as_words());
        self.len += other.len;
        Ok(())
    }

    fn owned_mut(&mut self) -> &mut Vec<u64> {
        if let Store::Mapped { .. } = self.store {
            self.store = Store::Owned(self.as_words().to_vec());
        }
        match &mut self.store {
            Store::Owned(words) => words,
            Store::Mapped { .. } => unreachable!("just converted to owned"),
        }
    }

    /// The first code with a bit set above `bits`, if any.
    pub(crate) fn first_bad_padding(&self) -> Option<usize> {
        if self.bits % 64 == 0 {
            return None;
        }
        let mask = !0u64 << (self.bits % 64);
        (0..self.len).find(|&i| self.code(i)[self.words_per_code - 1] & mask != 0)
    }

    /// Reads a uint8 `.npy` file of shape `[n, bits / 8]` into memory.
    pub fn read_npy(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse_npy(path, &bytes)
    }

    /// Parses the bytes of a codes `.npy` (`path` only names the file in errors).
    pub fn parse_npy(path: &Path, bytes: &[u8]) -> Result<Self> {
        let (bits, offset) = npy_layout(path, bytes)?;
        Self::from_bytes(bits, &bytes[offset..offset + data_len(path, bytes, bits)?])
    }

    /// Opens a uint8 `.npy` file of shape `[n, bits / 8]` memory-mapped: in place
    /// and O(1) when `bits % 64 == 0` (see the module notes), else repacked.
    pub fn open_npy(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only and sigah never writes to its inputs. A file
        // truncated or rewritten by another process while mapped is outside what
        // any mmap-based reader can guard against (the same contract as every
        // memmap2 user); the header and size are validated before any word is read.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let (bits, offset) = npy_layout(path, &map)?;
        let n_bytes = data_len(path, &map, bits)?;
        let in_place = bits % 64 == 0 && cfg!(target_endian = "little") && offset % 8 == 0;
        if !in_place {
            return Self::from_bytes(bits, &map[offset..offset + n_bytes]);
        }
        Ok(Self::from_map(bits, n_bytes / (bits / 8), Arc::new(map), offset))
    }

    /// Writes the codes as a uint8 `.npy` of shape `[n, bits / 8]`, atomically.
    pub fn write_npy(&self, path: &Path) -> Result<()> {
        let row = self.bits / 8;
        write_atomic(path, |w: &mut dyn Write| {
            w.write_all(&npy::header_bytes(DType::U8, &[self.len, row]))?;
            self.write_rows(w)
        })
    }

    /// Writes the rows of `bits / 8` bytes, code after code.
    pub fn write_rows(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let row = self.bits / 8;
        if row % 8 == 0 && cfg!(target_endian = "little") {
            return w.write_all(bytemuck::cast_slice(self.as_words()));
        }
        let mut buf = Vec::with_capacity(row);
        for i in 0..self.len {
            buf.clear();
            buf.extend(self.code(i).iter().flat_map(|x| x.to_le_bytes()).take(row));
            w.write_all(&buf)?;
        }
        Ok(())
    }
}

/// Little-endian bytes of one row into words (the last word zero-padded).
fn pack_row(src: &[u8], dst: &mut [u64]) {
    for (word, chunk) in dst.iter_mut().zip(src.chunks(8)) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        *word = u64::from_le_bytes(b);
    }
}

/// Checks a codes `.npy` header: uint8, 2-D, a valid width. Returns (bits, data offset).
fn npy_layout(path: &Path, bytes: &[u8]) -> Result<(usize, usize)> {
    let header = npy::parse_header(path, bytes)?;
    if header.dtype != DType::U8 {
        return Err(Error::format(path, 0, format!("codes must be uint8 (descr |u1), found {}", header.dtype.descr())));
    }
    let [_, row] = header.shape[..] else {
        return Err(Error::format(
            path,
            0,
            format!("codes must be a 2-D array [n, bits/8], found shape {:?}", header.shape),
        ));
    };
    let bits = row.checked_mul(8).filter(|&b| check_bits(b).is_ok()).ok_or_else(|| {
        Error::format(path, 0, format!("{row} bytes per code: codes must be 1 to {} bytes wide", MAX_BITS / 8))
    })?;
    Ok((bits, header.data_offset))
}

/// Bytes of code data the header announces (parse_header checked they are there).
fn data_len(path: &Path, bytes: &[u8], bits: usize) -> Result<usize> {
    let header = npy::parse_header(path, bytes)?;
    Ok(header.shape[0] * (bits / 8))
}

impl PartialEq for Codes {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits && self.len == other.len && self.as_words() == other.as_words()
    }
}
impl Eq for Codes {}

impl fmt::Debug for Codes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codes")
            .field("bits", &self.bits)
            .field("len", &self.len)
            .field("mapped", &self.is_mapped())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
