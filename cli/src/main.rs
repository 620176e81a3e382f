//! The `sigah` command line: thin glue over `sigah-core`. Raw arguments are clap
//! structs; each command validates them before any work starts. Errors print one
//! line and exit with code 2; a closed pipe (`sigah ... | head`) exits 0.

// `println!` panics when stdout is a closed pipe; every line goes through `outln!`.
#![deny(clippy::print_stdout)]

/// Writes one line to stdout and returns from the enclosing function with the
/// write's error (`println!` would panic on a closed pipe): `main` turns a
/// `BrokenPipe` anywhere in the error chain into a quiet exit 0, as ripgrep does.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod bench;
mod demo;
mod encode;
mod eval;
mod index_cmd;
mod info;
mod output;
mod search;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Learn compact binary codes for vectors (SiGAH) and search them by Hamming distance.
#[derive(Parser, Debug)]
#[command(name = "sigah", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Measure sigah's kernels (GEMM, Hamming search) on this machine.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Build, extend, shrink or describe a sigah index file (custom ids, add, remove by id).
    #[command(subcommand)]
    Index(index_cmd::IndexCommand),
    /// Exact k-NN or radius search of query codes in a codes file or a sigah index, by Hamming distance.
    Search(search::SearchArgs),
    /// Write codes as another engine's index (FAISS IndexBinaryFlat, Milvus bulk-insert files) or a sigah index.
    Export(search::ExportArgs),
    /// Evaluate hash methods on a dataset: mAP, precision/recall, P@r≤2 (docs/eval.md).
    Eval(eval::EvalArgs),
    /// The whole evaluation on the built-in MNIST sample; prints the table.
    Demo(demo::DemoArgs),
    /// Train a SiGAH model on a vector file and write the model file.
    Train(train::TrainArgs),
    /// Encode vectors into packed binary codes (uint8 .npy) with a trained model.
    Encode(encode::EncodeArgs),
    /// Describe a model file, a code file or a sigah index file.
    Info(info::InfoArgs),
}

/// Options every command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Worker threads (default: all cores; at most 4 × the cores, more are capped with a note).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bars or status lines.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

impl Common {
    /// Sets up the global rayon pool.
    pub fn apply(&self) -> anyhow::Result<()> {
        if let Some(n) = self.threads {
            anyhow::ensure!(n > 0, "--threads must be at least 1");
            // Past a few threads a core, more only cost memory and switching
            // (100000 threads ran a 0.1 s training for over a minute).
            let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
            let cap = 4 * cores;
            if n > cap && !self.quiet {
                eprintln!("sigah: --threads {n} capped at {cap} (4 x {cores} cores)");
            }
            rayon::ThreadPoolBuilder::new().num_threads(n.min(cap)).build_global()?;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    on_signal_remove_temp_files();
    let result = match cli.command {
        Command::Bench(cmd) => bench::run(cmd),
        Command::Index(cmd) => index_cmd::run(cmd),
        Command::Search(args) => search::run(args),
        Command::Export(args) => search::export(args),
        Command::Eval(args) => eval::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Train(args) => train::run(args),
        Command::Encode(args) => encode::run(args),
        Command::Info(args) => info::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("sigah: error: {}", one_line(&err));
            ExitCode::from(2)
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove every temp file of an unfinished atomic
/// write, then exit with 128 + the signal's number, as a shell reports a process
/// the signal killed (docs/ROBUSTNESS.md §2). Outputs already in place stay.
fn on_signal_remove_temp_files() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        // Without a handler the signal's default action applies: the process
        // still stops, and the next write to the path removes its temp file.
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            sigah_core::io::temp_files::remove_all_and_exit(128 + sig);
        }
    });
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(broken)
            || matches!(e.downcast_ref::<sigah_core::Error>(), Some(sigah_core::Error::Io { error, .. }) if broken(error))
    })
}

/// The error and its causes on one line. A cause whose text the line already
/// holds is skipped (an error that quotes its cause would otherwise print it twice),
/// and line breaks inside a message (some parsers quote the input) become spaces.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
