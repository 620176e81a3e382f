//! The Hamming index: exact k-nearest-neighbour and radius search over packed
//! codes.
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
//! kernel `hamming_scan`). Top-k keeps the k-th best distance as the kernel's
//! threshold, so almost every code is rejected inside the SIMD loop by one
//! compare: by counting (a histogram of distances, [`TopKMethod::Counting`]) where
//! ids follow positions, by a bounded max-heap of (distance, id) otherwise (see
//! [`TopKMethod::Auto`]). At 128 bits and up on AVX-512 each block is sliced
//! word-major once per group of queries (`repack.rs`). Workers split the
//! queries; with fewer queries than threads they split the database into shards
//! and merge.
//!
//! Memory: the index is its [`Codes`], rows of `bits / 8` bytes with no padding
//! between them: `n · bits / 8` bytes plus under 8 ([`HammingIndex::memory_bytes`]),
//! for every width. Rows of whole u64 words run the word kernels in place; rows of
//! up to 32 bits the byte-row kernels ([`sigah_kernels::hamming::bytes`], more
//! codes per register than padded words); other widths the word kernels over each
//! L1-sized block copied into padded words once per group of queries (O(1) memory).
//!
//! The index file format is `io/index_file.rs` (every file format lives in `io/`).
//!
//! Past the scan: multi-index hashing ([`MultiIndex`], `mih.rs`, `mih_search.rs`)
//! answers the same queries exactly by probing substring tables, and falls back to
//! the scan query by query where it cannot win ([`Engine::Auto`]). Ids can be
//! custom non-negative int64s, codes can be removed by id (a tombstone: the codes
//! are not moved) and a search can be restricted to an allow-list (`ids.rs`).

mod block;
pub mod cost;
mod ids;
mod limit;
pub(crate) mod mih;
mod mih_search;
mod repack;
mod search;
pub(crate) mod slab;
mod tiles;
mod view;

use std::sync::Arc;

use sigah_kernels::Isa;

use crate::codes::check_bits;
use crate::{Codes, Error, Result};

pub use limit::{ResultLimit, BYTES_PER_RESULT};
pub use mih::{auto_m, MultiIndex, MAX_SUBSTRING_BITS};
pub use search::{Neighbours, TopKMethod};

use limit::Cap;
use mih_search::{Goal, Plan};
use view::View;

/// An exact Hamming index over a growing set of codes. Ids are insertion order
/// (0-based) unless custom ids were given ([`HammingIndex::from_codes_with_ids`]).
#[derive(Clone, Debug)]
pub struct HammingIndex {
    codes: Codes,
    /// Position → id; `None`: the id is the position.
    ids: Option<Vec<i64>>,
    /// Bitset of positions not removed; `None`: nothing removed.
    live: Option<Vec<u64>>,
    /// Multi-index hashing tables over all positions (removed ones included, the
    /// view filters them); dropped when codes are added.
    tables: Option<Arc<MultiIndex>>,
}

/// Two indexes are equal when they hold the same codes, ids and removals (the
/// tables are derived from the codes).
impl PartialEq for HammingIndex {
    fn eq(&self, other: &Self) -> bool {
        self.codes == other.codes && self.ids == other.ids && self.live == other.live
    }
}
impl Eq for HammingIndex {}

/// Which engine answers a search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// Multi-index hashing when the index has tables and at least
    /// [`MIH_MIN_CODES`] codes and a pilot of a few queries finds the tables
    /// cheap enough for this batch (`mih_search::Plan::Decide`), each query
    /// falling back to the scan past its work budget; the scan otherwise.
    #[default]
    Auto,
    /// The blocked linear scan.
    Scan,
    /// Multi-index hashing (tables built on the fly if missing), still falling
    /// back to the scan for queries past the budget.
    MultiIndex,
}

