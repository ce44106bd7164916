"""How many BLAS/OpenMP threads an analysis takes: the cores other work leaves idle."""

from __future__ import annotations

import os
from typing import Any


def idle_threads() -> int:
    """Cores not taken by other work, by the 1-minute load average: at least 1, at most all.

    The load average counts this process too (a busy analysis adds about 1), so ``n`` cores
    under a load of ``L`` leave ``n + 1 - L`` for us: both cores of a quiet 2-core machine,
    one as soon as one other job runs. Where the load is unknown, all cores.
    """
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this platform
        return cores
    return max(1, min(cores, round(cores + 1 - load)))


def idle_blas_threads() -> Any:
    """Context in which BLAS runs on :func:`idle_threads` threads.

    On a loaded machine a second BLAS thread only spins while it waits for a core: the
    silhouette's float32 tiles at 12,000 x 784 took 1.9 CPU s on one thread and 3.0 on two,
    with no wall-clock gain, under a load of 21 on 2 cores (``benchmarks/threads.py``,
    docs/performance.md). On an idle machine both cores are used.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=idle_threads(), user_api="blas")
