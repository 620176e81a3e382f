//! Helpers shared by the Hamming test files.

/// Records every hit; lowers the threshold to the 3rd-best distance seen (ties
/// broken by position), like a top-3 heap.
pub fn top3_hits(run: impl FnOnce(&mut dyn FnMut(usize, u32) -> u32)) -> Vec<(usize, u32)> {
    let mut hits = Vec::new();
    let mut best: Vec<u32> = Vec::new();
    run(&mut |i, d| {
        hits.push((i, d));
        best.push(d);
        best.sort_unstable();
        best.truncate(3);
        if best.len() < 3 {
            u32::MAX
        } else {
            best[2]
        }
    });
    hits
}
