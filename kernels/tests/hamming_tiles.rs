//! The AMX tile scan against its reference, exactly: per query the sequence of
//! hits with fixed thresholds (0, small, every distance) and with the falling
//! threshold of a per-query top-k, on random and on clustered codes (many ties
//! and near codes), 2-4 words, any number of codes and queries (partial tiles of
//! both). Runs where the CPU and OS grant AMX; elsewhere there is nothing to test.

use proptest::prelude::*;
use sigah_kernels::hamming::tiles::{tiles_pay, tiles_scan, tiles_scan_reference, TileBlock, TileQueries};
use sigah_kernels::isa::{self, Isa};

/// Codes of `w` words: random, or a few centres with 0-3 bits flipped (ties).
fn codes_strategy(max: usize) -> impl Strategy<Value = (usize, Vec<u64>, Vec<u64>)> {
    (2usize..=4, 0usize..max, 1usize..40, any::<bool>(), any::<u64>()).prop_map(|(w, n, nq, clustered, seed)| {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let centres: Vec<u64> = (0..3 * w).map(|_| next()).collect();
        let mut gen = |count: usize| -> Vec<u64> {
            (0..count)
                .flat_map(|_| {
                    let c = (next() % 3) as usize;
                    let flips = next() % 4;
                    let mut code: Vec<u64> =
                        (0..w).map(|t| if clustered { centres[c * w + t] } else { next() }).collect();
                    for _ in 0..flips {
                        let b = next() as usize % (64 * w);
                        code[b / 64] ^= 1 << (b % 64);
                    }
                    code
                })
                .collect()
        };
        let codes = gen(n);
        let queries = gen(nq);
        (w, codes, queries)
    })
}

/// Per query, every hit (code, distance) in order; the threshold each query
/// starts from, and what a hit returns: a fixed value or a top-k's k-th best.
fn hits(
    run: impl FnOnce(&mut [u32], &mut dyn FnMut(usize, usize, u32) -> u32),
    nq: usize,
    start: u32,
    k: Option<usize>,
) -> Vec<Vec<(usize, u32)>> {
    let mut out = vec![Vec::new(); nq];
    let mut best: Vec<Vec<u32>> = vec![Vec::new(); nq];
    let mut thresholds = vec![start; nq];
    run(&mut thresholds, &mut |q, i, d| {
        out[q].push((i, d));
        match k {
            None => start,
            Some(k) => {
                best[q].push(d);
                best[q].sort_unstable();
                best[q].truncate(k);
                if best[q].len() < k {
                    u32::MAX
                } else {
                    best[q][k - 1]
                }
            }
        }
    });
    out
}

fn amx() -> bool {
    Isa::Amx.is_supported()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn tiles_equal_the_reference((w, codes, queries) in codes_strategy(300), k in 1usize..12, fixed in 0u32..300) {
        if !amx() {
            return Ok(());
        }
        let nq = queries.len() / w;
        let n = codes.len() / w;
        let tq = TileQueries::new(&queries, w);
        let mut block = TileBlock::new(w, 300);
        let bytes: Vec<u8> = codes.iter().flat_map(|x| x.to_le_bytes()).collect();
        block.fill(&bytes);
        prop_assert_eq!(block.len(), n);
        for (start, top) in [(u32::MAX, Some(k)), (fixed, None), (u32::MAX, None), (0, None)] {
            let got = hits(|t, h| tiles_scan(&tq, &block, t, h), nq, start, top);
            let want = hits(|t, h| tiles_scan_reference(&queries, &codes, w, t, h), nq, start, top);
            prop_assert_eq!(got, want, "w {} n {} nq {} start {} k {:?}", w, n, nq, start, top);
        }
    }
}

#[test]
fn tiles_pay_only_on_amx_for_two_to_four_words() {
    for level in isa::available() {
        let on = level == Isa::Amx;
        assert_eq!(tiles_pay(level, 16), on);
        assert_eq!(tiles_pay(level, 24), on);
        assert_eq!(tiles_pay(level, 32), on);
        assert!(!tiles_pay(level, 8) && !tiles_pay(level, 40) && !tiles_pay(level, 20));
    }
}

#[test]
#[should_panic(expected = "TileBlock: 1 words")]
fn one_word_codes_are_refused() {
    TileBlock::new(1, 16);
}

#[test]
fn a_refilled_block_forgets_the_old_codes() {
    if !amx() {
        return;
    }
    // 40 codes, then 5: the scan must see only the 5 (no stale rows of the 40).
    let w = 2;
    let q: Vec<u64> = vec![0; w];
    let tq = TileQueries::new(&q, w);
    let mut block = TileBlock::new(w, 64);
    block.fill(&vec![0u8; 40 * 8 * w]);
    block.fill(&vec![0xffu8; 5 * 8 * w]);
    let mut seen = Vec::new();
    tiles_scan(&tq, &block, &mut [u32::MAX], |_, i, d| {
        seen.push((i, d));
        u32::MAX
    });
    assert_eq!(seen, (0..5).map(|i| (i, 128)).collect::<Vec<_>>());
}
