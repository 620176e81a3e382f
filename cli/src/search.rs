//! `sigah search` and `sigah export`: exact Hamming search over a codes file, and
//! conversion of codes to other engines' index formats.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use sigah_core::faiss::faiss_distances;
use sigah_core::index::{Engine, HammingIndex, ResultLimit, SearchOptions};
use sigah_core::io::lock::DEFAULT_WAIT;
use sigah_core::io::{npy, open_codes, open_for_search, open_index, save_index_file, write_atomic};
use sigah_core::Codes;

use crate::Common;

/// Raw `sigah search` arguments.
#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("mode").required(true).args(["k", "radius"]))]
pub struct SearchArgs {
    /// The database: a uint8 codes .npy [n, bits/8] or a sigah index file (`sigah
    /// index build`: custom ids, removals, multi-index hashing tables), either
    /// memory-mapped, not read into memory.
    #[arg(long, value_name = "CODES.npy|FILE.sigah")]
    index: PathBuf,
    /// Only return these ids: an int64 .npy [n] (each must be in the index).
    #[arg(long, value_name = "IDS.npy")]
    allow: Option<PathBuf>,
    /// The engine: auto (multi-index hashing when the index file records it and
    /// holds enough codes, the scan otherwise or per query where it cannot win),
    /// scan, or mih (build the tables even for a codes file).
    #[arg(long, value_enum, default_value = "auto")]
    engine: EngineArg,
    /// The query codes: a uint8 .npy [nq, bits/8] of the same width.
    #[arg(long, value_name = "CODES.npy", required_unless_present = "model", conflicts_with = "model")]
    queries: Option<PathBuf>,
    /// Instead of --queries: a SiGAH model that encodes --query-vectors into query codes.
    #[arg(long, value_name = "MODEL", requires = "query_vectors")]
    model: Option<PathBuf>,
    #[arg(long, value_name = "FILE", requires = "model", help = crate::train::with_formats("The query vectors that --model encodes"))]
    query_vectors: Option<PathBuf>,
    /// Return the k nearest codes per query, ties broken by id.
    #[arg(long, value_name = "N")]
    k: Option<usize>,
    /// Return every code within Hamming distance R (inclusive) of each query.
    #[arg(long, value_name = "R")]
    radius: Option<u32>,
    /// Output: PREFIX.ids.npy (int64 [nq, k], -1 padding) and PREFIX.dist.npy
    /// (int32 [nq, k], 2147483647 padding, as FAISS pads); with --radius the width
    /// is the longest list. A name ending in .tsv writes one line per result
    /// instead: query, rank, id, distance; so does `-` (standard output).
    #[arg(long, value_name = "PREFIX")]
    out: PathBuf,
    /// Refuse (exit 2) a search whose results would exceed N (queries × k, or
    /// the lists a radius finds). Default: what half the available memory holds.
    #[arg(long, value_name = "N")]
    max_results: Option<u64>,
    #[command(flatten)]
    common: Common,
}

/// `--engine`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EngineArg {
    Auto,
    Scan,
    Mih,
}

/// Where results go, validated before any work.
enum Output {
    Npy { ids: PathBuf, dist: PathBuf },
    Tsv(PathBuf),
}

impl Output {
    fn from_arg(out: &Path) -> Self {
        // Two .npy files cannot share one stream: `-` (stdout) gets the TSV.
        if sigah_core::io::is_stdout(out) || out.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv")) {
            return Output::Tsv(out.to_path_buf());
        }
        let with = |suffix: &str| {
            let mut s = out.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        Output::Npy { ids: with(".ids.npy"), dist: with(".dist.npy") }
    }
}

