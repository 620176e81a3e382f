"""PyTorch peer of benches/benches/autodiff.rs: one training step (forward,
backward) of the same 256x784 -> 512 -> 64 MLP, loss mean((relu(X W1^T + c1) W2^T
+ c2 - T)^2), X and T constants, on CPU with a fixed thread count. Prints one
JSON line, like `cargo run --example autodiff_step`: the median step time (ms)
and the GFLOP/s in the bench's FLOP count. The inputs are uniform in [-0.5, 0.5)
and the weights Xavier-uniform, as in sigah_benches::mlp (not the same draws:
dense GEMM time does not depend on the values).

    python benches/reference/autodiff_step.py [--threads 1] [--runs 100]
"""
import argparse
import json
import statistics
import time

import torch

B, D, H, K = 256, 784, 512, 64


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(B, D, generator=g) - 0.5
    t = torch.rand(B, K, generator=g) - 0.5
    w1 = ((torch.rand(H, D, generator=g) - 0.5) * 2 * (6 / (D + H)) ** 0.5).requires_grad_()
    c1 = torch.zeros(1, H, requires_grad=True)
    w2 = ((torch.rand(K, H, generator=g) - 0.5) * 2 * (6 / (H + K)) ** 0.5).requires_grad_()
    c2 = torch.zeros(1, K, requires_grad=True)
    params = [w1, c1, w2, c2]

    def step():
        for p in params:
            p.grad = None
        a = torch.relu(x @ w1.T + c1)
        y = a @ w2.T + c2
        loss = ((y - t) ** 2).mean()
        loss.backward()
        return loss.item()

    for _ in range(20):
        step()
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    flops = 2 * (2 * B * D * H) + 3 * (2 * B * H * K)
    print(json.dumps({"impl": "torch " + torch.__version__, "threads": args.threads,
                      "shape": f"{B}x{D}x{H}x{K}", "median_ms": round(med * 1e3, 4),
                      "gflops": round(flops / med / 1e9, 2)}))


if __name__ == "__main__":
    main()
