"""Independent ITQ on data/mnist5k in numpy (float64), as a cross-check of sigah's
ITQ and metrics: same protocol (train on the base set, Hamming ranking of the whole
base set with ties by base index, mAP over the full ranking), Gong & Lazebnik's
algorithm as in their code (PCA by eigh of the covariance, random orthogonal start,
50 Procrustes updates R = S Ŝᵀ from svd(Vᵀ B)).

Usage: python itq_mnist5k.py [repo_root] [seeds]   (prints one line per seed/bits)
Compare with: sigah demo --methods itq --bits 32,64 --seed N

       python itq_mnist5k.py repo_root codes DIR METHOD BITS
scores codes written by `sigah demo --save-codes DIR` with this file's mAP, to
cross-check sigah's metrics on identical codes.
"""
import sys
import numpy as np

root = sys.argv[1] if len(sys.argv) > 1 else "."
codes_mode = len(sys.argv) > 2 and sys.argv[2] == "codes"
seeds = 0 if codes_mode else int(sys.argv[2]) if len(sys.argv) > 2 else 8


def texmex(path, dtype):
    raw = np.fromfile(path, dtype=np.uint8)
    d = int(raw[:4].view("<i4")[0])
    item = np.dtype(dtype).itemsize
    rows = raw.reshape(-1, 4 + d * item)[:, 4:]
    return rows.copy().view(dtype).reshape(len(rows), d)


base = texmex(f"{root}/data/mnist5k/base.bvecs", np.uint8).astype(np.float64)
query = texmex(f"{root}/data/mnist5k/query.bvecs", np.uint8).astype(np.float64)
bl = texmex(f"{root}/data/mnist5k/base_labels.ivecs", "<i4")[:, 0]
ql = texmex(f"{root}/data/mnist5k/query_labels.ivecs", "<i4")[:, 0]
gt = texmex(f"{root}/data/mnist5k/gt.ivecs", "<i4")

mean = base.mean(0)
xc = base - mean
evals, evecs = np.linalg.eigh(xc.T @ xc / len(xc))
order = np.argsort(-evals, kind="stable")


def itq(v, seed, iters=50):
    rng = np.random.default_rng(seed)
    r = np.linalg.svd(rng.standard_normal((v.shape[1], v.shape[1])))[0]
    for _ in range(iters):
        b = np.where(v @ r > 0, 1.0, -1.0)
        s, _, sh_t = np.linalg.svd(v.T @ b)
        r = s @ sh_t
    return r


def mean_ap(bc, qc, relevant):
    aps = []
    for q in range(len(qc)):
        dist = (bc != qc[q]).sum(1)
        rank = np.argsort(dist, kind="stable")
        rel = relevant(q)[rank]
        hits = np.cumsum(rel)
        n = rel.sum()
        aps.append(((hits / np.arange(1, len(rel) + 1)) * rel).sum() / n if n else 0.0)
    return float(np.mean(aps))


for seed in range(seeds):
    for bits in (32, 64):
        p = evecs[:, order[:bits]]
        r = itq(xc @ p, seed)
        w = p @ r
        bc, qc = (xc @ w) > 0, ((query - mean) @ w) > 0
        lab = mean_ap(bc, qc, lambda q: bl == ql[q])
        marks = np.zeros((len(query), len(base)), bool)
        marks[np.arange(len(query))[:, None], gt] = True
        l2 = mean_ap(bc, qc, lambda q: marks[q])
        print(f"seed {seed} bits {bits} label {lab:.4f} l2top100 {l2:.4f}", flush=True)

if codes_mode:
    folder, method, bits = sys.argv[3], sys.argv[4], int(sys.argv[5])
    # Bit j of a code is (byte[j/8] >> (j%8)) & 1: numpy's little bit order.
    unpack = lambda f: np.unpackbits(np.load(f"{folder}/{method}_{bits}_{f}.npy"), axis=1, bitorder="little")
    bc, qc = unpack("base").astype(bool), unpack("query").astype(bool)
    marks = np.zeros((len(query), len(base)), bool)
    marks[np.arange(len(query))[:, None], gt] = True
    lab = mean_ap(bc, qc, lambda q: bl == ql[q])
    l2 = mean_ap(bc, qc, lambda q: marks[q])
    print(f"{method} bits {bits} label {lab:.6f} l2top100 {l2:.6f}")
