"""Training throughput: latentatlas.train.fit against the textbook DataLoader loop.

Trains the 784-128-32-2 ``ae`` of the digit-pairs source on 12,000 MNIST-sized random vectors at
batch 128 on the CPU, then the textbook loop (DataLoader over a TensorDataset, shuffle=True,
``.item()`` per step, torch's default Adam) on an identical model, and prints samples/s of each,
their ratio, and the achieved GFLOP/s of the dense layers' matrix products as a fraction of a large
float32 matmul's GFLOP/s measured in the same run. The two loops run alternately ``--repeats``
times and each keeps its best epoch, so a burst of load from other processes on a shared machine
does not land on one loop only.

Run: ``python benchmarks/train_throughput.py [--epochs 3] [--repeats 3] [--threads N]``
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


def flops_per_sample(model: torch.nn.Module) -> int:
    """Multiply-add FLOPs per sample of the matrix products in one training step.

    Each dense layer with W weights costs 2W forward and 2W for its weight gradient; the input
    gradient costs another 2W except in the first layer, whose input needs none (autograd skips
    it). Bias additions, activations and the optimizer are elementwise and left out.
    """
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    weights = [layer.weight.numel() for layer in layers]
    return 6 * sum(weights) - 2 * weights[0]


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
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = np.random.default_rng(0).random((N_SAMPLES, *SHAPE), dtype=np.float32)
    ours(x[:1024], 1)  # warm up imports and thread pools for both loops
    textbook(x[:1024], 1)
    ours_rate = textbook_rate = 0.0
    for _ in range(args.repeats):
        ours_rate = max(ours_rate, ours(x, args.epochs))
        textbook_rate = max(textbook_rate, textbook(x, args.epochs))
    peak = matmul_gflops()
    flops = flops_per_sample(_model())
    achieved = ours_rate * flops / 1e9
    print(f"threads: {args.threads}, repeats: {args.repeats}, torch {torch.__version__}")
    print(f"latentatlas fit : {ours_rate:10,.0f} samples/s")
    print(f"textbook loop   : {textbook_rate:10,.0f} samples/s")
    print(f"ratio           : {ours_rate / textbook_rate:10.2f} x")
    print(f"fit GFLOP/s     : {achieved:10.2f} ({flops / 1e6:.2f} MFLOP per sample)")
    print(f"matmul GFLOP/s  : {peak:10.2f} (2048 x 2048 float32)")
    print(f"fraction        : {achieved / peak:10.1%} of the matmul rate")


if __name__ == "__main__":
    main()
