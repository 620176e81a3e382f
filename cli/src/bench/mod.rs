//! `sigah bench`: quick on-machine measurements of the kernels, for users who want
//! to know what their CPU does (the criterion suite in `benches/` is the real
//! benchmark with peers side by side). One file per benchmark; what they share
//! (timing, sizes, random codes) is `common.rs`, below all of them.

mod common;
mod gemm;
mod mih;
mod search;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// GFLOP/s of sigah's GEMM on an M×K by K×N product, and the ISA it chose.
    Gemm(gemm::GemmArgs),
    /// k-NN queries/s and comparisons/s of the Hamming index, per instruction set.
    Search(search::SearchBenchArgs),
    /// Multi-index hashing against the scan on uniform or real-vector codes.
    Mih(mih::MihBenchArgs),
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Gemm(args) => gemm::run(args),
        BenchCommand::Search(args) => search::run(args),
        BenchCommand::Mih(args) => mih::run(args),
    }
}
