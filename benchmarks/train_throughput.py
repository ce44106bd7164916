"""Training throughput: latentatlas.train.fit against the textbook DataLoader loop.

Trains the 784-128-32-2 ``ae`` of the digit-pairs source on 12,000 MNIST-sized random vectors at
batch 128 on the CPU, then the textbook loop (DataLoader over a TensorDataset, shuffle=True,
``.item()`` per step, torch's default Adam) on an identical model, and prints samples/s of each,
their ratio, and the achieved GFLOP/s of the dense layers' matrix products as a fraction of a large
float32 matmul's GFLOP/s measured in the same run. The two loops run alternately ``--repeats``
times and each keeps its best epoch, so a burst of load from other processes on a shared machine
does not land on one loop only.

Then (``--conv``) the conv models of the studies, one training step of ``fit`` (forward, loss,
backward, fused Adam) at batch 128: conv-ae and conv-vae on 64x64x3 sprites at z=256 (the
filaments study), on 96x96x3 images at z=256 (the source's CelebA side, the study's resource
table) and on 36x36x1 heatmaps at z=3 (the heatmaps study). Their FLOPs are counted by
``torch.utils.flop_counter.FlopCounterMode`` over one real step, and their FLOP/s set against a
large 3x3 convolution's (64 x 128 x 32 x 32 -> 128 channels, forward) and the matmul's, measured in
the same run on the same threads. Each model is also timed with the variants the profile suggests
(``--variants``): ``channels-last`` memory format, ``foreach`` Adam instead of fused,
``no-mkldnn`` (oneDNN off), and ``compile`` (``torch.compile`` of the loss, where a C compiler
is present; its compile time is reported apart). Variants are timed in interleaved rounds and
each keeps its best.

Run: ``python benchmarks/train_throughput.py [--epochs 3] [--repeats 3] [--threads N]``
``[--conv] [--no-dense] [--variants base,channels-last,foreach,no-mkldnn,compile]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from latentatlas.config import TrainConfig
from latentatlas.models import build
from latentatlas.studies import estimate
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


def matmul_gflops() -> float:
    """Best GFLOP/s of a 2048 x 2048 float32 matrix product on the benchmark's threads."""
    return estimate.matmul_gflops(2048, threads=None)


#: The studies' conv models: (label, model, input shape, latent dimension, filters).
CONV_MODELS = (
    ("filaments 64px", "conv-ae", (3, 64, 64), 256, (32, 64, 128, 256)),
    ("filaments 64px", "conv-vae", (3, 64, 64), 256, (32, 64, 128, 256)),
    ("source 96px", "conv-ae", (3, 96, 96), 256, (32, 64, 128, 256)),
    ("source 96px", "conv-vae", (3, 96, 96), 256, (32, 64, 128, 256)),
    ("heatmaps 36px", "conv-ae", (1, 36, 36), 3, (32, 64, 128, 256)),
    ("heatmaps 36px", "conv-vae", (1, 36, 36), 3, (32, 64, 128, 256)),
)
VARIANTS = ("base", "channels-last", "foreach", "no-mkldnn", "compile")


def conv_gflops(repeats: int = 5) -> float:
    """Best GFLOP/s of a large 3x3 convolution's forward pass (64 x 128 x 32 x 32, 128 out)."""
    conv = torch.nn.Conv2d(128, 128, 3, padding=1)
    x = torch.rand(64, 128, 32, 32)
    flops = 2 * 64 * 128 * 32 * 32 * 128 * 9
    best = float("inf")
    with torch.no_grad():
        conv(x)
        for _ in range(repeats):
            started = time.perf_counter()
            conv(x)
            best = min(best, time.perf_counter() - started)
    return flops / best / 1e9


