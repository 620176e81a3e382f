//! `search/<path>/<bits>b/k<k>`: exact k-NN of 100 queries over 1M random codes,
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
use sigah_kernels::hamming::path_name;
use sigah_kernels::isa::{self, Isa};

const N: usize = 1_000_000;
const QUERIES: usize = 100;

fn knn(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
    let mut group = c.benchmark_group("search");
    group.throughput(Throughput::Elements((N * QUERIES) as u64));
    group.sample_size(10);
    for bits in [64usize, 128, 256] {
        let words = bits / 64;
        let index = HammingIndex::from_codes(Codes::from_words(bits, pseudo_random_u64(N * words, 1)).expect("codes"));
        let queries = Codes::from_words(bits, pseudo_random_u64(QUERIES * words, 2)).expect("queries");
        // The reference path is 10-50x slower: it would dominate the run, so the
        // bench covers the paths sigah actually picks.
        let mut seen = Vec::new();
        for level in isa::available().into_iter().filter(|&l| l != Isa::Scalar) {
            let path = path_name(level, words);
            if seen.contains(&path) {
                continue;
            }
            seen.push(path);
            // The default top-k (heap) on every path; the counting variant on the
            // path sigah picks, to settle TopKMethod::for_k.
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
