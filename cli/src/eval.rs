//! `sigah eval`: the evaluation protocol of docs/eval.md on the user's files; and the
//! shared driver that `sigah demo` runs on the built-in MNIST sample.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use sigah_core::eval::dataset::{load_with_relevances, RelevanceSource, DEFAULT_K};
use sigah_core::eval::metrics::Relevance;
use sigah_core::eval::{self, EvalConfig};
use sigah_core::hash::{baseline_methods, select_methods, Method};
use sigah_core::io::vectors::{CsvOptions, LabelColumn};
use sigah_core::model::{ConfigLayers, SigahConfig};
use sigah_core::Tensor;

use crate::Common;

/// What runs without `--methods`: SiGAH and the baselines (the ablations
/// `sigah-noadv` and `sigah-linear` run when named).
const DEFAULT_METHODS: [&str; 4] = ["sigah", "itq", "pcah", "lsh"];

/// The widths `sigah eval` runs without `--bits`: 256 bits among them, since the
/// quality bar is set at 32, 64, 128 and 256 bits (docs/eval.md, "Commands").
pub const EVAL_BITS: [usize; 5] = [16, 32, 64, 128, 256];

/// The widths of `sigah demo` without `--bits` (its time is in README.md).
pub const DEMO_BITS: [usize; 3] = [32, 64, 256];

/// "a,b,c" of a width list, for the help texts.
fn list(bits: &[usize]) -> String {
    bits.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// Every method `--methods` accepts: SiGAH and its ablations (starting from
/// `sigah_config`), then the baselines.
pub fn known_methods(sigah_config: SigahConfig) -> Vec<Method> {
    let mut methods = sigah_core::train::sigah_methods(sigah_config);
    methods.extend(baseline_methods());
    methods
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("relevance").required(true).multiple(true).args(["base_labels", "gt", "gt_k", "label_column", "hdf5"])))]
pub struct EvalArgs {
    /// An HDF5 file in the ann-benchmarks layout (sift-128-euclidean.hdf5, ...):
    /// base (`train`), queries (`test`) and ground truth (`neighbors`) in one; with
    /// --gt-k K, each query's K nearest of the neighbours it lists.
    #[arg(long, value_name = "FILE.hdf5", conflicts_with_all = ["base", "queries", "base_labels", "query_labels", "gt", "label_column"])]
    hdf5: Option<PathBuf>,
    #[arg(long, value_name = "FILE", required_unless_present = "hdf5", help = crate::train::with_formats(
        "Base vectors, which the hash functions are trained on; an .hdf5 file gives its `train`",
    ))]
    base: Option<PathBuf>,
    #[arg(long, value_name = "FILE", required_unless_present = "hdf5", help = crate::train::with_formats(
        "Held-out query vectors, same dimension as the base; an .hdf5 file gives its `test`",
    ))]
    queries: Option<PathBuf>,
    /// One label per base vector (.ivecs, .npy, .csv): relevant = same label.
    #[arg(long, value_name = "FILE", requires = "query_labels")]
    base_labels: Option<PathBuf>,
    /// One label per query.
    #[arg(long, value_name = "FILE", requires = "base_labels")]
    query_labels: Option<PathBuf>,
    /// Per query the ids of its K nearest base vectors (.ivecs): relevant = those.
    #[arg(long, value_name = "FILE.ivecs")]
    gt: Option<PathBuf>,
    /// Relevant = the K exact Euclidean nearest base vectors, computed here.
    #[arg(long, value_name = "K", num_args = 0..=1, default_missing_value = "100")]
    gt_k: Option<usize>,
    /// The label column (a header name or a 0-based index) of CSV label files, or,
    /// without --base-labels, of the base and query CSV files themselves.
    #[arg(long, value_name = "NAME|INDEX")]
    label_column: Option<String>,
    #[command(flatten)]
    run: RunArgs,
}

