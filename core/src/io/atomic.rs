//! Writes that touch only what the user asked for (docs/ROBUSTNESS.md §2).
//!
//! The rule, by what stands at the output path:
//! - nothing, or a regular file: a temp file in the same folder, fsync'd, renamed
//!   over it, the folder fsync'd. A crash or an error midway leaves the old file
//!   or the new one, never half of one, and no temp file.
//! - a symlink (to a file, or dangling): the link is followed to its final target
//!   and that target is replaced atomically in *its* folder; the link stays a link.
//! - a character device, a pipe, a socket (`/dev/null`, a FIFO, a terminal), and
//!   anything under `/dev/` or `/proc/` (`/dev/stdout` is a symlink into
//!   `/proc/self/fd`): written directly, no temp file, never renamed over (a
//!   rename would replace the system's file and nothing would reach the reader).
//! - `-` (and `/dev/stdout`): standard output.
//! - a folder: refused.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::temp_files;
use crate::{Error, Result};

/// How an output path is written.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// Atomically: temp file + rename in this (symlink-resolved) path's folder.
    Replace(PathBuf),
    /// Opened and written in place (a device, a pipe, a system path).
    Direct,
    /// The process's standard output.
    Stdout,
}

/// Whether `path` names standard output (`-`, `/dev/stdout`, fd 1).
pub fn is_stdout(path: &Path) -> bool {
    matches!(path.to_str(), Some("-" | "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1"))
}

fn classify(path: &Path) -> std::io::Result<Target> {
    if is_stdout(path) {
        return Ok(Target::Stdout);
    }
    // `fs::metadata` follows links: it sees what a write would reach.
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(std::io::Error::other("this is a folder, not a file")),
        Ok(m) if !m.is_file() => return Ok(Target::Direct),
        _ => {}
    }
    // /dev/shm is the exception: a tmpfs of ordinary files, where a new file
    // must be created like anywhere else (found when the fuzz targets' temp
    // files moved there: "No such file or directory").
    if (path.starts_with("/dev") && !path.starts_with("/dev/shm")) || path.starts_with("/proc") {
        return Ok(Target::Direct);
    }
    Ok(Target::Replace(resolve_links(path)?))
}

/// Follows a chain of symlinks to the path it ends at (which need not exist: a
/// dangling link is written through, creating its target).
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    // The kernel's own limit on a chain (ELOOP after 40).
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// An output written but not yet in place: [`Staged::commit`] renames it over
/// the destination; dropping it removes the temp file. Lets a command write two
/// files (search ids and distances) and put them in place only when both succeeded.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    /// (temp file, destination) while a rename is pending.
    pending: Option<(PathBuf, PathBuf)>,
}

impl Staged {
    /// Puts the file in place (a no-op for direct and stdout writes, already done).
    pub fn commit(mut self) -> Result<()> {
        let Some((tmp, dest)) = self.pending.take() else { return Ok(()) };
        temp_files::rename(&tmp, &dest).map_err(|e| Error::io(&self.path, e))?;
        // Make the rename itself durable. Not every platform lets a folder be
        // opened and synced; a failure there does not undo the write.
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some((tmp, _)) = self.pending.take() {
            temp_files::remove(&tmp);
        }
    }
}

/// Writes `fill`'s bytes for `path` without putting them in place yet (see the
/// module docs for what each kind of path gets). Direct and stdout writes cannot
/// be staged: they are written now.
pub fn stage<F>(path: &Path, fill: F) -> Result<Staged>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let target = classify(path).map_err(|e| Error::io(path, e))?;
    let dest = match target {
        Target::Stdout => {
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            fill(&mut out).and_then(|()| out.flush()).map_err(|e| Error::io(path, e))?;
            return Ok(Staged { path: path.to_path_buf(), pending: None });
        }
        Target::Direct => {
            // No truncate: a device or pipe has nothing to truncate, and O_TRUNC
            // on a terminal or /dev/null is at best ignored.
            let direct = OpenOptions::new().write(true).open(path).and_then(|file| {
                let mut out = BufWriter::with_capacity(1 << 16, file);
                fill(&mut out)?;
                out.flush()
            });
            direct.map_err(|e| Error::io(path, e))?;
            return Ok(Staged { path: path.to_path_buf(), pending: None });
        }
        Target::Replace(dest) => dest,
    };
    // A SIGKILL can still leave a temp file; the next write to the path clears it.
    temp_files::remove_stale(&dest);
    let tmp = temp_files::temp_name(&dest, std::process::id());
    let staged = Staged { path: path.to_path_buf(), pending: Some((tmp.clone(), dest)) };
    let written = (|| -> std::io::Result<()> {
        let file = temp_files::create(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        fill(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })();
    // On error `staged` drops here and removes the temp file.
    written.map_err(|e| Error::io(path, e))?;
    Ok(staged)
}

/// Writes the file at `path` with `fill`: atomically for a file (through a
/// symlink to its target), directly for a device or pipe, `-` to stdout, a
/// folder refused. If `fill` fails, the destination is untouched.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    stage(path, fill)?.commit()
}

#[cfg(test)]
#[path = "atomic_tests.rs"]
mod tests;
