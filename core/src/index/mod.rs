//! The Hamming index: exact k-nearest-neighbour and radius search over packed
//! codes, and its file format.
//!
//! Answers are exact and ordered by (distance, id) everywhere, so they are the same
//! on every instruction set, with any thread count, and equal to a brute-force
//! sort (and to FAISS `IndexBinaryFlat`'s distances). `knn` pads with id −1 and
//! distance `u32::MAX` when k > n.
//!
//! How a search runs (see `search.rs`): the database is cut into cache-sized blocks;
//! each worker takes a group of queries and walks the blocks once, running every
//! query of its group over a block while the block is in L2 (query-stationary:
//! each query is splatted into registers once per block by the width-specialised
//! kernel `hamming_scan`). Top-k keeps a bounded max-heap of (distance, id) whose
//! worst entry is the kernel's threshold, so almost every code is rejected inside
//! the SIMD loop by one compare (a counting variant, [`TopKMethod::Counting`], is
//! there for comparison; see [`TopKMethod::for_k`]). Workers split the queries; with fewer queries
//! than threads they split the database into shards and merge.
//!
//! Memory: the index is its [`Codes`], rows of `bits / 8` bytes with no padding
//! between them: `n · bits / 8` bytes plus under 8 ([`HammingIndex::memory_bytes`]),
//! for every width. Rows of whole u64 words run the word kernels in place; rows of
//! up to 32 bits the byte-row kernels ([`sigah_kernels::hamming::bytes`], more
//! codes per register than padded words); other widths the word kernels over each
//! L1-sized block copied into padded words once per group of queries (O(1) memory).

mod file;
mod search;

use sigah_kernels::Isa;

use crate::codes::check_bits;
use crate::{Codes, Error, Result};

pub use file::{INDEX_MAGIC, INDEX_VERSION};
pub use search::TopKMethod;

/// Results of one query: (distance, id) pairs in ascending (distance, id) order.
pub type Neighbours = Vec<(u32, i64)>;

/// An exact Hamming index over a growing set of codes; ids are insertion order
/// (0-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HammingIndex {
    codes: Codes,
}

impl HammingIndex {
    /// An empty index of `bits`-bit codes.
    pub fn new(bits: usize) -> Result<Self> {
        Ok(Self { codes: Codes::zeros(0, bits)? })
    }

    /// An index over `codes` (ids 0..n). Mapped codes stay mapped.
    pub fn from_codes(codes: Codes) -> Self {
        Self { codes }
    }

    /// Appends codes; they get the next ids.
    pub fn add(&mut self, codes: &Codes) -> Result<()> {
        self.codes.extend(codes)
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    /// Bits per code.
    pub fn bits(&self) -> usize {
        self.codes.bits()
    }
    /// The codes, in id order.
    pub fn codes(&self) -> &Codes {
        &self.codes
    }
    /// Bytes of memory holding the codes: `n · bits / 8` plus under 8 when built,
    /// loaded or opened (a map's bytes are page cache, not heap); spare capacity
    /// after [`HammingIndex::add`] until [`HammingIndex::shrink_to_fit`]. The rest
    /// of the index is O(1).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.codes.memory_bytes()
    }
    /// Drops the spare capacity that adding codes leaves.
    pub fn shrink_to_fit(&mut self) {
        self.codes.shrink_to_fit()
    }

    /// The k nearest codes of each query: `(distances, ids)`, both row-major
    /// `[queries.len(), k]`, each row in ascending (distance, id) order, padded with
    /// `u32::MAX` / −1 when k exceeds the index size. Uses the rayon pool it is
    /// called in and [`sigah_kernels::isa::selected`].
    ///
    /// Errors: k = 0 ([`Error::Config`]); queries of another width ([`Error::ShapeMismatch`]).
    pub fn knn(&self, queries: &Codes, k: usize) -> Result<(Vec<u32>, Vec<i64>)> {
        self.knn_with(sigah_kernels::isa::selected(), queries, k)
    }

    /// [`HammingIndex::knn`] on a given instruction-set level (for tests and benches).
    pub fn knn_with(&self, isa: Isa, queries: &Codes, k: usize) -> Result<(Vec<u32>, Vec<i64>)> {
        self.check_queries("HammingIndex::knn", queries)?;
        if k == 0 {
            return Err(Error::Config("k must be at least 1".into()));
        }
        self.knn_method(isa, queries, k, TopKMethod::Auto)
    }

    /// [`HammingIndex::knn_with`] with a chosen top-k method (for tests and benches;
    /// the results are identical, only the speed differs).
    pub fn knn_method(&self, isa: Isa, queries: &Codes, k: usize, method: TopKMethod) -> Result<(Vec<u32>, Vec<i64>)> {
        self.check_queries("HammingIndex::knn", queries)?;
        if k == 0 {
            return Err(Error::Config("k must be at least 1".into()));
        }
        check_isa(isa)?;
        Ok(search::knn(isa, &self.codes, queries, k, method))
    }

    /// Every code within distance `r` (inclusive) of each query, one list per query in
    /// ascending (distance, id) order.
    pub fn radius(&self, queries: &Codes, r: u32) -> Result<Vec<Neighbours>> {
        self.radius_with(sigah_kernels::isa::selected(), queries, r)
    }

    /// [`HammingIndex::radius`] on a given instruction-set level.
    pub fn radius_with(&self, isa: Isa, queries: &Codes, r: u32) -> Result<Vec<Neighbours>> {
        self.check_queries("HammingIndex::radius", queries)?;
        check_isa(isa)?;
        Ok(search::radius(isa, &self.codes, queries, r))
    }

    fn check_queries(&self, op: &'static str, queries: &Codes) -> Result<()> {
        check_bits(self.bits())?;
        if queries.bits() != self.bits() {
            return Err(Error::ShapeMismatch {
                op,
                expected: format!("{}-bit queries", self.bits()),
                got: format!("{}-bit queries", queries.bits()),
            });
        }
        Ok(())
    }
}

fn check_isa(isa: Isa) -> Result<()> {
    if !isa.is_supported() {
        return Err(Error::Config(format!("instruction set {isa} is not supported by this CPU")));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