/// Options shared by `eval` and `demo`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Methods to evaluate, comma-separated: sigah, sigah-noadv, sigah-linear, itq,
    /// pcah, lsh (default: sigah,itq,pcah,lsh).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    methods: Option<Vec<String>>,
    #[arg(long, value_delimiter = ',', value_name = "LIST", help = format!(
        "Code widths in bits, comma-separated (multiples of 8) [default: {} for eval (one SiGAH training each), {} for demo]",
        list(&EVAL_BITS),
        list(&DEMO_BITS),
    ))]
    bits: Option<Vec<usize>>,
    #[arg(long, value_name = "N", help = crate::train::with_default(
        "Training epochs of methods that have them (SiGAH); else --sigah-config's",
        crate::train::defaults().training.epochs,
    ))]
    epochs: Option<usize>,
    /// SiGAH hyper-parameters (JSON, or TOML if the name ends in .toml) for the
    /// sigah methods instead of the defaults; keys left out keep their defaults.
    /// The width and seed always come from --bits and --seed, the epochs from
    /// --epochs when given, else from the file.
    #[arg(long, value_name = "FILE.json")]
    sigah_config: Option<PathBuf>,
    /// Seed of every random choice (the training sample, SiGAH's initialisation,
    /// LSH projections, ITQ's initial rotation): `sigah train`'s default, so the
    /// model trained with the same flags is the one evaluated.
    #[arg(long, default_value_t = crate::train::defaults().training.seed, value_name = "N")]
    seed: u64,
    /// Write the results as JSON here (`-`: standard output, the table then goes to stderr).
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,
    /// Draw precision-recall and recall@N curves (SVG) into this folder.
    #[arg(long, value_name = "DIR")]
    plots: Option<PathBuf>,
    /// Write every method's codes as DIR/<method>_<bits>_base.npy and _query.npy.
    #[arg(long, value_name = "DIR")]
    save_codes: Option<PathBuf>,
    /// Keep every SiGAH model trained as DIR/<method>_<bits>.safetensors (what
    /// `sigah encode --model` reads; the baselines have no model file).
    #[arg(long, value_name = "DIR")]
    save_models: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

impl RunArgs {
    /// The validated configuration, before any data is read.
    pub fn config(&self, default_bits: &[usize]) -> anyhow::Result<EvalConfig> {
        let bits = self.bits.clone().unwrap_or_else(|| default_bits.to_vec());
        anyhow::ensure!(!bits.is_empty(), "--bits needs at least one width");
        for &b in &bits {
            sigah_core::codes::check_bits(b).context("--bits")?;
        }
        // `sigah train`'s layers: the file, then --epochs (the width and seed are
        // each method's, `train/method.rs`); checked at every requested width
        // before any data is read.
        let layers =
            ConfigLayers { file: self.sigah_config.as_deref(), epochs: self.epochs, ..ConfigLayers::default() };
        for &b in &bits {
            ConfigLayers { bits: Some(b), ..layers.clone() }.build(SigahConfig::default())?;
        }
        let sigah = layers.build(SigahConfig::default())?;
        let names: Vec<String> =
            self.methods.clone().unwrap_or_else(|| DEFAULT_METHODS.iter().map(|m| m.to_string()).collect());
        let train_size = sigah.training.train_size;
        let methods = select_methods(&names, &known_methods(sigah))?;
        Ok(EvalConfig {
            methods,
            bits,
            seed: self.seed,
            epochs: self.epochs,
            save_codes: self.save_codes.clone(),
            save_models: self.save_models.clone(),
            train_size,
        })
    }

    /// Fails before any work if an output cannot be written, so a bad `--plots`
    /// neither wastes the evaluation nor leaves the report without its plots.
    fn check_outputs(&self) -> anyhow::Result<()> {
        if let Some(report) = &self.report {
            crate::output::check_output(report, "report")?;
        }
        for (flag, dir) in
            [("--plots", &self.plots), ("--save-codes", &self.save_codes), ("--save-models", &self.save_models)]
        {
            if let Some(dir) = dir {
                anyhow::ensure!(
                    !sigah_core::io::is_stdout(dir),
                    "{flag} names a folder of files; it cannot be standard output"
                );
                crate::output::check_output_folder(dir, flag)?;
            }
        }
        if let Some(dir) = &self.plots {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the plots folder", dir.display()))?;
        }
        Ok(())
    }

    /// How the report was made, so that a result can be reproduced: sigah's version and commit, the
    /// command line, every input with its size, the seed, the threads, the
    /// instruction set and the cores. Each method's config is in its rows.
    fn provenance(&self, config: &EvalConfig, inputs: &[(&str, &Path)]) -> serde_json::Value {
        let files: Vec<serde_json::Value> = inputs
            .iter()
            .map(|(role, p)| {
                let bytes = std::fs::metadata(p).ok().map(|m| m.len());
                serde_json::json!({"role": role, "path": p.display().to_string(), "bytes": bytes})
            })
            .collect();
        serde_json::json!({
            "sigah_version": env!("CARGO_PKG_VERSION"),
            "git_commit": option_env!("SIGAH_GIT_COMMIT"),
            "command_line": std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>(),
            "inputs": files,
            "methods": config.methods.iter().map(|m| m.name).collect::<Vec<_>>(),
            "bits": config.bits,
            "seed": config.seed,
            "epochs": config.epochs,
            "threads": rayon::current_num_threads(),
            "isa": sigah_kernels::isa::selected().name(),
            "cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
        })
    }

