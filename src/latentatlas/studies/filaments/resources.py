"""The source's second part: parameters, peak training memory and seconds per batch of the
conv VAE, measured by timing fresh training steps (not an analysis of the study's codes)."""

from __future__ import annotations

import ctypes
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from latentatlas.studies.filaments.config import SOURCE_FILTERS, FilamentsConfig
from latentatlas.studies.filaments.results import ResourceRow, ResourceTable

#: Parameters are counted at the source's two latent dimensions.
TABLE_LATENT_DIMS = (256, 512)
_PROC_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def measure_resources(config: FilamentsConfig) -> ResourceTable:
    """The source's table: conv-vae parameters (96x96x3 images by default) at z = 256 and 512,
    with and without the extra Dense layer (of size z), and measured peak training memory and
    seconds per batch on the study's device.

    Counts are exact (:func:`latentatlas.models.count_parameters`). Memory: on CUDA the peak of
    ``torch.cuda.max_memory_allocated`` over a warm-up and ``memory_steps`` timed steps, less
    what was allocated before the model was built; on the CPU the rise of the process's peak
    resident memory (``VmHWM``, reset through ``/proc/self/clear_refs`` after returning freed
    memory with ``malloc_trim``) over the same steps. Both include weights, gradients, Adam's
    moments, the batch and the activations. Seconds per batch: the median wall time of the
    timed steps (one forward, backward and Adam step; synchronised on CUDA).
    """
    import torch

    from latentatlas.train import resolve_device

    device = resolve_device(config.device)
    shape = (3, config.memory_image_side, config.memory_image_side)
    method = _memory_method(device)
    if any(z in config.memory_latent_dims for z in TABLE_LATENT_DIMS):
        _training_steps(shape, 256, None, 8, 1, device)  # first-call set-up is not the model's
    rows = []
    for z in sorted(set(TABLE_LATENT_DIMS) | set(config.memory_latent_dims)):
        for bottleneck in (None, z):
            measured = (
                [
                    _training_steps(shape, z, bottleneck, batch, config.memory_steps, device)
                    for batch in config.memory_batch_sizes
                ]
                if z in config.memory_latent_dims
                else None
            )
            rows.append(_resource_row(shape, z, bottleneck, measured, method is not None))
    return ResourceTable(
        image_shape=shape,
        filters=SOURCE_FILTERS,
        batch_sizes=tuple(config.memory_batch_sizes),
        steps=config.memory_steps,
        device=str(device),
        torch_threads=torch.get_num_threads(),
        memory_method=method or "not measured: /proc/self/clear_refs is not available",
        rows=tuple(rows),
    )


def _resource_row(
    shape: tuple[int, ...],
    z: int,
    bottleneck: int | None,
    measured: list[dict[str, float]] | None,
    memory_ok: bool,
) -> ResourceRow:
    import torch

    from latentatlas.models import build, count_parameters

    with torch.device("meta"):  # shapes only: counting needs no memory
        model = build("conv-vae", shape, z, filters=SOURCE_FILTERS, bottleneck=bottleneck)
    count = count_parameters(model)

    def column(name: str) -> tuple[float, ...] | None:
        if measured is None or (name == "peak" and not memory_ok):
            return None
        return tuple(float(m[name]) for m in measured)

    return ResourceRow(
        latent_dim=z,
        bottleneck=bottleneck,
        encoder_parameters=count.encoder,
        decoder_parameters=count.decoder,
        total_parameters=count.total,
        weights_mib=count.mebibytes(count.total),
        saved_activations_mib=column("saved"),
        peak_memory_mib=column("peak"),
        seconds_per_batch=column("seconds"),
    )


def _memory_method(device: Any) -> str | None:
    if device.type == "cuda":
        return "CUDA: torch.cuda.max_memory_allocated, less the memory allocated before"
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return None
    return "CPU: rise of the peak resident memory (VmHWM) of the process"


def _training_steps(
    shape: tuple[int, ...],
    z: int,
    bottleneck: int | None,
    batch: int,
    steps: int,
    device: Any,
) -> dict[str, float]:
    """Peak memory (MiB), saved activations (MiB) and median seconds of ``steps`` timed steps
    of a fresh conv-vae, after one warm-up step (which allocates Adam's moments)."""
    import torch

    from latentatlas.models import build

    base = _memory_reset(device)
    generator = torch.Generator().manual_seed(0)
    with torch.device("cpu"):
        model = build("conv-vae", shape, z, filters=SOURCE_FILTERS, bottleneck=bottleneck)
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
    return {
        "peak": peak / 2**20,
        "saved": activations / 2**20,
        "seconds": float(np.median(seconds)),
    }


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
