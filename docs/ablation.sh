#!/usr/bin/env bash
# The ablation of docs/RESULTS.md, "Three seeds, ablations and the largest set": full SiGAH, SiGAH without the
# adversarial term, SiGAH with a linear decoder instead of the compressed-sensing
# one, ITQ, PCAH and LSH on mnist5k, label and Euclidean top-100 relevance, at
# 16/32/64/128 bits, seeds 0, 1, 2; then the mean ± spread table and the
# per-seed bit-balance check (every bit's mean over the base set in [0.1, 0.9]).
#
# usage: docs/ablation.sh [OUT_DIR]   (default target/ablation; needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/ablation}
mkdir -p "$out"
cargo build --release -q -p sigah-cli
D=data/mnist5k
for seed in 0 1 2; do
    ./target/release/sigah eval --quiet --seed "$seed" \
        --base $D/base.bvecs --queries $D/query.bvecs \
        --base-labels $D/base_labels.ivecs --query-labels $D/query_labels.ivecs --gt $D/gt.ivecs \
        --methods sigah,sigah-noadv,sigah-linear,itq,pcah,lsh --bits 16,32,64,128 \
        --report "$out/seed$seed.json" --save-codes "$out/codes$seed" > "$out/seed$seed.md"
done
python3 docs/ablation_table.py "$out"