/// The query codes: read from `--queries`, or `--query-vectors` encoded by
/// `--model`; checked to have the index's width.
fn query_codes(args: &SearchArgs, index: &HammingIndex) -> anyhow::Result<Codes> {
    let (queries, query_source) = match (&args.queries, &args.model, &args.query_vectors) {
        (Some(q), _, _) => (open_codes(q)?, q),
        (None, Some(model_path), Some(vectors)) => {
            let (model, data) = crate::encode::load_model_and_vectors(model_path, vectors)?;
            (model.encode(&data)?, model_path)
        }
        _ => unreachable!("clap requires --queries or --model with --query-vectors"),
    };
    index.check_width(&queries, &query_source.display().to_string(), "queries", Some(&args.index))?;
    Ok(queries)
}

pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    if args.k == Some(0) {
        anyhow::bail!("--k must be at least 1");
    }
    let output = Output::from_arg(&args.out);
    let engine = match args.engine {
        EngineArg::Auto => Engine::Auto,
        EngineArg::Scan => Engine::Scan,
        EngineArg::Mih => Engine::MultiIndex,
    };
    let index = open_for_search(&args.index, engine)?;
    let allow = match &args.allow {
        Some(p) => Some((crate::index_cmd::read_ids(p)?, p)),
        None => None,
    };
    let queries = query_codes(&args, &index)?;
    let opts = SearchOptions { engine, allow: allow.as_ref().map(|a| &a.0[..]), ..SearchOptions::default() };
    let name_allow = |e: sigah_core::Error| match (&allow, e) {
        (Some((_, p)), e @ sigah_core::Error::Ids { .. }) => anyhow::anyhow!("{}: {e}", p.display()),
        (_, e) => e.into(),
    };
    let limit = ResultLimit::new(args.max_results, "--max-results");
    let nq = queries.len();
    let reachable = index.reachable(allow.as_ref().map(|a| &a.0[..]));
    let (lists, width) = match (args.k, args.radius) {
        (Some(k), _) => {
            let k = k.min(reachable);
            let cells = (nq as u64).checked_mul(k as u64);
            limit.check(cells, &|| format!("{nq} queries × k = {k} (--k capped at the {reachable} codes searched)"))?;
            let lists: Vec<Vec<(u32, i64)>> = if k == 0 {
                vec![Vec::new(); nq]
            } else {
                let (d, ids) = index.search_knn(&queries, k, &opts).map_err(name_allow)?;
                d.chunks(k)
                    .zip(ids.chunks(k))
                    .map(|(d, i)| d.iter().copied().zip(i.iter().copied()).collect())
                    .collect()
            };
            (lists, k)
        }
        (None, Some(r)) => {
            let lists = index.search_radius_limited(&queries, r, &opts, &limit).map_err(name_allow)?;
            let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
            (lists, longest)
        }
        (None, None) => unreachable!("clap requires --k or --radius"),
    };
    if !matches!(output, Output::Tsv(_)) {
        // The .npy rows are padded to the longest list: that, not the count of
        // results, is what gets allocated.
        let cells = (nq as u64).checked_mul(width as u64);
        limit.check(cells, &|| {
            format!("{nq} queries padded to the longest list, {width} (write .tsv for no padding)")
        })?;
    }
    write_results(&output, &lists, width)?;
    if !args.common.quiet {
        let found: usize = lists.iter().map(|l| l.iter().filter(|p| p.1 >= 0).count()).sum();
        let capped = match args.k {
            Some(k) if k > width => format!(" (--k {k} capped at {width}, the codes searched)"),
            _ => String::new(),
        };
        eprintln!("sigah: {nq} queries over {} codes: {found} results{capped}", index.live_len());
    }
    Ok(())
}

