//! `sigah train`: fit a SiGAH model to a vector file and write the model file.
//!
//! The config is built in layers, then validated before any work starts: the
//! defaults (or the checkpoint's config with `--resume`), then `--config FILE`,
//! then the flags.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sigah_core::model::{
    checkpoint_config, load_training_vectors, EpochStats, SigahConfig, SigahModel, TrainObserver, TrainOptions,
};

use crate::output::check_output;
use crate::Common;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training vectors (.fvecs, .bvecs, .npy f32/u8, .csv).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Where to write the model (.safetensors).
    #[arg(long, value_name = "MODEL")]
    out: PathBuf,
    /// Code length in bits (a multiple of 8) [default: 64].
    #[arg(long)]
    bits: Option<usize>,
    /// Passes over the data [default: 20].
    #[arg(long)]
    epochs: Option<usize>,
    /// RNG seed for initialisation and shuffling [default: 42].
    #[arg(long)]
    seed: Option<u64>,
    /// Mini-batch size [default: 256].
    #[arg(long, value_name = "N")]
    batch_size: Option<usize>,
    /// A JSON or TOML file of hyper-parameters (keys as in the model file's config).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Append one JSON line of statistics per epoch to this file.
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

/// The validated config: base, then file, then flags.
fn build_config(args: &TrainArgs) -> anyhow::Result<SigahConfig> {
    let mut cfg = match (&args.config, &args.resume) {
        (Some(file), _) => {
            // A bad value in the file is named with the file, before flags apply.
            let cfg = SigahConfig::from_file(file)?;
            cfg.validate().with_context(|| file.display().to_string())?;
            cfg
        }
        (None, Some(ckpt)) => checkpoint_config(ckpt)?,
        (None, None) => SigahConfig::default(),
    };
    if let Some(b) = args.bits {
        cfg.bits = b;
    }
    if let Some(e) = args.epochs {
        cfg.epochs = e;
    }
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    if let Some(b) = args.batch_size {
        cfg.batch_size = b;
    }
    cfg.validate()?;
    Ok(cfg)
}

/// Progress bar on a terminal, JSON lines to `--log`.
struct CliObserver {
    bar: Option<ProgressBar>,
    log: Option<(PathBuf, String)>,
    /// When the current epoch started (the log records each epoch's seconds).
    epoch_start: Instant,
}

impl TrainObserver for CliObserver {
    fn start(&mut self, first_epoch: usize, epochs: usize, batches: usize) {
        self.epoch_start = Instant::now();
        if let Some(bar) = &self.bar {
            let done = (first_epoch.saturating_sub(1) * batches) as u64;
            bar.set_length((epochs * batches) as u64);
            bar.set_position(done);
        }
    }

    fn batch_done(&mut self, _epoch: usize, _batch: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn epoch_done(&mut self, s: &EpochStats) -> sigah_core::Result<()> {
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
        if let Some((path, text)) = &mut self.log {
            let mut line = serde_json::to_value(s).expect("stats serialise");
            line["seconds"] = self.epoch_start.elapsed().as_secs_f64().into();
            text.push_str(&line.to_string());
            text.push('\n');
            // The whole log is rewritten atomically: a crash never leaves half a line.
            sigah_core::io::write_atomic(path, |w| w.write_all(text.as_bytes()))?;
        }
        self.epoch_start = Instant::now();
        Ok(())
    }
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    let cfg = build_config(&args)?;
    let checkpoint_every = args.checkpoint_every.unwrap_or(0);
    let checkpoint =
        args.checkpoint.clone().or_else(|| (checkpoint_every > 0).then(|| args.out.with_extension("ckpt.safetensors")));
    anyhow::ensure!(cfg.epochs > 0, "epochs must be at least 1 (--epochs or the config file)");
    check_output(&args.out, "model")?;
    if let Some(path) = &checkpoint {
        check_output(path, "checkpoint")?;
    }
    if let Some(path) = &args.log {
        check_output(path, "training log")?;
    }
    let opts = TrainOptions { checkpoint, checkpoint_every, resume: args.resume.clone() };
    let data = load_training_vectors(&args.data)?;
    anyhow::ensure!(data.rows > 0, "{}: no vectors to train on", args.data.display());
    let log = match &args.log {
        // A resumed run continues the log of the run it resumes.
        Some(path) if args.resume.is_some() && path.exists() => {
            Some((path.clone(), std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?))
        }
        Some(path) => Some((path.clone(), String::new())),
        None => None,
    };
    let bar = (!args.common.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} batches {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar
    });
    let mut obs = CliObserver { bar, log, epoch_start: Instant::now() };
    let start = Instant::now();
    let model = SigahModel::train(&data, &cfg, &opts, &mut obs)?;
    if let Some(bar) = &obs.bar {
        bar.finish();
    }
    model.save(&args.out)?;
    if !args.common.quiet {
        eprintln!(
            "sigah: trained {} bits on {} x {} vectors in {:.1} s ({} epochs); wrote {}",
            model.bits(),
            data.rows,
            data.cols,
            start.elapsed().as_secs_f64(),
            model.summary.epochs,
            args.out.display()
        );
    }
    Ok(())
}
