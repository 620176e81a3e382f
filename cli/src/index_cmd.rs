//! `sigah index build|add|remove|info`: a sigah index file with custom ids,
//! codes added to it, codes removed by id, and a description. The writers are
//! `sigah_core::io::index_write`: one at a time (a lock beside the file), every
//! change checked in full before the file is rewritten atomically, so bad input
//! (a repeated or unknown id, a width mismatch) or a second writer leaves the
//! file as it was.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use sigah_core::index::HammingIndex;
use sigah_core::io::{npy, save_index_file, update_index_file};
use sigah_core::Codes;

use crate::Common;

#[derive(Subcommand, Debug)]
pub enum IndexCommand {
    /// Build an index file from codes, with optional custom int64 ids.
    Build(BuildArgs),
    /// Add codes (and their ids) to an existing index file.
    Add(AddArgs),
    /// Remove codes by id from an index file (the codes' bytes are not rewritten).
    Remove(RemoveArgs),
    /// Describe an index file.
    Info(InfoArgs),
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The codes: a uint8 .npy [n, bits/8].
    #[arg(long, value_name = "CODES.npy")]
    codes: PathBuf,
    /// Custom ids: an int64 .npy [n] (default: 0..n).
    #[arg(long, value_name = "IDS.npy")]
    ids: Option<PathBuf>,
    /// Do not record multi-index hashing (searches then always scan).
    #[arg(long)]
    no_multi_index: bool,
    /// Multi-index substrings (default: chosen from bits and n).
    #[arg(long, value_name = "M", conflicts_with = "no_multi_index")]
    m: Option<usize>,
    /// The index file to write.
    #[arg(long, value_name = "FILE.sigah")]
    out: PathBuf,
    #[command(flatten)]
    wait: Wait,
    #[command(flatten)]
    common: Common,
}

/// How long a writer waits for another writer of the same index file.
#[derive(Args, Debug)]
pub struct Wait {
    /// Wait up to this long for another process writing the index to finish,
    /// then fail (exit 2) without changing it.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    wait: f64,
}

impl Wait {
    fn duration(&self) -> anyhow::Result<Duration> {
        Duration::try_from_secs_f64(self.wait)
            .map_err(|_| anyhow::anyhow!("--wait must be a number of seconds, 0 or more, got {}", self.wait))
    }
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The index file to extend (rewritten atomically).
    #[arg(long, value_name = "FILE.sigah")]
    index: PathBuf,
    /// The codes to add: a uint8 .npy [n, bits/8] of the index's width.
    #[arg(long, value_name = "CODES.npy")]
    codes: PathBuf,
    /// Their ids: an int64 .npy [n] (default: after the largest id).
    #[arg(long, value_name = "IDS.npy")]
    ids: Option<PathBuf>,
    #[command(flatten)]
    wait: Wait,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["ids", "id"]))]
pub struct RemoveArgs {
    /// The index file (rewritten atomically).
    #[arg(long, value_name = "FILE.sigah")]
    index: PathBuf,
    /// The ids to remove: an int64 .npy [n].
    #[arg(long, value_name = "IDS.npy")]
    ids: Option<PathBuf>,
    /// The ids to remove, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    id: Vec<i64>,
    #[command(flatten)]
    wait: Wait,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The index file.
    #[arg(value_name = "FILE.sigah")]
    pub index: PathBuf,
    /// Also verify the checksum and ids (reads the whole file).
    #[arg(long)]
    pub verify: bool,
}

pub fn run(cmd: IndexCommand) -> anyhow::Result<()> {
    match cmd {
        IndexCommand::Build(args) => build(args),
        IndexCommand::Add(args) => add(args),
        IndexCommand::Remove(args) => remove(args),
        IndexCommand::Info(args) => info(args),
    }
}

/// Ids from an int64 .npy of shape [n] or [n, 1].
pub fn read_ids(path: &Path) -> anyhow::Result<Vec<i64>> {
    let (shape, ids) = npy::read::<i64>(path)?;
    anyhow::ensure!(
        shape.len() == 1 || shape.len() == 2 && shape[1] == 1,
        "{}: ids must be an int64 array of shape [n], found shape {shape:?}",
        path.display()
    );
    Ok(ids)
}

