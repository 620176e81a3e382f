//! What a blocked scan feeds and how it cuts the database into blocks: shared by
//! the row scan (`search.rs`) and the block copies (`repack.rs`).

/// Bytes of database codes scanned by every query of a group before moving on:
/// 32 KiB stays in L1d (32-48 KiB on current cores) beside the queries and heaps,
/// and still holds 1,024-4,096 codes at 64-256 bits, so the per-(query, block)
/// dispatch is negligible. Measured (CPU time, 500 queries × 1M codes, one
/// thread, k = 10): 16/32 KiB 0.19 s at 64 bits and 0.97/0.89 s at 256 bits,
/// 128 KiB and 512 KiB 0.24 s and 0.98 s.
pub(super) const BLOCK_BYTES: usize = 32 << 10;

/// What a query keeps of the codes it is shown. `threshold` is the bound the
/// kernel rejects against (a code is offered only when its distance is below it);
/// positions arrive in increasing order within one scan (`hit` gets the position;
/// the `View` says whether it counts and which id it reports).
pub(super) trait Collector: Send {
    fn threshold(&self) -> u32;
    fn hit(&mut self, d: u32, id: u64) -> u32;
}

/// Calls `f(start, end)` for consecutive blocks of at most `block` codes covering
/// `[lo, hi)`.
pub(super) fn for_blocks(lo: usize, hi: usize, block: usize, mut f: impl FnMut(usize, usize)) {
    let mut start = lo;
    while start < hi {
        let end = (start + block).min(hi);
        f(start, end);
        start = end;
    }
}
