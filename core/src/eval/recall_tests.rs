//! Recall k@C tests: hand-computed rankings with ties, the cap at the base size,
//! short truth rows, bad truth, and a proptest against an O(n log n) reference.

use super::*;
use proptest::prelude::*;

fn codes(bytes: &[u8]) -> Codes {
    Codes::from_bytes(8, bytes).unwrap()
}

/// Base [0b11, 0b1, 0b101, 0, 0x80].
/// Query 0x00: distances [2, 1, 2, 0, 1], ranking 3, 1, 4, 0, 2; its true top 2
/// are {0, 4} (id 1, listed third, is outside k = 2). Hits among the first C:
/// C=1 {3}: 0; C=2 {3, 1}: 0 (breaking the 1/4 tie the other way would give
/// 1/2); C=3 {3, 1, 4}: 1/2; C=10, capped at 5: 1.
/// Query 0xff: distances [6, 7, 6, 8, 7], ranking 0, 2, 1, 4, 3; its truth is the
/// one id 3 (a short row): 0 until C = 5, then 1.
/// Means over the two queries: 0, 0, 1/4, 1.
#[test]
fn hand_computed_recall_with_ties_and_a_short_row() {
    let base = codes(&[0b11, 0b1, 0b101, 0, 0x80]);
    let queries = codes(&[0, 0xff]);
    let truth = vec![vec![0, 4, 1], vec![3]];
    let r = recall_at_candidates(&base, &queries, &truth, 2, &[1, 2, 3, 10]).unwrap();
    let got: Vec<(usize, f64)> = r.iter().map(|a| (a.c, a.recall)).collect();
    assert_eq!(got, vec![(1, 0.0), (2, 0.0), (3, 0.25), (10, 1.0)]);
    // k = 3 takes id 1 in too: query 0 then has 1/3 at C = 2 and 2/3 at C = 3.
    let r = recall_at_candidates(&base, &queries, &truth, 3, &[2, 3]).unwrap();
    assert!((r[0].recall - 1.0 / 6.0).abs() < 1e-12, "{r:?}");
    assert!((r[1].recall - 1.0 / 3.0).abs() < 1e-12, "{r:?}");
}

#[test]
fn bad_truth_is_an_error_naming_the_query() {
    let base = codes(&[0, 1, 2]);
    let queries = codes(&[0, 1]);
    let e = recall_at_candidates(&base, &queries, &[vec![0]], 10, &[10]).unwrap_err().to_string();
    assert!(e.contains("2 true-neighbour rows"), "{e}");
    let e = recall_at_candidates(&base, &queries, &[vec![0], vec![]], 10, &[10]).unwrap_err().to_string();
    assert!(e.contains("query 1") && e.contains("empty"), "{e}");
    let e = recall_at_candidates(&base, &queries, &[vec![0], vec![1, 3]], 10, &[10]).unwrap_err().to_string();
    assert!(e.contains("query 1") && e.contains("base id 3"), "{e}");
    let wide = Codes::from_bytes(16, &[0, 0]).unwrap();
    assert!(recall_at_candidates(&base, &wide, &[vec![0]], 10, &[10]).is_err());
}

/// Sort by (distance, id), count the true top k among the first C.
fn reference(base: &[u8], queries: &[u8], truth: &[Vec<u32>], k: usize, cs: &[usize]) -> Vec<f64> {
    cs.iter()
        .map(|&c| {
            let per: f64 = queries
                .iter()
                .zip(truth)
                .map(|(&q, t)| {
                    let mut ids: Vec<usize> = (0..base.len()).collect();
                    ids.sort_by_key(|&i| ((base[i] ^ q).count_ones(), i));
                    let top = &t[..t.len().min(k)];
                    let hits = ids.iter().take(c).filter(|&&i| top.contains(&(i as u32))).count();
                    hits as f64 / top.len() as f64
                })
                .sum();
            per / queries.len() as f64
        })
        .collect()
}

proptest! {
    #[test]
    fn matches_the_sorting_reference(
        base in prop::collection::vec(any::<u8>(), 1..40),
        queries in prop::collection::vec(any::<u8>(), 1..6),
        k in 1usize..12,
        seed in any::<u64>(),
    ) {
        // Each query's truth: a deterministic shuffle of the base ids, 1..=12 long.
        let n = base.len();
        let truth: Vec<Vec<u32>> = (0..queries.len())
            .map(|q| {
                let mut ids: Vec<u32> = (0..n as u32).collect();
                let mut s = seed ^ (q as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                for i in (1..n).rev() {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    ids.swap(i, (s % (i as u64 + 1)) as usize);
                }
                ids.truncate(1 + (s % 12) as usize);
                ids
            })
            .collect();
        let cs = [1, 3, 10, 100];
        let got = recall_at_candidates(&codes(&base), &codes(&queries), &truth, k, &cs).unwrap();
        let want = reference(&base, &queries, &truth, k, &cs);
        for (g, w) in got.iter().zip(&want) {
            prop_assert!((g.recall - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }
}