fn write_results(output: &Output, lists: &[Vec<(u32, i64)>], width: usize) -> anyhow::Result<()> {
    match output {
        Output::Npy { ids, dist } => {
            let nq = lists.len();
            let mut id_rows = vec![-1i64; nq * width];
            let mut dist_rows = vec![u32::MAX; nq * width];
            for (q, list) in lists.iter().enumerate() {
                for (r, &(d, id)) in list.iter().enumerate().filter(|(_, p)| p.1 >= 0) {
                    id_rows[q * width + r] = id;
                    dist_rows[q * width + r] = d;
                }
            }
            let dist_rows = faiss_distances(dist_rows);
            // Half a result (ids without distances) is worse than none: both are
            // written before either is put in place (a failed one drops both temps).
            let ids = npy::stage(ids, &[nq, width], &id_rows)?;
            let dist = npy::stage(dist, &[nq, width], &dist_rows)?;
            ids.commit()?;
            dist.commit()?;
        }
        Output::Tsv(path) => write_atomic(path, |w: &mut dyn Write| {
            writeln!(w, "query\trank\tid\tdistance")?;
            for (q, list) in lists.iter().enumerate() {
                for (r, &(d, id)) in list.iter().enumerate().filter(|(_, p)| p.1 >= 0) {
                    writeln!(w, "{q}\t{r}\t{id}\t{d}")?;
                }
            }
            Ok(())
        })?,
    }
    Ok(())
}

/// Index formats `sigah export` writes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    /// FAISS (`faiss.read_index_binary` loads it): an IndexBinaryFlat, or an
    /// IndexBinaryIDMap over the live codes when the index has custom ids or
    /// removed codes.
    Faiss,
    /// sigah's own index file (checksummed; `sigah search --index` opens it mapped).
    Sigah,
    /// Milvus bulk-insert files: the folder --out gets `id.npy` (int64 [n], the
    /// index's ids) and `code.npy` (uint8 [n, bits/8]), one .npy per field of a
    /// collection with an int64 primary key `id` and a BINARY_VECTOR `code`.
    /// Removed codes are left out.
    Milvus,
}

/// Raw `sigah export` arguments.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The codes: a uint8 .npy [n, bits/8] (or a sigah index file).
    #[arg(long, value_name = "CODES.npy")]
    index: PathBuf,
    /// The format to write.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// The file to write (atomically); with --format milvus, the folder.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    common: Common,
}

/// `id.npy` and `code.npy` in `dir` (created if missing, never over a file),
/// each written atomically; the live codes in position order. Returns how many.
fn write_milvus(index: &HammingIndex, dir: &Path) -> anyhow::Result<usize> {
    anyhow::ensure!(
        !sigah_core::io::is_stdout(dir),
        "--format milvus writes a folder of two files, not standard output"
    );
    anyhow::ensure!(!dir.is_file(), "{}: is a file; --format milvus writes a folder", dir.display());
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let live: Vec<usize> = (0..index.len()).filter(|&p| !index.is_removed(p)).collect();
    let ids: Vec<i64> = live.iter().map(|&p| index.id_at(p)).collect();
    let width = index.bits() / 8;
    let codes: Vec<u8> = live.iter().flat_map(|&p| index.codes().code_bytes(p).iter().copied()).collect();
    npy::write(&dir.join("id.npy"), &[ids.len()], &ids)?;
    npy::write(&dir.join("code.npy"), &[live.len(), width], &codes)?;
    Ok(live.len())
}

pub fn export(args: ExportArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let index = open_index(&args.index)?;
    let (written, what) = match args.format {
        ExportFormat::Faiss => {
            let e = sigah_core::faiss::write_index(&index, &args.out)?;
            (e.codes, format!(" (FAISS {})", e.kind))
        }
        ExportFormat::Sigah => {
            // An index file, so under its writers' lock as `sigah index build`.
            save_index_file(&index, &args.out, DEFAULT_WAIT)?;
            let removed = index.len() - index.live_len();
            (
                index.live_len(),
                if removed > 0 { format!(" (and {removed} removed, kept as such)") } else { String::new() },
            )
        }
        ExportFormat::Milvus => (write_milvus(&index, &args.out)?, String::new()),
    };
    if !args.common.quiet {
        eprintln!("sigah: wrote {written} codes of {} bits to {}{what}", index.bits(), args.out.display());
    }
    Ok(())
}
