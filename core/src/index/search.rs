//! The search engine behind `HammingIndex::{knn, radius}`: blocked,
//! query-stationary scans with a per-query collector, parallel over queries or
//! over database shards.

use std::collections::BinaryHeap;

use rayon::prelude::*;
use sigah_kernels::hamming::bytes::{hamming_bytes_scan_with, row_path_name};
use sigah_kernels::hamming::sliced::{sliced_path_name, sliced_pays};
use sigah_kernels::hamming::tiles::tiles_pay;
use sigah_kernels::Isa;

use super::block::{for_blocks, Collector, BLOCK_BYTES};
use super::repack::{scan_copies, Padded, Sliced, REPACK_MIN_QUERIES};
use super::tiles::{scan_tiles, TILE_MIN_QUERIES};
use super::view::View;
use crate::{Codes, Error, Result};

/// Results of one query: (distance, id) pairs in ascending (distance, id) order.
pub type Neighbours = Vec<(u32, i64)>;

/// Queries per group: enough that each block is reused many times from L2, few
/// enough that their heaps stay in L1/L2 and groups balance across threads.
const QUERY_GROUP: usize = 64;

/// Queries per group where blocks are sliced (`repack.rs`): the copy of each
/// block is shared by the group, so a larger group pays it less often. 1M
/// 256-bit codes, 1,000 queries, k = 10, one thread: 2,253 queries/s in groups
/// of 64, 2,619-2,781 in groups of 256 (k = 100: 2,031 and 2,378-2,603); 64 KiB
/// blocks lost 20 % (they leave L1).
const SLICED_QUERY_GROUP: usize = 256;

/// Queries per group on AMX tiles (`tiles.rs`): each block's expansion into
/// tiles (a byte per bit) is shared by the group; the group's query tiles (1 KiB
/// per 16 queries and word) stay in L2.
const TILES_QUERY_GROUP: usize = 1024;

fn query_group(isa: Isa, db: &Codes) -> usize {
    if tiles_pay(isa, db.bytes_per_code()) {
        TILES_QUERY_GROUP
    } else if sliced_pays(isa, db.bytes_per_code().div_ceil(8)) {
        SLICED_QUERY_GROUP
    } else {
        QUERY_GROUP
    }
}

/// The k best (distance, id) pairs seen: a max-heap whose top is the worst kept.
/// When ids follow positions a new code enters only with a strictly smaller
/// distance than the top (an equal distance comes with a larger id, so it ranks
/// after); otherwise the threshold admits equal distances too
/// ([`View::slack`]) and (distance, id) decides.
struct TopK<'v> {
    k: usize,
    heap: BinaryHeap<(u32, u64)>,
    view: &'v View<'v>,
}

impl<'v> TopK<'v> {
    fn new(k: usize, view: &'v View<'v>) -> Self {
        // The heap grows to k at most; do not reserve a huge k up front (k > n).
        Self { k, heap: BinaryHeap::with_capacity(k.min(1024)), view }
    }
}

impl Collector for TopK<'_> {
    fn threshold(&self) -> u32 {
        if self.heap.len() < self.k {
            u32::MAX
        } else {
            self.heap.peek().map_or(u32::MAX, |top| top.0.saturating_add(self.view.slack()))
        }
    }

    fn hit(&mut self, d: u32, pos: u64) -> u32 {
        if self.view.allowed(pos as usize) {
            let id = self.view.id(pos as usize);
            if self.heap.len() < self.k {
                self.heap.push((d, id));
            } else if let Some(mut top) = self.heap.peek_mut() {
                if (d, id) < *top {
                    *top = (d, id);
                }
            }
        }
        self.threshold()
    }
}

/// Top-k by counting: every offered code is kept in a list, and a histogram of the
/// kept distances (0..=bits) gives the k-th best distance D_k in O(1) amortised per
/// hit (the bound only moves down). Codes need `d < D_k`, as with the heap; at the
/// end the list (about k·(1 + ln(n/k)) entries on random data) is sorted once.
struct CountK {
    k: usize,
    hist: Vec<u32>,
    kept: Vec<(u32, u64)>,
    /// Exclusive bound: every kept code has d < bound; `below` of them count
    /// towards it (kept codes at or above a lowered bound no longer do).
    bound: u32,
    below: usize,
    /// List length that triggers the next compaction.
    compact_at: usize,
}

