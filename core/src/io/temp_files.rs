//! The temp files this process has open for atomic writes (`atomic.rs`), so
//! that a signal handler can remove them before the process exits, and the
//! stale ones of dead processes, which a SIGKILL can still leave behind
//! (docs/ROBUSTNESS.md §2).
//!
//! Every creation, rename and removal of a temp file happens under one lock.
//! [`remove_all_and_exit`] takes that lock and never releases it: once it has
//! run, no other thread can create a temp file or rename one into place, so no
//! temp file outlives the process.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static LIVE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn live() -> MutexGuard<'static, Option<HashSet<PathBuf>>> {
    // A panic while the lock was held leaves the set as it was: still usable.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Creates (truncating) the temp file `tmp` and records it.
pub(crate) fn create(tmp: &Path) -> std::io::Result<File> {
    let mut set = live();
    let file = File::create(tmp)?;
    set.get_or_insert_with(HashSet::new).insert(tmp.to_path_buf());
    Ok(file)
}

/// Renames the recorded `tmp` over `dest` and forgets it.
pub(crate) fn rename(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    let mut set = live();
    let done = fs::rename(tmp, dest);
    if done.is_err() {
        let _ = fs::remove_file(tmp);
    }
    set.get_or_insert_with(HashSet::new).remove(tmp);
    done
}

/// Removes the recorded `tmp` and forgets it.
pub(crate) fn remove(tmp: &Path) {
    let mut set = live();
    let _ = fs::remove_file(tmp);
    set.get_or_insert_with(HashSet::new).remove(tmp);
}

/// Removes every temp file this process has open and exits with `code`,
/// holding the lock to the end (see the module docs). For signal handlers.
pub fn remove_all_and_exit(code: i32) -> ! {
    let set = live();
    for tmp in set.iter().flatten() {
        let _ = fs::remove_file(tmp);
    }
    std::process::exit(code)
}

/// The temp name for `dest` of process `pid`: `.<name>.tmp.<pid>` beside it.
pub(crate) fn temp_name(dest: &Path, pid: u32) -> PathBuf {
    dest.with_file_name(format!(".{}.tmp.{pid}", file_name(dest)))
}

fn file_name(dest: &Path) -> String {
    dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into())
}

/// Removes the temp files for `dest` that processes no longer alive left (a
/// SIGKILL, a power cut). A PID that is alive keeps its file: it may be another
/// sigah writing the same path now. Where `/proc` is missing, nothing is removed.
pub(crate) fn remove_stale(dest: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{}.tmp.", file_name(dest));
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Fails if a file cannot be created in `dir` (permissions, a read-only file
/// system): creates and removes a temp file there, as the write itself would.
/// Commands call it before the work, so an unwritable folder does not cost a
/// finished training.
pub fn probe_folder(dir: &Path) -> std::io::Result<()> {
    let probe = temp_name(&dir.join("sigah-probe"), std::process::id());
    create(&probe)?;
    remove(&probe);
    Ok(())
}