def step_flops(model: torch.nn.Module, x: torch.Tensor) -> float:
    """FLOPs of one training step's forward and backward, as torch dispatches them."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        model.loss(x)["total"].backward()
    model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


class ConvStep:
    """One conv model's training step as ``fit`` takes it, in one of :data:`VARIANTS`."""

    def __init__(self, name: str, shape: tuple, latent: int, filters: tuple, variant: str):
        seed_everything(0)
        self.variant = variant
        self.model = build(name, shape, latent, filters=filters)
        self.x = torch.rand(BATCH, *shape, generator=torch.Generator().manual_seed(0))
        if variant == "channels-last":
            self.model = self.model.to(memory_format=torch.channels_last)
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        kind = {"foreach": True} if variant == "foreach" else {"fused": True}
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, **kind)
        self.loss = self.model.loss
        self.compile_seconds = 0.0
        if variant == "compile":
            self.loss = torch.compile(self.model.loss)
            started = time.perf_counter()
            self.step()
            self.compile_seconds = time.perf_counter() - started

    def step(self) -> None:
        """Forward, loss, backward and the optimizer step on the fixed batch."""
        mkldnn = self.variant != "no-mkldnn"
        with torch.backends.mkldnn.flags(enabled=mkldnn):
            terms = self.loss(self.x)
            self.optimizer.zero_grad(set_to_none=True)
            terms["total"].backward()
            self.optimizer.step()

    def seconds(self, steps: int) -> float:
        """Best seconds of one step over ``steps`` timed steps."""
        best = float("inf")
        for _ in range(steps):
            started = time.perf_counter()
            self.step()
            best = min(best, time.perf_counter() - started)
        return best


def conv_report(variants: list[str], repeats: int, steps: int, only: str = "") -> None:
    """Print each conv model's step time and FLOP/s per variant against the reference rates."""
    conv_peak, matmul_peak = conv_gflops(), matmul_gflops()
    print(f"reference: 3x3 convolution {conv_peak:.1f} GFLOP/s, matmul {matmul_peak:.1f} GFLOP/s")
    print("model | variant | ms/step | GFLOP/step | GFLOP/s | of conv | of matmul | compile s")
    for label, name, shape, latent, filters in CONV_MODELS:
        if only not in f"{label} {name}":
            continue
        chosen = [
            v for v in variants if v != "compile" or shutil.which("cc") or shutil.which("gcc")
        ]
        runners = {v: _try_build(name, shape, latent, filters, v) for v in chosen}
        runners = {v: r for v, r in runners.items() if r is not None}
        flops = step_flops(build(name, shape, latent, filters=filters), runners["base"].x)
        best = {v: float("inf") for v in runners}
        for _ in range(repeats):  # interleaved, so a burst of load does not hit one variant
            for v, runner in runners.items():
                best[v] = min(best[v], runner.seconds(steps))
        for v, runner in runners.items():
            rate = flops / best[v] / 1e9
            print(
                f"{label} {name} | {v} | {best[v] * 1e3:.1f} | {flops / 1e9:.2f} | {rate:.1f} | "
                f"{rate / conv_peak:.0%} | {rate / matmul_peak:.0%} | {runner.compile_seconds:.0f}"
            )


def _try_build(name: str, shape: tuple, latent: int, filters: tuple, variant: str) -> Any:
    """The variant's runner, or None where it cannot run here (compile without a toolchain)."""
    try:
        return ConvStep(name, shape, latent, filters, variant)
    except Exception as error:  # a variant that cannot run is reported and left out
        print(f"{variant} unavailable for {name} {shape}: {type(error).__name__}")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--conv", action="store_true", help="Time the conv models too.")
    parser.add_argument("--no-dense", action="store_true", help="Skip the dense comparison.")
    parser.add_argument("--steps", type=int, default=3, help="Timed conv steps per round.")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--models", default="", help="Only conv models whose label has this.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads: {args.threads}, torch {torch.__version__}, load {os.getloadavg()[0]:.1f}")
    if not args.no_dense:
        dense_report(args)
    if args.conv:
        conv_report(args.variants.split(","), args.repeats, args.steps, args.models)


def dense_report(args: argparse.Namespace) -> None:
    """The dense ``ae``: ``fit`` against the textbook loop and the matmul rate."""
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
    print(f"repeats: {args.repeats}")
    print(f"latentatlas fit : {ours_rate:10,.0f} samples/s")
    print(f"textbook loop   : {textbook_rate:10,.0f} samples/s")
    print(f"ratio           : {ours_rate / textbook_rate:10.2f} x")
    print(f"fit GFLOP/s     : {achieved:10.2f} ({flops / 1e6:.2f} MFLOP per sample)")
    print(f"matmul GFLOP/s  : {peak:10.2f} (2048 x 2048 float32)")
    print(f"fraction        : {achieved / peak:10.1%} of the matmul rate")


if __name__ == "__main__":
    main()
