//! The costs of multi-index work in bytes of codes the scan reads in the same
//! time; a query's scan cost is `n · bits / 8` bytes. Fitted on 2026-12-02 with
//! every other process stopped (one thread, 1,000 queries, counts of probes and
//! entries per query from an instrumented build): the batched scan takes
//! ~0.011 ns per byte at 64-256 bits; time per query against (probes, entries)
//! over 10M real and uniform 64-bit codes at k = 1, 10, 100 fits ~77 ns per probe
//! (directory and first-line misses) and ~1.0 ns per entry read in place
//! (prefetched), within 0.7-1.5x of the measured times; a candidate read from the
//! code array took 12-25 ns (10M and 1M real 128-bit codes, 16-bit substrings),
//! but with the automatic 21-bit substrings over 10M real 128-bit codes the
//! tables ran 0.70× the scan where this model said under a quarter of it, so a
//! candidate is charged like a probe. The constants round up, so the model errs
//! towards the scan.

/// One key probed.
pub const PROBE: usize = 8192;
/// One bucket entry whose code is copied in the table.
pub const ENTRY: usize = 128;
/// One candidate read from the code array.
pub const CANDIDATE: usize = 8192;
