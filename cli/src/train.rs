//! `sigah train`: fit a SiGAH model to a vector file and write the model file.
//!
//! The config is built in layers, then validated before any work starts: the
//! defaults (or the checkpoint's config with `--resume`), then `--config FILE`,
//! then `--preset`, then the flags.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sigah_core::io::checkpoint_config;
use sigah_core::model::{ConfigLayers, EpochStats, LossTerms, Preset, SigahConfig, SigahModel};
use sigah_core::train::{CheckpointOptions, TrainObserver};

use crate::output::check_output;
use crate::Common;

/// "TEXT [default: V]", the default read from [`SigahConfig::default`] so that
/// the help can never disagree with what training does.
pub fn with_default(text: &str, value: impl std::fmt::Display) -> String {
    format!("{text} [default: {value}]")
}

/// "TEXT (FORMATS)", the formats read from [`VECTOR_FORMATS`](sigah_core::io::vectors::VECTOR_FORMATS)
/// so that no help can name fewer formats than the loaders read.
pub fn with_formats(text: &str) -> String {
    format!("{text} ({})", sigah_core::io::vectors::vector_formats())
}

pub fn defaults() -> SigahConfig {
    SigahConfig::default()
}

/// `--preset`: one of [`Preset::ALL`] by name.
fn parse_preset(name: &str) -> Result<Preset, String> {
    Preset::from_name(name).map_err(|e| e.to_string())
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[arg(long, value_name = "FILE", help = with_formats("Training vectors"))]
    data: PathBuf,
    /// Where to write the model (.safetensors).
    #[arg(long, value_name = "MODEL")]
    out: PathBuf,
    #[arg(long, help = with_default("Code length in bits (a multiple of 8)", defaults().architecture.bits))]
    bits: Option<usize>,
    #[arg(long, help = with_default("Passes over the training sample, cut to reach --steps", defaults().training.epochs))]
    epochs: Option<usize>,
    #[arg(long, value_name = "N", help = with_default(
        "Train on a uniform sample of at most N vectors (0: all of them); the model still encodes any vector",
        defaults().training.train_size,
    ))]
    train_size: Option<usize>,
    #[arg(long, value_name = "N", help = with_default(
        "Stop after the fewest whole epochs that make N batches (0: run every epoch)",
        defaults().training.max_steps,
    ))]
    steps: Option<usize>,
    #[arg(long, help = with_default("RNG seed for the sample, initialisation and shuffling", defaults().training.seed))]
    seed: Option<u64>,
    #[arg(long, value_name = "N", help = with_default("Anchors per mini-batch", defaults().optimiser.batch_size))]
    batch_size: Option<usize>,
    /// A JSON or TOML file of hyper-parameters: keys in sections ([architecture],
    /// [optimiser], [loss], [neighbours], [training]) as the model file's config
    /// stores them, or flat keys as earlier builds wrote them.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// `full`: SiGAH as published, as the defaults or --config give it; `fast`:
    /// without the adversarial term (no discriminator): mAP within half a point
    /// of full on every held-out set, 1.2-1.4x less training time.
    #[arg(long, default_value = "full", value_parser = PossibleValuesParser::new(Preset::ALL.map(|(n, _)| n)).try_map(|n| parse_preset(&n)), conflicts_with = "resume")]
    preset: Preset,
    /// Append JSON lines to this file: a run header (version, command line, start
    /// time), then one per phase (its seconds), one per epoch
    /// (its statistics, every loss term by name under "terms", and its seconds).
    #[arg(long, value_name = "FILE.jsonl")]
    log: Option<PathBuf>,
    /// Write a checkpoint every N epochs.
    #[arg(long, value_name = "N")]
    checkpoint_every: Option<usize>,
    /// Checkpoint file [default: MODEL with extension .ckpt.safetensors].
    #[arg(long, value_name = "CKPT")]
    checkpoint: Option<PathBuf>,
    /// Continue training from a checkpoint (same data; only --epochs may change).
    #[arg(long, value_name = "CKPT")]
    resume: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

