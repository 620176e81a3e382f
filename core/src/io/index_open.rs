//! Opening a database for search, the one way every front end does it: codes or
//! a sigah index file told apart by their magic bytes (not the name), with the
//! multi-index tables the engine uses ([`HammingIndex::prepare_tables`]).

use std::path::Path;

use super::sniff::{self, Kind};
use crate::index::{Engine, HammingIndex};
use crate::{Codes, Error, Result};

/// Opens codes (a uint8 `.npy`, mapped) or a sigah index file (mapped), told
/// apart by their first bytes; a model or another kind of file is named as what
/// it is.
pub fn open_index(path: &Path) -> Result<HammingIndex> {
    match sniff::of_file(path)? {
        Kind::SigahIndex => HammingIndex::open(path),
        Kind::Npy | Kind::Other => Ok(HammingIndex::from_codes(Codes::open_npy(path)?)),
        kind => Err(Error::format(
            path,
            0,
            format!("this is {}, not codes or a sigah index{}", kind.describe(), hint(kind)),
        )),
    }
}

/// Opens query codes (a uint8 `.npy`, mapped), naming a model or an index given
/// instead.
pub fn open_codes(path: &Path) -> Result<Codes> {
    match sniff::of_file(path)? {
        Kind::Npy | Kind::Other => Codes::open_npy(path),
        kind => {
            Err(Error::format(path, 0, format!("this is {}, not codes (a uint8 .npy){}", kind.describe(), hint(kind))))
        }
    }
}

fn hint(kind: Kind) -> &'static str {
    match kind {
        Kind::Safetensors => ": encode vectors into codes with `sigah encode --model`",
        _ => "",
    }
}

/// [`open_index`] with the multi-index tables `engine` uses: a version-4 index
/// file stores its tables (mapped); a version-3 file records only m, and its
/// tables are built here ([`HammingIndex::prepare_tables`]).
pub fn open_for_search(path: &Path, engine: Engine) -> Result<HammingIndex> {
    let mut index = open_index(path)?;
    let m = match sniff::of_file(path)? {
        Kind::SigahIndex => HammingIndex::file_multi_index_m(path)?,
        _ => 0,
    };
    index.prepare_tables(engine, m).map_err(|e| name(path, e))?;
    Ok(index)
}

/// `e` with the file it is about in front (a configuration error does not name one).
pub(crate) fn name(path: &Path, e: Error) -> Error {
    match e {
        Error::Config(reason) => Error::data(path, format!("invalid configuration: {reason}")),
        Error::Ids { reason } => Error::Ids { reason: format!("{}: {reason}", path.display()) },
        other => other,
    }
}
