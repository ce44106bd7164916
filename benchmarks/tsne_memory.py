"""Benchmark: peak memory of ``embed_2d``'s t-SNE against openTSNE on the same float32 points.

Peak memory does not depend on the number of iterations (the affinities, the neighbour
index and the data are all built before the first one), so both run a short optimisation
of ``--iterations`` (a quarter exaggerated), which keeps the measurement to minutes on a
loaded 2-core machine; ``benchmarks/embedding.py`` measures time and quality at full length.
Each runs in its own ``spawn`` child on the data of ``benchmarks/embedding.py`` (256-d
points along 40 curves), which reports its peak resident set size (``ru_maxrss``), the
resident size just before the call, and the call's wall and CPU seconds.

    python benchmarks/tsne_memory.py                    # 80,000 points, 2 threads
    python benchmarks/tsne_memory.py --n 20000 --threads 1
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _measure(implementation: str, n: int, threads: int, iterations: int, results: Any) -> None:
    import openTSNE

    from embedding import SEED, _rss_mib, make_data
    from latentatlas.analysis.maps import embed_2d

    x, _ = make_data(n)
    before = _rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    if implementation == "openTSNE":
        exaggerated = iterations // 4
        openTSNE.TSNE(
            n_jobs=threads,
            random_state=SEED,
            early_exaggeration_iter=exaggerated,
            n_iter=iterations - exaggerated,
        ).fit(x)
    else:
        embed_2d(x, n_jobs=threads, n_iter=iterations, random_state=SEED)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put((wall, cpu, peak, peak - before))


def measure(implementation: str, n: int, threads: int, iterations: int) -> tuple:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    args = (implementation, n, threads, iterations, results)
    child = context.Process(target=_measure, args=args)
    child.start()
    out = results.get()
    child.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=80_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--only", choices=("openTSNE", "embed_2d"), help="measure one of them")
    args = parser.parse_args()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"{args.n:,} x 256 float32, {args.iterations} iterations, {args.threads} threads, "
        f"load {load}"
    )
    print(f"{'implementation':<12} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'extra MiB':>10}")
    rows = {}
    for implementation in [args.only] if args.only else ["openTSNE", "embed_2d"]:
        rows[implementation] = measure(implementation, args.n, args.threads, args.iterations)
        wall, cpu, peak, extra = rows[implementation]
        print(f"{implementation:<12} {wall:8.1f} {cpu:8.1f} {peak:9.0f} {extra:10.0f}", flush=True)
    if args.only:
        return
    ours, theirs = rows["embed_2d"], rows["openTSNE"]
    print(f"peak ours - openTSNE: {ours[2] - theirs[2]:+.0f} MiB (target: at most 0)")


if __name__ == "__main__":
    main()
