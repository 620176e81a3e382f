use proptest::prelude::*;
use sigah_kernels::isa;

use super::*;

/// Brute force with the scalar reference: all (distance, id) pairs, sorted.
fn brute(db: &Codes, q: &[u8]) -> Vec<(u32, i64)> {
    let mut all: Vec<(u32, i64)> = (0..db.len())
        .map(|i| (sigah_kernels::hamming::bytes::scalar::distance(q, db.code_bytes(i)), i as i64))
        .collect();
    all.sort_unstable();
    all
}

fn brute_knn(db: &Codes, queries: &Codes, k: usize) -> (Vec<u32>, Vec<i64>) {
    let (mut d, mut ids) = (Vec::new(), Vec::new());
    for qi in 0..queries.len() {
        let all = brute(db, queries.code_bytes(qi));
        for r in 0..k {
            let (x, y) = all.get(r).copied().unwrap_or((u32::MAX, -1));
            d.push(x);
            ids.push(y);
        }
    }
    (d, ids)
}

/// Random codes with few distinct bit patterns when `dup` (many ties and duplicates).
fn random_codes(n: usize, bits: usize, seed: u64, dup: bool) -> Codes {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let bytes: Vec<u8> = if dup {
        let protos: Vec<u8> = (0..4 * bits / 8).map(|_| next() as u8).collect();
        (0..n).flat_map(|_| protos.chunks(bits / 8).nth((next() % 4) as usize).unwrap().to_vec()).collect()
    } else {
        (0..n * bits / 8).map(|_| next() as u8).collect()
    };
    Codes::from_bytes(bits, &bytes).unwrap()
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

/// Byte rows (8 to 56 bits: the AVX-512 byte path; 72 to 120 and 520: POPCNT over
/// pieces) and whole words (64 to 4096).
const BITS: &[usize] = &[8, 16, 24, 32, 40, 48, 56, 64, 72, 96, 120, 128, 192, 256, 512, 520, 4096];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn knn_and_radius_equal_brute_force_on_every_isa(
        bits in prop::sample::select(BITS),
        n in 0usize..300,
        // Up to 40 queries: groups of 16 and more take the AMX tiles where the CPU has them.
        nq in 0usize..40,
        k in prop::sample::select(vec![1usize, 2, 5, 10, 100, 400]),
        seed in any::<u64>(),
        dup in any::<bool>(),
        threads in 1usize..4,
    ) {
        let db = random_codes(n, bits, seed, dup);
        let queries = random_codes(nq, bits, seed ^ 0xabcdef, false);
        let index = HammingIndex::from_codes(db.clone());
        let want = brute_knn(&db, &queries, k);
        let r = (bits / 2) as u32;
        for level in isa::available() {
            for method in [TopKMethod::Heap, TopKMethod::Counting] {
                let got = in_pool(threads, || index.knn_method(level, &queries, k, method).unwrap());
                prop_assert_eq!(&got, &want, "{} bits, n {}, k {}, {}, {:?}", bits, n, k, level, method);
            }
            let within = in_pool(threads, || index.radius_with(level, &queries, r).unwrap());
            for (qi, list) in within.iter().enumerate() {
                let all: Vec<(u32, i64)> = brute(&db, queries.code_bytes(qi)).into_iter().filter(|p| p.0 <= r).collect();
                prop_assert_eq!(list, &all, "radius {}, {} bits, {}", r, bits, level);
            }
        }
    }
}

#[test]
fn many_queries_and_few_queries_agree_across_thread_counts() {
    // Whole words, byte rows, and rows repacked into words per block (wider than
    // 32 bits and not whole words, with enough queries).
    // 128-256 bits take the sliced kernel, and with AMX the tiles.
    for bits in [64, 32, 24, 40, 72, 120, 136, 128, 192, 256] {
        many_and_few_queries(bits);
    }
}

