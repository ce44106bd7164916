"""Overhead of the Ray executor against the local one, on tiny runs where overhead dominates.

Trains the same ``--runs`` tiny runs (a 784-128-32-2 ``ae`` on 40 MNIST images of the digits 1
and 2, one epoch, seeds 0..N-1) with: the local executor in this process (``jobs=1``), the
local executor's process pool (``--jobs`` spawned workers), and the Ray executor on a local Ray of
``--jobs`` CPUs, first with cold workers and then again with the workers Ray keeps. Everything
runs in this one process, one after the other; the run folders are removed between passes.
Prints, per pass, the wall time, the summed training time reported by the runs and the overhead
per run (wall x workers - training, over runs), plus the time ``ray.init`` took.

Run: ``python benchmarks/ray_overhead.py [--runs 40] [--jobs 2]``
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.executors import LocalExecutor, RayExecutor, check_plan


def tiny_plan(folder: Path, runs: int) -> list[tuple[RunConfig, Path]]:
    """``runs`` tiny runs that differ only by seed."""
    data = DataConfig("mnist", {"digits": [1, 2], "n_per_class": 20})
    train = TrainConfig(epochs=1, device="cpu")
    return [
        (RunConfig(data, ModelConfig("ae", 2), train, seed), folder / f"seed-{seed}")
        for seed in range(runs)
    ]


def timed_pass(name: str, executor: Any, plan: list[tuple[RunConfig, Path]], workers: int) -> None:
    """Train ``plan`` once with ``executor`` and print wall time and overhead per run."""
    for _, path in plan:
        shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    outcomes = executor.run(plan)
    wall = time.perf_counter() - started
    training = sum(outcome.seconds for outcome in outcomes)
    failed = sum(not outcome.ok for outcome in outcomes)
    overhead = (wall * workers - training) / len(plan)
    print(
        f"{name:<28} wall {wall:7.2f} s   training {training:7.2f} s   "
        f"overhead {overhead * 1000:7.0f} ms/run   failed {failed}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the MNIST fallback notice, once per worker
    import ray

    folder = Path(tempfile.mkdtemp(prefix="ray-overhead-"))
    try:
        plan = tiny_plan(folder, args.runs)
        check_plan(plan)  # load the data once here, as a sweep does before it trains
        print(f"{args.runs} tiny runs, {args.jobs} workers, folder {folder}")
        timed_pass("local, in process (jobs=1)", LocalExecutor(1, threads=1), plan, 1)
        timed_pass(f"local, pool (jobs={args.jobs})", LocalExecutor(args.jobs), plan, args.jobs)
        started = time.perf_counter()
        ray.init(
            num_cpus=args.jobs, include_dashboard=False, log_to_driver=False, logging_level="error"
        )
        print(f"ray.init (local, {args.jobs} CPUs): {time.perf_counter() - started:.2f} s")
        executor = RayExecutor()
        timed_pass("ray, cold workers", executor, plan, args.jobs)
        timed_pass("ray, warm workers", executor, plan, args.jobs)
        ray.shutdown()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
