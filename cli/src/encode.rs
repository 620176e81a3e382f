//! `sigah encode`: hash a vector file with a trained model into a uint8 `.npy` of
//! shape `[n, bits/8]` (bit j of a code is `(byte[j/8] >> (j%8)) & 1`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use sigah_core::io::sniff::{self, Kind};
use sigah_core::model::SigahModel;

use crate::Common;

#[derive(Args, Debug)]
pub struct EncodeArgs {
    /// A model file written by `sigah train`.
    #[arg(long, value_name = "MODEL")]
    model: PathBuf,
    #[arg(long, value_name = "FILE", help = crate::train::with_formats("Vectors to encode"))]
    data: PathBuf,
    /// Output codes (.npy, uint8 [n, bits/8]); `-` writes them to standard output.
    #[arg(long, value_name = "CODES.npy")]
    out: PathBuf,
    #[command(flatten)]
    common: Common,
}

pub fn run(args: EncodeArgs) -> anyhow::Result<()> {
    args.common.apply()?;
    crate::output::check_output(&args.out, "codes")?;
    let (model, data) = load_model_and_vectors(&args.model, &args.data)?;
    let start = Instant::now();
    let codes = model.encode(&data)?;
    let secs = start.elapsed().as_secs_f64();
    codes.write_npy(&args.out)?;
    if !args.common.quiet {
        eprintln!(
            "sigah: encoded {} vectors into {}-bit codes in {:.3} s ({:.0} vectors/s); wrote {}",
            codes.len(),
            codes.bits(),
            secs,
            codes.len() as f64 / secs.max(1e-9),
            args.out.display()
        );
    }
    Ok(())
}

/// Loads a model and a vector file and checks that their dimensions agree
/// (shared by `sigah encode` and `sigah search --model`).
pub fn load_model_and_vectors(model_path: &Path, data_path: &Path) -> anyhow::Result<(SigahModel, sigah_core::Tensor)> {
    sniff::expect(model_path, Kind::Safetensors, "a sigah model")?;
    let model = SigahModel::load(model_path)?;
    let data = sigah_core::io::load_data(data_path)?;
    anyhow::ensure!(
        data.cols == model.dim(),
        "{}: vectors have dimension {}, but the model {} expects dimension {}",
        data_path.display(),
        data.cols,
        model_path.display(),
        model.dim()
    );
    Ok((model, data))
}
