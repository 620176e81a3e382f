//! The capped radius search: exactly the uncapped lists up to the limit, and a
//! refusal one result short of it, on every engine, with removals and an
//! allow-list, from one and from several threads.

use crate::index::mih_tests::make_codes;
use crate::index::{Engine, HammingIndex, ResultLimit, SearchOptions};
use crate::Error;

#[test]
fn a_capped_radius_search_answers_at_its_limit_and_refuses_one_below() {
    let codes = make_codes(6000, 64, 3, 8, 6);
    let queries = make_codes(40, 64, 4, 8, 6);
    let mut index = HammingIndex::from_codes_with_ids(codes, (0..6000).map(|i| 3 * i + 1).collect()).unwrap();
    index.build_multi_index(None).unwrap();
    index.remove(&(0..300).map(|i| 3 * i + 1).collect::<Vec<_>>()).unwrap();
    let allow: Vec<i64> = (1000..5000).map(|i| 3 * i + 1).collect();
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        for engine in [Engine::Scan, Engine::MultiIndex, Engine::Auto] {
            for allow in [None, Some(&allow[..])] {
                let opts = SearchOptions { engine, allow, ..SearchOptions::default() };
                let want = index.search_radius(&queries, 20, &opts).unwrap();
                let total: u64 = want.iter().map(|l| l.len() as u64).sum();
                assert!(total > 100, "{total}");
                // One thread: exact. More: a multi-index query that gives up holds
                // what it took until it returns it (`search_radius_limited`).
                let slack = if threads == 1 { 0 } else { threads as u64 * 6000 };
                let at = ResultLimit::new(Some(total + slack), "--max-results");
                let got = pool.install(|| index.search_radius_limited(&queries, 20, &opts, &at)).unwrap();
                assert_eq!(got, want, "{engine:?}, {threads} threads");
                let below = ResultLimit::new(Some(total - 1), "--max-results");
                let err = pool.install(|| index.search_radius_limited(&queries, 20, &opts, &below)).unwrap_err();
                assert!(matches!(err, Error::Limit { .. }));
                assert_eq!(
                    err.to_string(),
                    format!(
                        "radius 20 over 40 queries make more than {} results, over the limit of {} (--max-results)",
                        total - 1,
                        total - 1
                    )
                );
            }
        }
    }
}

#[test]
fn the_default_limit_names_its_source_and_the_setting() {
    let limit = ResultLimit::new(None, "max_results");
    assert!(limit.max > 0);
    let err = limit.check(None, &|| "3 queries × k = 2^63".into()).unwrap_err().to_string();
    assert!(err.starts_with("3 queries × k = 2^63 make more than 2^64 results, over the limit of "), "{err}");
    assert!(err.ends_with("(half the available memory at 28 bytes each; max_results raises it)"), "{err}");
}