/// Options of [`HammingIndex::search_knn`] and [`HammingIndex::search_radius`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SearchOptions<'a> {
    /// The engine (default [`Engine::Auto`]).
    pub engine: Engine,
    /// Only these ids may be returned (an id not in the index is an error).
    pub allow: Option<&'a [i64]>,
    /// The instruction-set level (default [`sigah_kernels::isa::selected`]).
    pub isa: Option<Isa>,
    /// Work (keys probed plus codes read) after which a multi-index query gives up
    /// and is scanned; default [`HammingIndex::default_budget`]. `usize::MAX`: never.
    pub budget: Option<usize>,
}

/// Below this many codes the scan is used even when tables exist: a scan of a few
/// thousand codes is a few microseconds, under the fixed cost of probing m tables.
pub const MIH_MIN_CODES: usize = 4096;

impl HammingIndex {
    /// An empty index of `bits`-bit codes.
    pub fn new(bits: usize) -> Result<Self> {
        Ok(Self::from_codes(Codes::zeros(0, bits)?))
    }

    /// An index over `codes` (ids 0..n). Mapped codes stay mapped.
    pub fn from_codes(codes: Codes) -> Self {
        Self { codes, ids: None, live: None, tables: None }
    }

    /// An index of its parts as a file stores them (`io/index_file.rs`): the
    /// codes, custom ids, the live bitset and multi-index tables.
    pub(crate) fn from_parts(
        codes: Codes,
        ids: Option<Vec<i64>>,
        live: Option<Vec<u64>>,
        tables: Option<MultiIndex>,
    ) -> Self {
        Self { codes, ids, live, tables: tables.map(Arc::new) }
    }

    /// The bitset of positions not removed (bit p of word p / 64); `None` when
    /// nothing was removed.
    pub(crate) fn live_bits(&self) -> Option<&[u64]> {
        self.live.as_deref()
    }

