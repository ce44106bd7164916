"""Benchmark: seconds and peak memory of our tiled silhouette against scikit-learn's.

Each measurement runs in a fresh ``spawn`` child process, which reports its own peak resident
set size (``ru_maxrss``, includes BLAS buffers that tracemalloc cannot see) together with its
resident size just before the call, so "extra" is the memory the call itself added on top of
the interpreter, the libraries and the float32 input. scikit-learn computes in chunks of
``working_memory`` = 1024 MB by default (``sklearn.get_config()["working_memory"]``).

Ours runs twice: with float64 tiles and with float32 tiles (its float64 agreement check
included in the time; ``precision="auto"`` picks float32 from 20,000 points). Each line also
gives the CPU seconds of the call (``time.process_time``, all threads) beside the wall
seconds, since the development machine is shared. ``--threads N`` limits BLAS/OpenMP threads
in every child (threadpoolctl) for the thread measurement of docs/performance.md.

Usage::

    .venv/bin/python benchmarks/silhouette.py                 # n = 12,000 and 60,000, 784-d
    .venv/bin/python benchmarks/silhouette.py --sizes 2000    # a quick smoke run
    .venv/bin/python benchmarks/silhouette.py --sizes 60000 --threads 1
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import time
from typing import Any

N_CLUSTERS = 10
SEED = 0


def _make_data(n: int, dim: int) -> tuple[Any, Any]:
    """Ten Gaussian clusters in ``dim`` dimensions, float32, built in place (no float64 copy)."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    centers = rng.standard_normal((N_CLUSTERS, dim), dtype=np.float32)
    labels = rng.integers(0, N_CLUSTERS, size=n)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    x *= 1.5
    for first in range(0, n, 4096):  # add the centres in slices to keep the peak at one array
        x[first : first + 4096] += centers[labels[first : first + 4096]]
    return x, labels


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


IMPLEMENTATIONS = ("float64", "float32", "sklearn")


def _measure(implementation: str, n: int, dim: int, threads: int | None, results: Any) -> None:
    """Run one implementation once in this (fresh) process and report time and memory."""
    import numpy as np
    from sklearn.metrics import silhouette_samples
    from threadpoolctl import threadpool_limits

    from latentatlas.analysis import silhouette

    x, labels = _make_data(n, dim)
    before = _rss_mib()
    with threadpool_limits(threads):
        start, cpu = time.perf_counter(), time.process_time()
        if implementation == "sklearn":
            samples = silhouette_samples(x, labels)
        else:
            samples = silhouette(x, labels, precision=implementation).samples
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    results.put(
        {
            "seconds": seconds,
            "cpu": cpu,
            "peak_mib": peak,
            "extra_mib": peak - before,
            "mean": float(np.mean(samples)),
        }
    )


def measure(implementation: str, n: int, dim: int, threads: int | None = None) -> dict[str, float]:
    """Measure one case in a fresh spawned process so peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_measure, args=(implementation, n, dim, threads, results))
    child.start()
    outcome = results.get()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"{implementation} at n={n} exited with code {child.exitcode}")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="12000,60000", help="comma-separated sample counts")
    parser.add_argument("--dim", type=int, default=784, help="dimension of the points")
    parser.add_argument("--threads", type=int, help="BLAS/OpenMP threads (default: all)")
    parser.add_argument("--only", help="comma-separated subset of float64,float32,sklearn")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    chosen = options.only.split(",") if options.only else list(IMPLEMENTATIONS)
    print(
        f"silhouette, {options.dim}-d float32 input, {N_CLUSTERS} Gaussian clusters, "
        f"threads {options.threads or 'all'}, load {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    print(
        f"{'n':>7} {'implementation':<20} {'seconds':>8} {'CPU s':>8} {'peak MiB':>9} "
        f"{'extra MiB':>10} {'mean s':>12}"
    )
    rows = []
    for n in sizes:
        measured = {name: measure(name, n, options.dim, options.threads) for name in chosen}
        for name, row in measured.items():
            label = name if name == "sklearn" else f"latentatlas {name}"
            print(
                f"{n:>7} {label:<20} {row['seconds']:>8.2f} {row['cpu']:>8.2f} "
                f"{row['peak_mib']:>9.0f} {row['extra_mib']:>10.0f} {row['mean']:>12.9f}",
                flush=True,
            )
        rows.append((n, measured))
    if "sklearn" not in chosen:
        return
    print()
    print(
        f"{'n':>7} {'ours':<8} {'speed-up':>9} {'CPU ratio':>10} {'peak ratio':>11} "
        f"{'extra ratio':>12} {'|mean diff|':>12}"
    )
    for n, measured in rows:
        theirs = measured["sklearn"]
        for name in (c for c in chosen if c != "sklearn"):
            ours = measured[name]
            print(
                f"{n:>7} {name:<8} {theirs['seconds'] / ours['seconds']:>8.2f}x "
                f"{theirs['cpu'] / ours['cpu']:>9.2f}x "
                f"{ours['peak_mib'] / theirs['peak_mib']:>11.2f} "
                f"{ours['extra_mib'] / theirs['extra_mib']:>12.2f} "
                f"{abs(ours['mean'] - theirs['mean']):>12.2e}"
            )
    print("peak/extra ratio = ours / scikit-learn's (below 0.5 is the target);")
    print("speed-up = scikit-learn's wall seconds / ours (target at 60,000: 3x for float32);")
    print("CPU ratio = scikit-learn's CPU seconds / ours.")


if __name__ == "__main__":
    main()
