//! Shared by every target: a counting global allocator, so a target can assert
//! that a loader allocates no more than a bound proportional to its input (a
//! 20-byte file that claims 10^12 rows must fail before it allocates, not after).
//! `-malloc_limit_mb` in run.sh is the coarse backstop; this check is per input
//! and much tighter.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call forwards to the system allocator with the caller's layout
// unchanged; the counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // The old block is gone, the new one is live (a moving realloc briefly
            // holds both; counting the new size alone is what the loader asked for).
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

/// Bytes a loader may hold at its peak for `input` bytes of input: `factor`
/// bytes per input byte plus a fixed 1 MiB (parser state, error strings).
pub fn budget(input: usize, factor: usize) -> usize {
    factor.saturating_mul(input).saturating_add(1 << 20)
}

/// Runs `f` and returns its result and the peak number of bytes it had allocated
/// on top of what was live when it started.
pub fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    (out, peak)
}

/// Asserts that running `f` on `input` stays within [`budget`].
pub fn within_budget<T>(input: &[u8], factor: usize, f: impl FnOnce() -> T) -> T {
    within_budget_plus(input, factor, 0, f)
}

/// [`within_budget`] with `fixed` more bytes allowed whatever the input's size
/// (a dependency's bounded reservation; the target says which).
pub fn within_budget_plus<T>(input: &[u8], factor: usize, fixed: usize, f: impl FnOnce() -> T) -> T {
    let (out, peak) = peak_of(f);
    let limit = budget(input.len(), factor).saturating_add(fixed);
    assert!(peak <= limit, "{} input bytes made the loader allocate {peak} bytes (limit {limit})", input.len());
    out
}
