//! Checks on output paths made before any long work starts: a training run of an
//! hour must not end in "No such file or directory" for its model.

use std::path::Path;

/// Fails if `path` cannot be an output file: its folder does not exist (or is
/// not a folder), or `path` itself is a folder. The write itself can still fail
/// (permissions, a full disk); this catches the typos up front.
pub fn check_output(path: &Path, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(!path.is_dir(), "{}: cannot write the {what}: this is a folder", path.display());
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    anyhow::ensure!(
        parent.is_dir(),
        "{}: cannot write the {what}: {} is not an existing folder",
        path.display(),
        parent.display()
    );
    Ok(())
}
