//! Blocks scanned on the AMX tile unit ([`Isa::Amx`](sigah_kernels::Isa)): the
//! group's queries are laid out as B tiles once, each block of codes as A tiles
//! once, and one `tiles_scan` runs every query of the group over the block
//! (`sigah_kernels::hamming::tiles`). Memory: one block of expanded codes per
//! thread (a byte per bit), so it stays n · bits / 8 plus O(1) per thread.

use sigah_kernels::hamming::tiles::{tiles_scan, TileBlock, TileQueries, TILE};

use super::block::{for_blocks, Collector};
use super::repack::padded_queries;

/// Bytes of expanded codes per block (64 per code and word): the A tiles of a
/// block are read once per 16 queries, so they stay in L1 (128 codes at 256
/// bits, 256 at 128).
const TILE_BLOCK_BYTES: usize = 32 << 10;

/// Queries a group needs before the tiles pay: one tile of them (fewer leave
/// lanes of every sum unused).
pub(super) const TILE_MIN_QUERIES: usize = TILE;

/// Every query of the group (rows of `row` = 8 · w bytes) over codes `[lo, hi)`,
/// feeding `collectors`, block by block on tiles.
pub(super) fn scan_tiles<C: Collector>(
    rows: &[u8],
    row: usize,
    queries: &[&[u8]],
    lo: usize,
    hi: usize,
    collectors: &mut [C],
) {
    let w = row / 8;
    let tiles = TileQueries::new(&padded_queries(queries, row), w);
    let mut block = TileBlock::new(w, (TILE_BLOCK_BYTES / (64 * w)).max(TILE));
    // Read once: `tiles_scan` keeps each query's threshold as its hits return it.
    let mut thresholds: Vec<u32> = collectors.iter().map(|c| c.threshold()).collect();
    for_blocks(lo, hi, block.capacity(), |start, end| {
        block.fill(&rows[start * row..end * row]);
        tiles_scan(&tiles, &block, &mut thresholds, |q, i, d| collectors[q].hit(d, (start + i) as u64));
    });
}
