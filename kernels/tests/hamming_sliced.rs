//! The sliced-block scan on every level this CPU runs against the reference,
//! exactly (the sequence of hits, with a fixed threshold and with the dropping
//! threshold of a top-3), and the slicing against plain row distances, for the
//! specialised widths (1-4 words), generic ones and rows that are not whole words.

mod common;

use common::top3_hits;
use proptest::prelude::*;
use sigah_kernels::hamming::bytes::scalar as bytes_scalar;
use sigah_kernels::hamming::sliced::{
    distance_reference, hamming_sliced_scan_with, scan_reference, slice_rows, slice_rows_plain, sliced_len,
    sliced_path_name,
};
use sigah_kernels::isa;

/// Row widths in bytes: whole words 1-5, 8 and 17 words, and odd widths.
const ROWS: &[usize] = &[8, 16, 24, 32, 40, 64, 136, 5, 9, 15, 17, 31, 33];

fn rows_strategy() -> impl Strategy<Value = (usize, Vec<u8>, Vec<u8>)> {
    (prop::sample::select(ROWS), 0usize..90).prop_flat_map(|(row, n)| {
        (Just(row), prop::collection::vec(any::<u8>(), row), prop::collection::vec(any::<u8>(), n * row))
    })
}

/// The query padded to whole words, as the search does.
fn query_words(q: &[u8]) -> Vec<u64> {
    q.chunks(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn slicing_keeps_every_distance((row, q, rows) in rows_strategy()) {
        let n = rows.len() / row;
        let w = row.div_ceil(8);
        let mut sliced = vec![u64::MAX; sliced_len(n, w)];
        slice_rows(&rows, row, &mut sliced);
        let qw = query_words(&q);
        for i in 0..n {
            let want = bytes_scalar::distance(&q, &rows[i * row..(i + 1) * row]);
            prop_assert_eq!(distance_reference(&qw, &sliced, i), want, "row {}, code {}", row, i);
        }
        // The dispatched slicing (AVX-512 transposition where the CPU has it) writes
        // exactly what the plain copy writes.
        let mut plain = vec![u64::MAX; sliced_len(n, w)];
        slice_rows_plain(&rows, row, &mut plain);
        prop_assert_eq!(&sliced, &plain, "row {}", row);
        // Padding codes are zeros: their distance is the query's weight.
        for i in n..n.div_ceil(8) * 8 {
            prop_assert_eq!(distance_reference(&qw, &sliced, i), qw.iter().map(|x| x.count_ones()).sum::<u32>());
        }
    }

    #[test]
    fn scan_matches_reference((row, q, mut rows) in rows_strategy(), radius in 0u32..400) {
        let n = rows.len() / row;
        // A copy of the query (distance 0) and its complement among the codes.
        if n > 2 {
            rows[..row].copy_from_slice(&q);
            for (c, b) in rows[row..2 * row].iter_mut().zip(&q) { *c = !b; }
        }
        let w = row.div_ceil(8);
        let mut sliced = vec![0; sliced_len(n, w)];
        slice_rows(&rows, row, &mut sliced);
        let qw = query_words(&q);
        let mut want = Vec::new();
        scan_reference(&qw, &sliced, n, radius, |i, d| { want.push((i, d)); radius });
        let want_top = top3_hits(|f| scan_reference(&qw, &sliced, n, u32::MAX, f));
        for isa in isa::available() {
            let mut got = Vec::new();
            hamming_sliced_scan_with(isa, &qw, &sliced, n, radius, |i, d| { got.push((i, d)); radius });
            prop_assert_eq!(&got, &want, "{} ({}) radius, {} bytes, {} codes", isa, sliced_path_name(isa), row, n);
            let got_top = top3_hits(|f| hamming_sliced_scan_with(isa, &qw, &sliced, n, u32::MAX, f));
            prop_assert_eq!(&got_top, &want_top, "{} top-3, {} bytes, {} codes", isa, row, n);
        }
    }
}

#[test]
fn every_distance_is_reachable() {
    // Code i differs from the query in its lowest i bits: distances 0..=64w exactly,
    // so a lane that drops or double-counts a word shows.
    for w in [1usize, 2, 3, 4, 5, 8] {
        let q: Vec<u64> = (0..w as u64).map(|j| j.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        let n = 64 * w + 1;
        let mut rows = Vec::new();
        for i in 0..n {
            for (j, qj) in q.iter().enumerate() {
                let flips = i.saturating_sub(64 * j).min(64);
                let mask = if flips == 64 { !0 } else { (1u64 << flips) - 1 };
                rows.extend_from_slice(&(qj ^ mask).to_le_bytes());
            }
        }
        let mut sliced = vec![0; sliced_len(n, w)];
        slice_rows(&rows, 8 * w, &mut sliced);
        for isa in isa::available() {
            let mut got = Vec::new();
            hamming_sliced_scan_with(isa, &q, &sliced, n, u32::MAX, |i, d| {
                got.push((i, d));
                u32::MAX
            });
            assert_eq!(got, (0..n).map(|i| (i, i as u32)).collect::<Vec<_>>(), "{isa}, {w} words");
        }
    }
}

#[test]
fn zero_threshold_and_empty_blocks() {
    for isa in isa::available() {
        hamming_sliced_scan_with(isa, &[7], &[7, 0, 0, 0, 0, 0, 0, 0], 1, 0, |_, _| panic!("threshold 0"));
        hamming_sliced_scan_with(isa, &[7, 1], &[], 0, 5, |_, _| panic!("no codes"));
    }
}
