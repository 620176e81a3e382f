//! `hamming/<isa>/<bits>b`: one query against 1M random codes, one thread, every
//! Hamming path this CPU runs (the scalar reference, scalar POPCNT, AVX2, AVX-512
//! VPOPCNTDQ, NEON). Throughput is code comparisons (elements), not bytes.
//!
//! `hamming-scan/<isa>/<bits>b` runs the threshold scan over the same codes with a
//! threshold of 1 (only an identical code would pass, and random codes have none):
//! it reads every code and writes nothing, so it is the read-bandwidth ceiling the
//! one-to-many kernel (which also writes a u16 per code) is measured against. 1M
//! codes of 8-32 bytes do not fit in L2, and on a shared machine the bandwidth of
//! the levels beyond it varies from run to run, so quote one-to-many as a ratio to
//! this ceiling measured in the same run.
//!
//! Run: `cargo bench -p sigah-benches --bench hamming`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigah_benches::pseudo_random_u64;
use sigah_kernels::hamming::{hamming_one_to_many_with, hamming_scan_with, path_name};
use sigah_kernels::isa::{self, Isa};

const N: usize = 1_000_000;

/// The levels whose Hamming path differs, each with the name of the path that
/// actually runs (Avx2 runs scalar POPCNT, and Avx512 without VPOPCNTDQ does too).
fn distinct_paths(words: usize) -> Vec<(Isa, &'static str)> {
    let mut paths: Vec<(Isa, &'static str)> = Vec::new();
    for level in isa::available() {
        let path = path_name(level, words);
        if !paths.iter().any(|&(_, p)| p == path) {
            paths.push((level, path));
        }
    }
    paths
}

fn one_to_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("hamming");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(30);
    for bits in [64usize, 128, 256] {
        let words = bits / 64;
        let codes = pseudo_random_u64(N * words, 1);
        let query = pseudo_random_u64(words, 2);
        let mut out = vec![0u16; N];
        for (level, path) in distinct_paths(words) {
            let id = BenchmarkId::new(path, format!("{bits}b"));
            group.bench_function(id, |b| b.iter(|| hamming_one_to_many_with(level, &query, &codes, &mut out)));
        }
    }
    group.finish();
}

fn scan_ceiling(c: &mut Criterion) {
    let mut group = c.benchmark_group("hamming-scan");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(30);
    for bits in [64usize, 128, 256] {
        let words = bits / 64;
        let codes = pseudo_random_u64(N * words, 1);
        let query = pseudo_random_u64(words, 2);
        for (level, path) in distinct_paths(words).into_iter().filter(|&(_, p)| p != "scalar") {
            let id = BenchmarkId::new(path, format!("{bits}b"));
            let mut hits = 0usize;
            group.bench_function(id, |b| {
                b.iter(|| {
                    hamming_scan_with(level, &query, &codes, 1, |_, _| {
                        hits += 1;
                        1
                    })
                })
            });
            assert_eq!(hits, 0, "random codes equal to the query");
        }
    }
    group.finish();
}

criterion_group!(benches, one_to_many, scan_ceiling);
criterion_main!(benches);
