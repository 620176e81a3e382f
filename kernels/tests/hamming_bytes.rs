//! Every byte-row Hamming path on this CPU against the byte-row scalar reference,
//! exactly: distances and the sequence of scan hits (a fixed radius, and a
//! threshold that drops as it goes, the top-k pattern), for every width the AVX-512
//! path specialises (1 to 8 bytes), the unrolled POPCNT widths, generic ones, and
//! whole-word widths both 8-aligned (routed to the word kernels) and not.

mod common;

use common::top3_hits;
use proptest::prelude::*;
use sigah_kernels::hamming::bytes::{
    bytes_path_name, hamming_bytes_gather_with, hamming_bytes_one_to_many_with, hamming_bytes_scan_with, scalar,
    MAX_ONE_TO_MANY_BYTES,
};
use sigah_kernels::isa::{self, Isa};

/// Bytes per code.
const WIDTHS: &[usize] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 24, 31, 64, 65, 512];

/// `data` copied to `shift` bytes past an 8-aligned address, so a test controls
/// whether rows of whole words are aligned (shift 0) or not.
struct Shifted {
    buf: Vec<u64>,
    shift: usize,
    len: usize,
}

impl Shifted {
    fn new(data: &[u8], shift: usize) -> Self {
        let mut buf = vec![0u64; (data.len() + shift).div_ceil(8) + 1];
        let bytes: &mut [u8] = bytes_mut(&mut buf);
        bytes[shift..shift + data.len()].copy_from_slice(data);
        Self { buf, shift, len: data.len() }
    }
    fn get(&self) -> &[u8] {
        // SAFETY: u64 to u8 is always valid; the length covers the buffer's bytes.
        let all = unsafe { std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), self.buf.len() * 8) };
        &all[self.shift..self.shift + self.len]
    }
}

fn bytes_mut(words: &mut [u64]) -> &mut [u8] {
    // SAFETY: any byte pattern is a valid u64 and the length is the words' bytes.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), words.len() * 8) }
}

