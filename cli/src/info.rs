//! `sigah info MODEL`: what a model file holds (bits, dimension, config, training
//! summary); for a `.npy` code file, its count and width.

use std::path::PathBuf;

use clap::Args;
use sigah_core::io::sniff::{self, Kind};
use sigah_core::io::FORMAT_VERSION;
use sigah_core::model::SigahModel;

use crate::Common;

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// A model file, a code file (.npy) or a sigah index file, known by its
    /// first bytes whatever its name.
    #[arg(value_name = "MODEL|CODES|INDEX")]
    file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: Common,
}

pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    // By content, not by name: a model file named `x.sigah` or codes named
    // `codes.bin` must not fail with a safetensors message.
    match sniff::of_file(&args.file)? {
        Kind::Npy => return codes_info(&args),
        Kind::SigahIndex => {
            return crate::index_cmd::info(crate::index_cmd::InfoArgs { index: args.file.clone(), verify: false })
        }
        Kind::Safetensors | Kind::Other => {}
        kind => anyhow::bail!(
            "{}: this is {}: sigah info describes models, codes (.npy) and sigah index files",
            args.file.display(),
            kind.describe()
        ),
    }
    let m = SigahModel::load(&args.file)?;
    let params: usize = m.gen.tensors.iter().chain(&m.disc.tensors).map(|t| t.len()).sum();
    if args.json {
        let v = serde_json::json!({
            "file": args.file.display().to_string(),
            "kind": "sigah-model",
            "format_version": FORMAT_VERSION,
            "bits": m.bits(),
            "d": m.dim(),
            "parameters": params,
            "preprocessing": {"scale": m.preprocess.scale, "projected_to": m.preprocess.proj.as_ref().map(|p| p.cols)},
            "config": m.config,
            "training": m.summary,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!("{}: SiGAH model (format version {FORMAT_VERSION})", args.file.display());
    outln!("bits: {}", m.bits());
    outln!("d: {}", m.dim());
    outln!("parameters: {params}");
    match &m.preprocess.proj {
        Some(p) => outln!(
            "preprocessing: subtract the training mean, project onto the top {} principal directions, divide by {}",
            p.cols,
            m.preprocess.scale
        ),
        None => outln!("preprocessing: subtract the training mean, divide by {}", m.preprocess.scale),
    }
    outln!("config: {}", serde_json::to_string(&m.config)?);
    outln!("training: {}", serde_json::to_string(&m.summary)?);
    Ok(())
}

fn codes_info(args: &InfoArgs) -> anyhow::Result<()> {
    // The same loader search uses (mapped, so O(1) for every width): info
    // accepts exactly the code files the other commands accept.
    let codes = sigah_core::Codes::open_npy(&args.file)?;
    let (n, bits) = (codes.len(), codes.bits());
    if args.json {
        let v = serde_json::json!({"file": args.file.display().to_string(), "kind": "codes", "codes": n, "bits": bits});
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        outln!("{}: {n} codes of {bits} bits (uint8 [{n}, {}])", args.file.display(), bits / 8);
    }
    Ok(())
}
