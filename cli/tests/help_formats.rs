//! Every flag that takes vectors names, in its help, every input the vector
//! loaders read: the list is `sigah_core::io::vectors::VECTOR_FORMATS`, the one
//! the help texts are built from, so a format added to the loaders and the list
//! shows in every help and one left out of a help fails here.

use std::process::Command;

use sigah_core::io::vectors::VECTOR_FORMATS;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sigah")).args(args).arg("--help").output().expect("runs the binary");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The help text of option `flag` (its first line and any continuation lines).
fn option_help(help: &str, flag: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for line in help.lines() {
        let t = line.trim_start();
        if t.starts_with('-') {
            inside = t.split_whitespace().any(|w| w.trim_end_matches(',') == flag);
        }
        if inside {
            text.push_str(t);
            text.push(' ');
        }
    }
    assert!(!text.is_empty(), "no {flag} in:\n{help}");
    text
}

#[test]
fn every_vector_flag_names_every_readable_format() {
    let flags: [(&[&str], &str); 7] = [
        (&["train"], "--data"),
        (&["encode"], "--data"),
        (&["search"], "--query-vectors"),
        (&["eval"], "--base"),
        (&["eval"], "--queries"),
        (&["bench", "mih"], "--vectors"),
        (&["bench", "mih"], "--query-vectors"),
    ];
    for (command, flag) in flags {
        let text = option_help(&help(command), flag);
        for format in VECTOR_FORMATS {
            assert!(text.contains(format), "`sigah {} --help`, {flag}: no '{format}' in: {text}", command.join(" "));
        }
    }
}

#[test]
fn option_help_reads_one_option() {
    let help = "  --a <X>  first\n           more\n  --b <Y>  second\n";
    assert_eq!(option_help(help, "--a"), "--a <X>  first more ");
    assert_eq!(option_help(help, "--b"), "--b <Y>  second ");
}

#[test]
fn the_command_list_names_every_input_and_output() {
    let top = help(&[]);
    let line = |cmd: &str| {
        top.lines()
            .find(|l| l.trim_start().starts_with(cmd))
            .unwrap_or_else(|| panic!("no {cmd} in:\n{top}"))
            .to_string()
    };
    // export writes every --format it takes; search and info read index files too.
    for format in ["FAISS", "Milvus", "sigah index"] {
        assert!(line("export").contains(format), "{}", line("export"));
    }
    assert!(line("search").contains("codes file") && line("search").contains("index"), "{}", line("search"));
    for what in ["model", "code", "index"] {
        assert!(line("info").contains(what), "{}", line("info"));
    }
}
