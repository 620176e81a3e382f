//! The library's one error type. Loaders never panic on bad bytes: they return
//! [`Error::Format`] naming the file, the byte offset (or row) and what is wrong.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in sigah-core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An OS-level failure reading or writing a file. The OS error is part of the
    /// message and deliberately not a `source`: printing the chain (`{:#}`) would
    /// otherwise repeat it.
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },

    /// A file whose bytes are not what its format requires.
    #[error("{}: {reason} (at byte {offset})", path.display())]
    Format { path: PathBuf, offset: u64, reason: String },

    /// Data that parsed but is unusable: a NaN, a row of the wrong dimension, a
    /// label count that does not match.
    #[error("{}: {reason}", path.display())]
    Data { path: PathBuf, reason: String },

    /// Two shapes that must agree do not.
    #[error("{op}: shape mismatch: expected {expected}, got {got}")]
    ShapeMismatch { op: &'static str, expected: String, got: String },

    /// Ids that cannot be used: a duplicate, a negative id, one not in the index,
    /// or a count that differs from the codes'.
    #[error("{reason}")]
    Ids { reason: String },

    /// A file another process is writing (its writers' lock, `io/lock.rs`, was
    /// still held after waiting).
    #[error("{} is being written by another process (waited {:.1} s; try again once it has finished)", path.display(), waited.as_secs_f64())]
    Busy { path: PathBuf, waited: std::time::Duration },

    /// A search whose results would pass the limit it was given
    /// (`index::ResultLimit`); nothing past the limit was held.
    #[error("{reason}")]
    Limit { reason: String },

    /// Codes of another width than the index they are searched in or added to
    /// (`HammingIndex::check_width`, the one message every front end prints).
    #[error("{reason}")]
    Width { reason: String },

    /// A configuration value outside its allowed range.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// Training diverged.
    #[error("training diverged at epoch {epoch}, batch {batch}: {what} is {value}")]
    NonFinite { epoch: usize, batch: usize, what: String, value: f32 },
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().to_path_buf(), error: source }
    }

    /// An [`Error::Format`] for `path` at byte `offset`.
    pub fn format(path: impl AsRef<Path>, offset: u64, reason: impl Into<String>) -> Self {
        Error::Format { path: path.as_ref().to_path_buf(), offset, reason: reason.into() }
    }

    /// A value that is not finite, at `offset` in `path`, row `row`, column `col`.
    pub fn non_finite_value(path: impl AsRef<Path>, row: usize, col: usize, offset: u64, v: f64) -> Self {
        Self::format(path, offset, format!("row {row}, column {col}: value {v} is not finite"))
    }

    /// An [`Error::Data`] for `path`.
    pub fn data(path: impl AsRef<Path>, reason: impl Into<String>) -> Self {
        Error::Data { path: path.as_ref().to_path_buf(), reason: reason.into() }
    }
}