    /// Runs the evaluation, prints the table, writes the requested files.
    /// `inputs` (role, path) go into the report; `truth` is `eval::run`'s (None:
    /// the exact top 10 is computed).
    pub fn execute(
        &self,
        config: &EvalConfig,
        inputs: &[(&str, &Path)],
        base: &Tensor,
        queries: &Tensor,
        rel: &[Relevance],
        truth: Option<&[Vec<u32>]>,
    ) -> anyhow::Result<()> {
        self.check_outputs()?;
        let steps = (config.methods.len() * config.bits.len()) as u64;
        let bar = if self.common.quiet || !std::io::stderr().is_terminal() {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(steps)
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{pos}/{len} [{elapsed}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let mut first = true;
        let rows = eval::run(base, queries, rel, truth, config, &mut |line| {
            if !std::mem::take(&mut first) {
                bar.inc(1);
            }
            bar.set_message(line.to_string());
        })?;
        bar.finish_and_clear();
        // `--report -` puts the JSON on stdout; the table then goes to stderr so
        // that stdout stays one JSON document.
        let table = eval::markdown_table(&rows);
        if self.report.as_deref().is_some_and(sigah_core::io::is_stdout) {
            eprint!("{table}");
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(table.as_bytes())?;
            out.flush()?;
        }
        if let Some(path) = &self.report {
            eval::write_report_with(path, &self.provenance(config, inputs), &rows)?;
        }
        if let Some(dir) = &self.plots {
            eval::write_plots(dir, &rows)?;
        }
        Ok(())
    }
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    args.run.common.apply()?;
    let config = args.run.config(&EVAL_BITS)?;
    if let Some(path) = &args.hdf5 {
        return run_hdf5(&args, &config, path);
    }
    let (Some(base_path), Some(queries_path)) = (&args.base, &args.queries) else {
        anyhow::bail!("give --base and --queries, or --hdf5");
    };
    let csv = CsvOptions {
        label: args.label_column.as_ref().map(|c| match c.parse::<i64>() {
            Ok(i) => LabelColumn::Index(i),
            Err(_) => LabelColumn::Name(c.clone()),
        }),
        ..CsvOptions::default()
    };
    // Labels and one Euclidean relevance may be given together: every method is
    // then trained once and scored under both.
    let mut sources = Vec::new();
    if let (Some(b), Some(q)) = (&args.base_labels, &args.query_labels) {
        sources.push(RelevanceSource::Labels { base: b.clone(), queries: q.clone(), csv });
    } else if csv.label.is_some() {
        sources.push(RelevanceSource::CsvColumn(csv));
    }
    match (&args.gt, args.gt_k) {
        (Some(gt), None) => sources.push(RelevanceSource::GroundTruth(gt.clone())),
        (None, Some(k)) => {
            anyhow::ensure!(k > 0, "--gt-k must be at least 1");
            sources.push(RelevanceSource::TopK(k));
        }
        (None, None) => {}
        _ => anyhow::bail!("give at most one of --gt and --gt-k (default K {DEFAULT_K})"),
    }
    anyhow::ensure!(
        !sources.is_empty(),
        "give --base-labels/--query-labels, --label-column, --gt or --gt-k (default K {DEFAULT_K})"
    );
    let (base, queries, relevances) = load_with_relevances(base_path, queries_path, &sources)?;
    let mut inputs: Vec<(&str, &Path)> = vec![("base", base_path), ("queries", queries_path)];
    let optional = [("base_labels", &args.base_labels), ("query_labels", &args.query_labels), ("gt", &args.gt)];
    inputs.extend(optional.iter().filter_map(|(role, p)| p.as_deref().map(|p| (*role, p))));
    if let Some(p) = &args.run.sigah_config {
        inputs.push(("sigah_config", p));
    }
    args.run.execute(&config, &inputs, &base, &queries, &relevances, None)
}

/// `eval --hdf5`: the protocol on an ann-benchmarks file and its own ground
/// truth (its `neighbors`, not neighbours recomputed here: the file's are what
/// every published ann-benchmarks result is scored against; recall 10@C takes
/// the first 10 of each row).
fn run_hdf5(args: &EvalArgs, config: &EvalConfig, path: &Path) -> anyhow::Result<()> {
    let (data, truth, distance) = sigah_core::eval::dataset::load_ann_benchmarks(path, args.gt_k)?;
    if !args.run.common.quiet {
        let listed = match &data.relevance {
            Relevance::Neighbours { ids } => ids.first().map_or(0, Vec::len),
            Relevance::Labels { .. } => 0,
        };
        eprintln!(
            "sigah: {}: {} train and {} test vectors of dimension {}, {listed} neighbours per query (distance: {})",
            path.display(),
            data.base.rows,
            data.queries.rows,
            data.base.cols,
            distance.as_deref().unwrap_or("not stated")
        );
    }
    let mut inputs: Vec<(&str, &Path)> = vec![("hdf5", path)];
    if let Some(p) = &args.run.sigah_config {
        inputs.push(("sigah_config", p));
    }
    let relevance = std::slice::from_ref(&data.relevance);
    args.run.execute(config, &inputs, &data.base, &data.queries, relevance, Some(&truth))
}
