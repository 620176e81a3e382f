#!/usr/bin/env python3
"""Side-by-side training speed: one epoch of `sigah train` vs the same model in
PyTorch (torch_train.py) on the same 60,000 x 784 random vectors, 64 bits, batch
256, at 1 and 2 threads. The two run alternately in one session (the machine's
noise hits both), `--repeats` times each; medians and ratios are printed.

sigah's time is the epoch's seconds from its `--log` (the training loop, as for
PyTorch); its peak RSS (from /usr/bin/time -v when present) is reported beside the
size of the training data.

    python3 benches/reference/train_compare.py --sigah target/release/sigah [--repeats 3]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sigah", required=True)
    p.add_argument("--n", type=int, default=60000)
    p.add_argument("--d", type=int, default=784)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--data", help="reuse this .npy instead of generating one")
    a = p.parse_args()
    import numpy as np

    tmp = tempfile.mkdtemp(prefix="sigah_train_cmp_")
    # The base architecture (docs/METHOD.md, "The model", not in bold) that torch_train.py builds: without the input
    # projection, the linear skip path, its ITQ start and the neighbour terms the
    # defaults add (docs/METHOD.md), so both tools train the same model.
    design = os.path.join(tmp, "design.json")
    with open(design, "w") as f:
        json.dump({"input_pca": 0, "skip": False, "itq_init": False, "lambda_pair": 0.0, "knn_pairs": 0,
                   "lambda_rank": 0.0, "lambda_list": 0.0}, f)
    data = a.data or os.path.join(tmp, "rand.npy")
    if not a.data:
        np.save(data, np.random.default_rng(0).standard_normal((a.n, a.d), dtype=np.float32))
    data_mib = os.path.getsize(data) / 2**20
    has_time = os.path.exists("/usr/bin/time")
    rows = []
    for threads in [int(t) for t in a.threads.split(",")]:
        ours, theirs, rss = [], [], []
        for _ in range(a.repeats):
            log = os.path.join(tmp, "log.jsonl")
            cmd = [a.sigah, "train", "--data", data, "--config", design, "--epochs", "1", "--threads", str(threads), "--quiet",
                   "--log", log, "--out", os.path.join(tmp, "m.safetensors")]
            if has_time:
                cmd = ["/usr/bin/time", "-v"] + cmd
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"sigah failed: {r.stderr}")
            # The epoch's line (the log also has one line per phase).
            epochs = [json.loads(line) for line in open(log).read().splitlines()]
            ours.append([e for e in epochs if "epoch" in e][-1]["seconds"])
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
            if m:
                rss.append(int(m.group(1)) / 1024)
            r = subprocess.run([sys.executable, os.path.join(HERE, "torch_train.py"), "--data", data,
                                "--threads", str(threads), "--json"], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"torch_train.py failed: {r.stderr}")
            theirs.append(json.loads(r.stdout)["median_epoch_s"])
        o, t = statistics.median(ours), statistics.median(theirs)
        rows.append({"threads": threads, "sigah_s": o, "pytorch_s": t, "pytorch_over_sigah": t / o,
                     "sigah_runs": ours, "pytorch_runs": theirs,
                     "sigah_peak_rss_mib": max(rss) if rss else None, "data_mib": data_mib})
        print(f"{threads} thread(s): sigah {o:.2f} s/epoch, pytorch {t:.2f} s/epoch, "
              f"pytorch/sigah = {t / o:.2f}" + (f"; sigah peak RSS {max(rss):.0f} MiB (data {data_mib:.0f} MiB)" if rss else ""))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
