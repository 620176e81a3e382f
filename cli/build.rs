//! Records the git commit sigah is built from, for `sigah eval --report` (issue
//! 13: reports must say what made them). Outside a checkout (a crate tarball, a
//! copied tree) or without git, nothing is recorded and the build goes on.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    if let Some(commit) = git(&["rev-parse", "HEAD"]) {
        println!("cargo:rustc-env=SIGAH_GIT_COMMIT={commit}");
    }
    // Rebuild when HEAD moves: a commit appends to logs/HEAD, a checkout rewrites
    // HEAD (in a worktree both live in its own git folder).
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/logs/HEAD");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
