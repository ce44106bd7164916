"""What training a registry model costs: exact parameter counts, and the peak memory, saved
activations and seconds per step of fresh training steps, measured on a device; and the table
of a conv model's variants that the filaments study reports (its source's second part), with
its rows as a report shows them."""

from __future__ import annotations

import ctypes
import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from latentatlas.results import ResultMixin

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


@dataclass(frozen=True, eq=False)
class ResourceRow(ResultMixin):
    """One variant of a conv model: its latent dimension and extra Dense layer, parameters,
    memory and time.

    ``peak_memory_mib``, ``saved_activations_mib`` and ``seconds_per_batch`` hold one value
    per batch size of the table (None where the variant was not measured, and ``peak`` also
    where memory cannot be measured): see :class:`StepCost`.
    """

    latent_dim: int
    bottleneck: int | None
    encoder_parameters: int
    decoder_parameters: int
    total_parameters: int
    weights_mib: float
    saved_activations_mib: tuple[float, ...] | None
    peak_memory_mib: tuple[float, ...] | None
    seconds_per_batch: tuple[float, ...] | None

    def variant(self) -> dict[str, Any]:
        """The row's first columns in a report's table: its latent dimension and extra layer."""
        return {
            "z": self.latent_dim,
            "extra Dense layer": "none" if self.bottleneck is None else str(self.bottleneck),
        }


@dataclass(frozen=True, eq=False)
class ResourceTable(ResultMixin):
    """The parameter and memory table; ``memory_method`` says how memory was measured."""

    image_shape: tuple[int, ...]
    filters: tuple[int, ...]
    batch_sizes: tuple[int, ...]
    steps: int
    device: str
    torch_threads: int
    memory_method: str
    rows: tuple[ResourceRow, ...]

    def shown(self) -> list[dict[str, Any]]:
        """The table as a report shows it: each variant's parameters and weights, then its peak
        memory and seconds per batch at each batch size (a dash where it was not measured)."""
        batches = list(enumerate(self.batch_sizes))
        return [
            {
                **row.variant(),
                "encoder parameters": f"{row.encoder_parameters:,}",
                "decoder parameters": f"{row.decoder_parameters:,}",
                "weights (MiB)": f"{row.weights_mib:.1f}",
                **{
                    name: value
                    for i, batch in batches
                    for name, value in (
                        (f"peak MiB, batch {batch}", _cell(row.peak_memory_mib, i, "{:.0f}")),
                        (f"s / batch {batch}", _cell(row.seconds_per_batch, i, "{:.3f}")),
                    )
                },
            }
            for row in self.rows
        ]

    def activations_shown(self) -> list[dict[str, Any]]:
        """The activations autograd keeps (MiB) of each measured variant, one column per batch
        size, as a report shows them (none when nothing was measured)."""
        return [
            {
                **row.variant(),
                **{
                    f"batch {batch}": _cell(row.saved_activations_mib, i, "{:.0f}")
                    for i, batch in enumerate(self.batch_sizes)
                },
            }
            for row in self.rows
            if row.saved_activations_mib is not None
        ]


def _cell(values: tuple[float, ...] | None, index: int, template: str) -> str:
    return "—" if values is None else template.format(values[index])


def conv_cost_table(
    name: str,
    shape: tuple[int, ...],
    filters: tuple[int, ...],
    latent_dims: Sequence[int],
    measured: Collection[int],
    batch_sizes: Sequence[int],
    steps: int,
    device_name: str,
) -> ResourceTable:
    """Parameters of conv model ``name`` at each of ``latent_dims``, without and with the extra
    Dense layer (of size z) before the code, and at the dimensions in ``measured`` the
    :func:`step_cost` of each of ``batch_sizes`` (``steps`` timed steps on the device
    ``device_name`` names, after a warm-up step so that the first call's set-up is not counted
    as a model's)."""
    import torch

    from latentatlas.train import resolve_device

    device = resolve_device(device_name)
    method = memory_method(device)
    if measured:
        step_cost(name, shape, min(measured), 8, 1, device, filters=filters)

    def row(z: int, bottleneck: int | None) -> ResourceRow:
        count = parameter_count(name, shape, z, filters=filters, bottleneck=bottleneck)
        costs = [
            step_cost(name, shape, z, b, steps, device, filters=filters, bottleneck=bottleneck)
            for b in (batch_sizes if z in measured else ())
        ]

        def column(field: str, known: bool = True) -> tuple[float, ...] | None:
            return tuple(getattr(c, field) for c in costs) if costs and known else None

        return ResourceRow(
            latent_dim=z,
            bottleneck=bottleneck,
            encoder_parameters=count.encoder,
            decoder_parameters=count.decoder,
            total_parameters=count.total,
            weights_mib=count.mebibytes(count.total),
            saved_activations_mib=column("saved_activations_mib"),
            peak_memory_mib=column("peak_mib", method is not None),
            seconds_per_batch=column("seconds"),
        )

    return ResourceTable(
        image_shape=shape,
        filters=filters,
        batch_sizes=tuple(batch_sizes),
        steps=steps,
        device=str(device),
        torch_threads=torch.get_num_threads(),
        memory_method=method or "not measured: /proc/self/clear_refs is not available",
        rows=tuple(row(z, bottleneck) for z in latent_dims for bottleneck in (None, z)),
    )


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
