"""Benchmark: seconds to draw ``traversal_grids`` and save it as a PNG, for a big grid.

Random images stand in for decoded traversals (drawing does not depend on what they show): by
default 10 latent dimensions x 11 values x 4 inputs of 64 x 64 RGB, at the report's resolution.
Each repeat builds the figure and saves it to a PNG in memory; the best and the median of the
repeats are printed, wall-clock and process CPU seconds (on a shared machine the wall clock also
counts other people's work).

Usage::

    nice -n 5 .venv/bin/python benchmarks/traversal_grids.py
    .venv/bin/python benchmarks/traversal_grids.py --dims 3 --values 4 --inputs 2 --side 8 --gray
"""

from __future__ import annotations

import argparse
import functools
import io
import statistics
import time

import numpy as np

print = functools.partial(print, flush=True)  # progress shows when the output is piped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=10)
    parser.add_argument("--values", type=int, default=11)
    parser.add_argument("--inputs", type=int, default=4)
    parser.add_argument("--side", type=int, default=64)
    parser.add_argument("--gray", action="store_true", help="one channel instead of RGB")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    from latentatlas.analysis.traversal import TraversalResult
    from latentatlas.plots.disentanglement import traversal_grids

    channels = 1 if args.gray else 3
    shape = (args.inputs, args.dims, args.values, channels, args.side, args.side)
    result = TraversalResult(
        images=np.random.default_rng(0).random(shape, dtype=np.float32),
        codes=np.zeros((args.inputs, args.dims)),
        dims=tuple(range(args.dims)),
        values=np.linspace(-3.0, 3.0, args.values),
        scale=np.ones(args.dims),
        mode="absolute",
    )
    print(f"images {shape}: {args.inputs * args.dims * args.values} images")
    walls, cpus = [], []
    for _ in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        figure = traversal_grids(result, list(range(args.inputs)))
        figure.savefig(io.BytesIO(), format="png")
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"traversal_grids + savefig png: wall best {min(walls):.2f} s, median "
        f"{statistics.median(walls):.2f} s; cpu best {min(cpus):.2f} s, median "
        f"{statistics.median(cpus):.2f} s ({args.repeats} repeats, {len(figure.axes)} axes)"
    )


if __name__ == "__main__":
    main()
