//! One writer at a time for a file that is rewritten by read-modify-write (the
//! sigah index file: `sigah index build|add|remove` and Python's counterparts),
//! as SQLite locks its database for a write transaction.
//!
//! The lock is an exclusive `flock` on a lock file beside the data file,
//! `.NAME.lock`: not on the data file itself, because every write replaces that
//! file by a rename (`atomic.rs`), and a lock on the old inode would not exclude
//! a writer that opened the new one. The lock file is left in place (removing it
//! would let two writers lock two different inodes of the same name). Readers
//! never take it: they open the data file, which is always a whole file.
//!
//! The kernel drops a `flock` when its last descriptor closes, so a writer that
//! dies (even by SIGKILL) releases it; there is no stale lock to clean up.
//! `flock` is advisory: only sigah's writers honour it. On NFS, Linux emulates
//! `flock` with byte-range locks (NFSv4 locks or the NLM protocol), which also
//! exclude across machines, but a client that loses its lease can lose its lock
//! (docs/ROBUSTNESS.md §2).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// How long a second writer waits for the first by default before it fails.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// An exclusive lock on the writers of one file, held until dropped.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

/// `.NAME.lock` beside `path` (through a symlink, beside its target: two names of
/// one file must share one lock).
pub fn lock_path(path: &Path) -> PathBuf {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "index".into());
    target.with_file_name(format!(".{name}.lock"))
}

impl WriteLock {
    /// Takes the writers' lock of `path`, waiting up to `wait` for another writer
    /// to finish.
    ///
    /// Errors: still held after `wait` ([`Error::Busy`]); the lock file cannot be
    /// created ([`Error::Io`], naming `path`: the lock file is a detail, and the
    /// OS error, a missing folder or no permission, is the same for both).
    pub fn acquire(path: &Path, wait: Duration) -> Result<Self> {
        let lock = lock_path(path);
        let file =
            OpenOptions::new().create(true).truncate(false).write(true).open(&lock).map_err(|e| Error::io(path, e))?;
        let deadline = Instant::now() + wait;
        // Polled rather than a blocking `flock`: a blocking call cannot time out.
        // The pause grows from 1 ms to 50 ms, so a short write is picked up fast
        // and a long one costs few wake-ups.
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => return Err(Error::Busy { path: path.to_path_buf(), waited: wait }),
                Err(TryLockError::Error(e)) => return Err(Error::io(path, e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_then_fails_and_gets_the_lock_once_released() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.sigah");
        let first = WriteLock::acquire(&p, Duration::ZERO).unwrap();
        let t = Instant::now();
        let e = WriteLock::acquire(&p, Duration::from_millis(100)).unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(100));
        assert!(
            e.to_string().starts_with(&format!("{} is being written by another process (waited 0.1 s", p.display())),
            "{e}"
        );
        drop(first);
        WriteLock::acquire(&p, Duration::ZERO).unwrap();
        assert!(dir.path().join(".x.sigah.lock").exists());
    }

    #[test]
    fn a_symlink_shares_its_targets_lock() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.sigah");
        std::fs::write(&p, b"x").unwrap();
        let link = dir.path().join("link.sigah");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        let _held = WriteLock::acquire(&p, Duration::ZERO).unwrap();
        assert!(matches!(WriteLock::acquire(&link, Duration::ZERO), Err(Error::Busy { .. })));
    }
}