impl CountK {
    fn new(k: usize, bits: usize) -> Self {
        Self {
            k,
            hist: vec![0; bits + 1],
            kept: Vec::new(),
            bound: bits as u32 + 1,
            below: 0,
            compact_at: (4 * k).max(64),
        }
    }

    fn into_sorted(mut self) -> Vec<(u32, u64)> {
        self.kept.sort_unstable();
        self.kept.truncate(self.k);
        self.kept
    }
}

impl Collector for CountK {
    fn threshold(&self) -> u32 {
        // D_k = bound - 1 once k codes lie below the bound; before that, anything.
        if self.below >= self.k {
            self.bound - 1
        } else {
            u32::MAX
        }
    }

    fn hit(&mut self, d: u32, id: u64) -> u32 {
        self.kept.push((d, id));
        self.hist[d as usize] += 1;
        self.below += 1;
        // Lower the bound while k codes remain strictly below the next one down.
        while self.bound > 0 && self.below - (self.hist[self.bound as usize - 1] as usize) >= self.k {
            self.below -= self.hist[self.bound as usize - 1] as usize;
            self.bound -= 1;
        }
        // Entries at or above the bound rank after k others: drop them now and then,
        // so the list stays O(k) whatever order the codes come in (amortised O(1)
        // per hit: a compaction runs only after the list has doubled).
        if self.kept.len() >= self.compact_at {
            let bound = self.bound;
            self.kept.retain(|e| e.0 < bound);
            self.compact_at = (2 * self.kept.len()).max(4 * self.k).max(64);
        }
        self.threshold()
    }
}

/// Everything within distance r: the threshold is fixed at r + 1.
struct Within<'v> {
    limit: u32,
    found: Vec<(u32, u64)>,
    view: &'v View<'v>,
}

impl Collector for Within<'_> {
    fn threshold(&self) -> u32 {
        // Past the result cap every query stops collecting (the search is refused).
        if self.view.over() {
            0
        } else {
            self.limit
        }
    }
    fn hit(&mut self, d: u32, pos: u64) -> u32 {
        if self.view.allowed(pos as usize) {
            if !self.view.take() {
                return 0;
            }
            self.found.push((d, self.view.id(pos as usize)));
        }
        self.limit
    }
}

/// How a group of queries scans a range of the database, decided once per
/// group and range (never per block or code) by [`plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Each block expanded into AMX tiles once and scanned by every query of the
    /// group at once (`tiles.rs`): AMX at 128-256 bits.
    Tiles,
    /// Each block sliced word-major once and scanned by the sliced kernel
    /// (`repack.rs`): AVX-512 at 128 bits and up.
    Sliced,
    /// Each block copied into rows padded to whole words (`repack.rs`).
    Padded,
    /// The rows as they are, by the byte-row kernel, which itself runs the word
    /// kernel on rows of whole aligned words.
    Rows,
}

/// The one place the scan chooses its layout: tiles where the level has the
/// AMX tile unit, the codes are 2-4 whole words and the group fills a tile
/// (1M 256-bit codes, 1,000 queries, k = 100, one thread: see
/// docs/PERFORMANCE.md); sliced where the level has a
/// sliced kernel for this width and the group is large enough to share the
/// copy; padded for rows wider than [`BYTE_KERNEL_MAX`] bytes that are not
/// whole aligned words in place; the rows as they are otherwise.
fn plan(isa: Isa, db: &Codes, queries: usize) -> Plan {
    let (row, shared) = (db.bytes_per_code(), queries >= REPACK_MIN_QUERIES);
    if queries >= TILE_MIN_QUERIES && tiles_pay(isa, row) {
        Plan::Tiles
    } else if shared && sliced_pays(isa, row.div_ceil(8)) {
        Plan::Sliced
    } else if shared && row > BYTE_KERNEL_MAX && db.as_words().is_none() {
        Plan::Padded
    } else {
        Plan::Rows
    }
}

/// What a scan of `queries` queries over `db` runs on `isa`, named as the
/// kernels name their paths (for reports and benchmark labels): the path
/// [`plan`] picks.
pub(super) fn path_name(isa: Isa, db: &Codes, queries: usize) -> &'static str {
    let row = db.bytes_per_code();
    match plan(isa, db, queries) {
        Plan::Tiles => "amx-tiles",
        Plan::Sliced => sliced_path_name(isa),
        Plan::Padded => sigah_kernels::hamming::path_name(isa, row.div_ceil(8)),
        Plan::Rows => row_path_name(isa, row),
    }
}

