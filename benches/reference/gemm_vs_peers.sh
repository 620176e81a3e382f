#!/usr/bin/env bash
# sigah's GEMM against OpenBLAS (numpy.matmul, float32) on the training shapes, one
# thread each, measured back to back in one go (shape by shape, alternating, for
# several rounds) so that load from other processes hits both alike; plus sigah on
# 2 threads against itself on 1 thread for 1024^3. Prints a table of median GFLOP/s
# and ratios.
#
#   bash benches/reference/gemm_vs_peers.sh [rounds=3] [seconds-per-measurement=1]
#   SHAPES="256x960x1024 4096x128x64" bash benches/reference/gemm_vs_peers.sh 9 0.3
#
# Python: $SIGAH_PYTHON if set, else the venv made by benches/reference/setup.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
seconds=${2:-1}
py=${SIGAH_PYTHON:-}
if [ -z "$py" ]; then py=$(bash "$root/benches/reference/setup.sh"); fi

(cd "$root" && cargo build --release -q -p sigah-cli)
sigah="$root/target/release/sigah"
shapes=${SHAPES:-"256x784x512 256x512x784 256x960x1024 1024x1024x1024 4096x128x64"}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for round in $(seq "$rounds"); do
  echo "round $round/$rounds" >&2
  for shape in $shapes; do
    IFS=x read -r m k n <<<"$shape"
    "$sigah" bench gemm --m "$m" --k "$k" --n "$n" --seconds "$seconds" --threads 1 --json >>"$out"
    "$py" "$root/benches/reference/numpy_gemm.py" --threads 1 --seconds "$seconds" "$shape" >>"$out"
  done
  # Thread scaling: 1 and 2 threads back to back, tagged apart from the table rows.
  for t in 1 2; do
    "$sigah" bench gemm --m 1024 --k 1024 --n 1024 --seconds "$seconds" --threads "$t" --json |
      sed 's/^{/{"scaling":true,/' >>"$out"
  done
done

"$py" - "$out" <<'PYEOF'
import json, statistics, sys
everything = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
rows = [r for r in everything if not r.get("scaling")]
scaling = [r for r in everything if r.get("scaling")]
def med(who, m, k, n, threads):
    vals = [r["gflops"] for r in rows
            if (r.get("peer") == "numpy") == (who == "numpy")
            and (r["m"], r["k"], r["n"], r["threads"]) == (m, k, n, threads)]
    return statistics.median(vals) if vals else float("nan")
isa = next(r["isa"] for r in rows if "isa" in r)
print(f"GEMM, 1 thread, median GFLOP/s over rounds (sigah isa: {isa})")
print(f"{'M x K x N':>16} {'sigah':>8} {'numpy':>8} {'sigah/numpy':>12}")
for m, k, n in dict.fromkeys((r["m"], r["k"], r["n"]) for r in rows if r["threads"] == 1):
    s, p = med("sigah", m, k, n, 1), med("numpy", m, k, n, 1)
    print(f"{f'{m}x{k}x{n}':>16} {s:8.1f} {p:8.1f} {s / p:12.2f}")
one = statistics.median(r["gflops"] for r in scaling if r["threads"] == 1)
two = statistics.median(r["gflops"] for r in scaling if r["threads"] == 2)
print(f"sigah 1024^3: 1 thread {one:.1f}, 2 threads {two:.1f} GFLOP/s, speed-up {two / one:.2f}x")
PYEOF