fn many_and_few_queries(bits: usize) {
    // 1 query (sharded over the database) and 200 queries (grouped) at once, with a
    // database spanning several cache blocks.
    let db = random_codes(40_000, bits, 7, false);
    let queries = random_codes(200, bits, 8, false);
    let index = HammingIndex::from_codes(db.clone());
    let want = brute_knn(&db, &queries, 7);
    for threads in [1, 2, 3] {
        assert_eq!(in_pool(threads, || index.knn(&queries, 7).unwrap()), want, "{threads} threads");
        let counting = in_pool(threads, || index.knn_method(isa::selected(), &queries, 7, TopKMethod::Counting));
        assert_eq!(counting.unwrap(), want, "{threads} threads, counting");
        let one = Codes::from_bytes(bits, queries.code_bytes(0)).unwrap();
        let got = in_pool(threads, || index.knn(&one, 7).unwrap());
        assert_eq!((&got.0[..], &got.1[..]), (&want.0[..7], &want.1[..7]), "{threads} threads, one query");
    }
}

#[test]
fn padding_when_k_exceeds_n_and_empty_index() {
    let db = random_codes(3, 128, 1, false);
    let index = HammingIndex::from_codes(db);
    let q = random_codes(2, 128, 2, false);
    let (d, ids) = index.knn(&q, 5).unwrap();
    assert_eq!(d.len(), 10);
    for row in 0..2 {
        assert!(ids[row * 5..row * 5 + 3].iter().all(|&i| (0..3).contains(&i)));
        assert_eq!(&ids[row * 5 + 3..row * 5 + 5], &[-1, -1]);
        assert_eq!(&d[row * 5 + 3..row * 5 + 5], &[u32::MAX, u32::MAX]);
    }
    let empty = HammingIndex::new(128).unwrap();
    let (d, ids) = empty.knn(&q, 2).unwrap();
    assert_eq!((d, ids), (vec![u32::MAX; 4], vec![-1; 4]));
    assert_eq!(empty.radius(&q, 128).unwrap(), vec![vec![], vec![]]);
}

#[test]
fn all_distances_equal_ranks_by_id() {
    // Every code is the query's complement: all distances are 64, so the k nearest
    // are ids 0..k in order.
    let q = Codes::from_words(64, vec![0x0123_4567_89ab_cdef]).unwrap();
    let db = Codes::from_words(64, vec![!0x0123_4567_89ab_cdefu64; 5000]).unwrap();
    let index = HammingIndex::from_codes(db);
    for level in isa::available() {
        for threads in [1, 2] {
            for method in [TopKMethod::Heap, TopKMethod::Counting] {
                let (d, ids) = in_pool(threads, || index.knn_method(level, &q, 10, method).unwrap());
                assert_eq!(d, vec![64; 10]);
                assert_eq!(ids, (0..10).collect::<Vec<i64>>(), "{level}, {threads} threads, {method:?}");
            }
        }
    }
}

#[test]
fn bad_arguments_are_typed_errors() {
    let index = HammingIndex::from_codes(random_codes(4, 64, 1, false));
    let q = random_codes(1, 64, 2, false);
    assert!(matches!(index.knn(&q, 0), Err(Error::Config(_))));
    let wide = random_codes(1, 128, 2, false);
    assert!(matches!(index.knn(&wide, 1), Err(Error::ShapeMismatch { .. })));
    assert!(matches!(index.radius(&wide, 1), Err(Error::ShapeMismatch { .. })));
    let mut grow = index.clone();
    assert!(grow.add(&wide).is_err());
}

#[test]
fn incremental_add_equals_building_at_once() {
    let a = random_codes(500, 256, 1, false);
    let b = random_codes(700, 256, 2, true);
    let mut index = HammingIndex::new(256).unwrap();
    index.add(&a).unwrap();
    index.add(&b).unwrap();
    let mut all = a.clone();
    all.extend(&b).unwrap();
    let q = random_codes(9, 256, 3, false);
    assert_eq!(index.knn(&q, 20).unwrap(), brute_knn(&all, &q, 20));
    assert_eq!(index.len(), 1200);
}

#[test]
fn save_load_open_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for bits in [8, 24, 32, 64, 72, 256] {
        let index = HammingIndex::from_codes(random_codes(321, bits, bits as u64, false));
        let p = dir.path().join(format!("i{bits}.sigahidx"));
        index.save(&p).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len() as usize, 64 + 321 * bits / 8, "no padding in the body");
        assert_eq!(HammingIndex::load(&p).unwrap(), index);
        let mapped = HammingIndex::open(&p).unwrap();
        assert!(mapped.codes().is_mapped());
        assert_eq!(mapped, index);
        HammingIndex::verify(&p).unwrap();
        let q = random_codes(3, bits, 5, false);
        assert_eq!(mapped.knn(&q, 4).unwrap(), index.knn(&q, 4).unwrap());
    }
}

