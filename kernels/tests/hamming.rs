//! Every Hamming path on this CPU against the scalar reference, exactly: distances
//! and the sequence of scan hits (including a threshold that drops as it goes, the
//! top-k pattern), for every specialised width and generic ones around them.

mod common;

use common::top3_hits;
use proptest::prelude::*;
use sigah_kernels::hamming::{hamming_one_to_many_with, hamming_scan_with, path_name, scalar};
use sigah_kernels::isa::{self, Isa};

/// Widths in words: the specialised 1, 2, 4, 8, their neighbours, and 4096 bits.
const WIDTHS: &[usize] = &[1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 64];

fn codes_strategy() -> impl Strategy<Value = (usize, Vec<u64>, Vec<u64>)> {
    (prop::sample::select(WIDTHS), 0usize..100).prop_flat_map(|(w, n)| {
        (Just(w), prop::collection::vec(any::<u64>(), w), prop::collection::vec(any::<u64>(), n * w))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn one_to_many_matches_reference((w, query, codes) in codes_strategy(), flip in any::<u64>()) {
        let n = codes.len() / w;
        let mut codes = codes;
        // Some codes equal to the query (distance 0) and some complements (distance 64w).
        if n > 2 {
            codes[..w].copy_from_slice(&query);
            for j in 0..w { codes[w + j] = !query[j]; }
            codes[2 * w] ^= flip;
        }
        let mut want = vec![0; n];
        scalar::one_to_many(&query, &codes, &mut want);
        for isa in isa::available() {
            let mut got = vec![u16::MAX; n];
            hamming_one_to_many_with(isa, &query, &codes, &mut got);
            prop_assert_eq!(&got, &want, "{} ({}), {} words, {} codes", isa, path_name(isa, w), w, n);
        }
    }

    #[test]
    fn scan_matches_reference((w, query, codes) in codes_strategy(), radius in 0u32..4200) {
        let n = codes.len() / w;
        // A fixed threshold (radius search).
        let mut want = Vec::new();
        scalar::scan(&query, &codes, radius, |i, d| { want.push((i, d)); radius });
        let want_top = top3_hits(|f| scalar::scan(&query, &codes, u32::MAX, f));
        for isa in isa::available() {
            let mut got = Vec::new();
            hamming_scan_with(isa, &query, &codes, radius, |i, d| { got.push((i, d)); radius });
            prop_assert_eq!(&got, &want, "{} radius, {} words, {} codes", isa, w, n);
            let got_top = top3_hits(|f| hamming_scan_with(isa, &query, &codes, u32::MAX, f));
            prop_assert_eq!(&got_top, &want_top, "{} top-3, {} words, {} codes", isa, w, n);
        }
    }
}

#[test]
fn every_distance_is_reachable_at_each_width() {
    // Code i differs from the query in its lowest i bits: distances 0..=64w exactly.
    for &w in WIDTHS {
        let query: Vec<u64> = (0..w as u64).map(|j| j.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        let n = 64 * w + 1;
        let mut codes = Vec::with_capacity(n * w);
        for i in 0..n {
            for j in 0..w {
                let flips = (i.saturating_sub(64 * j)).min(64);
                let mask = if flips == 64 { !0 } else { (1u64 << flips) - 1 };
                codes.push(query[j] ^ mask);
            }
        }
        for isa in isa::available() {
            let mut got = vec![0; n];
            hamming_one_to_many_with(isa, &query, &codes, &mut got);
            assert!(got.iter().enumerate().all(|(i, &d)| d as usize == i), "{isa}, {w} words");
        }
    }
}

#[test]
fn empty_inputs_and_zero_threshold() {
    for isa in isa::available() {
        hamming_one_to_many_with(isa, &[1, 2], &[], &mut []);
        hamming_one_to_many_with(isa, &[], &[], &mut []);
        hamming_scan_with(isa, &[7], &[7, 8], 0, |_, _| panic!("threshold 0 admits nothing"));
    }
}

#[test]
fn avx512_without_vpopcntdq_falls_back() {
    // On a CPU with AVX-512 but no VPOPCNTDQ the Avx512 level must still run (on the
    // next path down); where it has VPOPCNTDQ it must use it.
    if Isa::Avx512.is_supported() {
        let name = path_name(Isa::Avx512, 1);
        if isa::has_avx512_vpopcntdq() {
            assert_eq!(name, "avx512-vpopcntdq");
        } else {
            assert_ne!(name, "avx512-vpopcntdq");
        }
    } else {
        eprintln!("skipped: this CPU has no AVX-512");
    }
}

#[test]
#[should_panic(expected = "beyond u16")]
fn one_to_many_rejects_widths_beyond_u16_distances() {
    let w = sigah_kernels::hamming::MAX_ONE_TO_MANY_WORDS + 1;
    hamming_one_to_many_with(Isa::Scalar, &vec![0; w], &vec![0; w], &mut [0]);
}

#[test]
fn widest_one_to_many_width_counts_to_its_maximum() {
    // Every bit differs: the distance is the full width, 65,472, still exact in u16.
    let w = sigah_kernels::hamming::MAX_ONE_TO_MANY_WORDS;
    for isa in isa::available() {
        let mut got = [0u16; 2];
        hamming_one_to_many_with(isa, &vec![0; w], &vec![!0; 2 * w], &mut got);
        assert_eq!(got, [64 * w as u16; 2], "{isa}");
    }
}

#[test]
#[should_panic(expected = "hamming_one_to_many")]
fn length_mismatch_panics() {
    hamming_one_to_many_with(Isa::Scalar, &[1, 2], &[1, 2, 3], &mut [0]);
}
