//! `hamming_bytes/<path>/<bits>b`: one query against 1M random codes stored as
//! rows of bits/8 bytes (no padding), one thread, every byte-row path this CPU runs
//! (the scalar reference, scalar POPCNT, AVX-512). Throughput is code comparisons.
//! Whole-word widths run the word kernels and are in the `hamming` bench.
//!
//! Run: `cargo bench -p sigah-benches --bench hamming_bytes`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigah_benches::pseudo_random_u64;
use sigah_kernels::hamming::bytes::{bytes_path_name, hamming_bytes_one_to_many_with};
use sigah_kernels::isa;

const N: usize = 1_000_000;

fn one_to_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("hamming_bytes");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(30);
    for bits in [8usize, 16, 24, 32, 48, 72, 96] {
        let row = bits / 8;
        let words = pseudo_random_u64(((N + 1) * row).div_ceil(8), 1);
        let all: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let (query, codes) = (&all[..row], &all[row..row + N * row]);
        let mut out = vec![0u16; N];
        let mut seen = Vec::new();
        for level in isa::available() {
            let path = bytes_path_name(level, row);
            if seen.contains(&path) {
                continue;
            }
            seen.push(path);
            let id = BenchmarkId::new(path, format!("{bits}b"));
            group.bench_function(id, |b| b.iter(|| hamming_bytes_one_to_many_with(level, query, codes, &mut out)));
        }
    }
    group.finish();
}

criterion_group!(benches, one_to_many);
criterion_main!(benches);
