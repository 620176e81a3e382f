#!/usr/bin/env bash
# Multi-index hashing (sigah's automatic engine) against sigah's scan and FAISS
# IndexBinaryFlat on the same codes, one thread: `sigah bench mih` times the scan
# and the automatic engine alternately (medians) and checks their results equal,
# then FAISS runs on the very codes it saved and its distances are compared with
# sigah's. One (codes, n, bits) per call, so each run stays short on a shared host.
#
#   bash benches/reference/mih_vs_faiss.sh --n 10000000 --bits 64 [--k 1,10,100] [--nq 1000]
#        [--codes BASE.npy --query-codes Q.npy]   # real codes, replicated to n with 3 bit flips per copy
#        [--faiss-reps 1]
#
# Needs the Python peers (benches/reference/setup.sh); run it under the host's
# timing lock (docs/PERFORMANCE.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=1000000 bits=64 k=1,10,100 nq=1000 codes="" qcodes="" reps=1
while [ $# -gt 0 ]; do
  case "$1" in
    --n) n=$2; shift 2 ;;
    --bits) bits=$2; shift 2 ;;
    --k) k=$2; shift 2 ;;
    --nq) nq=$2; shift 2 ;;
    --codes) codes=$2; shift 2 ;;
    --query-codes) qcodes=$2; shift 2 ;;
    --faiss-reps) reps=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
py=${SIGAH_PYTHON:-$(bash "$root/benches/reference/setup.sh")}
sigah=${SIGAH_BIN:-$root/target/release/sigah}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=(--n "$n" --bits "$bits")
[ -n "$codes" ] && src+=(--codes "$codes" --query-codes "$qcodes")
"$sigah" bench mih "${src[@]}" --queries "$nq" --k "$k" --threads 1 --seconds 1 --json \
  --save-codes "$work/c" --save-dist "$work/sigah" >"$work/mih.jsonl"
"$py" "$root/benches/reference/faiss_knn.py" --base "$work/c.base.npy" --queries "$work/c.queries.npy" \
  --k ${k//,/ } --threads 1 --reps "$reps" --save-dist "$work/faiss" --json >"$work/faiss.jsonl"
"$py" - "$work" <<'PY'
import json, sys, numpy as np
work = sys.argv[1]
mih = [json.loads(l) for l in open(f"{work}/mih.jsonl")]
faiss = {r["k"]: r for r in map(json.loads, open(f"{work}/faiss.jsonl"))}
ok = True
print("| codes | n | bits | k | m | FAISS q/s | scan q/s | auto q/s | auto/scan | auto/FAISS | by the tables | tables B/code | codes B/code | distances |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r in mih:
    k = r["k"]
    f = faiss[k]
    a, b = np.load(f"{work}/sigah.k{k}.dist.npy"), np.load(f"{work}/faiss.k{k}.dist.npy")
    eq = a.shape == b.shape and bool((a == b).all())
    ok &= eq
    print(f"| {r['codes']} | {r['n'] / 1e6:g}M | {r['bits']} | {k} | {r['m']} | {f['queries_per_s']:.0f} | {r['scan_qps']:.0f} | "
          f"{r['auto_qps']:.0f} | {r['speedup']:.2f} | {r['auto_qps'] / f['queries_per_s']:.1f} | {r['mih_answered']}/{r['queries']} | "
          f"{r['table_bytes_per_code']:.1f} | {r['code_bytes_per_code']} | {'equal' if eq else 'DIFFER'} |")
sys.exit(0 if ok else 1)
PY
