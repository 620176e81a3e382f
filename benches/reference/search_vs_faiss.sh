#!/usr/bin/env bash
# sigah's exact Hamming k-NN against FAISS IndexBinaryFlat, side by side on the
# same random codes (docs/PERFORMANCE.md, "Exact k-NN search vs FAISS"): 1,000,000 codes, 1,000 queries,
# k = 10 and 100, 64/128/256 bits, 1 and 2 threads. For every cell FAISS runs and
# then sigah, back to back (the machine is shared: ratios from the same minute are
# what is comparable), and sigah's distances are checked to equal FAISS's exactly.
#
#   bash benches/reference/search_vs_faiss.sh [--n N] [--nq Q] [--bits "64 128 256"] [--k "10 100"] [--threads "1 2"]
#
# Needs the Python peers (benches/reference/setup.sh) and builds sigah in release.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=1000000 nq=1000 bits_list="64 128 256" k_list="10 100" threads_list="1 2"
while [ $# -gt 0 ]; do
  case "$1" in
    --n) n=$2; shift 2 ;;
    --nq) nq=$2; shift 2 ;;
    --bits) bits_list=$2; shift 2 ;;
    --k) k_list=$2; shift 2 ;;
    --threads) threads_list=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
py=${SIGAH_PYTHON:-$(bash "$root/benches/reference/setup.sh")}
(cd "$root" && cargo build --release -q -p sigah-cli)
sigah="$root/target/release/sigah"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results="$work/results.jsonl"

for bits in $bits_list; do
  "$py" - "$work" "$n" "$nq" "$bits" <<'PY'
import sys, numpy as np
work, n, nq, bits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(bits)
np.save(f"{work}/base{bits}.npy", rng.integers(0, 256, (n, bits // 8), dtype=np.uint8))
np.save(f"{work}/q{bits}.npy", rng.integers(0, 256, (nq, bits // 8), dtype=np.uint8))
PY
  base="$work/base$bits.npy" q="$work/q$bits.npy"
  for threads in $threads_list; do
    for k in $k_list; do
      "$py" "$root/benches/reference/faiss_knn.py" --base "$base" --queries "$q" --k "$k" --threads "$threads" \
        --save-dist "$work/faiss$bits.t$threads" --json >>"$results"
      "$sigah" bench search --base "$base" --query-file "$q" --k "$k" --threads "$threads" --seconds 0 \
        --selected-only --json | "$py" -c 'import json,sys; r=json.load(sys.stdin); b=r["results"][0]; print(json.dumps({"engine":"sigah","bits":r["bits"],"k":r["k"],"threads":r["threads"],"queries_per_s":b["queries_per_s"],"path":b["path"]}))' >>"$results"
      "$sigah" search --index "$base" --queries "$q" --k "$k" --threads "$threads" --out "$work/sigah$bits.t$threads.k$k" --quiet
      "$py" - "$work/faiss$bits.t$threads.k$k.dist.npy" "$work/sigah$bits.t$threads.k$k.dist.npy" "$bits" "$k" "$threads" >>"$results" <<'PY'
import json, sys, numpy as np
f, s = np.load(sys.argv[1]), np.load(sys.argv[2])
print(json.dumps({"engine": "check", "bits": int(sys.argv[3]), "k": int(sys.argv[4]), "threads": int(sys.argv[5]),
                  "equal": bool(f.shape == s.shape and (f == s).all())}))
PY
    done
  done
done

"$py" - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cells = {}
for r in rows:
    cells.setdefault((r["bits"], r["k"], r["threads"]), {})[r["engine"]] = r
print(f"{'bits':>5} {'k':>4} {'thr':>3} {'faiss q/s':>10} {'sigah q/s':>10} {'ratio':>6}  distances  sigah path")
ok = True
for (bits, k, t), c in sorted(cells.items()):
    f, s, chk = c["faiss"]["queries_per_s"], c["sigah"]["queries_per_s"], c["check"]["equal"]
    ok &= chk
    print(f"{bits:>5} {k:>4} {t:>3} {f:>10.0f} {s:>10.0f} {s / f:>6.2f}  {'equal' if chk else 'DIFFER':<9}  {c['sigah']['path']}")
sys.exit(0 if ok else 1)
PY
