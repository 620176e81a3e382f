//! Multi-index tables stored in the index file (version 4): opened mapped, equal
//! to a fresh build, searched identically; version-3 files that record only m
//! still load; damaged tables are refused with a format error.

use super::mih_tests::{brute_knn, make_codes, make_queries};
use super::*;

fn assert_same_tables(a: &MultiIndex, b: &MultiIndex, what: &str) {
    assert_eq!((a.n, a.m()), (b.n, b.m()), "{what}");
    for (s, t) in a.tables.iter().zip(&b.tables) {
        assert_eq!((s.start, s.len, s.dir), (t.start, t.len, t.dir), "{what}");
        assert_eq!(&s.offsets[..], &t.offsets[..], "{what}: offsets");
        assert_eq!(&s.low[..], &t.low[..], "{what}: low");
        assert_eq!(&s.pos[..], &t.pos[..], "{what}: pos");
        assert_eq!(&s.rows[..], &t.rows[..], "{what}: rows");
    }
}

fn version(p: &std::path::Path) -> u32 {
    u32::from_le_bytes(std::fs::read(p).unwrap()[8..12].try_into().unwrap())
}

#[test]
fn stored_tables_open_mapped_and_search_as_a_fresh_build() {
    let dir = tempfile::tempdir().unwrap();
    let mih = SearchOptions { engine: Engine::MultiIndex, budget: Some(usize::MAX), ..SearchOptions::default() };
    for (bits, m, custom) in [
        (8, None, false),
        (24, Some(3), true),
        (64, None, true),
        (72, None, false),
        (128, None, true),
        (256, Some(9), false),
    ] {
        let n = 5000;
        let codes = make_codes(n, bits, bits as u64, 40, 3);
        let mut index = if custom {
            let ids: Vec<i64> = (0..n as i64).map(|i| 7 * i + 3).collect();
            let mut i = HammingIndex::from_codes_with_ids(codes, ids).unwrap();
            i.remove(&[3, 10, 7 * 4999 + 3]).unwrap();
            i
        } else {
            HammingIndex::from_codes(codes)
        };
        index.build_multi_index(m).unwrap();
        let p = dir.path().join(format!("t{bits}.sigah"));
        index.save(&p).unwrap();
        assert_eq!(version(&p), 4);
        HammingIndex::verify(&p).unwrap();
        let fresh = index.multi_index().unwrap();
        let opened = HammingIndex::open(&p).unwrap();
        let mapped = opened.multi_index().expect("tables stored");
        assert!(mapped.is_mapped() && opened.codes().is_mapped(), "{bits} bits");
        assert_eq!(mapped.memory_bytes(), std::mem::size_of::<MultiIndex>(), "mapped tables hold no heap");
        assert_eq!(mapped.table_bytes(), fresh.table_bytes());
        assert_same_tables(mapped, fresh, &format!("{bits} bits opened"));
        let loaded = HammingIndex::load(&p).unwrap();
        assert!(!loaded.multi_index().unwrap().is_mapped());
        assert_same_tables(loaded.multi_index().unwrap(), fresh, &format!("{bits} bits loaded"));
        let q = make_queries(index.codes(), 30, 5);
        for k in [1, 10, 100] {
            let want = brute_knn(&index, &q, k, None);
            assert_eq!(opened.search_knn(&q, k, &mih).unwrap(), want, "{bits} bits, k {k}");
            assert_eq!(opened.knn(&q, k).unwrap(), want, "{bits} bits, k {k}, auto");
            assert_eq!(index.search_knn(&q, k, &mih).unwrap(), want);
        }
        let r = (bits / 8) as u32;
        assert_eq!(opened.search_radius(&q, r, &mih).unwrap(), index.radius_with(Isa::Scalar, &q, r).unwrap());
    }
}

#[test]
fn version_3_files_record_m_and_get_their_tables_built() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = HammingIndex::from_codes(make_codes(3000, 64, 4, 20, 2));
    index.build_multi_index(Some(3)).unwrap();
    let p = dir.path().join("v3.sigah");
    index.save_as(&p, false).unwrap();
    assert_eq!(version(&p), 3);
    assert_eq!(HammingIndex::file_multi_index_m(&p).unwrap(), 3);
    let mut opened = HammingIndex::open(&p).unwrap();
    assert!(opened.multi_index().is_none());
    opened.build_multi_index(Some(3)).unwrap();
    assert_same_tables(opened.multi_index().unwrap(), index.multi_index().unwrap(), "rebuilt");
    // Saving it again stores the tables.
    opened.save(&p).unwrap();
    assert_eq!(version(&p), 4);
    assert!(HammingIndex::open(&p).unwrap().multi_index().unwrap().is_mapped());
}

#[test]
fn removal_keeps_the_tables_and_addition_drops_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = HammingIndex::from_codes(make_codes(6000, 64, 8, 30, 2));
    index.build_multi_index(None).unwrap();
    let p = dir.path().join("r.sigah");
    index.save(&p).unwrap();
    let mut loaded = HammingIndex::load(&p).unwrap();
    loaded.remove(&[0, 1, 2, 5999]).unwrap();
    assert!(loaded.multi_index().is_some());
    loaded.save(&p).unwrap();
    let opened = HammingIndex::open(&p).unwrap();
    let q = make_queries(opened.codes(), 20, 9);
    assert_eq!(opened.knn(&q, 10).unwrap(), brute_knn(&opened, &q, 10, None));
    assert_eq!(opened.live_len(), 5996);
    let mut grown = opened.clone();
    grown.add(&make_codes(10, 64, 1, 0, 0)).unwrap();
    assert!(grown.multi_index().is_none());
}

#[test]
fn damaged_tables_are_format_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = HammingIndex::from_codes(make_codes(5000, 64, 2, 0, 0));
    index.build_multi_index(Some(4)).unwrap();
    let p = dir.path().join("d.sigah");
    index.save(&p).unwrap();
    let good = std::fs::read(&p).unwrap();
    let descs = 64 + 5000 * 8;
    let first_pos = descs + 4 * 16 + ((1 << 12) + 1) * 4 + 4 + 8 * 5000usize.div_ceil(8);
    let dir_bits = index.multi_index().unwrap().tables[0].dir;
    assert_eq!(dir_bits, 12, "the layout this test pokes at");
    let cases: Vec<(&str, usize, u32)> = vec![
        ("descriptor start", descs, 1),
        ("directory bits", descs + 8, 20),
        ("copies flag", descs + 12, 2),
        ("directory", descs + 4 * 16 + 4, 6000),
        ("position past n", first_pos, 5000),
    ];
    for (what, at, v) in cases {
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        std::fs::write(&p, &b).unwrap();
        for r in [HammingIndex::open(&p).map(|_| ()), HammingIndex::load(&p).map(|_| ()), HammingIndex::verify(&p)] {
            assert!(matches!(r, Err(Error::Format { .. })), "{what}: {r:?}");
        }
    }
    // Truncated inside the tables; a byte of a code copy flipped (the checksum).
    std::fs::write(&p, &good[..good.len() - 8]).unwrap();
    assert!(matches!(HammingIndex::open(&p), Err(Error::Format { .. })));
    let mut b = good.clone();
    let last = b.len() - 3;
    b[last] ^= 1;
    std::fs::write(&p, &b).unwrap();
    assert!(HammingIndex::open(&p).is_ok());
    assert!(matches!(HammingIndex::verify(&p), Err(Error::Format { .. })));
    assert!(matches!(HammingIndex::load(&p), Err(Error::Format { .. })));
}