/// Runs every query of `queries` (rows of bytes) over database codes `[lo, hi)`,
/// block by block, feeding `collectors[q]`, as [`plan`] says.
fn scan_range<C: Collector>(isa: Isa, db: &Codes, queries: &[&[u8]], lo: usize, hi: usize, collectors: &mut [C]) {
    let (rows, row) = (db.as_bytes(), db.bytes_per_code());
    match plan(isa, db, queries.len()) {
        Plan::Tiles => scan_tiles(rows, row, queries, lo, hi, collectors),
        Plan::Sliced => scan_copies(Sliced::new(isa, row), rows, row, queries, lo, hi, collectors),
        Plan::Padded => scan_copies(Padded::new(isa, row), rows, row, queries, lo, hi, collectors),
        Plan::Rows => for_blocks(lo, hi, (BLOCK_BYTES / row).max(1), |start, end| {
            for (q, c) in queries.iter().zip(collectors.iter_mut()) {
                let (base, t) = (start as u64, c.threshold());
                hamming_bytes_scan_with(isa, q, &rows[start * row..end * row], t, |i, d| c.hit(d, base + i as u64));
            }
        }),
    }
}

/// The widest rows (bytes) the byte-row kernel scans faster than whole words: up
/// to 32 bits its AVX-512 path packs 16 to 64 codes per register (`sigah bench
/// search`, 1M codes, 1,000 queries, one thread: 8/16/24/32 bits ran 682k / 68k /
/// 19k / 25k queries/s on byte rows, against 373k / 16k / 12k / 12k with the rows
/// padded to 64 bits). From 40 bits on, a row padded to whole words is one (or a
/// few) aligned loads per code: 48 bits ran 11.5k padded vs 8.7k on byte rows,
/// 72/96/120 bits 4.6k/4.9k/4.9k padded vs 1.9k/1.9k/0.5k on byte rows.
const BYTE_KERNEL_MAX: usize = 4;

/// Runs `make()` collectors for all queries in parallel and returns them, one per
/// query, each having seen the whole database. Parallel over query groups, or,
/// when there are fewer groups than threads, over database shards whose
/// collectors `merge` combines.
fn run<C: Collector>(
    isa: Isa,
    db: &Codes,
    queries: &Codes,
    make: impl Fn() -> C + Sync,
    merge: impl Fn(C, C) -> C + Sync,
) -> Vec<C> {
    let nq = queries.len();
    let n = db.len();
    let q_rows: Vec<&[u8]> = (0..nq).map(|i| queries.code_bytes(i)).collect();
    let threads = rayon::current_num_threads().max(1);
    let qg = query_group(isa, db);
    // Split by queries once each thread has a group of up to 256 (the tiles'
    // larger groups only share their blocks more; with them here 1,000 queries
    // on 2 threads were sharded by codes, each shard's top-k blind to the other's
    // bound: 256 bits, k = 100 ran 1.5× the one-thread rate instead of 1.9×).
    let groups = nq.div_ceil(qg.min(SLICED_QUERY_GROUP));
    if groups >= threads || n < 2 * threads {
        // Enough independent work: each task scans the whole database for a group
        // of queries. Small groups when queries are few so every thread gets some.
        let group = nq.div_ceil(threads).clamp(1, qg);
        return q_rows
            .par_chunks(group)
            .flat_map_iter(|qs| {
                let mut cs: Vec<C> = qs.iter().map(|_| make()).collect();
                scan_range(isa, db, qs, 0, n, &mut cs);
                cs
            })
            .collect();
    }
    // Few queries: every thread scans one shard of the database for all of them.
    let shard = n.div_ceil(threads);
    (0..threads)
        .into_par_iter()
        .map(|s| {
            let mut cs: Vec<C> = (0..nq).map(|_| make()).collect();
            let (lo, hi) = ((s * shard).min(n), ((s + 1) * shard).min(n));
            for (qs, group) in q_rows.chunks(qg).zip(cs.chunks_mut(qg)) {
                scan_range(isa, db, qs, lo, hi, group);
            }
            cs
        })
        .reduce_with(|a, b| a.into_iter().zip(b).map(|(x, y)| merge(x, y)).collect())
        .unwrap_or_else(|| (0..nq).map(|_| make()).collect())
}

