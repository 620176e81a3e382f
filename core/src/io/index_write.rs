//! Changing an index file: one writer at a time (`lock.rs`) for the whole
//! read-modify-write, every change checked in full before the file is rewritten
//! atomically (`atomic.rs`), so bad input or a second writer leaves the file as
//! it was and no acknowledged change is lost. The command line (`sigah index
//! build|add|remove`) and Python (`HammingIndex.save`, `add_to_file`,
//! `remove_from_file`) both call these.

use std::path::Path;
use std::time::Duration;

use super::lock::WriteLock;
use crate::index::{auto_m, HammingIndex};
use crate::Result;

/// Saves `index` to `path` under the writers' lock (waiting up to `wait` for
/// another writer): what building an index file does.
///
/// Errors: another writer held the lock for longer than `wait`
/// ([`crate::Error::Busy`]); as [`HammingIndex::save`].
pub fn save_index_file(index: &HammingIndex, path: &Path, wait: Duration) -> Result<()> {
    // Standard output, a device or a pipe is written directly (`atomic.rs`), not
    // read-modify-written, and its folder (`/dev`) is not the place for a lock file.
    let regular = std::fs::metadata(path).map_or(true, |m| m.is_file());
    let system = (path.starts_with("/dev") && !path.starts_with("/dev/shm")) || path.starts_with("/proc");
    if super::is_stdout(path) || !regular || system {
        return index.save(path);
    }
    let _lock = WriteLock::acquire(path, wait)?;
    index.save(path)
}

/// Loads the index file at `path` in full (every check), applies `change`, and
/// saves the result, all under the writers' lock. Multi-index hashing survives:
/// the tables are kept through a removal (positions do not move) and rebuilt
/// after an addition with m chosen again for the new size. On any error the
/// file is unchanged.
///
/// Errors: [`crate::Error::Busy`] after `wait`; as [`HammingIndex::load`] and
/// [`HammingIndex::save`]; whatever `change` returns.
pub fn update_index_file<T>(
    path: &Path,
    wait: Duration,
    change: impl FnOnce(&mut HammingIndex) -> Result<T>,
) -> Result<(T, HammingIndex)> {
    let _lock = WriteLock::acquire(path, wait)?;
    let had_m = HammingIndex::file_multi_index_m(path)?;
    let mut index = HammingIndex::load(path)?;
    let out = change(&mut index)?;
    if had_m > 0 && index.multi_index().is_none() {
        index.build_multi_index(Some(auto_m(index.bits(), index.len())))?;
    }
    index.save(path)?;
    Ok((out, index))
}
