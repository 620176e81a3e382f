//! Block copies a group of queries shares: rows padded to whole words
//! ([`Padded`]) or sliced word-major ([`Sliced`]), one L1-sized block
//! at a time, so memory stays n · bits / 8 plus O(1) per thread.

use sigah_kernels::hamming::hamming_scan_with;
use sigah_kernels::hamming::sliced::{slice_rows, sliced_len, SlicedScanner, LANES};
use sigah_kernels::Isa;

use super::block::{for_blocks, Collector, BLOCK_BYTES};

/// Queries a group needs for a block's repacking to pay off (it is amortised over
/// the group; with fewer, the byte-row kernel reads the rows as they are).
pub(super) const REPACK_MIN_QUERIES: usize = 8;

/// The queries, each `row` bytes, padded to whole u64 words (zeros above), one
/// after another: the form both the word and the sliced kernels take.
pub(super) fn padded_queries(queries: &[&[u8]], row: usize) -> Vec<u64> {
    let w = row.div_ceil(8);
    let mut words = vec![0u64; queries.len() * w];
    for (dst, q) in words.chunks_exact_mut(w).zip(queries) {
        pad_rows(q, row, dst);
    }
    words
}

/// A block copy every query of a group scans: filled once per block, then
/// scanned by each query (padded to whole words) of the group.
pub(super) trait BlockCopy {
    /// Codes per block.
    fn block(&self) -> usize;
    /// Copies the block's rows (`row` bytes each) into the scratch.
    fn fill(&mut self, rows: &[u8]);
    /// The scan of the copy of `n` codes, as the kernels' scans.
    fn scan<F: FnMut(usize, u32) -> u32>(&self, q: &[u64], n: usize, threshold: u32, hit: F);
}

/// Every query of the group over `[lo, hi)`, block by block, each block copied
/// once by `copy` and scanned from the copy by every query.
pub(super) fn scan_copies<C: Collector, K: BlockCopy>(
    mut copy: K,
    rows: &[u8],
    row: usize,
    queries: &[&[u8]],
    lo: usize,
    hi: usize,
    collectors: &mut [C],
) {
    let w = row.div_ceil(8);
    let q_words = padded_queries(queries, row);
    for_blocks(lo, hi, copy.block(), |start, end| {
        copy.fill(&rows[start * row..end * row]);
        for (q, c) in q_words.chunks_exact(w).zip(collectors.iter_mut()) {
            let (base, t) = (start as u64, c.threshold());
            copy.scan(q, end - start, t, |i, d| c.hit(d, base + i as u64));
        }
    });
}

/// Rows wider than the byte-row kernel suits (`search.rs` `BYTE_KERNEL_MAX`)
/// that are not whole words in place: each block is copied into a scratch
/// buffer of rows padded to whole u64 words (zeros above), and every query of
/// the group (padded the same way, once) runs the word kernel over it. The
/// scratch is one block (L1-sized), so memory stays n · bits / 8 plus O(1) per
/// thread.
pub(super) struct Padded {
    isa: Isa,
    row: usize,
    w: usize,
    block: usize,
    scratch: Vec<u64>,
    /// Words of the scratch the current block fills.
    len: usize,
}

impl Padded {
    pub(super) fn new(isa: Isa, row: usize) -> Self {
        let w = row.div_ceil(8);
        let block = (BLOCK_BYTES / (8 * w)).max(1);
        Self { isa, row, w, block, scratch: vec![0u64; block * w], len: 0 }
    }
}

impl BlockCopy for Padded {
    fn block(&self) -> usize {
        self.block
    }
    fn fill(&mut self, rows: &[u8]) {
        self.len = rows.len() / self.row * self.w;
        pad_rows(rows, self.row, &mut self.scratch[..self.len]);
    }
    fn scan<F: FnMut(usize, u32) -> u32>(&self, q: &[u64], _n: usize, threshold: u32, hit: F) {
        hamming_scan_with(self.isa, q, &self.scratch[..self.len], threshold, hit)
    }
}

/// Rows of `row` bytes (`src`) into rows of `ceil(row / 8)` little-endian u64 words
/// (`dst`), zeros above. While a whole padded row's bytes remain in `src`, a row is
/// `W` unaligned 8-byte reads, the last masked (a const width so the loop is
/// straight-line: the copy then costs a fraction of one query's scan of the block);
/// the last rows are copied byte-wise.
fn pad_rows(src: &[u8], row: usize, dst: &mut [u64]) {
    match row.div_ceil(8) {
        1 => pad_rows_w::<1>(src, row, dst),
        2 => pad_rows_w::<2>(src, row, dst),
        3 => pad_rows_w::<3>(src, row, dst),
        4 => pad_rows_w::<4>(src, row, dst),
        _ => pad_rows_slow(src, row, dst, 0),
    }
}

