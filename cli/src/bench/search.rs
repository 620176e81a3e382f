//! `sigah bench search`: k-NN queries/s and code comparisons/s of the Hamming
//! index on every instruction-set path this CPU runs, on random codes or on given
//! files (so a side-by-side script can time FAISS on the very same codes).

use std::path::PathBuf;

use clap::Args;
use sigah_core::index::HammingIndex;
use sigah_core::Codes;
use sigah_kernels::isa;

use super::common::{median_seconds, random_codes, Sizes, Timing};

/// Raw `sigah bench search` arguments.
#[derive(Args, Debug)]
pub struct SearchBenchArgs {
    #[command(flatten)]
    sizes: Sizes,
    /// Neighbours per query.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Database codes from a uint8 .npy instead of random ones.
    #[arg(long, value_name = "CODES.npy")]
    base: Option<PathBuf>,
    /// Query codes from a uint8 .npy instead of random ones.
    #[arg(long, value_name = "CODES.npy")]
    query_file: Option<PathBuf>,
    /// Only the level sigah would pick (isa::selected), not every level.
    #[arg(long)]
    selected_only: bool,
    #[command(flatten)]
    timing: Timing,
}

pub fn run(args: SearchBenchArgs) -> anyhow::Result<()> {
    args.timing.common.apply()?;
    anyhow::ensure!(args.k > 0, "--k must be at least 1");
    sigah_core::codes::check_bits(args.sizes.bits)?;
    let base = match &args.base {
        Some(p) => Codes::open_npy(p)?,
        None => random_codes(args.sizes.n, args.sizes.bits, 1)?,
    };
    let queries = match &args.query_file {
        Some(p) => Codes::open_npy(p)?,
        None => random_codes(args.sizes.queries, base.bits(), 2)?,
    };
    anyhow::ensure!(queries.bits() == base.bits(), "queries are {}-bit, the base {}-bit", queries.bits(), base.bits());
    let (n, nq, bits, k) = (base.len(), queries.len(), base.bits(), args.k);
    let index = HammingIndex::from_codes(base);
    let threads = rayon::current_num_threads();
    let levels = if args.selected_only { vec![isa::selected()] } else { isa::available() };
    let mut seen = Vec::new();
    let mut rows = Vec::new();
    for level in levels {
        let path = index.scan_path_name(level, nq);
        if seen.contains(&path) {
            continue; // two levels that run the same code (e.g. avx2 -> popcnt at this width)
        }
        seen.push(path);
        index.knn_with(level, &queries, k)?; // warm-up: page faults, thread start
        let (median, runs) = median_seconds(args.timing.seconds, 1000, || {
            std::hint::black_box(index.knn_with(level, &queries, k)?);
            Ok(())
        })?;
        let qps = nq as f64 / median;
        let cps = (nq * n) as f64 / median;
        if !args.timing.json {
            outln!(
                "search n={n} bits={bits} queries={nq} k={k} threads={threads}: {path:<16} {qps:>10.0} queries/s  {:>7.2} G comparisons/s  (median of {} runs, {:.3} ms)",
                cps / 1e9,
                runs,
                median * 1e3
            );
        }
        rows.push(serde_json::json!({
            "isa": level.name(), "path": path, "queries_per_s": qps, "comparisons_per_s": cps,
            "median_s": median, "repetitions": runs,
        }));
    }
    if args.timing.json {
        let selected = index.scan_path_name(isa::selected(), nq);
        let report = serde_json::json!({
            "op": "search", "n": n, "bits": bits, "queries": nq, "k": k, "threads": threads,
            "selected": selected, "index_bytes": index.memory_bytes(), "results": rows,
        });
        outln!("{report}");
    }
    Ok(())
}
