//! Exact k-NN and radius search over the multi-index tables (`mih.rs`), with a
//! work budget past which a query gives up and is answered by the scan instead.
//!
//! One query: for substring radius r = 0, 1, 2, … and within it table j = 0..m,
//! probe every key of table j at exactly r bits from the query's substring j, and
//! compute the full distance of each code found for the first time. After table j
//! at radius r, a code not yet seen differs from the query by more than r bits in
//! substrings 0..=j and by more than r − 1 in the others, so its distance is at
//! least `m·r + j + 1` (the paper's bound, exact for unequal substring lengths
//! too, since it only adds per-substring lower bounds). k-NN stops once it holds k
//! codes of which the worst is below that bound: every unseen code is then
//! strictly worse, so the k best by (distance, id) are final whatever the ids.
//! Radius r_q stops once the bound exceeds r_q. Having visited n entries of one
//! table (each code is in every table once) means every code was seen, which
//! also ends the search.
//!
//! Tables that hold copies of the codes (`Table::rows`) are scanned bucket by
//! bucket with the scan kernel and the current k-th distance as its threshold,
//! so only codes that can enter the result touch the seen-bitset (which keeps a
//! code found in two tables from being counted twice). Other tables mark every
//! entry seen and compute the distances of the new ones by a gather.

use std::collections::BinaryHeap;

use rayon::prelude::*;
use sigah_kernels::hamming::bytes::{hamming_bytes_gather_with, hamming_bytes_scan_with};
use sigah_kernels::hamming::prefetch_lines;
use sigah_kernels::Isa;

use super::cost;
use super::mih::{for_each_mask, substring, MultiIndex, Table};
use super::view::View;
use crate::Codes;

/// What one query asks for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Goal {
    Knn(usize),
    Radius(u32),
}

/// Per-thread memory reused across queries: a bitset of the positions seen, the
/// list of words it dirtied (cleared after each query in time proportional to the
/// work done, not to n), and the candidate and distance buffers.
pub(crate) struct Scratch {
    seen: Vec<u64>,
    dirty: Vec<u32>,
    cand: Vec<u32>,
    dist: Vec<u16>,
    /// The non-empty buckets of one pass, as entry ranges.
    spans: Vec<(u32, u32)>,
}

impl Scratch {
    pub(crate) fn new(n: usize) -> Self {
        Self { seen: vec![0; n.div_ceil(64)], dirty: Vec::new(), cand: Vec::new(), dist: Vec::new(), spans: Vec::new() }
    }

    fn clear(&mut self) {
        for &w in &self.dirty {
            self.seen[w as usize] = 0;
        }
        self.dirty.clear();
    }
}

/// The results of one query being gathered.
enum Kept {
    Best { k: usize, heap: BinaryHeap<(u32, u64)> },
    Within { r: u32, found: Vec<(u32, u64)> },
}

impl Kept {
    /// Codes at this distance or more cannot enter: the k-th distance plus one
    /// (an equal distance may carry a smaller id), or r + 1.
    fn threshold(&self) -> u32 {
        match self {
            Kept::Best { k, heap } if heap.len() == *k => heap.peek().map_or(u32::MAX, |t| t.0 + 1),
            Kept::Best { .. } => u32::MAX,
            Kept::Within { r, .. } => r.saturating_add(1),
        }
    }

    fn offer(&mut self, d: u32, id: u64, view: &View) {
        match self {
            Kept::Best { k, heap } => {
                if heap.len() < *k {
                    heap.push((d, id));
                } else if let Some(mut top) = heap.peek_mut() {
                    if (d, id) < *top {
                        *top = (d, id);
                    }
                }
            }
            Kept::Within { r, found } => {
                if d <= *r && view.take() {
                    found.push((d, id));
                }
            }
        }
    }

    /// Whether every code at distance ≥ `bound` is irrelevant.
    fn done(&self, bound: u32) -> bool {
        match self {
            Kept::Best { k, heap } => heap.len() == *k && heap.peek().is_some_and(|top| top.0 < bound),
            Kept::Within { r, .. } => *r < bound,
        }
    }

    fn into_sorted(self) -> Vec<(u32, u64)> {
        match self {
            Kept::Best { heap, .. } => heap.into_sorted_vec(),
            Kept::Within { mut found, .. } => {
                found.sort_unstable();
                found
            }
        }
    }
}

/// How far ahead of the bucket being scanned the next buckets' rows are
/// prefetched, in bytes.
const AHEAD_BYTES: usize = 4096;

/// The prefetch cursor of one pass: walks the pass's buckets (in table rows, or
/// positions where the rows are not copied) a
/// fixed number of bytes ahead of the scan, across bucket boundaries, so the
/// next buckets' misses are in flight while this one is read.
#[derive(Default)]
struct Ahead {
    /// Bucket the cursor is in, and entries of it already prefetched.
    span: usize,
    done_in_span: usize,
    /// Bytes prefetched so far over the whole pass.
    issued: usize,
}

