#!/usr/bin/env bash
# The autodiff MLP training step (256x784 -> 512 -> 64, forward + backward) in
# sigah and in PyTorch on CPU, at 1 and 2 threads, measured alternately in one go
# (several rounds, so load from other processes hits both alike). Prints the
# median step time of each and the ratio torch/sigah (> 1: sigah is faster).
#
#   bash benches/reference/autodiff_vs_torch.sh [rounds=3] [runs-per-measurement=100]
#
# Python: $SIGAH_PYTHON if set, else the venv made by benches/reference/setup.sh --torch.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
runs=${2:-100}
py=${SIGAH_PYTHON:-}
if [ -z "$py" ]; then py=$(bash "$root/benches/reference/setup.sh" --torch); fi

(cd "$root" && cargo build --release -q -p sigah-benches --example autodiff_step)
sigah="${CARGO_TARGET_DIR:-$root/target}/release/examples/autodiff_step"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for round in $(seq "$rounds"); do
  echo "round $round/$rounds" >&2
  for t in 1 2; do
    "$sigah" "$t" "$runs" >>"$out"
    "$py" "$root/benches/reference/autodiff_step.py" --threads "$t" --runs "$runs" >>"$out"
  done
done

"$py" - "$out" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| threads | sigah ms (median of rounds) | torch ms | torch/sigah |")
print("|---|---|---|---|")
for t in (1, 2):
    s = statistics.median(r["median_ms"] for r in rows if r["threads"] == t and r["impl"] == "sigah")
    p = statistics.median(r["median_ms"] for r in rows if r["threads"] == t and r["impl"] != "sigah")
    print(f"| {t} | {s:.3f} | {p:.3f} | {p / s:.2f} |")
isa = next(r["isa"] for r in rows if r["impl"] == "sigah")
torch = next(r["impl"] for r in rows if r["impl"] != "sigah")
print(f"\nsigah ISA: {isa}; peer: {torch}; per-round medians of {len(rows) // 4} rounds")
PYEOF
