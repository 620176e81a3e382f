//! Packed binary codes: n codes of `bits` bits, each stored in
//! `words_per_code = ceil(bits / 64)` little-endian u64 words. Bit j of a code is
//! bit `j % 64` of word `j / 64`; unused high bits of the last word are zero.
//! Byte b of the `.npy` form is bits `8b..8b+8` of the code, so
//! bit j is `(byte[j / 8] >> (j % 8)) & 1` (DESIGN §3).

use crate::{Error, Result};

/// The largest code width sigah handles.
pub const MAX_BITS: usize = 4096;

/// n packed binary codes of the same width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codes {
    bits: usize,
    words_per_code: usize,
    len: usize,
    words: Vec<u64>,
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
        Ok(Self { bits, words_per_code, len, words: vec![0; len * words_per_code] })
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
        let codes = Self { bits, words_per_code, len, words };
        if bits % 64 != 0 {
            let mask = !0u64 << (bits % 64);
            if let Some(i) = (0..len).find(|&i| codes.code(i)[words_per_code - 1] & mask != 0) {
                return Err(Error::ShapeMismatch {
                    op: "Codes::from_words",
                    expected: format!("zero padding above bit {bits}"),
                    got: format!("bits set in code {i}"),
                });
            }
        }
        Ok(codes)
    }

    /// Binarises a row-major `rows × bits` matrix: bit j of code i is `values[i, j] > 0`.
    pub fn from_signs(values: &[f32], bits: usize) -> Result<Self> {
        let mut codes = Self::zeros(0, bits)?;
        if values.len() % bits != 0 {
            return Err(Error::ShapeMismatch {
                op: "Codes::from_signs",
                expected: format!("a multiple of {bits} values"),
                got: values.len().to_string(),
            });
        }
        codes.len = values.len() / bits;
        codes.words = vec![0; codes.len * codes.words_per_code];
        for (i, row) in values.chunks_exact(bits).enumerate() {
            let code = &mut codes.words[i * codes.words_per_code..(i + 1) * codes.words_per_code];
            for (j, &v) in row.iter().enumerate() {
                if v > 0.0 {
                    code[j / 64] |= 1 << (j % 64);
                }
            }
        }
        Ok(codes)
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
        &self.words[i * self.words_per_code..(i + 1) * self.words_per_code]
    }
    /// Bit `j` of code `i`.
    pub fn bit(&self, i: usize, j: usize) -> bool {
        (self.code(i)[j / 64] >> (j % 64)) & 1 == 1
    }
    /// All words, code after code.
    pub fn as_words(&self) -> &[u64] {
        &self.words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_signs_sets_the_documented_bits() {
        let mut v = vec![-1.0f32; 2 * 72];
        v[0] = 1.0; // code 0 bit 0
        v[65] = 0.5; // code 0 bit 65 -> word 1 bit 1
        v[72 + 71] = 2.0; // code 1 bit 71
        v[3] = 0.0; // zero is a 0 bit
        let c = Codes::from_signs(&v, 72).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.words_per_code(), 2);
        assert_eq!(c.code(0), &[1, 2]);
        assert_eq!(c.code(1), &[0, 1 << 7]);
        assert!(c.bit(1, 71) && !c.bit(0, 3));
    }

    #[test]
    fn widths_are_checked() {
        assert!(Codes::zeros(1, 12).is_err());
        assert!(Codes::zeros(1, 0).is_err());
        assert!(Codes::zeros(1, 4104).is_err());
        assert!(Codes::zeros(1, 4096).is_ok());
        assert!(Codes::from_words(8, vec![0x1ff]).is_err(), "bit 8 set in an 8-bit code");
        assert!(Codes::from_words(128, vec![1, 2, 3]).is_err());
    }
}