impl Ahead {
    /// Prefetches until `until` bytes of the pass (counted from its first bucket)
    /// are covered; entry i of the table is `rows[i · row..(i + 1) · row]`.
    fn issue(&mut self, rows: &[u8], row: usize, spans: &[(u32, u32)], until: usize) {
        while self.issued < until {
            let Some(&(a, b)) = spans.get(self.span) else { return };
            let from = a as usize + self.done_in_span;
            let want = (until - self.issued).div_ceil(row);
            let to = (from + want).min(b as usize);
            prefetch_lines(&rows[from * row..to * row]);
            self.issued += (to - from) * row;
            if to == b as usize {
                self.span += 1;
                self.done_in_span = 0;
            } else {
                self.done_in_span = to - a as usize;
            }
        }
    }
}

/// One query and the work it did (keys probed and entries read, weighted by
/// [`cost`]); `None` when that work passes `budget`.
pub(crate) fn query(
    mi: &MultiIndex,
    isa: Isa,
    codes: &Codes,
    q: &[u8],
    goal: Goal,
    view: &View,
    budget: usize,
    s: &mut Scratch,
) -> (Answer, usize) {
    let mut kept = match goal {
        Goal::Knn(k) => Kept::Best { k, heap: BinaryHeap::with_capacity(k.min(1024) + 1) },
        Goal::Radius(r) => Kept::Within { r, found: Vec::new() },
    };
    let rows = codes.as_bytes();
    let row = codes.bytes_per_code();
    let m = mi.tables.len() as u32;
    let keys: Vec<u32> = mi.tables.iter().map(|t| substring(q, t.start, t.len)).collect();
    let max_len = mi.tables.iter().map(|t| t.len).max().unwrap_or(0);
    let mut work = 0usize;
    let mut visited = vec![0usize; mi.tables.len()];
    let mut over = false;
    'radii: for r in 0..=max_len {
        for (j, t) in mi.tables.iter().enumerate() {
            let inline = !t.rows.is_empty();
            let per_entry = if inline { cost::ENTRY } else { cost::CANDIDATE };
            // Every bucket of this pass first (the directory reads are independent,
            // so their misses overlap), then the buckets' entries.
            s.spans.clear();
            for_each_mask(t.len, r, |mask| {
                let range = t.range(keys[j] ^ mask);
                visited[j] += range.len();
                work += cost::PROBE + per_entry * range.len();
                if !range.is_empty() {
                    s.spans.push((range.start as u32, range.end as u32));
                }
                over = work > budget;
                !over
            });
            if over {
                break 'radii;
            }
            if inline {
                offer_inline(t, isa, q, row, view, &mut kept, s);
            } else {
                offer_gathered(t, isa, q, rows, view, &mut kept, s);
            }
            // Every code seen (n entries of one table), or every unseen code
            // provably irrelevant.
            if visited[j] == mi.n || kept.done(m * r as u32 + j as u32 + 1) || view.over() {
                break 'radii;
            }
        }
    }
    s.clear();
    if let (true, Kept::Within { found, .. }) = (over, &kept) {
        // Its list is dropped and the scan finds them again: they must not count twice.
        view.give_back(found.len());
    }
    ((!over).then(|| kept.into_sorted()), work)
}

/// Marks position `p` seen (`dirty` lists the words to clear afterwards);
/// whether it was new.
#[inline]
fn first_time(seen: &mut [u64], dirty: &mut Vec<u32>, p: usize) -> bool {
    let (w, b) = (p / 64, p % 64);
    let new = seen[w] >> b & 1 == 0;
    if seen[w] == 0 {
        dirty.push(w as u32);
    }
    seen[w] |= 1 << b;
    new
}

/// The entries of one pass's buckets (`s.spans`) in a table that holds copies of
/// the codes: read in sequence, each rejected against the current bound by the
/// byte-row kernel, the next buckets prefetched ahead.
fn offer_inline(t: &Table, isa: Isa, q: &[u8], row: usize, view: &View, kept: &mut Kept, s: &mut Scratch) {
    let Scratch { seen, dirty, spans, .. } = s;
    let mut ahead = Ahead::default();
    let mut scanned = 0;
    for &(a, b) in spans.iter() {
        let (a, b) = (a as usize, b as usize);
        let block = &t.rows[a * row..b * row];
        scanned += block.len();
        ahead.issue(&t.rows, row, spans, scanned + AHEAD_BYTES);
        hamming_bytes_scan_with(isa, q, block, kept.threshold(), |i, d| {
            let p = t.pos[a + i] as usize;
            if view.allowed(p) && first_time(seen, dirty, p) {
                kept.offer(d, view.id(p), view);
            }
            kept.threshold()
        });
    }
}