/// How `knn` keeps the k best codes of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopKMethod {
    /// A bounded max-heap of (distance, id); its top is the reject bound.
    Heap,
    /// A histogram of distances and a candidate list sorted once at the end.
    Counting,
    /// Counting where ids follow positions and nothing is filtered out, the heap
    /// otherwise (counting relies on ids following positions). k does not enter
    /// the choice: counting was the faster at every k measured. A hit is a push
    /// and a histogram step where the heap sifts with mispredicted branches,
    /// which shows once the kernel is fast (1M codes, 1,000 queries, k = 100, one
    /// thread: 7,378 vs 5,491 queries/s at 64 bits, 3,999 vs 3,405 at 128;
    /// docs/PERFORMANCE.md). Its list is compacted when it doubles, so it stays
    /// O(k) whatever the order of the codes.
    Auto,
}

/// Exact k-NN, one list per query in (distance, id) order; see `HammingIndex::knn`.
pub(super) fn knn(
    isa: Isa,
    db: &Codes,
    queries: &Codes,
    k: usize,
    method: TopKMethod,
    view: &View,
) -> Vec<Vec<(u32, u64)>> {
    match method {
        TopKMethod::Counting if !view.is_identity() => knn(isa, db, queries, k, TopKMethod::Heap, view),
        TopKMethod::Auto => knn(isa, db, queries, k, TopKMethod::Counting, view),
        TopKMethod::Heap => run(isa, db, queries, || TopK::new(k, view), merge_top_k)
            .into_iter()
            .map(|t| t.heap.into_sorted_vec())
            .collect(),
        TopKMethod::Counting => {
            let merge = |mut a: CountK, b: CountK| {
                a.kept.extend(b.kept);
                a
            };
            run(isa, db, queries, || CountK::new(k, db.bits()), merge).into_iter().map(CountK::into_sorted).collect()
        }
    }
}

/// The k best of two shards' heaps.
fn merge_top_k<'v>(mut a: TopK<'v>, b: TopK<'v>) -> TopK<'v> {
    for (d, id) in b.heap {
        if a.heap.len() < a.k {
            a.heap.push((d, id));
        } else if a.heap.peek().is_some_and(|&top| (d, id) < top) {
            a.heap.pop();
            a.heap.push((d, id));
        }
    }
    a
}

fn merge_within<'v>(mut a: Within<'v>, b: Within<'v>) -> Within<'v> {
    a.found.extend(b.found);
    a
}

/// Lists of (distance, id) per query as `(distances, ids)` row-major `[nq, k]`,
/// padded with `u32::MAX` / −1.
pub(super) fn to_rows(lists: Vec<Vec<(u32, u64)>>, k: usize) -> Result<(Vec<u32>, Vec<i64>)> {
    let nq = lists.len();
    let cells = rows_len(nq, k)?;
    let mut dist = try_filled(cells, u32::MAX, nq, k)?;
    let mut ids = try_filled(cells, -1i64, nq, k)?;
    for (q, row) in lists.into_iter().enumerate() {
        for (r, (d, id)) in row.into_iter().enumerate().take(k) {
            dist[q * k + r] = d;
            ids[q * k + r] = id as i64;
        }
    }
    Ok((dist, ids))
}

/// `nq · k`, the cells of a `[nq, k]` result, or an error when it overflows: a
/// huge `--k` must be refused, not wrap and index out of bounds
/// (docs/ROBUSTNESS.md §1).
pub(super) fn rows_len(nq: usize, k: usize) -> Result<usize> {
    nq.checked_mul(k)
        .ok_or_else(|| Error::Config(format!("{nq} queries × k = {k} results do not fit in memory's address space")))
}

/// A vector of `cells` copies of `fill`, or an error instead of an abort when
/// the allocator refuses.
fn try_filled<T: Clone>(cells: usize, fill: T, nq: usize, k: usize) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(cells)
        .map_err(|_| Error::Config(format!("{nq} queries × k = {k} results: cannot allocate {cells} cells")))?;
    v.resize(cells, fill);
    Ok(v)
}

/// Lists of (distance, id) with the ids as i64.
pub(super) fn to_neighbours(list: Vec<(u32, u64)>) -> Neighbours {
    list.into_iter().map(|(d, id)| (d, id as i64)).collect()
}

/// Exact radius search, each list in (distance, id) order; see `HammingIndex::radius`.
pub(super) fn radius(isa: Isa, db: &Codes, queries: &Codes, r: u32, view: &View) -> Vec<Vec<(u32, u64)>> {
    let limit = r.saturating_add(1);
    run(isa, db, queries, || Within { limit, found: Vec::new(), view }, merge_within)
        .into_iter()
        .map(|mut w| {
            w.found.sort_unstable();
            w.found
        })
        .collect()
}
