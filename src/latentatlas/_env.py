"""What a result was computed with: package versions, threads, CPU and device (one home)."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any


def package_version(name: str = "latentatlas") -> str:
    """The installed version of ``name``, or ``"dev"`` when it is not installed (a source tree)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "dev"


def memory_bytes() -> int:
    """Physical memory of this machine in bytes (a very large number where it cannot be read)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 2**62


def environment(threads: int | None = None) -> dict[str, Any]:
    """Versions, thread settings, CPU and device: enough to trace a difference between machines.

    Parameters
    ----------
    threads : int, optional
        The torch threads the work runs with where it sets its own (a study's runs and
        analyses: one each); by default this process's setting.

    Returns
    -------
    dict
        ``latentatlas``, ``torch``, ``numpy``, ``scikit-learn`` and ``python`` versions,
        ``torch_threads``, ``cpu_count``, ``cpu`` (processor name), ``platform`` and ``device``
        (``cuda`` with the GPU's name where one is available, else ``cpu``).
    """
    import numpy
    import torch

    device = "cpu"
    if torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name(0)})"
    return {
        "latentatlas": package_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scikit-learn": package_version("scikit-learn"),
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads() if threads is None else threads,
        "cpu_count": os.cpu_count(),
        "cpu": _cpu_name(),
        "platform": platform.platform(),
        "device": device,
    }


def _cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux), else what platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
