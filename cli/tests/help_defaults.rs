//! Help-text defaults come from `SigahConfig::default()`: every `[default: V]`
//! that `sigah train --help` and `sigah eval --help` print for a config key is
//! that key's default, so the help can never disagree with what training does.

use std::process::Command;

use sigah_core::model::SigahConfig;

fn help(command: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sigah")).args([command, "--help"]).output().expect("runs the binary");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Each option's flag and the default its help prints, if any (an option's help
/// may run over several lines).
fn printed_defaults(help: &str) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        if let Some(flag) = t.split_whitespace().find(|w| w.starts_with("--")) {
            if t.starts_with('-') {
                options.push((flag.trim_end_matches(',').to_string(), String::new()));
            }
        }
        if let Some((_, text)) = options.last_mut() {
            text.push_str(line);
            text.push(' ');
        }
    }
    options
        .into_iter()
        .filter_map(|(flag, text)| {
            let at = text.find("[default: ")? + "[default: ".len();
            Some((flag, text[at..at + text[at..].find(']')?].to_string()))
        })
        .collect()
}

/// The default config's value of `section.key`, as the help prints it.
fn config_default(section: &str, key: &str) -> String {
    let v = serde_json::to_value(SigahConfig::default()).unwrap();
    match &v[section][key] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks every printed default of `command`: those of `config` flags against
/// the default config, the rest must be listed in `not_config`.
fn check(command: &str, config: &[(&str, &str, &str)], not_config: &[&str]) {
    let printed = printed_defaults(&help(command));
    for (flag, value) in &printed {
        if let Some((_, section, key)) = config.iter().find(|(f, _, _)| f == flag) {
            assert_eq!(
                value,
                &config_default(section, key),
                "sigah {command} {flag} prints [default: {value}], the config's {section}.{key} is another"
            );
        } else {
            assert!(
                not_config.contains(&flag.as_str()),
                "sigah {command} {flag} prints [default: {value}]: take it from SigahConfig::default() and list it here"
            );
        }
    }
    for (flag, _, _) in config {
        assert!(printed.iter().any(|(f, _)| f == flag), "sigah {command} {flag} no longer prints its default");
    }
}

#[test]
fn train_help_defaults_are_the_default_config() {
    check(
        "train",
        &[
            ("--bits", "architecture", "bits"),
            ("--epochs", "training", "epochs"),
            ("--train-size", "training", "train_size"),
            ("--steps", "training", "max_steps"),
            ("--seed", "training", "seed"),
            ("--batch-size", "optimiser", "batch_size"),
        ],
        // `full` is the default config itself (the_fast_preset_trains_without_the_discriminator).
        &["--checkpoint", "--preset"],
    );
}

#[test]
fn eval_help_defaults_are_the_default_config() {
    check("eval", &[("--epochs", "training", "epochs"), ("--seed", "training", "seed")], &EVAL_NOT_CONFIG);
}

/// `sigah eval`'s defaults that are not config keys (the protocol's own: the
/// widths it evaluates).
const EVAL_NOT_CONFIG: [&str; 1] = ["--bits"];

#[test]
fn printed_defaults_are_read_across_lines() {
    let help = "  --a <N>  Text [default: 3]\n  --b <N>  Long text\n          more [default: x y]\n  --c  none\n";
    assert_eq!(printed_defaults(help), [("--a".to_string(), "3".to_string()), ("--b".to_string(), "x y".to_string())]);
}
