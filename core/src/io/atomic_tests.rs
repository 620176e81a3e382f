use super::*;
#[cfg(unix)]
use std::os::unix::fs::{FileTypeExt, MetadataExt};

#[test]
fn writes_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.bin");
    write_atomic(&path, |w| w.write_all(b"one")).unwrap();
    write_atomic(&path, |w| w.write_all(b"two")).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"two");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left behind");
}

#[test]
fn failure_keeps_the_old_file_and_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.bin");
    write_atomic(&path, |w| w.write_all(b"old")).unwrap();
    let err = write_atomic(&path, |w| {
        w.write_all(b"partial")?;
        Err(std::io::Error::other("boom"))
    });
    assert!(err.is_err());
    assert_eq!(fs::read(&path).unwrap(), b"old");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn unwritable_folder_is_an_io_error_naming_the_path() {
    let path = Path::new("/nonexistent-sigah-dir/x.npy");
    let err = write_atomic(path, |w| w.write_all(b"x")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent-sigah-dir/x.npy"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_symlink_is_written_through_and_stays_a_symlink() {
    // A plain rename would replace the link with a regular file and leave the
    // target as it was.
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("elsewhere");
    fs::create_dir(&sub).unwrap();
    let target = sub.join("target.npy");
    fs::write(&target, b"old").unwrap();
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink("elsewhere/target.npy", &link).unwrap();
    // A chain of two links, one absolute.
    let link2 = dir.path().join("link2.npy");
    std::os::unix::fs::symlink(&link, &link2).unwrap();

    write_atomic(&link2, |w| w.write_all(b"new")).unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(fs::symlink_metadata(&link2).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(&target).unwrap(), b"new");
    // The temp file was made beside the target (same file system), and is gone.
    assert_eq!(fs::read_dir(&sub).unwrap().count(), 1);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);

    // A dangling link creates its target.
    let dangling = dir.path().join("dangling.npy");
    std::os::unix::fs::symlink("elsewhere/new.npy", &dangling).unwrap();
    write_atomic(&dangling, |w| w.write_all(b"made")).unwrap();
    assert!(fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(sub.join("new.npy")).unwrap(), b"made");

    // A loop is an error naming the path, not a hang.
    let a = dir.path().join("loop_a");
    let b = dir.path().join("loop_b");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let e = write_atomic(&a, |w| w.write_all(b"x")).unwrap_err().to_string();
    assert!(e.contains("loop_a"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_character_device_is_written_directly_and_left_in_place() {
    let null = Path::new("/dev/null");
    let before = fs::symlink_metadata(null).unwrap();
    write_atomic(null, |w| w.write_all(&[7u8; 100_000])).unwrap();
    let after = fs::symlink_metadata(null).unwrap();
    assert!(after.file_type().is_char_device());
    assert_eq!((before.ino(), before.rdev()), (after.ino(), after.rdev()));
    assert_eq!(classify(Path::new("/dev/stdout")).unwrap(), Target::Stdout);
    assert_eq!(classify(Path::new("-")).unwrap(), Target::Stdout);
    assert_eq!(classify(Path::new("/dev/stderr")).unwrap(), Target::Direct);
}

#[cfg(unix)]
#[test]
fn files_in_dev_shm_are_ordinary_files() {
    // /dev/shm is a tmpfs of regular files: a new file there is created and
    // replaced atomically, not opened as a device (which failed: not found).
    let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("skipped: no /dev/shm");
        return;
    };
    let out = dir.path().join("new.npy");
    assert!(matches!(classify(&out).unwrap(), Target::Replace(_)));
    write_atomic(&out, |w| w.write_all(b"first")).unwrap();
    write_atomic(&out, |w| w.write_all(b"second")).unwrap();
    assert_eq!(fs::read(&out).unwrap(), b"second");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_written_directly() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let ok = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    write_atomic(&fifo, |w| w.write_all(b"through the pipe")).unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file");
}

#[test]
fn a_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = write_atomic(dir.path(), |w| w.write_all(b"x")).unwrap_err().to_string();
    assert!(e.contains("this is a folder"), "{e}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn staged_files_appear_only_on_commit() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let sa = stage(&a, |w| w.write_all(b"1")).unwrap();
    assert!(!a.exists());
    drop(sa);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "dropping removes the temp file");
    let sa = stage(&a, |w| w.write_all(b"1")).unwrap();
    let sb = stage(&b, |w| w.write_all(b"2")).unwrap();
    sa.commit().unwrap();
    sb.commit().unwrap();
    assert_eq!(fs::read(&b).unwrap(), b"2");
}
