//! `sigah index build|add|remove|info`: a sigah index file with custom ids,
//! codes added to it, codes removed by id, and a description. Every change is
//! checked in full before the file is rewritten atomically, so bad input (a
//! repeated or unknown id, a width mismatch) leaves the file as it was.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use sigah_core::index::{auto_m, HammingIndex};
use sigah_core::io::npy;
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
    common: Common,
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

/// Reads codes to add to `index` (from `path`), checking the width.
fn codes_for(index: &HammingIndex, index_path: &Path, path: &Path) -> anyhow::Result<Codes> {
    let codes = Codes::read_npy(path)?;
    anyhow::ensure!(
        codes.bits() == index.bits(),
        "{}: {}-bit codes, but the index {} holds {}-bit codes",
        path.display(),
        codes.bits(),
        index_path.display(),
        index.bits()
    );
    Ok(codes)
}

fn build(args: BuildArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let codes = Codes::read_npy(&args.codes)?;
    let n = codes.len();
    let mut index = match &args.ids {
        Some(p) => HammingIndex::from_codes_with_ids(codes, read_ids(p)?).with_context(|| p.display().to_string())?,
        None => HammingIndex::from_codes(codes),
    };
    if !args.no_multi_index {
        index.build_multi_index(args.m)?;
    }
    index.save(&args.out)?;
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

/// Loads an index file in full (every check) for a change.
fn load(path: &Path) -> anyhow::Result<(HammingIndex, usize)> {
    let m = HammingIndex::file_multi_index_m(path)?;
    Ok((HammingIndex::load(path)?, m))
}

/// Saves a changed index, keeping multi-index hashing if the file had it: the
/// tables survive a removal (positions do not move); after an addition they are
/// rebuilt with m chosen again for the new size, and stored in the file.
fn save(mut index: HammingIndex, had_m: usize, path: &Path) -> anyhow::Result<()> {
    if had_m > 0 && index.multi_index().is_none() {
        let m = auto_m(index.bits(), index.len());
        index.build_multi_index(Some(m))?;
    }
    Ok(index.save(path)?)
}

fn add(args: AddArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let (mut index, m) = load(&args.index)?;
    let codes = codes_for(&index, &args.index, &args.codes)?;
    match &args.ids {
        Some(p) => {
            let ids = read_ids(p)?;
            index.add_with_ids(&codes, &ids).with_context(|| p.display().to_string())?;
        }
        None => index.add(&codes)?,
    }
    let (n, live) = (index.len(), index.live_len());
    save(index, m, &args.index)?;
    if !args.common.quiet {
        eprintln!("sigah: added {} codes to {}: {live} codes ({n} stored)", codes.len(), args.index.display());
    }
    Ok(())
}

fn remove(args: RemoveArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let (mut index, m) = load(&args.index)?;
    let (ids, source) = match &args.ids {
        Some(p) => (read_ids(p)?, p.clone()),
        None => (args.id.clone(), args.index.clone()),
    };
    let removed = index.remove(&ids).with_context(|| source.display().to_string())?;
    let live = index.live_len();
    save(index, m, &args.index)?;
    if !args.common.quiet {
        eprintln!("sigah: removed {removed} codes from {}: {live} remain", args.index.display());
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