/// The validated config: base (the defaults, or the checkpoint's with
/// `--resume`), then file, then preset, then flags ([`ConfigLayers`]).
fn build_config(args: &TrainArgs) -> anyhow::Result<SigahConfig> {
    let base = match (&args.config, &args.resume) {
        (None, Some(ckpt)) => checkpoint_config(ckpt)?,
        _ => SigahConfig::default(),
    };
    let layers = ConfigLayers {
        file: args.config.as_deref(),
        preset: args.preset,
        bits: args.bits,
        epochs: args.epochs,
        train_size: args.train_size,
        steps: args.steps,
        seed: args.seed,
        batch_size: args.batch_size,
        ..ConfigLayers::default()
    };
    Ok(layers.build(base)?)
}

/// Progress bar on a terminal, JSON lines to `--log`.
struct CliObserver {
    bar: Option<ProgressBar>,
    quiet: bool,
    log: Option<(PathBuf, String)>,
    /// With `--resume`: where this run's lines start in the log text (at its header).
    resumed_at: Option<usize>,
    /// When the current epoch started (the log records each epoch's seconds).
    epoch_start: Instant,
}

impl CliObserver {
    /// Appends one JSON line to the log; the whole log is rewritten atomically,
    /// so a crash never leaves half a line.
    fn log_line(&mut self, line: serde_json::Value) -> sigah_core::Result<()> {
        if let Some((path, text)) = &mut self.log {
            text.push_str(&line.to_string());
            text.push('\n');
            sigah_core::io::write_atomic(path, |w| w.write_all(text.as_bytes()))?;
        }
        Ok(())
    }

    /// A phase's time: a status line, and a log line.
    fn report_phase(&mut self, name: &str, seconds: f64) -> sigah_core::Result<()> {
        if !self.quiet {
            let line = format!("sigah: {name}: {seconds:.1} s");
            match &self.bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
        self.log_line(serde_json::json!({ "phase": name, "seconds": seconds }))
    }
}

impl TrainObserver for CliObserver {
    fn phase(&mut self, name: &str, seconds: f64) {
        // A log that cannot be written fails the run at the next epoch anyway.
        let _ = self.report_phase(name, seconds);
    }

    fn start(&mut self, first_epoch: usize, epochs: usize, batches: usize) {
        self.epoch_start = Instant::now();
        if let (Some((_, text)), Some(at)) = (&mut self.log, self.resumed_at) {
            *text = drop_repeated_epochs(text, at, first_epoch);
        }
        if let Some(bar) = &self.bar {
            let done = (first_epoch.saturating_sub(1) * batches) as u64;
            bar.set_length((epochs * batches) as u64);
            bar.set_position(done);
            bar.reset_eta();
        }
    }

