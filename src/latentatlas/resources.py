"""What training a registry model costs: exact parameter counts, and the peak memory, saved
activations and seconds per step of fresh training steps, measured on a device."""

from __future__ import annotations

import ctypes
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_PROC_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass(frozen=True)
class StepCost:
    """The cost of one training step (forward, backward, Adam) of one batch.

    Attributes
    ----------
    peak_mib : float
        Peak memory over a warm-up and the timed steps, less what was allocated before the
        model was built (MiB): weights, gradients, Adam's moments, the batch and the activations.
        0 where :func:`memory_method` finds no way to measure it.
    saved_activations_mib : float
        What autograd keeps for the backward pass (MiB): exact, the same on any device.
    seconds : float
        Median wall time of the timed steps (synchronised on CUDA).
    """

    peak_mib: float
    saved_activations_mib: float
    seconds: float


def parameter_count(name: str, shape: tuple[int, ...], latent_dim: int, **options: Any) -> Any:
    """The exact :class:`~latentatlas.models.ParameterCount` of registry model ``name``, built
    on torch's ``meta`` device (shapes only, no memory)."""
    import torch

    from latentatlas.models import build, count_parameters

    with torch.device("meta"):
        return count_parameters(build(name, shape, latent_dim, **options))


def memory_method(device: Any) -> str | None:
    """How :func:`step_cost` measures peak memory on ``device``; None where it cannot.

    On CUDA the peak of ``torch.cuda.max_memory_allocated``; on the CPU the rise of the
    process's peak resident memory (``VmHWM``, reset through ``/proc/self/clear_refs`` after
    returning freed memory with ``malloc_trim``), which needs Linux.
    """
    if device.type == "cuda":
        return "CUDA: torch.cuda.max_memory_allocated, less the memory allocated before"
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return None
    return "CPU: rise of the peak resident memory (VmHWM) of the process"


def step_cost(
    name: str,
    shape: tuple[int, ...],
    latent_dim: int,
    batch: int,
    steps: int,
    device: Any,
    **options: Any,
) -> StepCost:
    """Train a fresh registry model ``name`` on a seeded random batch for one warm-up step
    (which allocates Adam's moments) and ``steps`` timed ones, and measure what it cost.

    Parameters
    ----------
    name, shape, latent_dim, options
        The model, as :func:`latentatlas.models.build` takes it.
    batch : int
        Images per step.
    steps : int
        Timed steps after the warm-up.
    device : torch.device
        Where to train.
    """
    import torch

    from latentatlas.models import build

    base = _memory_reset(device)
    generator = torch.Generator().manual_seed(0)
    with torch.device("cpu"):
        model = build(name, shape, latent_dim, **options)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=model.default_lr)
    x = torch.rand((batch, *shape), generator=generator).to(device)
    saved: list[int] = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        saved.append(tensor.numel() * tensor.element_size())
        return tensor

    seconds = []
    for step in range(steps + 1):
        _synchronise(device)
        start = time.perf_counter()
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            loss = model.loss(x)["total"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        _synchronise(device)
        if step > 0:
            seconds.append(time.perf_counter() - start)
        else:
            activations = sum(saved)
    peak = _memory_peak(device) - base
    del model, optimizer, x, loss
    return StepCost(peak / 2**20, activations / 2**20, float(np.median(seconds)))


def _synchronise(device: Any) -> None:
    if device.type == "cuda":
        import torch

        torch.cuda.synchronize(device)


def _memory_reset(device: Any) -> int:
    """Start a peak-memory window; return the baseline in bytes."""
    import torch

    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        return int(torch.cuda.memory_allocated(device))
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed heap back to the OS: a clean baseline
    except OSError:
        pass
    try:
        _CLEAR_REFS.write_text("5")  # resets VmHWM to the current resident size
    except OSError:
        return 0
    return _status_bytes("VmRSS")


def _memory_peak(device: Any) -> int:
    import torch

    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    try:
        return _status_bytes("VmHWM")
    except OSError:
        return 0


def _status_bytes(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", _PROC_STATUS.read_text(), re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0
