//! How many search results a call may hold: one rule for every front end, so a
//! `--k 10^12` or a radius that reaches every code is refused with the same
//! message from the command line and from Python instead of aborting on out of
//! memory.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// What one search result costs at its peak: the search's (distance, id) pair
/// (16 bytes) plus its cell in the id and distance rows written out (8 + 4).
pub const BYTES_PER_RESULT: u64 = 28;

/// The most results a call may hold. Given (`--max-results`, `max_results=`),
/// or half the memory the process may still take ([`available_memory`]:
/// `MemAvailable`, `ulimit -v`, the cgroup's limit), else 2^27 (3.5 GB of
/// results).
#[derive(Clone, Copy, Debug)]
pub struct ResultLimit {
    /// The largest number of results allowed.
    pub max: u64,
    /// The name of the setting that raises it in this front end.
    knob: &'static str,
    given: bool,
}

impl ResultLimit {
    /// `max` if given, else the default; `knob` names the setting in messages
    /// (`"--max-results"`, `"max_results"`).
    pub fn new(max: Option<u64>, knob: &'static str) -> Self {
        match max {
            Some(max) => Self { max, knob, given: true },
            None => {
                let max = available_memory().map(|b| b / 2 / BYTES_PER_RESULT).unwrap_or(1 << 27);
                Self { max, knob, given: false }
            }
        }
    }

    /// Fails ([`Error::Limit`], nothing allocated) when `results` (`None`: more
    /// than 2^64) exceeds the limit; `what` says where the count comes from.
    pub fn check(&self, results: Option<u64>, what: &dyn Fn() -> String) -> Result<()> {
        match results {
            Some(r) if r <= self.max => Ok(()),
            r => {
                let count = r.map_or_else(|| "more than 2^64".to_string(), |r| r.to_string());
                Err(self.refusal(&what(), &count))
            }
        }
    }

    /// The error for `what` making `count` results.
    pub(crate) fn refusal(&self, what: &str, count: &str) -> Error {
        let source = if self.given {
            self.knob.to_string()
        } else {
            format!("half the available memory at {BYTES_PER_RESULT} bytes each; {} raises it", self.knob)
        };
        Error::Limit { reason: format!("{what} make {count} results, over the limit of {} ({source})", self.max) }
    }
}

/// The memory this process may still take, in bytes (Linux; `None` elsewhere):
/// `MemAvailable` from `/proc/meminfo`, less where the address-space limit
/// (`ulimit -v`) leaves less room above what the process has mapped, or its
/// cgroup's `memory.max` above `memory.current`. Without the address-space
/// term a search under `ulimit -v` was allowed half the machine's memory and
/// aborted on its first refused allocation.
fn available_memory() -> Option<u64> {
    let kb = |text: &str, key: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()?.checked_mul(1024)
    };
    let mut free = kb(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemAvailable:")?;
    if let Some(room) = address_space_room() {
        free = free.min(room);
    }
    let cgroup =
        |name: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{name}")).ok()?.trim().parse::<u64>().ok();
    if let (Some(max), Some(used)) = (cgroup("memory.max"), cgroup("memory.current")) {
        free = free.min(max.saturating_sub(used));
    }
    Some(free)
}

/// `RLIMIT_AS` (from `/proc/self/limits`) less the process's `VmSize`, when
/// the limit is set.
fn address_space_room() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max address space"))?;
    let soft: u64 = line.split_whitespace().nth(3)?.parse().ok()?; // "unlimited" does not parse
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    let used = line.split_whitespace().nth(1)?.parse::<u64>().ok()?.checked_mul(1024)?;
    Some(soft.saturating_sub(used))
}

/// The results a running radius search has taken, shared by every query and
/// thread: a collector takes one before it stores a result, so the lists never
/// hold more than `max` in all, whatever the batch or the engine.
#[derive(Debug)]
pub(crate) struct Cap {
    max: u64,
    taken: AtomicU64,
}

impl Cap {
    pub(crate) fn new(max: u64) -> Self {
        Self { max, taken: AtomicU64::new(0) }
    }

    /// Takes one result; false once the limit is passed (the search is then
    /// refused, and every collector stops storing).
    #[inline]
    pub(crate) fn take(&self) -> bool {
        // Relaxed: the count only has to be exact in total, not ordered with
        // the stores it guards.
        self.taken.fetch_add(1, Ordering::Relaxed) < self.max
    }

    /// Returns `n` results taken by a query whose list was dropped (a
    /// multi-index query that gave up and is scanned instead).
    pub(crate) fn give_back(&self, n: usize) {
        self.taken.fetch_sub(n as u64, Ordering::Relaxed);
    }

    /// Whether some collector was refused.
    #[inline]
    pub(crate) fn over(&self) -> bool {
        self.taken.load(Ordering::Relaxed) > self.max
    }
}

#[cfg(test)]
#[path = "limit_tests.rs"]
mod tests;
