//! Multi-index hashing, ids, removal and allow-lists against brute force: every
//! result must equal the sorted list of (distance, id) over the codes a search may
//! return, on random and clustered codes, every tested width, k from 1 to past n,
//! radii, every instruction set, 1 to 3 threads, and budgets that send some or all
//! queries to the scan.

use proptest::prelude::*;
use sigah_kernels::hamming::bytes::scalar::distance;
use sigah_kernels::isa;

use super::*;

/// Xorshift bytes.
fn stream(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

/// `n` codes: uniform, or clustered around `centres` codes with up to `spread`
/// random bit flips each (the shape of real codes: dense buckets, small distances).
pub(super) fn make_codes(n: usize, bits: usize, seed: u64, centres: usize, spread: usize) -> Codes {
    let mut next = stream(seed);
    let row = bits / 8;
    if centres == 0 {
        let bytes: Vec<u8> = (0..n * row).map(|_| next() as u8).collect();
        return Codes::from_bytes(bits, &bytes).unwrap();
    }
    let protos: Vec<u8> = (0..centres * row).map(|_| next() as u8).collect();
    let mut bytes = Vec::with_capacity(n * row);
    for _ in 0..n {
        let c = (next() % centres as u64) as usize;
        let mut code = protos[c * row..(c + 1) * row].to_vec();
        for _ in 0..(next() % (spread as u64 + 1)) {
            let j = (next() % bits as u64) as usize;
            code[j / 8] ^= 1 << (j % 8);
        }
        bytes.extend(code);
    }
    Codes::from_bytes(bits, &bytes).unwrap()
}

/// Every (distance, id) a search of `index` may return for `q`, sorted.
fn brute(index: &HammingIndex, q: &[u8], allow: Option<&[i64]>) -> Vec<(u32, i64)> {
    let mut all: Vec<(u32, i64)> = (0..index.len())
        .filter(|&p| !index.is_removed(p))
        .map(|p| (distance(q, index.codes().code_bytes(p)), index.id_at(p)))
        .filter(|(_, id)| allow.is_none_or(|a| a.contains(id)))
        .collect();
    all.sort_unstable();
    all
}

pub(super) fn brute_knn(
    index: &HammingIndex,
    queries: &Codes,
    k: usize,
    allow: Option<&[i64]>,
) -> (Vec<u32>, Vec<i64>) {
    let (mut d, mut ids) = (Vec::new(), Vec::new());
    for qi in 0..queries.len() {
        let all = brute(index, queries.code_bytes(qi), allow);
        for r in 0..k {
            let (x, y) = all.get(r).copied().unwrap_or((u32::MAX, -1));
            d.push(x);
            ids.push(y);
        }
    }
    (d, ids)
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

/// Queries: half near the database's codes (a few flips), half uniform.
pub(super) fn make_queries(db: &Codes, nq: usize, seed: u64) -> Codes {
    let mut next = stream(seed);
    let bits = db.bits();
    let mut q = make_codes(nq, bits, seed ^ 0x55, 0, 0);
    if db.is_empty() {
        return q;
    }
    let mut out = Codes::zeros(0, bits).unwrap();
    for i in 0..nq {
        if i % 2 == 0 {
            let mut code = db.code_bytes((next() % db.len() as u64) as usize).to_vec();
            for _ in 0..next() % 4 {
                let j = (next() % bits as u64) as usize;
                code[j / 8] ^= 1 << (j % 8);
            }
            out.push(&code).unwrap();
        } else {
            out.push(q.code_bytes(i)).unwrap();
        }
    }
    q = out;
    q
}

/// Every width that is a multiple of 8 up to 256 (proptest picks among them).
fn widths() -> Vec<usize> {
    (1..=32).map(|b| 8 * b).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn mih_equals_brute_force(
        bits in prop::sample::select(widths()),
        n in 0usize..700,
        nq in 1usize..8,
        k_extra in 0usize..3,
        kind in 0usize..3,
        sub in 0usize..4,
        budget in prop::sample::select(vec![usize::MAX, usize::MAX, 200, 5]),
        seed in any::<u64>(),
        threads in 1usize..4,
    ) {
        // kind 0: uniform; 1: tight clusters; 2: loose clusters with duplicates.
        let (centres, spread) = [(0, 0), (5, 3), (3, bits / 8)][kind];
        let db = make_codes(n, bits, seed, centres, spread);
        let queries = make_queries(&db, nq, seed ^ 7);
        let mut index = HammingIndex::from_codes(db);
        // The automatic m, or substrings of 4, 8 or 12 bits (m clamped to 32-bit keys).
        let m = if sub == 0 { auto_m(bits, n) } else { (bits / (4 * sub)).clamp(bits.div_ceil(32), bits) };
        index.build_multi_index(Some(m)).unwrap();
        let ks = [1, 2, 10, n.max(1), n + 1 + k_extra * 50];
        for level in isa::available() {
            let opts = SearchOptions { engine: Engine::MultiIndex, isa: Some(level), budget: Some(budget), allow: None };
            for &k in &ks {
                let got = in_pool(threads, || index.search_knn(&queries, k, &opts).unwrap());
                prop_assert_eq!(&got, &brute_knn(&index, &queries, k, None), "{} bits, n {}, m {}, k {}, {}", bits, n, m, k, level);
            }
            for r in [0, 1, 3, bits as u32 / 8, bits as u32 / 4, bits as u32] {
                let got = in_pool(threads, || index.search_radius(&queries, r, &opts).unwrap());
                for (qi, list) in got.iter().enumerate() {
                    let want: Vec<(u32, i64)> = brute(&index, queries.code_bytes(qi), None).into_iter().filter(|p| p.0 <= r).collect();
                    prop_assert_eq!(list, &want, "radius {}, {} bits, n {}, m {}, {}", r, bits, n, m, level);
                }
            }
        }
    }

    #[test]
    fn custom_ids_removal_and_allow_lists_equal_brute_force(
        bits in prop::sample::select(vec![8usize, 24, 64, 72, 128, 256]),
        n in 1usize..500,
        seed in any::<u64>(),
        k in prop::sample::select(vec![1usize, 3, 10, 600]),
        engine in prop::sample::select(vec![Engine::Scan, Engine::MultiIndex, Engine::Auto]),
        threads in 1usize..3,
    ) {
        let mut next = stream(seed ^ 99);
        let db = make_codes(n, bits, seed, 4, bits / 16 + 1);
        // Ids in scrambled order (not increasing with position), some large.
        let ids: Vec<i64> = (0..n as i64).map(|i| (i * 7919 + 13) % 100_003 * 1_000_000_007).collect();
        let mut index = HammingIndex::from_codes_with_ids(db, ids.clone()).unwrap();
        let remove: Vec<i64> = ids.iter().copied().filter(|_| next() % 4 == 0).collect();
        prop_assert_eq!(index.remove(&remove).unwrap(), remove.len());
        index.build_multi_index(None).unwrap();
        let more = make_codes(30, bits, seed ^ 3, 2, 2);
        let more_ids: Vec<i64> = (0..30).map(|i| 5 + 2 * i).filter(|id| !ids.contains(id)).collect();
        let more = Codes::from_bytes(bits, &more.as_bytes()[..more_ids.len() * bits / 8]).unwrap();
        index.add_with_ids(&more, &more_ids).unwrap();
        index.build_multi_index(None).unwrap();
        let live: Vec<i64> = (0..index.len()).filter(|&p| !index.is_removed(p)).map(|p| index.id_at(p)).collect();
        let allow: Vec<i64> = live.iter().copied().filter(|_| next() % 3 == 0).collect();
        let queries = make_queries(index.codes(), 5, seed ^ 11);
        for list in [None, Some(&allow[..])] {
            let opts = SearchOptions { engine, allow: list, ..SearchOptions::default() };
            let got = in_pool(threads, || index.search_knn(&queries, k, &opts).unwrap());
            prop_assert_eq!(&got, &brute_knn(&index, &queries, k, list), "{} bits, n {}, k {}, {:?}", bits, n, k, engine);
            let r = bits as u32 / 4;
            let got = in_pool(threads, || index.search_radius(&queries, r, &opts).unwrap());
            for (qi, l) in got.iter().enumerate() {
                let want: Vec<(u32, i64)> = brute(&index, queries.code_bytes(qi), list).into_iter().filter(|p| p.0 <= r).collect();
                prop_assert_eq!(l, &want);
            }
        }
    }
}

#[test]
fn auto_uses_tables_on_clustered_codes_and_equals_the_scan() {
    // Large enough for Engine::Auto to use the tables; results equal the scan's
    // for every k, and across thread counts.
    let db = make_codes(20_000, 64, 5, 50, 4);
    let queries = make_queries(&db, 300, 6);
    let mut index = HammingIndex::from_codes(db);
    index.build_multi_index(None).unwrap();
    assert_eq!(index.multi_index().unwrap().m(), 7, "64 / (log2(20000) - 4) = 6.2 → 7");
    let scan = SearchOptions { engine: Engine::Scan, ..SearchOptions::default() };
    for k in [1, 10, 100] {
        let want = index.search_knn(&queries, k, &scan).unwrap();
        for threads in [1, 2] {
            assert_eq!(in_pool(threads, || index.knn(&queries, k).unwrap()), want, "k {k}, {threads} threads");
        }
    }
}

#[test]
fn bad_ids_are_errors_and_leave_the_index_unchanged() {
    let db = make_codes(10, 64, 1, 0, 0);
    let bad = |r: Result<HammingIndex>, words: &str| match r {
        Err(Error::Ids { reason }) => assert!(reason.contains(words), "{reason}"),
        other => panic!("expected an ids error with '{words}', got {other:?}"),
    };
    bad(HammingIndex::from_codes_with_ids(db.clone(), vec![1; 10]), "id 1 appears more than once");
    bad(HammingIndex::from_codes_with_ids(db.clone(), vec![0; 3]), "3 ids for 10 codes");
    bad(HammingIndex::from_codes_with_ids(db.clone(), (-1..9).collect()), "id -1 is negative");
    let mut index = HammingIndex::from_codes_with_ids(db.clone(), (100..110).collect()).unwrap();
    let before = index.clone();
    let err = index.add_with_ids(&make_codes(2, 64, 2, 0, 0), &[7, 105]).unwrap_err();
    assert!(err.to_string().contains("id 105 is already in the index"), "{err}");
    let err = index.remove(&[101, 5]).unwrap_err();
    assert!(err.to_string().contains("id 5 is not in the index"), "{err}");
    assert_eq!(index, before);
    assert_eq!(index.remove(&[101, 101]).unwrap(), 1);
    assert!(index.remove(&[101]).unwrap_err().to_string().contains("id 101 is not in the index"));
    assert_eq!(index.live_len(), 9);
    // Re-adding a removed id is allowed: the removed row stays dead.
    index.add_with_ids(&make_codes(1, 64, 3, 0, 0), &[101]).unwrap();
    assert_eq!((index.len(), index.live_len()), (11, 10));
    let q = make_codes(1, 64, 4, 0, 0);
    let err = index.search_knn(&q, 1, &SearchOptions { allow: Some(&[42]), ..SearchOptions::default() });
    assert!(matches!(err, Err(Error::Ids { .. })));
    // Adding without ids continues past the largest id.
    index.add(&make_codes(2, 64, 5, 0, 0)).unwrap();
    assert_eq!((index.id_at(11), index.id_at(12)), (110, 111));
}

#[test]
fn memory_of_the_tables_is_a_few_bytes_per_code_per_table() {
    let n = 1 << 16;
    let mut index = HammingIndex::from_codes(make_codes(n, 64, 1, 0, 0));
    index.build_multi_index(Some(4)).unwrap();
    let mi = index.multi_index().unwrap();
    // m = 4 tables of 16 bits: a 2^16 + 1 directory (4 bytes per code), a u32
    // position and a copy of the 8-byte code per code each, no low bits:
    // 4 · (4 + 4 + 8) bytes per code, plus O(1).
    assert_eq!(mi.m(), 4);
    let per_code = mi.memory_bytes() as f64 / n as f64;
    assert!((64.0..64.01).contains(&per_code), "{per_code} bytes per code");
    // Wider codes are not copied: 128 bits, m = 8 tables of 16 bits, 8 bytes each.
    let mut wide = HammingIndex::from_codes(make_codes(n, 128, 1, 0, 0));
    wide.build_multi_index(None).unwrap();
    let per_code = wide.multi_index().unwrap().memory_bytes() as f64 / n as f64;
    assert!((64.0..64.01).contains(&per_code), "{per_code} bytes per code at 128 bits");
}

#[test]
fn version_3_files_round_trip_ids_removals_and_m() {
    let dir = tempfile::tempdir().unwrap();
    for bits in [8, 24, 64, 72] {
        let ids: Vec<i64> = (0..301).map(|i| 1_000 - 3 * i).collect();
        let mut index = HammingIndex::from_codes_with_ids(make_codes(301, bits, 9, 3, 2), ids).unwrap();
        index.remove(&[1_000, 997, 100]).unwrap();
        index.build_multi_index(None).unwrap();
        let m = index.multi_index().unwrap().m();
        let p = dir.path().join(format!("v3_{bits}.sigah"));
        index.save(&p).unwrap();
        assert_eq!(HammingIndex::file_multi_index_m(&p).unwrap(), m);
        let loaded = HammingIndex::load(&p).unwrap();
        assert_eq!(loaded, index, "{bits} bits");
        let opened = HammingIndex::open(&p).unwrap();
        assert!(opened.codes().is_mapped());
        assert_eq!(opened, index);
        HammingIndex::verify(&p).unwrap();
        assert_eq!(opened.live_len(), 298);
        let q = make_queries(index.codes(), 4, 1);
        assert_eq!(opened.knn(&q, 5).unwrap(), brute_knn(&index, &q, 5, None));
        // Every single-byte corruption past the header fails load and verify.
        let good = std::fs::read(&p).unwrap();
        for at in [64, good.len() / 2, good.len() - 1] {
            let mut b = good.clone();
            b[at] ^= 0x21;
            std::fs::write(&p, &b).unwrap();
            assert!(HammingIndex::load(&p).is_err() && HammingIndex::verify(&p).is_err(), "byte {at}");
        }
        // Header fields of version 3: flags, m, reserved.
        for (at, v) in [(32usize, 8u8), (36, 255), (44, 1)] {
            let mut b = good.clone();
            b[at] = v;
            std::fs::write(&p, &b).unwrap();
            assert!(matches!(HammingIndex::open(&p), Err(Error::Format { .. })), "byte {at}");
        }
    }
    // A plain index still writes version 2.
    let plain = HammingIndex::from_codes(make_codes(10, 64, 1, 0, 0));
    let p = dir.path().join("plain.sigah");
    plain.save(&p).unwrap();
    assert_eq!(std::fs::read(&p).unwrap()[8..12], 2u32.to_le_bytes());
}

#[test]
fn the_pilot_sends_uniform_codes_at_large_k_to_the_scan_and_keeps_clustered_ones() {
    // Uniform codes at k = 100 need most of the tables (the scan's case); tight
    // clusters are found in a few buckets. Auto must see the difference from its
    // pilot alone, and the results stay the scan's either way.
    // Queries near the codes (every other one of make_queries' is uniform).
    let queries_of = |db: &Codes| {
        let q = make_queries(db, 400, 8);
        let mut near = Codes::zeros(0, 64).unwrap();
        for i in (0..400).step_by(2) {
            near.push(q.code_bytes(i)).unwrap();
        }
        near
    };
    let uniform = HammingIndex::from_codes(make_codes(50_000, 64, 3, 0, 0));
    let clustered = HammingIndex::from_codes(make_codes(50_000, 64, 3, 400, 2));
    for (mut index, k, want_tables) in [(uniform, 100, false), (clustered, 10, true)] {
        index.build_multi_index(None).unwrap();
        let queries = queries_of(index.codes());
        let covered = index.multi_index_coverage(&queries, k).unwrap();
        if want_tables {
            assert!(covered > 190, "clustered codes: {covered} of 200 queries by the tables");
        } else {
            assert!(covered <= 8, "uniform codes at k = {k}: {covered} of 200 by the tables (pilot only)");
        }
        let scan = SearchOptions { engine: Engine::Scan, ..SearchOptions::default() };
        assert_eq!(index.knn(&queries, k).unwrap(), index.search_knn(&queries, k, &scan).unwrap());
    }
}
