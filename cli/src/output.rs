//! Checks on output paths made before any long work starts: a training run of an
//! hour must not end in "No such file or directory" for its model.

use std::path::Path;

/// Fails if `path` cannot be an output file: its folder does not exist (or is
/// not a folder), `path` itself is a folder, or the folder the atomic write
/// puts its temp file in refuses a new file (permissions, a read-only file
/// system). Only a full disk is left to the write itself.
pub fn check_output(path: &Path, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(!path.is_dir(), "{}: cannot write the {what}: this is a folder", path.display());
    if sigah_core::io::is_stdout(path) || path.starts_with("/proc") {
        return Ok(());
    }
    // A device or pipe is written in place: nothing is created beside it.
    let meta = std::fs::metadata(path).ok();
    if meta.as_ref().is_some_and(|m| !m.is_file()) {
        return Ok(());
    }
    // Through a symlink the temp file goes in the target's folder.
    let real = meta.and_then(|_| std::fs::canonicalize(path).ok()).unwrap_or_else(|| path.to_path_buf());
    let parent = real.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    anyhow::ensure!(
        parent.is_dir(),
        "{}: cannot write the {what}: {} is not an existing folder",
        path.display(),
        parent.display()
    );
    sigah_core::io::temp_files::probe_folder(parent)
        .map_err(|e| anyhow::anyhow!("{}: cannot write the {what}: {}: {e}", path.display(), parent.display()))
}

/// Fails if `dir` cannot hold the output files named for it (`--plots`,
/// `--save-codes`, `--save-models`): it, or the nearest existing folder above it
/// that `create_dir_all` would create it in, must take a new file.
pub fn check_output_folder(dir: &Path, flag: &str) -> anyhow::Result<()> {
    let mut at = dir;
    while !at.exists() {
        match at.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => at = p,
            None => {
                at = Path::new(".");
                break;
            }
        }
    }
    anyhow::ensure!(at.is_dir(), "{}: cannot write {flag}: {} is not a folder", dir.display(), at.display());
    sigah_core::io::temp_files::probe_folder(at)
        .map_err(|e| anyhow::anyhow!("{}: cannot write {flag}: {}: {e}", dir.display(), at.display()))
}
