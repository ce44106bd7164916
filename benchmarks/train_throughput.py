"""Training throughput: latentatlas.train.fit against the textbook DataLoader loop.

Trains the 784-128-32-2 ``ae`` of the digit-pairs source on 12,000 MNIST-sized random vectors at
batch 128 on the CPU, then the textbook loop (DataLoader over a TensorDataset, shuffle=True,
``.item()`` per step) on an identical model, and prints samples/s of each, their ratio, and the
achieved GFLOP/s (~6 x weights x samples for forward + backward of the dense layers) as a fraction
of a large float32 matmul's GFLOP/s measured in the same run.

Run: ``python benchmarks/train_throughput.py [--epochs 3] [--threads N]``
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from latentatlas.config import TrainConfig
from latentatlas.models import build
from latentatlas.train import fit, seed_everything

N_SAMPLES, BATCH, SHAPE = 12_000, 128, (1, 28, 28)


def _model() -> torch.nn.Module:
    seed_everything(0)
    return build("ae", SHAPE, 2)


def _dense_weights(model: torch.nn.Module) -> int:
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))


def ours(x: np.ndarray, epochs: int) -> float:
    """Samples per second of ``fit`` (best epoch; validation is 128 rows, a negligible share)."""
    config = TrainConfig(epochs=epochs, batch_size=BATCH, lr=1e-2, patience=None, device="cpu")
    history = fit(_model(), x, x[:BATCH], config, seed=0, progress=False)
    return N_SAMPLES / min(record.seconds for record in history.epochs)


def textbook(x: np.ndarray, epochs: int) -> float:
    """Samples per second of the usual tutorial loop (best epoch)."""
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-6)
    loader = DataLoader(TensorDataset(torch.from_numpy(x)), batch_size=BATCH, shuffle=True)
    best = float("inf")
    for _ in range(epochs):
        started, total = time.perf_counter(), 0.0
        for (batch,) in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(batch), batch)
            loss.backward()
            optimizer.step()
            total += loss.item()
        best = min(best, time.perf_counter() - started)
    return N_SAMPLES / best


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best GFLOP/s of an n x n float32 matrix product."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b  # warm up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    return 2 * n**3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = np.random.default_rng(0).random((N_SAMPLES, *SHAPE), dtype=np.float32)
    ours(x[:1024], 1)  # warm up imports and thread pools for both loops
    textbook(x[:1024], 1)
    ours_rate, textbook_rate = ours(x, args.epochs), textbook(x, args.epochs)
    peak = matmul_gflops()
    flops_per_sample = 6 * _dense_weights(_model())
    achieved = ours_rate * flops_per_sample / 1e9
    print(f"threads: {args.threads}, torch {torch.__version__}")
    print(f"latentatlas fit : {ours_rate:10,.0f} samples/s")
    print(f"textbook loop   : {textbook_rate:10,.0f} samples/s")
    print(f"ratio           : {ours_rate / textbook_rate:10.2f} x")
    print(f"fit GFLOP/s     : {achieved:10.2f} ({flops_per_sample / 1e6:.2f} MFLOP per sample)")
    print(f"matmul GFLOP/s  : {peak:10.2f} (2048 x 2048 float32)")
    print(f"fraction        : {achieved / peak:10.1%} of the matmul rate")


if __name__ == "__main__":
    main()
