//! `sigah demo`: the whole evaluation on the built-in MNIST sample (data/mnist5k,
//! embedded in the binary so it runs from any directory) at `eval::DEMO_BITS` widths, with
//! both label relevance and the shipped Euclidean top-100 ground truth.

use std::io::Write;
use std::path::Path;

use clap::Args;
use sigah_core::eval::dataset::ground_truth_ids;
use sigah_core::eval::metrics::Relevance;
use sigah_core::io::vectors::{parse_bvecs, parse_ivecs, parse_label_ivecs};
use sigah_core::knn::exact_knn;

use crate::eval::RunArgs;

const BASE: &[u8] = include_bytes!("../../data/mnist5k/base.bvecs");
const QUERY: &[u8] = include_bytes!("../../data/mnist5k/query.bvecs");
const BASE_LABELS: &[u8] = include_bytes!("../../data/mnist5k/base_labels.ivecs");
const QUERY_LABELS: &[u8] = include_bytes!("../../data/mnist5k/query_labels.ivecs");
const GT: &[u8] = include_bytes!("../../data/mnist5k/gt.ivecs");

#[derive(Args, Debug)]
pub struct DemoArgs {
    #[command(flatten)]
    run: RunArgs,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    args.run.common.apply()?;
    let config = args.run.config(&crate::eval::DEMO_BITS)?;
    let name = |f: &str| Path::new("mnist5k").join(f);
    let base = parse_bvecs(&name("base.bvecs"), BASE)?;
    let queries = parse_bvecs(&name("query.bvecs"), QUERY)?;
    let labels = Relevance::Labels {
        base: parse_label_ivecs(&name("base_labels.ivecs"), BASE_LABELS)?,
        queries: parse_label_ivecs(&name("query_labels.ivecs"), QUERY_LABELS)?,
    };
    let shipped = ground_truth_ids(&name("gt.ivecs"), &parse_ivecs(&name("gt.ivecs"), GT)?, base.rows)?;
    // The exact k-NN path (GEMM filter + f64 re-ranking) against the shipped float64
    // ground truth: a live check of the Euclidean relevance users get with --gt-k.
    let k = shipped.first().map_or(0, Vec::len);
    let computed = exact_knn(&base, &queries, k)?;
    let agree = computed.iter().zip(&shipped).filter(|(a, b)| a == b).count();
    if !args.run.common.quiet {
        writeln!(
            std::io::stderr(),
            "mnist5k: {} base, {} queries, d = {}; exact top-{k} through GEMM matches the shipped gt.ivecs on {agree}/{} queries",
            base.rows,
            queries.rows,
            base.cols,
            shipped.len()
        )?;
    }
    let relevances = [labels, Relevance::Neighbours { ids: shipped }];
    args.run.execute(&config, &[], &base, &queries, &relevances, None)
}
