#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) and prints the executions per
# target. Stable Rust: --sanitizer none. Set ASAN=1 to add AddressSanitizer
# (RUSTC_BOOTSTRAP=1 lets the stable compiler take the sanitizer flag).
#   bash fuzz/run.sh 600            # 10 minutes per target
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if [ "${ASAN:-0}" = 1 ]; then
  san=(); export RUSTC_BOOTSTRAP=1
else
  san=(--sanitizer none)
fi
mkdir -p logs
for target in $(cargo fuzz list); do
  mkdir -p "corpus/$target"
  echo "== $target (${seconds}s)"
  cargo fuzz run "${san[@]}" "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    >"logs/$target.log" 2>&1 || { echo "FAILED: see fuzz/logs/$target.log and fuzz/artifacts/$target/"; tail -20 "logs/$target.log"; exit 1; }
  grep -E '^Done [0-9]+ runs' "logs/$target.log" || tail -2 "logs/$target.log"
done