#[test]
fn corrupt_index_files_are_format_errors_with_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.sigahidx");
    let index = HammingIndex::from_codes(random_codes(10, 72, 1, false));
    index.save(&p).unwrap();
    let good = std::fs::read(&p).unwrap();
    let expect = |bytes: &[u8], offset: u64, words: &str| {
        std::fs::write(&p, bytes).unwrap();
        for result in [HammingIndex::load(&p).map(|_| ()), HammingIndex::verify(&p)] {
            match result {
                Err(Error::Format { offset: o, reason, .. }) => {
                    assert_eq!(o, offset, "{reason}");
                    assert!(reason.contains(words), "{reason}");
                }
                other => panic!("expected a format error with '{words}', got {other:?}"),
            }
        }
    };
    expect(&good[..40], 40, "truncated");
    let mut b = good.clone();
    b[0] = b'X';
    expect(&b, 0, "magic");
    let mut b = good.clone();
    b[8] = 9;
    expect(&b, 8, "version");
    let mut b = good.clone();
    b[12] = 7;
    expect(&b, 12, "width");
    expect(&good[..good.len() - 8], (good.len() - 8) as u64, "need");
    let mut b = good.clone();
    b[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    expect(&b, 16, "do not fit");
    let mut b = good.clone();
    b[100] ^= 1;
    expect(&b, 24, "checksum");
    // Every single-byte corruption of the header is an error, never a panic.
    for i in 0..64 {
        let mut b = good.clone();
        b[i] ^= 0x5a;
        std::fs::write(&p, &b).unwrap();
        assert!(HammingIndex::load(&p).is_err(), "byte {i}");
    }
}

/// A version-1 file (rows padded to whole u64 words) as the previous format wrote it.
fn v1_file(codes: &Codes) -> Vec<u8> {
    let (row, stride) = (codes.bytes_per_code(), codes.bits().div_ceil(64) * 8);
    let mut body = vec![0u8; codes.len() * stride];
    for (i, dst) in body.chunks_exact_mut(stride).enumerate() {
        dst[..row].copy_from_slice(codes.code_bytes(i));
    }
    let mut h = vec![0u8; 64];
    h[..8].copy_from_slice(crate::io::INDEX_MAGIC);
    h[8..12].copy_from_slice(&1u32.to_le_bytes());
    h[12..16].copy_from_slice(&(codes.bits() as u32).to_le_bytes());
    h[16..24].copy_from_slice(&(codes.len() as u64).to_le_bytes());
    h[24..32].copy_from_slice(&crate::io::index_file::checksum(&body).to_le_bytes());
    h.extend_from_slice(&body);
    h
}

#[test]
fn version_1_files_still_load() {
    let dir = tempfile::tempdir().unwrap();
    for bits in [8, 72, 128] {
        let codes = random_codes(50, bits, 3, false);
        let p = dir.path().join(format!("v1_{bits}.sigahidx"));
        std::fs::write(&p, v1_file(&codes)).unwrap();
        let index = HammingIndex::from_codes(codes.clone());
        assert_eq!(HammingIndex::load(&p).unwrap(), index, "{bits} bits");
        let opened = HammingIndex::open(&p).unwrap();
        assert_eq!(opened, index);
        // Whole-word rows are the same bytes in both versions: mapped in place.
        assert_eq!(opened.codes().is_mapped(), bits % 64 == 0, "{bits} bits");
        HammingIndex::verify(&p).unwrap();
        // Saving again writes version 2, n · bits / 8 bytes of body.
        opened.save(&p).unwrap();
        let again = std::fs::read(&p).unwrap();
        assert_eq!(again[8..12], 2u32.to_le_bytes());
        assert_eq!(again.len(), 64 + 50 * bits / 8);
    }
    // A version-1 padding byte set (with a matching checksum) is a format error at
    // that byte: 72-bit code 1's row is bytes 16..25 of the body, padding 25..32.
    let codes = random_codes(3, 72, 4, false);
    let mut b = v1_file(&codes);
    b[64 + 16 + 9 + 2] = 0x10;
    let sum = crate::io::index_file::checksum(&b[64..]);
    b[24..32].copy_from_slice(&sum.to_le_bytes());
    let p = dir.path().join("pad.sigahidx");
    std::fs::write(&p, &b).unwrap();
    for result in [HammingIndex::load(&p).map(|_| ()), HammingIndex::verify(&p), HammingIndex::open(&p).map(|_| ())] {
        match result {
            Err(Error::Format { offset, reason, .. }) => {
                assert_eq!(offset, 64 + 16 + 9 + 2, "{reason}");
                assert!(reason.contains("code 1 has bits set above bit 72"), "{reason}");
            }
            other => panic!("expected a padding error, got {other:?}"),
        }
    }
}

