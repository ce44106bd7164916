"""The atlas's dry-run estimate against its measured time, in one process under one load.

Runs :func:`latentatlas.studies.estimate.estimate_atlas` for the quick atlas (or the studies
given), then the atlas itself into a temporary folder with the same ``--jobs``, timing each
study's training (its start to its first "analysing" step) and its analyses (from there to the
study's end, report included). Prints, per study and in total, the estimate, the measurement and
their ratio, with the CPU seconds of this process and its workers and the load average beside the
wall seconds: on a shared machine the estimate measures its per-step times under the load of the
moment, so the ratio stays meaningful while the absolute seconds do not carry over.

The last column is each study's measured analysis seconds per run, scaled to the reference core
(``REFERENCE_GFLOPS``) with the one-thread matmul rate measured before and after the atlas:
the figures that :data:`~latentatlas.studies.estimate.ANALYSIS_SECONDS_PER_RUN` holds.

Run: ``python benchmarks/atlas_estimate.py [--studies digit-pairs,filaments] [--jobs 2]
[--full]``
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from latentatlas.studies.atlas import run_atlas
from latentatlas.studies.estimate import REFERENCE_GFLOPS, estimate_atlas, matmul_gflops


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class StageClock:
    """Timestamps of the atlas's progress lines: each study's start and first analysis."""

    def __init__(self) -> None:
        self.starts: dict[str, float] = {}
        self.analysis: dict[str, float] = {}
        self.current = ""

    def __call__(self, line: str) -> None:
        now = time.perf_counter()
        if line.startswith("study ") and ": " in line:
            self.current = line.split(": ", 1)[1]
            self.starts[self.current] = now
        elif line.startswith("analysing") and self.current not in self.analysis:
            self.analysis[self.current] = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", default=None, help="Comma-separated (default: all).")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--full", action="store_true", help="The sources' settings.")
    args = parser.parse_args()
    names = args.studies.split(",") if args.studies else None
    quick = not args.full

    load_before = os.getloadavg()
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    estimate = estimate_atlas(names, quick=quick, jobs=args.jobs)
    cpu1, wall1 = cpu_seconds(), time.perf_counter()
    for study in estimate.studies:  # printed now, so that an interrupted run still shows them
        print(
            f"estimate {study.name}: data {study.data_seconds:.0f} s, training "
            f"{study.training_seconds:.0f} s, analyses {study.analysis_seconds:.0f} s",
            flush=True,
        )
    clock = StageClock()
    with tempfile.TemporaryDirectory() as folder:
        run_atlas(
            Path(folder) / "atlas",
            names=names,
            quick=quick,
            jobs=args.jobs,
            progress=False,
            on_step=clock,
        )
    end = time.perf_counter()
    cpu2 = cpu_seconds()
    gflops = (estimate.matmul_gflops + matmul_gflops()) / 2
    print(
        f"load average before: {load_before[0]:.1f}, after: {os.getloadavg()[0]:.1f}; "
        f"jobs {args.jobs}; one-thread matmul {estimate.matmul_gflops:.0f} GFLOP/s before, "
        f"{gflops * 2 - estimate.matmul_gflops:.0f} after"
    )
    print(
        f"estimate took {wall1 - wall0:.0f} s wall, {cpu1 - cpu0:.0f} CPU-s; "
        f"the atlas {end - wall1:.0f} s wall, {cpu2 - cpu1:.0f} CPU-s (workers included)"
    )
    header = (
        "study",
        "est train",
        "meas train",
        "est analysis",
        "meas analysis",
        "est total",
        "meas total",
        "est/meas",
        "analysis s/run @ref",
    )
    print(" | ".join(header))
    order = [study.name for study in estimate.studies]
    for index, study in enumerate(estimate.studies):
        start, analysing = clock.starts[study.name], clock.analysis[study.name]
        stop = clock.starts[order[index + 1]] if index + 1 < len(order) else end
        train, analysis = analysing - start, stop - analysing
        runs = sum(run.runs for run in study.runs)
        per_run = analysis / runs * gflops / REFERENCE_GFLOPS
        print(
            f"{study.name} | {study.data_seconds + study.training_seconds:.0f} | {train:.0f} | "
            f"{study.analysis_seconds:.0f} | {analysis:.0f} | {study.seconds:.0f} | "
            f"{stop - start:.0f} | {study.seconds / (stop - start):.2f} | {per_run:.2f}"
        )
    measured = end - wall1
    print(
        f"total | | | | | {estimate.seconds:.0f} | {measured:.0f} | "
        f"{estimate.seconds / measured:.2f} |"
    )


if __name__ == "__main__":
    main()