/// An ids error named by the file the ids came from.
fn named(path: &Path) -> impl Fn(sigah_core::Error) -> sigah_core::Error + '_ {
    move |e| match e {
        sigah_core::Error::Ids { reason } => sigah_core::Error::Ids { reason: format!("{}: {reason}", path.display()) },
        e => e,
    }
}

fn build(args: BuildArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let wait = args.wait.duration()?;
    let codes = Codes::read_npy(&args.codes)?;
    let n = codes.len();
    let mut index = match &args.ids {
        Some(p) => HammingIndex::from_codes_with_ids(codes, read_ids(p)?).with_context(|| p.display().to_string())?,
        None => HammingIndex::from_codes(codes),
    };
    if !args.no_multi_index {
        index.build_multi_index(args.m)?;
    }
    save_index_file(&index, &args.out, wait)?;
    if !args.common.quiet {
        let m = index.multi_index().map_or(0, |t| t.m());
        eprintln!(
            "sigah: indexed {n} codes of {} bits into {} (multi-index m = {m})",
            index.bits(),
            args.out.display()
        );
    }
    Ok(())
}

fn add(args: AddArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let wait = args.wait.duration()?;
    // Read before the lock: it is held only for the read-modify-write.
    let codes = Codes::read_npy(&args.codes)?;
    let ids = args.ids.as_deref().map(read_ids).transpose()?;
    let (added, index) = update_index_file(&args.index, wait, |index| {
        index.check_width(&codes, &args.codes.display().to_string(), "codes to add", Some(&args.index))?;
        match (&ids, &args.ids) {
            (Some(ids), Some(p)) => index.add_with_ids(&codes, ids).map_err(named(p))?,
            _ => index.add(&codes)?,
        }
        Ok(codes.len())
    })?;
    if !args.common.quiet {
        let (n, live) = (index.len(), index.live_len());
        eprintln!("sigah: added {added} codes to {}: {live} codes ({n} stored)", args.index.display());
    }
    Ok(())
}

fn remove(args: RemoveArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let wait = args.wait.duration()?;
    let (ids, source) = match &args.ids {
        Some(p) => (read_ids(p)?, p.clone()),
        None => (args.id.clone(), args.index.clone()),
    };
    let (removed, index) = update_index_file(&args.index, wait, |index| index.remove(&ids).map_err(named(&source)))?;
    if !args.common.quiet {
        eprintln!("sigah: removed {removed} codes from {}: {} remain", args.index.display(), index.live_len());
    }
    Ok(())
}

/// `sigah index info`; also what `sigah info` prints for an index file.
pub fn info(args: InfoArgs) -> anyhow::Result<()> {
    if args.verify {
        HammingIndex::verify(&args.index)?;
    }
    let m = HammingIndex::file_multi_index_m(&args.index)?;
    let index = HammingIndex::open(&args.index)?;
    let bytes = std::fs::metadata(&args.index).with_context(|| args.index.display().to_string())?.len();
    outln!("file: {}", args.index.display());
    outln!("bits: {}", index.bits());
    outln!("codes: {} ({} stored, {} removed)", index.live_len(), index.len(), index.len() - index.live_len());
    outln!("ids: {}", if index.ids().is_some() { "custom int64" } else { "positions 0..n" });
    if let Some(mi) = index.multi_index() {
        let per_code = mi.table_bytes() as f64 / index.len().max(1) as f64;
        outln!("multi-index: m = {m} substrings, tables stored in the file ({per_code:.1} bytes per code, mapped)");
    } else if m > 0 {
        outln!("multi-index: m = {m} substrings (tables built when a search opens the file)");
    } else {
        outln!("multi-index: none (searches scan)");
    }
    outln!("file bytes: {bytes}");
    if args.verify {
        outln!("verified: checksum and ids ok");
    }
    Ok(())
}
