//! Software prefetch of code rows a caller is about to read out of order: the
//! buckets of a multi-index probe (`sigah_core::index`) lie at random places in
//! tables far larger than the caches, so each bucket starts with a DRAM miss that
//! the hardware streamer cannot foresee. Asking for the lines a few kilobytes
//! ahead keeps several misses in flight instead of one.

/// Asks for every 64-byte cache line that `bytes` touches to be brought into L1.
/// A hint only: no effect on results, and a no-op on targets without one.
#[inline]
pub fn prefetch_lines(bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let first = bytes.as_ptr() as usize & !63;
    let last = (bytes.as_ptr() as usize + bytes.len() - 1) & !63;
    let mut line = first;
    while line <= last {
        prefetch_line(line as *const u8);
        line += 64;
    }
}

#[inline(always)]
fn prefetch_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is part of SSE (baseline on x86-64) and is a hint: it
    // never faults, whatever the address (the line's start may precede `bytes`).
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_slice_is_accepted() {
        let v = vec![7u8; 1000];
        for (a, b) in [(0, 0), (0, 1), (3, 64), (63, 65), (0, 1000), (999, 1000)] {
            prefetch_lines(&v[a..b]);
        }
        assert!(v.iter().all(|&x| x == 7));
    }
}
