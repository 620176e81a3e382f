//! The byte-row Hamming reference: the same XOR-and-count as the word reference
//! ([`crate::hamming::scalar`], generic over the lane type), one byte at a time.

pub use crate::hamming::scalar::{distance, one_to_many, scan};
