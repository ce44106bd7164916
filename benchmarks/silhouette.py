"""Benchmark: seconds and peak memory of our tiled silhouette against scikit-learn's.

Each measurement runs in a fresh ``spawn`` child process, which reports its own peak resident
set size (``ru_maxrss``, includes BLAS buffers that tracemalloc cannot see) together with its
resident size just before the call, so "extra" is the memory the call itself added on top of
the interpreter, the libraries and the float32 input. scikit-learn computes in chunks of
``working_memory`` = 1024 MB by default (``sklearn.get_config()["working_memory"]``).

Usage::

    .venv/bin/python benchmarks/silhouette.py                 # n = 12,000 and 60,000, 784-d
    .venv/bin/python benchmarks/silhouette.py --sizes 2000    # a quick smoke run
"""

from __future__ import annotations

import argparse
import multiprocessing
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


def _measure(implementation: str, n: int, dim: int, results: Any) -> None:
    """Run one implementation once in this (fresh) process and report time and memory."""
    import numpy as np
    from sklearn.metrics import silhouette_samples

    from latentatlas.analysis import silhouette

    x, labels = _make_data(n, dim)
    before = _rss_mib()
    start = time.perf_counter()
    if implementation == "latentatlas":
        samples = silhouette(x, labels).samples
    else:
        samples = silhouette_samples(x, labels)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    results.put(
        {
            "seconds": seconds,
            "peak_mib": peak,
            "extra_mib": peak - before,
            "mean": float(np.mean(samples)),
        }
    )


def measure(implementation: str, n: int, dim: int) -> dict[str, float]:
    """Measure one case in a fresh spawned process so peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_measure, args=(implementation, n, dim, results))
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
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    header = (
        f"{'n':>7} {'implementation':<14} {'seconds':>8} {'peak MiB':>9} {'extra MiB':>10} "
        f"{'mean s':>9}"
    )
    print(f"silhouette, {options.dim}-d float32 input, {N_CLUSTERS} Gaussian clusters")
    print(header)
    ratios = []
    for n in sizes:
        ours = measure("latentatlas", n, options.dim)
        theirs = measure("sklearn", n, options.dim)
        for name, row in (("latentatlas", ours), ("sklearn", theirs)):
            print(
                f"{n:>7} {name:<14} {row['seconds']:>8.2f} {row['peak_mib']:>9.0f} "
                f"{row['extra_mib']:>10.0f} {row['mean']:>9.6f}"
            )
        ratios.append((n, ours, theirs))
    print()
    print(f"{'n':>7} {'speed-up':>9} {'peak ratio':>11} {'extra ratio':>12} {'|mean diff|':>12}")
    for n, ours, theirs in ratios:
        print(
            f"{n:>7} {theirs['seconds'] / ours['seconds']:>8.2f}x "
            f"{ours['peak_mib'] / theirs['peak_mib']:>11.2f} "
            f"{ours['extra_mib'] / theirs['extra_mib']:>12.2f} "
            f"{abs(ours['mean'] - theirs['mean']):>12.2e}"
        )
    print("peak/extra ratio = ours / scikit-learn's (below 0.5 is the target);")
    print("speed-up = scikit-learn's seconds / ours.")


if __name__ == "__main__":
    main()
