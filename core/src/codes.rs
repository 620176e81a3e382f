//! Packed binary codes: n codes of `bits` bits (a multiple of 8), each a row of
//! `bits / 8` bytes, rows back to back with no padding. Byte b of a row holds bits
//! `8b..8b+8`, so bit j is `(byte[j / 8] >> (j % 8)) & 1` (numpy's `packbits(bitorder="little")`): the rows are
//! exactly the `.npy` form, and n codes take n · bits / 8 bytes.
//!
//! Storage is either owned or a read-only memory map of a `.npy` file
//! (`Codes::open_npy`, in `io/codes_file.rs`), read in place for every width, so opening is O(1) and the
//! codes cost no memory beyond the page cache. Owned rows live in a `Vec<u64>` of
//! ⌈n · bits / 64⌉ words: the only padding is the < 8 bytes that round the end up
//! to a word (kept zero), and the buffer is 8-aligned, so when bits is a multiple
//! of 64 the same bytes are the u64 words the word kernels read
//! ([`Codes::as_words`]; on a little-endian host, bit j of a code is then bit
//! `j % 64` of its word `j / 64`). Other widths are searched by the byte-row
//! kernels ([`sigah_kernels::hamming::bytes`]) or, from 40 bits, by the word
//! kernels over one cache block at a time copied into padded words (see
//! `index/search.rs`).

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use memmap2::Mmap;

use crate::{Error, Result};

/// The largest code width sigah handles.
pub const MAX_BITS: usize = 4096;

/// Where the rows live.
#[derive(Clone)]
enum Store {
    /// Rows back to back in words (8-aligned); bytes past the last row are zero.
    Owned(Vec<u64>),
    /// `len · bytes_per_code` bytes starting `offset` bytes into the map.
    Mapped { map: Arc<Mmap>, offset: usize },
}

/// n packed binary codes of the same width.
#[derive(Clone)]
pub struct Codes {
    bits: usize,
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

/// The bytes of a word buffer.
fn bytes_of(words: &[u64]) -> &[u8] {
    bytemuck::cast_slice(words)
}

fn bytes_of_mut(words: &mut [u64]) -> &mut [u8] {
    bytemuck::cast_slice_mut(words)
}

impl Codes {
    /// `len` all-zero codes of `bits` bits.
    pub fn zeros(len: usize, bits: usize) -> Result<Self> {
        check_bits(bits)?;
        Ok(Self { bits, len, store: Store::Owned(vec![0; (len * bits / 8).div_ceil(8)]) })
    }

    /// Codes from u64 words, `ceil(bits / 64)` per code: bit j of a code is bit
    /// `j % 64` of its word `j / 64`. `words.len()` must be a multiple of the words
    /// per code, and bits above `bits` in a code's last word must be zero.
    pub fn from_words(bits: usize, words: Vec<u64>) -> Result<Self> {
        check_bits(bits)?;
        let wpc = bits.div_ceil(64);
        if words.len() % wpc != 0 {
            return Err(Error::ShapeMismatch {
                op: "Codes::from_words",
                expected: format!("a multiple of {wpc} words"),
                got: words.len().to_string(),
            });
        }
        if bits % 64 != 0 {
            if let Some(i) = words.chunks_exact(wpc).position(|c| c[wpc - 1] >> (bits % 64) != 0) {
                return Err(Error::ShapeMismatch {
                    op: "Codes::from_words",
                    expected: format!("zero padding above bit {bits}"),
                    got: format!("bits set in code {i}"),
                });
            }
        }
        let len = words.len() / wpc;
        if bits % 64 == 0 && cfg!(target_endian = "little") {
            // The words are already the rows.
            return Ok(Self { bits, len, store: Store::Owned(words) });
        }
        let row = bits / 8;
        let mut codes = Self::zeros(len, bits)?;
        let out = codes.rows_mut();
        for (dst, code) in out.chunks_exact_mut(row).zip(words.chunks_exact(wpc)) {
            for (d, s) in dst.chunks_mut(8).zip(code) {
                d.copy_from_slice(&s.to_le_bytes()[..d.len()]);
            }
        }
        Ok(codes)
    }

    /// `n` codes read in place from `map` at byte `offset` (with `n · bits / 8`
    /// bytes there: checked by the caller).
    pub(crate) fn from_map(bits: usize, n: usize, map: Arc<Mmap>, offset: usize) -> Self {
        assert!(offset + n * (bits / 8) <= map.len(), "Codes::from_map: {n} codes of {bits} bits overrun the map");
        Self { bits, len: n, store: Store::Mapped { map, offset } }
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
        let mut codes = Self::zeros(values.len() / bits, bits)?;
        let rows = codes.rows_mut();
        for (row, code) in values.chunks_exact(bits).zip(rows.chunks_exact_mut(bits / 8)) {
            pack_signs(row, code);
        }
        Ok(codes)
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
        let mut codes = Self::zeros(bytes.len() / row, bits)?;
        codes.rows_mut().copy_from_slice(bytes);
        Ok(codes)
    }

