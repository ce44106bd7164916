"""Benchmark: one thread against all cores for the analyses whose threads may only spin.

On a shared 2-core machine a second BLAS/OpenMP thread helps only when the other core is
free; when it is busy, OpenBLAS and OpenMP workers spin while they wait, burning CPU
seconds for no wall-clock gain. This measures, in one process and interleaved (so both
settings see the same load): the silhouette's float32 tiles (BLAS threads limited with
threadpoolctl) and ``embed_2d``'s t-SNE (openTSNE's ``n_jobs`` for the neighbour search and
affinities, BLAS limited alike). Wall and CPU seconds (``time.process_time``, all threads)
are printed per repeat with the 1-minute load average, then the medians.

    python benchmarks/threads.py                              # silhouette 12,000 x 784, t-SNE 5,000
    python benchmarks/threads.py --silhouette 6000 --tsne 2000 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def _silhouette_case(n: int) -> Callable[[int], Any]:
    import numpy as np

    from latentatlas.analysis.clusters import silhouette

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n)
    x = rng.standard_normal((n, 784), dtype=np.float32)
    x += rng.standard_normal((10, 784), dtype=np.float32)[labels]
    return lambda threads: silhouette(x, labels, precision="float32")


def _tsne_case(n: int) -> Callable[[int], Any]:
    import numpy as np

    from latentatlas.analysis.maps import embed_2d

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n)
    codes = rng.standard_normal((n, 16), dtype=np.float32)
    codes += 3 * rng.standard_normal((10, 16), dtype=np.float32)[labels]
    return lambda threads: embed_2d(codes, n_jobs=threads, random_state=0)


def _time(run: Callable[[int], Any], threads: int) -> tuple[float, float]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads):
        wall, cpu = time.perf_counter(), time.process_time()
        run(threads)
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--silhouette", type=int, default=12_000, help="rows (0: skip)")
    parser.add_argument("--tsne", type=int, default=5_000, help="points (0: skip)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    cases = []
    if args.silhouette:
        cases.append(
            (f"silhouette float32, {args.silhouette:,} x 784", _silhouette_case(args.silhouette))
        )
    if args.tsne:
        cases.append((f"t-SNE (embed_2d), {args.tsne:,} x 16", _tsne_case(args.tsne)))
    print(f"{'case':<36} {'threads':>7} {'wall s':>7} {'CPU s':>7} {'load 1 min':>10}")
    for name, run in cases:
        run(1)  # warm up: imports, JIT, first-touch of memory
        times: dict[int, list[tuple[float, float]]] = {1: [], cores: []}
        for _ in range(args.repeats):
            for threads in (1, cores):
                wall, cpu = _time(run, threads)
                times[threads].append((wall, cpu))
                print(
                    f"{name:<36} {threads:>7} {wall:7.2f} {cpu:7.2f} {os.getloadavg()[0]:10.2f}",
                    flush=True,
                )
        for threads, rows in times.items():
            wall = statistics.median(r[0] for r in rows)
            cpu = statistics.median(r[1] for r in rows)
            print(f"{name + ' (median)':<36} {threads:>7} {wall:7.2f} {cpu:7.2f}")


if __name__ == "__main__":
    main()