fn codes_strategy() -> impl Strategy<Value = (usize, Vec<u8>, Vec<u8>, usize)> {
    (prop::sample::select(WIDTHS), 0usize..300, prop::sample::select(vec![0usize, 0, 1, 3, 4])).prop_flat_map(
        |(b, n, shift)| {
            (Just(b), prop::collection::vec(any::<u8>(), b), prop::collection::vec(any::<u8>(), n * b), Just(shift))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn one_to_many_matches_reference((b, query, codes, shift) in codes_strategy(), flip in any::<u8>()) {
        let n = codes.len() / b;
        let mut codes = codes;
        // A code equal to the query (distance 0), its complement (8b), one near it.
        if n > 2 {
            codes[..b].copy_from_slice(&query);
            for j in 0..b { codes[b + j] = !query[j]; }
            codes[2 * b] ^= flip;
        }
        let mut want = vec![0; n];
        scalar::one_to_many(&query, &codes, &mut want);
        let (q, c) = (Shifted::new(&query, shift), Shifted::new(&codes, shift));
        for isa in isa::available() {
            let mut got = vec![u16::MAX; n];
            hamming_bytes_one_to_many_with(isa, q.get(), c.get(), &mut got);
            prop_assert_eq!(&got, &want, "{} ({}), {} bytes, {} codes, shift {}", isa, bytes_path_name(isa, b), b, n, shift);
        }
    }

    #[test]
    fn scan_matches_reference((b, query, codes, shift) in codes_strategy(), radius in 0u32..300) {
        let n = codes.len() / b;
        let radius = radius.min(8 * b as u32 + 1);
        let mut want = Vec::new();
        scalar::scan(&query, &codes, radius, |i, d| { want.push((i, d)); radius });
        let want_top = top3_hits(|f| scalar::scan(&query, &codes, u32::MAX, f));
        let (q, c) = (Shifted::new(&query, shift), Shifted::new(&codes, shift));
        for isa in isa::available() {
            let mut got = Vec::new();
            hamming_bytes_scan_with(isa, q.get(), c.get(), radius, |i, d| { got.push((i, d)); radius });
            prop_assert_eq!(&got, &want, "{} radius {}, {} bytes, {} codes, shift {}", isa, radius, b, n, shift);
            let got_top = top3_hits(|f| hamming_bytes_scan_with(isa, q.get(), c.get(), u32::MAX, f));
            prop_assert_eq!(&got_top, &want_top, "{} top-3, {} bytes, {} codes, shift {}", isa, b, n, shift);
        }
    }

    #[test]
    fn gather_matches_reference((b, query, codes, shift) in codes_strategy(), picks in prop::collection::vec(any::<u32>(), 0..40)) {
        let n = codes.len() / b;
        // Positions in any order, repeated ones included (none when there are no codes).
        let positions: Vec<u32> = if n == 0 { Vec::new() } else { picks.iter().map(|&p| p % n as u32).collect() };
        let want: Vec<u16> = positions
            .iter()
            .map(|&p| scalar::distance(&query, &codes[p as usize * b..(p as usize + 1) * b]) as u16)
            .collect();
        let (q, c) = (Shifted::new(&query, shift), Shifted::new(&codes, shift));
        for isa in isa::available() {
            let mut got = vec![u16::MAX; positions.len()];
            hamming_bytes_gather_with(isa, q.get(), c.get(), &positions, &mut got);
            prop_assert_eq!(&got, &want, "{} gather, {} bytes, {} codes, shift {}", isa, b, n, shift);
        }
    }
}

#[test]
fn every_distance_is_reachable_at_each_width() {
    // Code i differs from the query in its lowest i bits: distances 0..=8b exactly,
    // through the vector loops (many codes) and the tails.
    for &b in WIDTHS {
        let query: Vec<u8> = (0..b).map(|j| (j as u8).wrapping_mul(0x9d)).collect();
        let n = 8 * b + 1;
        let mut codes = Vec::with_capacity(n * b);
        for i in 0..n {
            for (j, &qj) in query.iter().enumerate() {
                let flips = i.saturating_sub(8 * j).min(8);
                codes.push(qj ^ (((1u16 << flips) - 1) as u8));
            }
        }
        for shift in [0, 1] {
            let (q, c) = (Shifted::new(&query, shift), Shifted::new(&codes, shift));
            for isa in isa::available() {
                let mut got = vec![0; n];
                hamming_bytes_one_to_many_with(isa, q.get(), c.get(), &mut got);
                assert!(got.iter().enumerate().all(|(i, &d)| d as usize == i), "{isa}, {b} bytes, shift {shift}");
                let mut hits = Vec::new();
                hamming_bytes_scan_with(isa, q.get(), c.get(), u32::MAX, |i, d| {
                    hits.push((i, d));
                    u32::MAX
                });
                assert!(hits.iter().enumerate().all(|(i, &h)| h == (i, i as u32)), "{isa}, {b} bytes, scan");
            }
        }
    }
}

#[test]
fn empty_inputs_and_zero_threshold() {
    for isa in isa::available() {
        hamming_bytes_one_to_many_with(isa, &[1, 2, 3], &[], &mut []);
        hamming_bytes_one_to_many_with(isa, &[], &[], &mut []);
        hamming_bytes_scan_with(isa, &[7], &[7, 8], 0, |_, _| panic!("threshold 0 admits nothing"));
    }
}

#[test]
fn avx512_byte_path_runs_where_the_cpu_has_it() {
    if !Isa::Avx512.is_supported() {
        eprintln!("skipped: this CPU has no AVX-512");
        return;
    }
    #[cfg(target_arch = "x86_64")]
    let full = isa::has_avx512_vpopcntdq()
        && std::is_x86_feature_detected!("avx512bitalg")
        && std::is_x86_feature_detected!("avx512vbmi");
    #[cfg(not(target_arch = "x86_64"))]
    let full = false;
    for b in 1..=8 {
        assert_eq!(bytes_path_name(Isa::Avx512, b) == "avx512-bytes", full, "{b} bytes");
    }
    assert_ne!(bytes_path_name(Isa::Avx512, 9), "avx512-bytes");
}

#[test]
#[should_panic(expected = "hamming_bytes_one_to_many: 7 code bytes do not hold 2 codes of 3 bytes")]
fn length_mismatch_panics() {
    hamming_bytes_one_to_many_with(Isa::Scalar, &[1, 2, 3], &[0; 7], &mut [0, 0]);
}

#[test]
#[should_panic(expected = "hamming_bytes_scan")]
fn scan_length_mismatch_panics() {
    hamming_bytes_scan_with(Isa::Scalar, &[1, 2, 3], &[0; 7], 5, |_, d| d);
}

#[test]
#[should_panic(expected = "beyond u16")]
fn too_wide_for_u16_panics() {
    let q = vec![0u8; MAX_ONE_TO_MANY_BYTES + 1];
    hamming_bytes_one_to_many_with(Isa::Scalar, &q, &[], &mut []);
}

#[test]
#[should_panic(expected = "range")]
fn gather_position_beyond_the_codes_panics() {
    let mut out = [0u16; 1];
    hamming_bytes_gather_with(Isa::Scalar, &[0u8; 4], &[0u8; 8], &[2], &mut out);
}