fn pad_rows_w<const W: usize>(src: &[u8], row: usize, dst: &mut [u64]) {
    let tail = row - 8 * (W - 1);
    let mask = if tail == 8 { !0 } else { (1u64 << (8 * tail)) - 1 };
    let fast = if src.len() >= 8 * W { (src.len() - 8 * W) / row + 1 } else { 0 };
    let fast = fast.min(dst.len() / W);
    for (i, code) in dst[..fast * W].chunks_exact_mut(W).enumerate() {
        let bytes = &src[i * row..i * row + 8 * W];
        for (word, b) in code.iter_mut().zip(bytes.chunks_exact(8)) {
            *word = u64::from_le_bytes(b.try_into().expect("8 bytes"));
        }
        code[W - 1] &= mask;
    }
    pad_rows_slow(src, row, dst, fast);
}

/// Rows `from..` of [`pad_rows`], byte-wise.
fn pad_rows_slow(src: &[u8], row: usize, dst: &mut [u64], from: usize) {
    let w = row.div_ceil(8);
    for (i, code) in dst.chunks_exact_mut(w).enumerate().skip(from) {
        for (word, bytes) in code.iter_mut().zip(src[i * row..(i + 1) * row].chunks(8)) {
            let mut b = [0u8; 8];
            b[..bytes.len()].copy_from_slice(bytes);
            *word = u64::from_le_bytes(b);
        }
    }
}

/// A cache line of words: the sliced scratch is made of these so that every
/// 512-bit load of the kernel lies in one line (a `Vec<u64>` is only 16-byte
/// aligned, and three in four such loads then straddle two lines).
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(64))]
struct Line([u64; 8]);

/// Each block sliced word-major once ([`slice_rows`]) and scanned by the sliced
/// kernel: at 128 and 256 bits its AVX-512 path needs no permutes to reduce a
/// code's words (see `sigah_kernels::hamming::sliced`). Blocks are whole groups
/// of 8 codes.
pub(super) struct Sliced {
    row: usize,
    w: usize,
    block: usize,
    lines: Vec<Line>,
    /// Words of the scratch the current block fills.
    len: usize,
    scanner: SlicedScanner,
}

impl Sliced {
    pub(super) fn new(isa: Isa, row: usize) -> Self {
        let w = row.div_ceil(8);
        let block = (BLOCK_BYTES / (8 * w)).max(LANES) / LANES * LANES;
        let lines = vec![Line([0; 8]); sliced_len(block, w).div_ceil(8)];
        Self { row, w, block, lines, len: 0, scanner: SlicedScanner::new(isa) }
    }
}

impl BlockCopy for Sliced {
    fn block(&self) -> usize {
        self.block
    }
    fn fill(&mut self, rows: &[u8]) {
        self.len = sliced_len(rows.len() / self.row, self.w);
        let scratch: &mut [u64] = bytemuck::cast_slice_mut(&mut self.lines);
        slice_rows(rows, self.row, &mut scratch[..self.len]);
    }
    fn scan<F: FnMut(usize, u32) -> u32>(&self, q: &[u64], n: usize, threshold: u32, hit: F) {
        let scratch: &[u64] = bytemuck::cast_slice(&self.lines);
        self.scanner.scan(q, &scratch[..self.len], n, threshold, hit)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pad_rows_matches_bytewise_padding() {
        // Every width 1..=40 bytes, with row counts that leave 0 to several rows for
        // the byte-wise tail.
        for row in 1usize..=40 {
            let w = row.div_ceil(8);
            for n in [0, 1, 2, 3, 17] {
                let src: Vec<u8> = (0..n * row).map(|i| (i * 37 % 255 + 1) as u8).collect();
                let mut fast = vec![u64::MAX; n * w];
                super::pad_rows(&src, row, &mut fast);
                let mut slow = vec![u64::MAX; n * w];
                super::pad_rows_slow(&src, row, &mut slow, 0);
                assert_eq!(fast, slow, "{row} bytes, {n} rows");
                for (i, code) in slow.chunks_exact(w).enumerate() {
                    let bytes: Vec<u8> = code.iter().flat_map(|x| x.to_le_bytes()).collect();
                    assert_eq!(&bytes[..row], &src[i * row..(i + 1) * row]);
                    assert!(bytes[row..].iter().all(|&b| b == 0));
                }
            }
        }
    }
}
