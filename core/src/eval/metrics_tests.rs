//! Metrics tests: hand-computed rankings with ties, and a proptest against a
//! straightforward O(n log n) reference (sort by (distance, id), walk the list).

use super::*;
use proptest::prelude::*;

/// 8-bit codes from bytes.
fn codes(bytes: &[u8]) -> Codes {
    Codes::from_bytes(8, bytes).unwrap()
}

#[test]
fn counting_sort_breaks_ties_by_id() {
    let mut order = Vec::new();
    counting_sort(&[2, 1, 2, 0, 1], 8, &mut order);
    assert_eq!(order, vec![3, 1, 4, 0, 2]);
    counting_sort(&[8, 8, 0], 8, &mut order);
    assert_eq!(order, vec![2, 0, 1]);
}

/// Query 0x00 against distances [2, 1, 2, 0, 1]: the ranking is 3, 1, 4, 0, 2.
/// With relevant = {0, 1}, the ranked relevance is [F, T, F, T, F]:
/// AP = (1/2)·(1/2 + 2/4) = 0.5. Breaking the tie 1 vs 4 the other way would give
/// [F, F, T, T, F] and AP = (1/3 + 2/4)/2 = 0.41667, so this pins the tie rule.
#[test]
fn hand_computed_ranking_with_ties() {
    let base = codes(&[0b11, 0b1, 0b101, 0, 0b1000_0000]);
    let query = codes(&[0]);
    let rel = Relevance::Neighbours { ids: vec![vec![1, 0]] };
    let m = evaluate(&base, &query, &rel).unwrap();
    assert!((m.map - 0.5).abs() < 1e-12, "{}", m.map);
    // Everything is within radius 2: 2 relevant of 5.
    assert!((m.p_r2 - 0.4).abs() < 1e-12);
    // P@1 = 0, P@2 = 1/2, P@5 = 2/5; recall@2 = 1/2.
    let at = |n| m.at(n).unwrap();
    assert_eq!(at(1).precision, 0.0);
    assert_eq!((at(2).precision, at(2).recall), (0.5, 0.5));
    assert_eq!((at(5).precision, at(5).recall), (0.4, 1.0));
    // P@100 is capped at the base size.
    assert_eq!(at(100).precision, 0.4);
    // PR by radius: r=0 -> {3}: 0/1; r=1 -> {3,1,4}: 1/3, recall 1/2; r=2 -> 2/5, 1.
    assert_eq!(m.pr_curve[0], PrPoint { radius: 0, precision: 0.0, recall: 0.0 });
    assert!((m.pr_curve[1].precision - 1.0 / 3.0).abs() < 1e-12 && m.pr_curve[1].recall == 0.5);
    assert_eq!((m.pr_curve[2].precision, m.pr_curve[2].recall), (0.4, 1.0));
    assert_eq!(m.pr_curve.len(), 9);
}

#[test]
fn labels_and_empty_radius_lookup() {
    // Two queries; labels: base [1, 2, 1, 2], queries [1, 2].
    let base = codes(&[0b0000_0000, 0b0000_1111, 0b0000_0001, 0b1111_1111]);
    let queries = codes(&[0b0000_0000, 0b1111_0000]);
    let rel = Relevance::Labels { base: vec![1, 2, 1, 2], queries: vec![1, 2] };
    let m = evaluate(&base, &queries, &rel).unwrap();
    // q0: distances [0, 4, 1, 8] -> ranking 0, 2, 1, 3; relevant {0, 2}: AP = 1.
    //     within r<=2: {0, 2}, both relevant: 1.
    // q1: distances [4, 8, 5, 4] -> ranking 0, 3, 2, 1; relevant {1, 3}:
    //     [F, T, F, T] -> AP = (1/2 + 2/4)/2 = 0.5; nothing within r<=2: 0.
    assert!((m.map - 0.75).abs() < 1e-12, "{}", m.map);
    assert!((m.p_r2 - 0.5).abs() < 1e-12, "{}", m.p_r2);
    assert_eq!(rel.name(), "label");
}

#[test]
fn bad_inputs_are_errors() {
    let base = codes(&[1, 2]);
    let q = codes(&[1]);
    let e = evaluate(&base, &q, &Relevance::Labels { base: vec![1], queries: vec![1] }).unwrap_err();
    assert!(e.to_string().contains("base labels"), "{e}");
    let e = evaluate(&base, &q, &Relevance::Neighbours { ids: vec![vec![5]] }).unwrap_err();
    assert!(e.to_string().contains("base id 5"), "{e}");
    let q16 = Codes::from_words(16, vec![1]).unwrap();
    assert!(evaluate(&base, &q16, &Relevance::Neighbours { ids: vec![vec![0]] }).is_err());
    assert_eq!(Relevance::Neighbours { ids: vec![vec![0, 1]] }.name(), "l2top2");
}

#[test]
fn cutoffs_cover_the_curve() {
    assert_eq!(cutoffs(4500), vec![1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 4500]);
    assert_eq!(cutoffs(1), vec![1, 100, 1000]);
}

/// The reference: sort by (distance, id) with a comparison sort, walk the list.
fn reference_ap(base: &Codes, query: &[u8], relevant: &[bool]) -> f64 {
    let mut ranked: Vec<(u32, usize)> = (0..base.len())
        .map(|i| (base.code_bytes(i).iter().zip(query).map(|(a, b)| (a ^ b).count_ones()).sum(), i))
        .collect();
    ranked.sort();
    let total = relevant.iter().filter(|&&r| r).count();
    if total == 0 {
        return 0.0;
    }
    let (mut hits, mut sum) = (0, 0.0);
    for (k, &(_, id)) in ranked.iter().enumerate() {
        if relevant[id] {
            hits += 1;
            sum += hits as f64 / (k + 1) as f64;
        }
    }
    sum / total as f64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn map_matches_the_sort_reference(
        n in 1usize..120,
        nq in 1usize..6,
        words in proptest::collection::vec(any::<u64>(), 130 * 2),
        labels in proptest::collection::vec(0i32..4, 130),
        narrow in any::<bool>(),
    ) {
        // 16-bit codes (byte rows) make many ties; 128-bit codes (words) few.
        let (bits, wpc) = if narrow { (16, 1) } else { (128, 2) };
        let mask = if narrow { 0xffff } else { !0 };
        let take = |from: usize, count: usize| -> Vec<u64> {
            words[from * wpc..(from + count) * wpc].iter().map(|w| w & mask).collect()
        };
        let base = Codes::from_words(bits, take(0, n)).unwrap();
        let queries = Codes::from_words(bits, take(n, nq.min(130 - n))).unwrap();
        prop_assume!(!queries.is_empty());
        let rel = Relevance::Labels {
            base: labels[..n].to_vec(),
            queries: labels[n..n + queries.len()].to_vec(),
        };
        let m = evaluate(&base, &queries, &rel).unwrap();
        let expect = (0..queries.len())
            .map(|q| {
                let relevant: Vec<bool> = labels[..n].iter().map(|&l| l == labels[n + q]).collect();
                reference_ap(&base, queries.code_bytes(q), &relevant)
            })
            .sum::<f64>()
            / queries.len() as f64;
        prop_assert!((m.map - expect).abs() < 1e-12, "{} vs {}", m.map, expect);
    }
}
