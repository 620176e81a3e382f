//! `search/<path>/<bits>b/k<k>`: exact k-NN of 100 queries over 1M random codes
//! (32 bits: byte rows; 64 to 256: whole words),
//! one thread, per Hamming path (heap top-k), and `search/<path>-counting/...`
//! with counting top-k on the selected path; throughput in code comparisons
//! (queries × n).
//! FAISS IndexBinaryFlat is the peer: it is C++ behind Python, so it is measured
//! side by side on the same codes by `benches/reference/search_vs_faiss.sh`
//! (which also checks that the distances are equal).
//!
//! Run: `cargo bench -p sigah-benches --bench search`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigah_benches::pseudo_random_u64;
use sigah_core::index::{HammingIndex, TopKMethod};
use sigah_core::Codes;
use sigah_kernels::hamming::bytes::row_path_name;
use sigah_kernels::isa::{self, Isa};

const N: usize = 1_000_000;
const QUERIES: usize = 100;

fn knn(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
    let mut group = c.benchmark_group("search");
    group.throughput(Throughput::Elements((N * QUERIES) as u64));
    group.sample_size(10);
    for bits in [32usize, 64, 128, 256] {
        let codes = |n: usize, seed| {
            let bytes: Vec<u8> =
                pseudo_random_u64((n * bits).div_ceil(64), seed).iter().flat_map(|w| w.to_le_bytes()).collect();
            Codes::from_bytes(bits, &bytes[..n * bits / 8]).expect("codes")
        };
        let index = HammingIndex::from_codes(codes(N, 1));
        let queries = codes(QUERIES, 2);
        // The reference path is 10-50x slower: it would dominate the run, so the
        // bench covers the paths sigah actually picks.
        let mut seen = Vec::new();
        for level in isa::available().into_iter().filter(|&l| l != Isa::Scalar) {
            let path = row_path_name(level, bits / 8);
            if seen.contains(&path) {
                continue;
            }
            seen.push(path);
            // The heap top-k (what custom ids and allow-lists use) on every path;
            // the counting one (the default when ids follow positions) on the
            // path sigah picks.
            let mut methods = vec![(TopKMethod::Heap, path.to_string())];
            if level == isa::selected() {
                methods.push((TopKMethod::Counting, format!("{path}-counting")));
            }
            for (method, name) in methods {
                for k in [10usize, 100] {
                    let id = BenchmarkId::new(&name, format!("{bits}b/k{k}"));
                    group.bench_function(id, |b| {
                        b.iter(|| pool.install(|| index.knn_method(level, &queries, k, method).expect("knn")))
                    });
                }
            }
        }
    }
    group.finish();
}

criterion_group!(benches, knn);
criterion_main!(benches);