    fn batch_done(&mut self, _epoch: usize, _batch: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn epoch_done(&mut self, s: &EpochStats, terms: &LossTerms) -> sigah_core::Result<()> {
        if let Some(bar) = &self.bar {
            let f = |v: Option<f32>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
            bar.set_message(format!(
                "epoch {} L_D {} L_G {:.4} E(x) {} E(x~) {} mse {:.4} imbalance {:.3}",
                s.epoch,
                f(s.loss_d),
                s.loss_g,
                f(s.energy_real),
                f(s.energy_fake),
                s.recon_mse,
                s.bit_imbalance
            ));
        }
        let mut line = serde_json::to_value(s).expect("stats serialise");
        line["terms"] = serde_json::to_value(terms).expect("terms serialise");
        line["seconds"] = self.epoch_start.elapsed().as_secs_f64().into();
        self.log_line(line)?;
        self.epoch_start = Instant::now();
        Ok(())
    }
}

/// The checkpoint flags, and every output checked writable, before any work.
fn checkpoint_options(args: &TrainArgs) -> anyhow::Result<CheckpointOptions> {
    // 0 was silently read as "no checkpoints"; leaving the flag out says that.
    anyhow::ensure!(
        args.checkpoint_every != Some(0),
        "--checkpoint-every must be at least 1 (leave it out for no checkpoints)"
    );
    let checkpoint_every = args.checkpoint_every.unwrap_or(0);
    let checkpoint =
        args.checkpoint.clone().or_else(|| (checkpoint_every > 0).then(|| args.out.with_extension("ckpt.safetensors")));
    check_output(&args.out, "model")?;
    if let Some(path) = &checkpoint {
        check_output(path, "checkpoint")?;
    }
    if let Some(path) = &args.log {
        check_output(path, "training log")?;
    }
    Ok(CheckpointOptions { checkpoint, checkpoint_every, resume: args.resume.clone() })
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let cfg = build_config(&args)?;
    let opts = checkpoint_options(&args)?;
    let start = Instant::now();
    let data = sigah_core::io::load_data(&args.data)?;
    anyhow::ensure!(data.rows > 0, "{}: no vectors to train on", args.data.display());
    // The log is appended to, as its help says; each run starts with a header.
    let log = match &args.log {
        Some(path) if path.exists() => {
            Some((path.clone(), std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?))
        }
        Some(path) => Some((path.clone(), String::new())),
        None => None,
    };
    let resumed_at = log.as_ref().filter(|_| args.resume.is_some()).map(|(_, text)| text.len());
    let quiet = args.common.quiet;
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} batches, ETA {eta} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar
    });
    let mut obs = CliObserver { bar, quiet, log, resumed_at, epoch_start: Instant::now() };
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    obs.log_line(serde_json::json!({"run": {
        "sigah_version": env!("CARGO_PKG_VERSION"),
        "command_line": std::env::args().collect::<Vec<_>>(),
        "started_unix": started,
    }}))?;
    obs.report_phase("loading", start.elapsed().as_secs_f64())?;
    if !quiet {
        let plan = cfg.schedule(data.rows);
        eprintln!(
            "sigah: {} bits from {} of {} x {} vectors: {} epoch{} of {} batches ({} steps)",
            cfg.architecture.bits,
            plan.rows,
            data.rows,
            data.cols,
            plan.epochs,
            if plan.epochs == 1 { "" } else { "s" },
            plan.batches,
            plan.steps()
        );
    }
    let model = SigahModel::train(&data, &cfg, &opts, &mut obs)?;
    if let Some(bar) = &obs.bar {
        bar.finish_and_clear();
    }
    let clock = Instant::now();
    model.save(&args.out)?;
    obs.report_phase("writing", clock.elapsed().as_secs_f64())?;
    if !quiet {
        let epochs = model.summary.epochs;
        eprintln!(
            "sigah: trained {} bits on {} x {} vectors in {:.1} s ({epochs} epoch{}); wrote {}",
            model.bits(),
            data.rows,
            data.cols,
            start.elapsed().as_secs_f64(),
            if epochs == 1 { "" } else { "s" },
            args.out.display()
        );
    }
    Ok(())
}

/// The log without the epochs a resumed run is about to train again: an epoch
/// line at or after `first_epoch` of the run before `run_start` (the
/// interrupted run wrote it after its last checkpoint) is dropped, so no epoch
/// is listed twice.
fn drop_repeated_epochs(text: &str, run_start: usize, first_epoch: usize) -> String {
    let (before, this_run) = text.split_at(run_start.min(text.len()));
    // Only the run resumed from, the last one before this: older runs keep theirs.
    let last = before.rfind("{\"run\":").unwrap_or(0);
    let (older, before) = before.split_at(last);
    let repeated = |line: &str| {
        serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("epoch")?.as_u64())
            .is_some_and(|e| e as usize >= first_epoch)
    };
    let kept: String = before.lines().filter(|l| !repeated(l)).flat_map(|l| [l, "\n"]).collect();
    older.to_string() + &kept + this_run
}