    /// The codes as rows of `bits / 8` bytes (the `.npy` layout), copied.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
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
    /// Bytes per code (`bits / 8`): the row width.
    pub fn bytes_per_code(&self) -> usize {
        self.bits / 8
    }
    /// All rows, code after code: `len · bits / 8` bytes.
    pub fn as_bytes(&self) -> &[u8] {
        let n = self.len * self.bytes_per_code();
        match &self.store {
            Store::Owned(words) => &bytes_of(words)[..n],
            Store::Mapped { map, offset } => &map[*offset..*offset + n],
        }
    }
    /// Code `i`'s row of `bits / 8` bytes.
    pub fn code_bytes(&self, i: usize) -> &[u8] {
        let row = self.bytes_per_code();
        &self.as_bytes()[i * row..(i + 1) * row]
    }
    /// Bit `j` of code `i`.
    pub fn bit(&self, i: usize, j: usize) -> bool {
        (self.code_bytes(i)[j / 8] >> (j % 8)) & 1 == 1
    }
    /// The rows as u64 words, `bits / 64` per code, when they are whole words read
    /// in place: bits a multiple of 64, a little-endian host (so bit j is bit
    /// `j % 64` of word `j / 64`) and 8-aligned storage (always when owned; a map
    /// when its data offset is a multiple of 8, as in every file NumPy or sigah
    /// writes). `None` otherwise: use [`Codes::as_bytes`].
    pub fn as_words(&self) -> Option<&[u64]> {
        if self.bits % 64 != 0 || cfg!(target_endian = "big") {
            return None;
        }
        match &self.store {
            Store::Owned(words) => Some(&words[..self.len * self.bits / 64]),
            Store::Mapped { .. } => bytemuck::try_cast_slice(self.as_bytes()).ok(),
        }
    }
    /// Whether the rows are read in place from a memory-mapped file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.store, Store::Mapped { .. })
    }
    /// Bytes of memory holding the rows: the capacity of the owned buffer (exactly
    /// ⌈n · bits / 64⌉ · 8 once built, read or loaded; appending grows it
    /// geometrically until [`Codes::shrink_to_fit`]), or for a map the `n · bits / 8`
    /// mapped bytes (page cache shared with the file, not heap).
    pub fn memory_bytes(&self) -> usize {
        match &self.store {
            Store::Owned(words) => words.capacity() * 8,
            Store::Mapped { .. } => self.as_bytes().len(),
        }
    }
    /// Drops spare capacity left by appending, so [`Codes::memory_bytes`] is
    /// `n · bits / 8` plus < 8 again.
    pub fn shrink_to_fit(&mut self) {
        if let Store::Owned(words) = &mut self.store {
            words.shrink_to_fit();
        }
    }

    /// Appends one code given as its row of `bits / 8` bytes.
    ///
    /// A mapped set is copied into memory first (maps are read-only).
    pub fn push(&mut self, row: &[u8]) -> Result<()> {
        if row.len() != self.bytes_per_code() {
            return Err(Error::ShapeMismatch {
                op: "Codes::push",
                expected: format!("{} bytes", self.bytes_per_code()),
                got: row.len().to_string(),
            });
        }
        self.append(row);
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
        self.append(other.as_bytes());
        Ok(())
    }

    /// Appends whole rows.
    fn append(&mut self, rows: &[u8]) {
        let start = self.len * self.bytes_per_code();
        let end = start + rows.len();
        let words = self.owned_mut();
        // resize grows the capacity geometrically: appending n codes one at a time
        // is O(n) in total.
        words.resize(end.div_ceil(8), 0);
        bytes_of_mut(words)[start..end].copy_from_slice(rows);
        self.len += rows.len() / self.bytes_per_code();
    }

    /// The owned words, copying a map into memory first.
    fn owned_mut(&mut self) -> &mut Vec<u64> {
        if let Store::Mapped { .. } = self.store {
            let bytes = self.as_bytes();
            let mut words = vec![0u64; bytes.len().div_ceil(8)];
            bytes_of_mut(&mut words)[..bytes.len()].copy_from_slice(bytes);
            self.store = Store::Owned(words);
        }
        match &mut self.store {
            Store::Owned(words) => words,
            Store::Mapped { .. } => unreachable!("just converted to owned"),
        }
    }

    /// The rows, writable (a map is copied into memory first); constructors and
    /// encoders fill a fresh [`Codes::zeros`].
    pub(crate) fn rows_mut(&mut self) -> &mut [u8] {
        let n = self.len * self.bytes_per_code();
        &mut bytes_of_mut(self.owned_mut())[..n]
    }

    /// Writes the rows of `bits / 8` bytes, code after code.
    pub fn write_rows(&self, w: &mut dyn Write) -> std::io::Result<()> {
        w.write_all(self.as_bytes())
    }
}

/// Packs one row of values into a code's bytes: bit j (bit `j % 8` of byte
/// `j / 8`) is `row[j] > 0`. The one sign-to-bit rule: [`Codes::from_signs`] and
/// the encoder (`model/encode.rs`) both call it.
pub(crate) fn pack_signs(row: &[f32], code: &mut [u8]) {
    for (byte, vals) in code.iter_mut().zip(row.chunks_exact(8)) {
        *byte = vals.iter().enumerate().fold(0u8, |b, (k, &v)| b | (u8::from(v > 0.0) << k));
    }
}

impl PartialEq for Codes {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits && self.len == other.len && self.as_bytes() == other.as_bytes()
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
