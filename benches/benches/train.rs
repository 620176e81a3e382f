//! One SiGAH training step (a generator step and a discriminator step on a batch
//! of 256 anchors, 64 bits, d = 784) with the default config and with the
//! original architecture (docs/METHOD.md, "The model", without the changes in
//! bold), at 1 and 2 threads,
//! and encoding throughput (vectors/s) at 1 and 2 threads. The PyTorch peer runs
//! the same model side by side in `benches/reference/train_compare.py` (a whole
//! epoch of 60,000 vectors, both tools in the same run).
//!
//!     cargo bench -p sigah-benches --bench train

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigah_benches::pseudo_random_f32;
use sigah_core::model::SigahConfig;
use sigah_core::model::{Architecture, NeighbourTerms, Training};
use sigah_core::train::Trainer;
use sigah_core::Tensor;

const D: usize = 784;
const BATCH: usize = 256;

fn bench_train(c: &mut Criterion) {
    // The default objective: the neighbour graph of these rows feeds the pair,
    // ranking and listwise terms, so each step trains 256 anchors plus their
    // neighbour rows (1,024 rows in all), as `sigah train` does.
    let n = 16 * BATCH;
    let data = Tensor::new(n, D, pseudo_random_f32(n * D, 7));
    let batches: Vec<Vec<usize>> = (0..16).map(|b| (b * BATCH..(b + 1) * BATCH).collect()).collect();
    let default = SigahConfig::default();
    // The original architecture, as the PyTorch peer builds it: without the skip
    // path and its ITQ start, the input projection or the neighbour terms
    // (docs/METHOD.md).
    let design = SigahConfig {
        architecture: Architecture { input_pca: 0, skip: false, ..SigahConfig::default().architecture.clone() },
        neighbours: NeighbourTerms {
            lambda_pair: 0.0,
            lambda_rank: 0.0,
            lambda_list: 0.0,
            ..SigahConfig::default().neighbours
        },
        training: Training { itq_init: false, ..SigahConfig::default().training },
        ..SigahConfig::default()
    };
    for (name, cfg) in [("default", &default), ("design", &design)] {
        let mut group = c.benchmark_group(format!("train_step/{name}/784d_64b_batch256"));
        group.throughput(Throughput::Elements(BATCH as u64));
        group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(4));
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            let mut trainer = pool.install(|| Trainer::new(&data, cfg)).expect("a valid config");
            let mut i = 0;
            group.bench_function(BenchmarkId::new("sigah", format!("{threads}t")), |bench| {
                pool.install(|| {
                    bench.iter(|| {
                        trainer.step(&data, &batches[i % batches.len()]).expect("finite losses");
                        i += 1;
                    })
                })
            });
        }
        group.finish();
    }

    let n = 20_000;
    let queries = Tensor::new(n, D, pseudo_random_f32(n * D, 9));
    let model = {
        let mut t = Trainer::new(&data, &design).expect("a valid config");
        t.step(&data, &batches[0]).expect("finite");
        t.model().clone()
    };
    let mut group = c.benchmark_group("encode/784d_64b");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        group.bench_function(BenchmarkId::new("sigah", format!("{threads}t")), |bench| {
            pool.install(|| bench.iter(|| model.encode(&queries).expect("right dimension")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_train);
criterion_main!(benches);
