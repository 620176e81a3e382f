#!/usr/bin/env bash
# Runs every fuzz target (or those named in TARGETS) for SECONDS each (default
# 60) and prints the executions per target. Stable Rust: --sanitizer none. Set
# ASAN=1 to add AddressSanitizer (RUSTC_BOOTSTRAP=1 lets the stable compiler
# take the sanitizer flag).
#   bash fuzz/run.sh 600                          # 10 minutes per target
#   TARGETS="codes_npy index_file" ASAN=1 bash fuzz/run.sh 600
#   RUNS=1100000 bash fuzz/run.sh                 # stop each target after that many executions
# Runs under `nice -n 19`, one target at a time (one libFuzzer job): the machine's
# other builds and tests come first.
#
# Memory: each target asserts its own per-input bound (fuzz_targets/common,
# 16 bytes per input byte + 1 MiB); -malloc_limit_mb=256 stops any single
# allocation above that outright (inputs are at most -max_len=65536 bytes, so a
# legitimate load never needs it) and -rss_limit_mb=1024 is the process backstop.
# New inputs go to corpus/TARGET; seeds/TARGET holds the committed valid files.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if [ "${ASAN:-0}" = 1 ]; then
  san=(); export RUSTC_BOOTSTRAP=1; tag=asan
else
  san=(--sanitizer none); tag=none
fi
mkdir -p logs
# codes_npy, index_file and training_vectors write a file per input (with
# fsync): in memory (tmpfs) that costs nothing, on a shared disk it made them
# 10-50 times slower.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ]; then export TMPDIR=/dev/shm; fi
# -runs stops at an execution count; then the time limit is only a backstop.
limit=(-max_total_time="$seconds")
if [ -n "${RUNS:-}" ]; then limit=(-runs="$RUNS" -max_total_time=3600); fi
for target in ${TARGETS:-$(cargo fuzz list)}; do
  mkdir -p "corpus/$target" "seeds/$target"
  echo "== $target (${seconds}s, sanitizer $tag)"
  log="logs/$target.$tag.log"
  # gzip expands up to 1032:1 and u8 -> f32 is 4 more: a 16 KiB input keeps
  # its legitimate worst case (~130 MB) under -malloc_limit_mb.
  maxlen=65536; [ "$target" = gzip ] && maxlen=16384
  nice -n 19 cargo fuzz run "${san[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    "${limit[@]}" -max_len=$maxlen -rss_limit_mb=1024 -malloc_limit_mb=256 -print_final_stats=1 \
    >"$log" 2>&1 || { echo "FAILED: see fuzz/$log and fuzz/artifacts/$target/"; tail -20 "$log"; exit 1; }
  grep -E '^Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb' "$log" || tail -2 "$log"
done