/// The entries of one pass's buckets (`s.spans`) in a table without copies: the
/// positions not seen before and allowed, then their distances gathered from
/// the code array `rows` in one call.
fn offer_gathered(t: &Table, isa: Isa, q: &[u8], rows: &[u8], view: &View, kept: &mut Kept, s: &mut Scratch) {
    s.cand.clear();
    let Scratch { seen, dirty, cand, spans, .. } = &mut *s;
    let pos_bytes: &[u8] = bytemuck::cast_slice(&t.pos[..]);
    let mut ahead = Ahead::default();
    let mut scanned = 0;
    for &(a, b) in spans.iter() {
        scanned += (b - a) as usize * 4;
        ahead.issue(pos_bytes, 4, spans, scanned + AHEAD_BYTES);
        for &p in &t.pos[a as usize..b as usize] {
            if first_time(seen, dirty, p as usize) && view.allowed(p as usize) {
                cand.push(p);
            }
        }
    }
    if !cand.is_empty() {
        s.dist.resize(s.cand.len(), 0);
        hamming_bytes_gather_with(isa, q, rows, &s.cand, &mut s.dist);
        for (&p, &d) in s.cand.iter().zip(&s.dist) {
            kept.offer(u32::from(d), view.id(p as usize), view);
        }
    }
}

/// Queries answered first when the engine decides ([`Plan::Decide`]); the mean
/// work of these few says whether the tables pay for this batch.
const PILOT: usize = 8;

/// One query's results, or `None` when it is left to the scan.
type Answer = Option<Vec<(u32, u64)>>;

/// How a batch uses the tables.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Plan {
    /// Every query tries the tables with this budget (`Engine::MultiIndex`).
    Always { budget: usize },
    /// `Engine::Auto`: a pilot of [`PILOT`] queries runs first, each with a budget
    /// that keeps the pilot's total under [`PILOT_SHARE`] of scanning the whole
    /// batch. If their mean work (a give-up counting as its budget) is over
    /// [`MIH_SHARE`] of one query's scan, or more than a quarter of them gave up
    /// (a small batch's pilot budget is too small for the mean to say much),
    /// every other query is scanned; if not, the others try the tables with `budget`.
    Decide { budget: usize, scan_cost: usize },
}

/// The most a pilot may spend, as a share of scanning the whole batch: on data
/// where the tables lose (uniform codes at large k), the batch is then at most
/// this much slower than the scan alone, even for a handful of queries.
pub(crate) const PILOT_SHARE: f64 = 0.02;

/// The largest mean work per query, as a share of one query's scan cost, at which
/// the tables are used. Well under 1, because the cost model is rough: against
/// measured times it was within 0.7-1.5x (10M real and uniform 64-bit codes,
/// docs/PERFORMANCE.md), and queries that give up pay their budget and a scan.
pub(crate) const MIH_SHARE: f64 = 0.25;

/// Every query by multi-index hashing as `plan` says; `None` for those left to
/// the scan.
pub(crate) fn search(
    mi: &MultiIndex,
    isa: Isa,
    codes: &Codes,
    queries: &Codes,
    goal: Goal,
    view: &View,
    plan: Plan,
) -> Vec<Answer> {
    let n = codes.len();
    let nq = queries.len();
    let run = |range: std::ops::Range<usize>, budget: usize| -> Vec<(Answer, usize)> {
        let one = |s: &mut Scratch, i: usize| query(mi, isa, codes, queries.code_bytes(i), goal, view, budget, s);
        // Small chunks: queries differ a lot in cost, and each chunk pays one scratch.
        range.into_par_iter().with_min_len(8).map_init(|| Scratch::new(n), one).collect()
    };
    let (budget, mut out) = match plan {
        Plan::Always { budget } => (budget, Vec::new()),
        Plan::Decide { budget, scan_cost } => {
            let pilot = nq.min(PILOT);
            let share = (PILOT_SHARE * nq as f64 / pilot.max(1) as f64).min(1.0);
            // A pilot query past twice the allowed mean cannot leave the mean under it
            // unless the others are nearly free: stop it there.
            let share = share.min(2.0 * MIH_SHARE);
            let pilot_budget = budget.min((scan_cost as f64 * share) as usize);
            let tried = run(0..pilot, pilot_budget);
            let mean = tried.iter().map(|&(_, w)| w.min(pilot_budget)).sum::<usize>() as f64 / pilot.max(1) as f64;
            let out: Vec<_> = tried.into_iter().map(|(r, _)| r).collect();
            let gave_up = out.iter().filter(|r| r.is_none()).count();
            if mean > MIH_SHARE * scan_cost as f64 || 4 * gave_up > pilot {
                let mut out = out;
                out.resize(nq, None);
                return out;
            }
            (budget, out)
        }
    };
    let done = out.len();
    out.extend(run(done..nq, budget).into_iter().map(|(r, _)| r));
    out
}
