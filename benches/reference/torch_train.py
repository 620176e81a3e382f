#!/usr/bin/env python3
"""The base SiGAH model (docs/METHOD.md, "The model", without the changes in bold) in PyTorch (CPU), as the speed peer of `sigah train`.

Same architecture, losses, optimisers and step order as core/src/model/:
  G: x -> ReLU(W1 x + c1) -> u = W2 a + c2 -> s = sign(u) (hard-tanh STE)
     -> LISTA (z0 = S_θ(η Φᵀ s), T refinements z ← S_θ(z + η Φᵀ(s − Φ z)))
     -> x̃ = D z + c_D
  D: auto-encoder A(v) = W4 ReLU(W3 v + c3) + c4, energy E(v) = ‖A(v) − v‖² / d
  per batch: x̃ = G(x); one G step with L_G = E(x̃) + λ_rec‖x − x̃‖²/d + λ_bal Σ_j (mean s_j)²,
     where the discriminator's weights take no gradient (requires_grad off), only its
     input does; then one D step on x̃.detach() with
     L_D = E(x) + mean max(0, μ − E(x̃)) (no hinge in the first epoch, then μ = 2·mean E(x)).
  Adam, lr 1e-3 (G) / 2e-4 (D), betas (0.5, 0.999); θ projected to ≥ 0 after each step.

Usage: torch_train.py --data X.npy [--bits 64] [--epochs 1] [--threads N] [--json]
Prints the seconds per epoch (training loop only, data already in memory).
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn


class SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u):
        ctx.save_for_backward(u)
        return torch.where(u > 0, 1.0, -1.0).to(u.dtype)

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        return g * (u.abs() <= 1).to(g.dtype)


def soft_threshold(v, theta):
    return torch.sign(v) * torch.relu(v.abs() - theta)


def spectral_norm_sq(phi):
    return float(torch.linalg.matrix_norm(phi.double(), ord=2) ** 2)


class Generator(nn.Module):
    def __init__(self, d, hidden, k, m, steps, lam):
        super().__init__()
        layers, fan_in = [], d
        for h in hidden:
            layers += [nn.Linear(fan_in, h), nn.ReLU()]
            fan_in = h
        layers.append(nn.Linear(fan_in, k))
        self.encoder = nn.Sequential(*layers)
        for mod in self.encoder:
            if isinstance(mod, nn.Linear):
                nn.init.zeros_(mod.bias)
        self.phi = nn.Parameter(torch.randn(k, m) / k**0.5)
        eta = 1.0 / spectral_norm_sq(self.phi.data)
        self.eta = nn.Parameter(torch.tensor(eta))
        self.theta = nn.Parameter(torch.full((m,), lam * eta))
        self.dict = nn.Linear(m, d)
        nn.init.xavier_uniform_(self.dict.weight)
        nn.init.zeros_(self.dict.bias)
        self.steps = steps

    def forward(self, x):
        s = SignSTE.apply(self.encoder(x))
        z = soft_threshold(self.eta * (s @ self.phi), self.theta)
        for _ in range(self.steps):
            r = s - z @ self.phi.t()
            z = soft_threshold(z + self.eta * (r @ self.phi), self.theta)
        return s, self.dict(z)


class Discriminator(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.enc = nn.Linear(d, hidden)
        self.dec = nn.Linear(hidden, d)
        nn.init.xavier_uniform_(self.dec.weight)
        nn.init.zeros_(self.enc.bias)
        nn.init.zeros_(self.dec.bias)

    def energy_rows(self, v):
        a = self.dec(torch.relu(self.enc(v)))
        return ((a - v) ** 2).mean(dim=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--bits", type=int, default=64)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--disc-hidden", type=int, default=256)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    raw = torch.from_numpy(np.load(a.data).astype(np.float32))
    n, d = raw.shape
    mean = raw.mean(dim=0, keepdim=True)
    scale = float(((raw - mean) ** 2).mean().sqrt())
    k, m = a.bits, 4 * a.bits
    G = Generator(d, [a.hidden], k, m, a.steps, 0.1)
    D = Discriminator(d, a.disc_hidden)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    margin, lam_rec, lam_bal = None, 1.0, 0.1
    gen = torch.Generator().manual_seed(a.seed)
    times = []
    for _epoch in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        e_real_sum, batches = 0.0, 0
        for start in range(0, n, a.batch):
            x = (raw[perm[start : start + a.batch]] - mean) / scale
            s, fake = G(x)
            # Generator step: D's weights are constants, its input carries the gradient.
            for q in D.parameters():
                q.requires_grad_(False)
            loss_g = (
                D.energy_rows(fake).mean()
                + lam_rec * ((x - fake) ** 2).mean()
                + lam_bal * (s.mean(dim=0) ** 2).sum()
            )
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            for q in D.parameters():
                q.requires_grad_(True)
            with torch.no_grad():
                G.theta.clamp_(min=0.0)
            # Discriminator step on this batch's x̃, a constant.
            fake = fake.detach()
            e_real = D.energy_rows(x).mean()
            loss_d = e_real
            if margin is not None:
                loss_d = loss_d + torch.relu(margin - D.energy_rows(fake)).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            e_real_sum += float(e_real.detach())
            batches += 1
        if margin is None:
            margin = 2.0 * e_real_sum / batches
        times.append(time.perf_counter() - t0)
    result = {"peer": "pytorch", "torch": torch.__version__, "threads": a.threads, "n": n, "d": d,
              "bits": k, "epoch_s": times, "median_epoch_s": float(np.median(times)),
              "loss_g": float(loss_g), "loss_d": float(loss_d)}
    print(json.dumps(result) if a.json else f"pytorch {a.threads} thread(s): {np.median(times):.2f} s/epoch")


if __name__ == "__main__":
    main()