#[test]
fn memory_is_n_times_bits_over_8() {
    // docs/SCALE.md: an index of n codes uses n · bits / 8 bytes plus O(1), built, loaded,
    // opened (mapped) or grown and shrunk.
    let dir = tempfile::tempdir().unwrap();
    let fixed = std::mem::size_of::<HammingIndex>();
    for bits in [8, 16, 24, 32, 48, 64, 72, 96, 120, 128, 256] {
        let n = 10_001;
        let want = n * bits / 8;
        let within = |index: &HammingIndex, what: &str| {
            let mem = index.memory_bytes();
            assert!(mem >= want + fixed && mem < want + fixed + 8, "{bits} bits, {what}: {mem} bytes for {want}");
        };
        let index = HammingIndex::from_codes(random_codes(n, bits, 1, false));
        within(&index, "built");
        let p = dir.path().join(format!("m{bits}.sigahidx"));
        index.save(&p).unwrap();
        within(&HammingIndex::load(&p).unwrap(), "loaded");
        let mapped = HammingIndex::open(&p).unwrap();
        assert!(mapped.codes().is_mapped());
        within(&mapped, "opened");
        let mut grown = HammingIndex::new(bits).unwrap();
        for chunk in [1, 1000, 5000, 4000] {
            let part = random_codes(chunk, bits, chunk as u64, false);
            grown.add(&part).unwrap();
        }
        grown.shrink_to_fit();
        within(&grown, "added then shrunk");
    }
}

#[test]
fn amx_tiles_run_where_the_cpu_has_them_and_equal_the_scalar_scan() {
    if !isa::Isa::Amx.is_supported() {
        return;
    }
    for bits in [128, 192, 256] {
        // Clustered codes (ties) and more queries than one group of tiles, with
        // a partial last tile of queries and a partial last block of codes.
        let db = random_codes(5_003, bits, 11, true);
        let queries = random_codes(37, bits, 12, false);
        let index = HammingIndex::from_codes(db.clone());
        assert_eq!(index.scan_path_name(isa::Isa::Amx, queries.len()), "amx-tiles", "{bits} bits");
        assert_ne!(index.scan_path_name(isa::Isa::Amx, 15), "amx-tiles", "under a tile of queries");
        for k in [1, 10, 100] {
            let scalar = index.knn_with(isa::Isa::Scalar, &queries, k).unwrap();
            for threads in [1, 2] {
                let tiles = in_pool(threads, || index.knn_with(isa::Isa::Amx, &queries, k).unwrap());
                assert_eq!(tiles, scalar, "{bits} bits, k {k}, {threads} threads");
            }
        }
        let r = (bits / 2 - 10) as u32;
        assert_eq!(
            index.radius_with(isa::Isa::Amx, &queries, r).unwrap(),
            index.radius_with(isa::Isa::Scalar, &queries, r).unwrap()
        );
    }
}

#[test]
fn a_repeated_allow_id_counts_once_towards_the_codes_searched() {
    let index = HammingIndex::from_codes(random_codes(10, 64, 7, false));
    // Was 4: "--k capped at 4" for 3 distinct codes.
    assert_eq!(index.reachable(Some(&[2, 5, 5, 9])), 3);
    assert_eq!(index.reachable(Some(&[])), 0);
    assert_eq!(index.reachable(None), 10);
}
