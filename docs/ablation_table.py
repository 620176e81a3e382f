"""Aggregates docs/ablation.sh's per-seed eval reports into the RESULTS.md tables:
mAP mean ± spread (half the range max − min) over the seeds, per relevance,
method and width; then the bit balance of every saved base code set.

usage: python3 docs/ablation_table.py OUT_DIR   (plain python3, no numpy)
"""
import ast
import glob
import json
import os
import statistics
import sys

METHODS = ["sigah", "sigah-noadv", "sigah-linear", "itq", "pcah", "lsh"]
NAMES = {
    "sigah": "SiGAH (full)",
    "sigah-noadv": "SiGAH without adversarial term",
    "sigah-linear": "SiGAH with linear decoder (no CS)",
    "itq": "ITQ",
    "pcah": "PCAH",
    "lsh": "LSH",
}


def load_rows(out):
    rows = {}
    for path in sorted(glob.glob(os.path.join(out, "seed*.json"))):
        seed = int(os.path.basename(path)[4:-5])
        with open(path) as f:
            for r in json.load(f)["results"]:
                key = (r["relevance"], r["method"], r["bits"])
                rows.setdefault(key, {})[seed] = r
    return rows


def table(rows, relevance, field, scale=100.0):
    bits = sorted({b for (rel, _, b) in rows if rel == relevance})
    lines = ["| method | " + " | ".join(f"{b} bits" for b in bits) + " |",
             "|---|" + "---:|" * len(bits)]
    for m in METHODS:
        cells = []
        for b in bits:
            per = rows.get((relevance, m, b))
            if not per:
                cells.append("–")
                continue
            v = [per[s][field] * scale for s in sorted(per)]
            spread = (max(v) - min(v)) / 2
            cells.append(f"{statistics.mean(v):.2f} ± {spread:.2f}")
        lines.append(f"| {NAMES[m]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bit_means(path):
    """Fraction of ones of every bit of a uint8 [n, bits/8] .npy code file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    hlen = int.from_bytes(data[8:10], "little") if data[6] == 1 else int.from_bytes(data[8:12], "little")
    start = 10 + hlen if data[6] == 1 else 12 + hlen
    header = ast.literal_eval(data[start - hlen:start].decode("latin1"))
    n, nbytes = header["shape"]
    body = data[start:]
    ones = [0] * (8 * nbytes)
    for i in range(n):
        row = body[i * nbytes:(i + 1) * nbytes]
        for j in range(8 * nbytes):
            ones[j] += (row[j // 8] >> (j % 8)) & 1
    return [o / n for o in ones]


def balance(out):
    lines = ["| method | bits | seed | min bit mean | max bit mean | all in [0.1, 0.9] |",
             "|---|---:|---:|---:|---:|---|"]
    ok_all = True
    for m in ["sigah", "sigah-noadv", "sigah-linear"]:
        for b in [16, 32, 64, 128]:
            for seed in (0, 1, 2):
                p = os.path.join(out, f"codes{seed}", f"{m}_{b}_base.npy")
                if not os.path.exists(p):
                    continue
                means = bit_means(p)
                ok = all(0.1 <= v <= 0.9 for v in means)
                ok_all &= ok
                lines.append(f"| {m} | {b} | {seed} | {min(means):.3f} | {max(means):.3f} | {'yes' if ok else 'NO'} |")
    return "\n".join(lines), ok_all


def main():
    out = sys.argv[1]
    rows = load_rows(out)
    for rel, title in [("label", "label relevance"), ("l2top100", "Euclidean top-100 relevance")]:
        print(f"### mAP (%), {title}, mean ± half-range over seeds 0, 1, 2\n")
        print(table(rows, rel, "map"))
        print()
    print("### Training time (s, mean over seeds)\n")
    print(table(rows, "label", "train_s", scale=1.0))
    print()
    text, ok = balance(out)
    print("### Bit balance on the base set (every bit's mean must be in [0.1, 0.9])\n")
    print(text)
    print(f"\nAll SiGAH code sets balanced: {'yes' if ok else 'NO'}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