    /// Number of codes stored, removed ones included (positions 0..len).
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    /// Whether the index stores no codes.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    /// Bits per code.
    pub fn bits(&self) -> usize {
        self.codes.bits()
    }
    /// The codes, in position (insertion) order.
    pub fn codes(&self) -> &Codes {
        &self.codes
    }
    /// Bytes of memory holding the codes: `n · bits / 8` plus under 8 when built,
    /// loaded or opened (a map's bytes are page cache, not heap); spare capacity
    /// after [`HammingIndex::add`] until [`HammingIndex::shrink_to_fit`]. Custom
    /// ids add 8 bytes per code, removals n / 8 bytes, and multi-index tables
    /// [`MultiIndex::memory_bytes`]; a plain index's rest is O(1).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.codes.memory_bytes()
            + self.ids.as_ref().map_or(0, |v| v.capacity() * 8)
            + self.live.as_ref().map_or(0, |v| v.capacity() * 8)
            + self.tables.as_ref().map_or(0, |t| t.memory_bytes())
    }

    /// Builds the multi-index hashing tables with `m` substrings ([`auto_m`] when
    /// `None`), on the calling rayon pool.
    ///
    /// Errors: m = 0, m above the bits or too small for 32-bit substrings, or
    /// 2^32 − 1 codes or more ([`Error::Config`]).
    pub fn build_multi_index(&mut self, m: Option<usize>) -> Result<()> {
        let bits = self.bits();
        let m = m.unwrap_or_else(|| auto_m(bits, self.len()));
        let least = bits.div_ceil(MAX_SUBSTRING_BITS);
        if m < least || m > bits {
            return Err(Error::Config(format!(
                "multi-index hashing of {bits}-bit codes needs {least} to {bits} substrings, got {m}"
            )));
        }
        if self.len() >= u32::MAX as usize {
            return Err(Error::Config(format!(
                "multi-index hashing holds under 2^32 - 1 codes, this index has {}",
                self.len()
            )));
        }
        self.tables = Some(Arc::new(MultiIndex::build(&self.codes, m)));
        Ok(())
    }

    /// Makes sure the index has the multi-index tables `engine` uses, given the
    /// m its file records (`recorded_m`, 0: none): [`Engine::Auto`] builds them
    /// only when the file recorded them and the index holds at least
    /// [`MIH_MIN_CODES`] codes (a version-3 file records m without storing the
    /// tables); [`Engine::MultiIndex`] always (with the recorded m, else
    /// [`auto_m`]); [`Engine::Scan`] never. Tables already there are kept.
    ///
    /// Errors: as [`HammingIndex::build_multi_index`].
    pub fn prepare_tables(&mut self, engine: Engine, recorded_m: usize) -> Result<()> {
        let wants = self.tables.is_none()
            && match engine {
                Engine::Auto => recorded_m > 0 && self.len() >= MIH_MIN_CODES,
                Engine::MultiIndex => true,
                Engine::Scan => false,
            };
        if wants {
            self.build_multi_index((recorded_m > 0).then_some(recorded_m))?;
        }
        Ok(())
    }

    /// The codes a search can reach: the live ones, or fewer with an
    /// allow-list (k beyond them would only be padding).
    pub fn reachable(&self, allow: Option<&[i64]>) -> usize {
        allow.map_or(self.live_len(), |a| {
            // A repeated id allows one code, not two: count each id once.
            let mut distinct = a.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            distinct.len().min(self.live_len())
        })
    }

    /// The multi-index hashing tables, if built (or loaded).
    pub fn multi_index(&self) -> Option<&MultiIndex> {
        self.tables.as_deref()
    }

    /// The default work budget of a multi-index query: twice what scanning this
    /// index costs one query, in bytes read ([`cost`]). [`Engine::Auto`] uses the
    /// tables only where a pilot's mean is under a quarter of a scan
    /// ([`mih_search::MIH_SHARE`]), so the budget only stops the outliers of a
    /// batch the tables suit, and those are better left to finish: a query that
    /// gives up is scanned among the few others that did, which shares each
    /// block among few queries and costs several times its share of a batched
    /// scan. (At half a scan, 8 of 1,000 queries on 10M real 64-bit codes gave
    /// up at k = 10 and the batch ran 9.1× the scan instead of 12×.)
    pub fn default_budget(&self) -> usize {
        (2 * self.scan_cost()).max(64 * cost::PROBE)
    }

    /// What scanning the index costs one query, in the units of [`cost`].
    fn scan_cost(&self) -> usize {
        self.len() * self.codes.bytes_per_code()
    }
    /// Drops the spare capacity that adding codes leaves.
    pub fn shrink_to_fit(&mut self) {
        self.codes.shrink_to_fit()
    }

    /// The k nearest codes of each query: `(distances, ids)`, both row-major
    /// `[queries.len(), k]`, each row in ascending (distance, id) order, padded with
    /// `u32::MAX` / −1 when k exceeds the index size. Removed codes are never
    /// returned. Uses the rayon pool it is called in, [`Engine::Auto`] and
    /// [`sigah_kernels::isa::selected`].
    ///
    /// Errors: k = 0 ([`Error::Config`]); queries of another width ([`Error::ShapeMismatch`]).
    pub fn knn(&self, queries: &Codes, k: usize) -> Result<(Vec<u32>, Vec<i64>)> {
        self.search_knn(queries, k, &SearchOptions::default())
    }

    /// [`HammingIndex::knn`] with options: engine, allow-list, level, budget.
    ///
    /// Errors: as [`HammingIndex::knn`]; an allow-list id not in the index
    /// ([`Error::Ids`]); an unsupported level ([`Error::Config`]).
    pub fn search_knn(&self, queries: &Codes, k: usize, opts: &SearchOptions) -> Result<(Vec<u32>, Vec<i64>)> {
        self.check_queries("HammingIndex::knn", queries)?;
        if k == 0 {
            return Err(Error::Config("k must be at least 1".into()));
        }
        search::rows_len(queries.len(), k)?;
        search::to_rows(self.search(queries, Goal::Knn(k), opts, None)?, k)
    }

    /// [`HammingIndex::radius`] with options.
    ///
    /// Errors: as [`HammingIndex::search_knn`].
    pub fn search_radius(&self, queries: &Codes, r: u32, opts: &SearchOptions) -> Result<Vec<Neighbours>> {
        self.check_queries("HammingIndex::radius", queries)?;
        Ok(self.search(queries, Goal::Radius(r), opts, None)?.into_iter().map(search::to_neighbours).collect())
    }

    /// [`HammingIndex::search_radius`] that never holds more than `limit.max`
    /// results: every query and thread takes each result from one shared count
    /// before storing it, so the search stops storing at the limit, whatever the
    /// batch or the engine, and is refused. A multi-index query that gives up
    /// returns what it took when its list is dropped; until then another
    /// thread may find the count full, so with several threads a search within
    /// a few queries' results of its limit may be refused (never answered past it).
    ///
    /// Errors: as [`HammingIndex::search_radius`]; past the limit
    /// ([`Error::Limit`]: `radius R over N queries make more than MAX results,
    /// over the limit of MAX (...)`).
    pub fn search_radius_limited(
        &self,
        queries: &Codes,
        r: u32,
        opts: &SearchOptions,
        limit: &ResultLimit,
    ) -> Result<Vec<Neighbours>> {
        self.check_queries("HammingIndex::radius", queries)?;
        let cap = Cap::new(limit.max);
        let lists = self.search(queries, Goal::Radius(r), opts, Some(&cap))?;
        if cap.over() {
            drop(lists);
            let what = format!("radius {r} over {} queries", queries.len());
            return Err(limit.refusal(&what, &format!("more than {}", limit.max)));
        }
        Ok(lists.into_iter().map(search::to_neighbours).collect())
    }

    fn search(
        &self,
        queries: &Codes,
        goal: Goal,
        opts: &SearchOptions,
        cap: Option<&Cap>,
    ) -> Result<Vec<Vec<(u32, u64)>>> {
        let isa = opts.isa.unwrap_or_else(sigah_kernels::isa::selected);
        check_isa(isa)?;
        let allow = self.allow_bits(opts.allow)?;
        let view = View::new(self.ids.as_deref(), allow.as_deref().or(self.live.as_deref()));
        let view = match cap {
            Some(cap) => view.capped(cap),
            None => view,
        };
        let built;
        let tables = match (opts.engine, &self.tables) {
            (Engine::Scan, _) => None,
            (Engine::Auto, t) => t.as_deref().filter(|_| self.len() >= MIH_MIN_CODES),
            (Engine::MultiIndex, Some(t)) => Some(&**t),
            (Engine::MultiIndex, None) => {
                let mut copy = Self::from_codes(self.codes.clone());
                copy.build_multi_index(None)?;
                built = copy.tables.expect("just built");
                Some(&*built)
            }
        };
        let scan = |qs: &Codes| match goal {
            Goal::Knn(k) => search::knn(isa, &self.codes, qs, k, TopKMethod::Auto, &view),
            Goal::Radius(r) => search::radius(isa, &self.codes, qs, r, &view),
        };
        let Some(tables) = tables else { return Ok(scan(queries)) };
        let budget = opts.budget.unwrap_or_else(|| self.default_budget());
        let plan = match opts.engine {
            Engine::Auto => Plan::Decide { budget, scan_cost: self.scan_cost() },
            _ => Plan::Always { budget },
        };
        let mut out = mih_search::search(tables, isa, &self.codes, queries, goal, &view, plan);
        // The queries that gave up, scanned together (the scan shares each block
        // among a group of queries).
        let left: Vec<usize> = (0..out.len()).filter(|&i| out[i].is_none()).collect();
        if !left.is_empty() {
            let mut rows = Codes::zeros(0, self.bits())?;
            for &i in &left {
                rows.push(queries.code_bytes(i))?;
            }
            for (i, list) in left.into_iter().zip(scan(&rows)) {
                out[i] = Some(list);
            }
        }
        Ok(out.into_iter().map(|l| l.expect("every query answered")).collect())
    }

    /// How many of `queries` multi-index hashing answers for k-NN within the
    /// default budget (the rest [`Engine::Auto`] scans), counting the pilot's
    /// decision ([`mih_search::search`]); 0 without tables. For benchmarks.
    pub fn multi_index_coverage(&self, queries: &Codes, k: usize) -> Result<usize> {
        self.check_queries("HammingIndex::multi_index_coverage", queries)?;
        let Some(tables) = self.tables.as_deref() else { return Ok(0) };
        let view = View::new(self.ids.as_deref(), self.live.as_deref());
        let isa = sigah_kernels::isa::selected();
        let plan = Plan::Decide { budget: self.default_budget(), scan_cost: self.scan_cost() };
        let out = mih_search::search(tables, isa, &self.codes, queries, Goal::Knn(k.max(1)), &view, plan);
        Ok(out.iter().filter(|r| r.is_some()).count())
    }

    /// [`HammingIndex::knn`] by the scan on a given instruction-set level (for
    /// tests and benches).
    pub fn knn_with(&self, isa: Isa, queries: &Codes, k: usize) -> Result<(Vec<u32>, Vec<i64>)> {
        self.check_queries("HammingIndex::knn", queries)?;
        if k == 0 {
            return Err(Error::Config("k must be at least 1".into()));
        }
        self.knn_method(isa, queries, k, TopKMethod::Auto)
    }

    /// The kernel path a scan of `queries` queries runs on `isa` (for reports and
    /// benchmark labels): `"avx512-sliced"`, `"avx512-vpopcntdq"`, `"popcnt"`, ...
    pub fn scan_path_name(&self, isa: Isa, queries: usize) -> &'static str {
        search::path_name(isa, &self.codes, queries)
    }

    /// [`HammingIndex::knn_with`] with a chosen top-k method (for tests and benches;
    /// the results are identical, only the speed differs).
    pub fn knn_method(&self, isa: Isa, queries: &Codes, k: usize, method: TopKMethod) -> Result<(Vec<u32>, Vec<i64>)> {
        self.check_queries("HammingIndex::knn", queries)?;
        if k == 0 {
            return Err(Error::Config("k must be at least 1".into()));
        }
        check_isa(isa)?;
        let view = View::new(self.ids.as_deref(), self.live.as_deref());
        search::rows_len(queries.len(), k)?;
        search::to_rows(search::knn(isa, &self.codes, queries, k, method, &view), k)
    }

    /// Every code within distance `r` (inclusive) of each query, one list per query in
    /// ascending (distance, id) order.
    pub fn radius(&self, queries: &Codes, r: u32) -> Result<Vec<Neighbours>> {
        self.search_radius(queries, r, &SearchOptions::default())
    }

    /// [`HammingIndex::radius`] by the scan on a given instruction-set level.
    pub fn radius_with(&self, isa: Isa, queries: &Codes, r: u32) -> Result<Vec<Neighbours>> {
        let opts = SearchOptions { engine: Engine::Scan, isa: Some(isa), ..SearchOptions::default() };
        self.search_radius(queries, r, &opts)
    }

    /// Checks that `codes`, read from `source` as `role` (`"queries"`, `"codes
    /// to add"`), have this index's width; `name` is the index's file, if any.
    /// The message, for the command line and Python alike: `SOURCE: queries are
    /// 24-bit codes but the index NAME holds 16-bit codes` ([`Error::Width`]).
    pub fn check_width(&self, codes: &Codes, source: &str, role: &str, name: Option<&std::path::Path>) -> Result<()> {
        if codes.bits() == self.bits() {
            return Ok(());
        }
        let name = name.map_or(String::new(), |p| format!(" {}", p.display()));
        Err(Error::Width {
            reason: format!(
                "{source}: {role} are {}-bit codes but the index{name} holds {}-bit codes",
                codes.bits(),
                self.bits()
            ),
        })
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
mod mih_file_tests;
#[cfg(test)]
mod mih_tests;
#[cfg(test)]
mod tests;
