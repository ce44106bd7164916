"""What the atlas will cost on this machine, before it runs: ``latentatlas atlas --dry-run``.

Training is measured, not guessed: for each kind of run in a study's plan (the same data, model
and training settings; seeds differ only in their numbers) a fresh model takes a few real steps of
:func:`latentatlas.train.fit`'s own epoch loop on the study's own data, one torch thread as the
engine trains, and the estimate is epochs x (steps x seconds per step + validation + checkpoint)
plus encoding every row once the run is trained. Runs are then laid out over the executor's worker
processes in plan order, as :class:`~latentatlas.executors.LocalExecutor` hands them out, each
worker paying its start-up (spawning Python, importing torch, building the first optimiser) and
loading its run's data again. The epoch counts are the settings' maxima: early stopping can only
shorten a study, so training is an upper bound.

Analyses are not retrained models but a study's own list of measures, many on capped samples, so
their cost is a measured constant per study (:data:`ANALYSIS_SECONDS_PER_RUN`, seconds per
analysed run on the reference core) scaled by the number of runs and by this machine's speed now:
a float32 matrix product timed on one thread against the reference core's. Measured on a loaded
machine, the estimate is for that load: the per-step times carry it.
"""

from __future__ import annotations

import heapq
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Seconds of analysis (cells, gates, claims and the report) per analysed run, per study, at the
#: quick settings, on a core whose one-thread 1024 x 1024 float32 matmul runs at
#: :data:`REFERENCE_GFLOPS`: what ``benchmarks/atlas_estimate.py`` prints in its last column.
#: Each is the reading of one quick atlas on a quiet 2-core machine (load 0.1-1.5, 3 December 2026),
#: rounded; a second quiet run checked them (docs/performance.md, "The atlas: its cost before it
#: runs").
ANALYSIS_SECONDS_PER_RUN: dict[str, float] = {
    "digit-pairs": 1.2,
    "heatmaps": 4.0,
    "filaments": 12.7,
    "disentanglement": 5.0,
}
#: One-thread float32 matmul rate of the core the analysis constants were measured on.
REFERENCE_GFLOPS = 100.0
#: Timed training steps per kind of run, after one warm-up step.
DEFAULT_STEPS = 3


@dataclass(frozen=True)
class RunCost:
    """One kind of run of a study (every seed of one model on one data set), measured.

    Attributes
    ----------
    data, model : str
        The data set and model names.
    runs : int
        How many runs (seeds) of this kind the plan trains.
    epochs, steps_per_epoch, batch_size : int
        The training settings' maximum epochs, and the steps they make of the training rows.
    step_seconds : float
        Mean seconds of one training step (forward, loss, backward, Adam), measured.
    epoch_seconds : float
        ``steps_per_epoch * step_seconds`` plus validation and the per-epoch checkpoint.
    run_seconds : float
        One run: its data load (in a worker), every epoch, then encoding every row.
    """

    data: str
    model: str
    runs: int
    epochs: int
    steps_per_epoch: int
    batch_size: int
    step_seconds: float
    epoch_seconds: float
    run_seconds: float


@dataclass(frozen=True)
class StudyEstimate:
    """One study's estimated wall seconds, stage by stage."""

    name: str
    quick: bool
    runs: tuple[RunCost, ...]
    data_seconds: float
    training_seconds: float
    analysis_seconds: float

    @property
    def seconds(self) -> float:
        """The study's estimated wall seconds: data, training, analysis."""
        return self.data_seconds + self.training_seconds + self.analysis_seconds


@dataclass(frozen=True)
class AtlasEstimate:
    """The atlas's estimated wall seconds on this machine, and what they were measured with."""

    studies: tuple[StudyEstimate, ...]
    jobs: int
    cores: int
    startup_seconds: float
    matmul_gflops: float
    measured_seconds: float

    @property
    def seconds(self) -> float:
        """The whole atlas's estimated wall seconds."""
        return sum(study.seconds for study in self.studies)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with each study's total."""
        document = asdict(self)
        for study, entry in zip(self.studies, document["studies"], strict=True):
            entry["seconds"] = study.seconds
        document["seconds"] = self.seconds
        return document


def estimate_atlas(
    names: Sequence[str] | None = None,
    *,
    quick: bool = False,
    jobs: int = 1,
    steps: int = DEFAULT_STEPS,
) -> AtlasEstimate:
    """Estimate ``latentatlas atlas`` (the studies ``names``, default all) on this machine.

    Parameters
    ----------
    names : sequence of str, optional
        The studies, as :func:`latentatlas.studies.atlas.run_atlas` takes them.
    quick : bool
        Each study's quick settings; else the sources' settings.
    jobs : int
        Training processes per study, as the atlas would use.
    steps : int
        Timed training steps per kind of run (after one warm-up).
    """
    from latentatlas.studies.atlas import study_names

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise _input_error(f"steps must be a positive integer, got {steps!r}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise _input_error(f"jobs must be a positive integer, got {jobs!r}")
    started = time.perf_counter()
    chosen = study_names(names)
    cores = os.cpu_count() or 1
    startup = worker_startup_seconds() if jobs > 1 else 0.0
    gflops = matmul_gflops()
    studies = tuple(
        estimate_study(name, quick=quick, jobs=jobs, steps=steps, startup=startup, gflops=gflops)
        for name in chosen
    )
    return AtlasEstimate(
        studies, jobs, cores, startup, gflops, measured_seconds=time.perf_counter() - started
    )


def estimate_study(
    name: str,
    *,
    quick: bool,
    jobs: int,
    steps: int,
    startup: float,
    gflops: float,
) -> StudyEstimate:
    """Estimate one registered study (see :func:`estimate_atlas`)."""
    from latentatlas import data
    from latentatlas.executors import data_key
    from latentatlas.studies import engine

    study = engine.get(name)
    config = study.config_type.quick() if quick else study.config_type()
    plan = engine._plan(Path("estimate"), study.cells(config))
    datasets: dict[str, Any] = {}
    load_seconds: dict[str, float] = {}
    for run_config, _ in plan:
        key = data_key(run_config)
        if key not in datasets:
            begun = time.perf_counter()
            datasets[key] = data.load(run_config.data.name, **run_config.data.options)
            load_seconds[key] = time.perf_counter() - begun
    in_workers = jobs > 1 and len(plan) > 1
    costs, durations = _run_costs(plan, datasets, load_seconds, steps, in_workers)
    workers = min(jobs, len(plan)) if in_workers else 1
    training = schedule_seconds(durations, workers, startup if in_workers else 0.0)
    training *= max(1.0, workers / (os.cpu_count() or 1))  # more workers than cores share them
    per_run = ANALYSIS_SECONDS_PER_RUN.get(name, max(ANALYSIS_SECONDS_PER_RUN.values()))
    analysis = per_run * len(plan) * REFERENCE_GFLOPS / gflops
    return StudyEstimate(name, quick, costs, sum(load_seconds.values()), training, analysis)


def _run_costs(
    plan: Sequence[tuple[Any, Path]],
    datasets: dict[str, Any],
    load_seconds: dict[str, float],
    steps: int,
    in_workers: bool,
) -> tuple[tuple[RunCost, ...], list[float]]:
    """Each kind of run measured once, and every run's seconds in plan order."""
    from latentatlas.executors import data_key

    kinds: dict[str, RunCost] = {}
    counts: dict[str, int] = {}
    durations = []
    for run_config, _ in plan:
        key = data_key(run_config)
        kind = json.dumps(
            [key, run_config.model.to_dict(), run_config.train.to_dict()],
            sort_keys=True,
            default=str,
        )
        if kind not in kinds:
            load = load_seconds[key] if in_workers else 0.0
            kinds[kind] = measure_run(run_config, datasets[key], steps, load)
        counts[kind] = counts.get(kind, 0) + 1
        durations.append(kinds[kind].run_seconds)
    costs = tuple(RunCost(**{**asdict(cost), "runs": counts[kind]}) for kind, cost in kinds.items())
    return costs, durations


def measure_run(config: Any, dataset: Any, steps: int, load_seconds: float = 0.0) -> RunCost:
    """Time ``steps`` training steps (after one warm-up) of a fresh model of ``config`` on its
    data, with the validation pass, the checkpoint and the final encoding of every row.

    The steps are :func:`latentatlas.train.step_seconds`, the loop's own epoch function over the
    first batches of the run's training rows, on one torch thread: the loop the run will execute,
    not a copy of it.
    """
    from latentatlas.executors import torch_threads
    from latentatlas.models import build
    from latentatlas.runs import split_indices
    from latentatlas.train import checkpoint_seconds, seed_everything

    train_idx, validation_idx = split_indices(config, dataset)
    batch = config.train.batch_size
    steps_per_epoch = -(-len(train_idx) // batch)
    with torch_threads(1):
        seed_everything(config.seed)
        model = build(
            config.model.name, dataset.input_shape, config.model.latent_dim, **config.model.options
        )
        if model.closed_form:
            fit_seconds = _closed_form_seconds(model, config, dataset, train_idx, validation_idx)
            encode = _encode_seconds(model, dataset, validation_idx) * len(dataset.x)
            run = load_seconds + fit_seconds + encode
            return RunCost(
                config.data.name, config.model.name, 1, 1, 1, batch, fit_seconds, fit_seconds, run
            )
        step = _step_seconds(model, config, dataset, train_idx, steps)
        per_row = _encode_seconds(model, dataset, validation_idx)
        checkpoint = checkpoint_seconds(model, config.train)
    epochs = config.train.epochs
    epoch = steps_per_epoch * step + per_row * len(validation_idx) + checkpoint
    # After training, every row is encoded and its reconstruction error measured: two passes.
    run = load_seconds + epochs * epoch + 2 * per_row * len(dataset.x)
    return RunCost(
        config.data.name,
        config.model.name,
        1,
        epochs,
        steps_per_epoch,
        batch,
        step,
        epoch,
        run,
    )


def _rows(dataset: Any, indices: Any) -> tuple[Any, Any]:
    """The inputs and labels of ``indices`` (read in ascending order), as training reads them."""
    labels = None if dataset.labels is None else np.asarray(dataset.labels)[indices]
    return np.ascontiguousarray(np.asarray(dataset.x[np.sort(indices)], dtype=np.float32)), labels


def _step_seconds(model: Any, config: Any, dataset: Any, train_idx: Any, steps: int) -> float:
    """Mean seconds of one training step, after a warm-up step (Adam's moments, first calls)."""
    from latentatlas.train import step_seconds

    needed = config.train.batch_size * (steps + 1)
    chosen = np.resize(train_idx, needed)  # a small data set is cycled to fill the steps
    return step_seconds(model, *_rows(dataset, chosen), config.train, steps)


def _encode_seconds(model: Any, dataset: Any, validation_idx: Any) -> float:
    """Seconds per row of an evaluation pass (the validation loss; encoding runs alike)."""
    from latentatlas.train import EVAL_BATCH, evaluation_seconds_per_row

    return evaluation_seconds_per_row(model, *_rows(dataset, validation_idx[:EVAL_BATCH]))


def _closed_form_seconds(
    model: Any, config: Any, dataset: Any, train_idx: Any, validation_idx: Any
) -> float:
    """Seconds of a closed-form fit (PCA) on the run's own rows."""
    from latentatlas.train import fit

    train = np.asarray(dataset.x[np.sort(train_idx)], dtype=np.float32)
    validation = np.asarray(dataset.x[np.sort(validation_idx)], dtype=np.float32)
    begun = time.perf_counter()
    fit(model, train, validation, config.train, config.seed, progress=False)
    return time.perf_counter() - begun


def schedule_seconds(durations: Sequence[float], workers: int, startup: float = 0.0) -> float:
    """Wall seconds of ``durations`` handed in order to the first free of ``workers`` workers,
    each of which first pays ``startup`` seconds (as a process pool hands out its tasks)."""
    if not durations:
        return 0.0
    free_at = [startup] * max(1, workers)
    heapq.heapify(free_at)
    for seconds in durations:
        heapq.heappush(free_at, heapq.heappop(free_at) + seconds)
    return max(free_at)


def worker_startup_seconds() -> float:
    """Seconds for a fresh Python to import torch and the trainer and build its first Adam, as
    each spawned training worker does before its first run."""
    code = (
        "import torch, latentatlas.runs, latentatlas.executors;"
        "torch.optim.Adam([torch.zeros(1, requires_grad=True)], fused=True)"
    )
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    begun = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=environment, capture_output=True)
    return time.perf_counter() - begun


def matmul_gflops(n: int = 1024, repeats: int = 5, threads: int | None = 1) -> float:
    """Best GFLOP/s of an ``n`` x ``n`` float32 matrix product on ``threads`` torch threads
    (None: as they are set)."""
    import torch

    from latentatlas.executors import torch_threads

    with torch_threads(threads):
        a, b = torch.rand(n, n), torch.rand(n, n)
        a @ b
        best = float("inf")
        for _ in range(repeats):
            begun = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - begun)
    return 2 * n**3 / best / 1e9


def _input_error(message: str) -> Exception:
    from latentatlas.errors import InputError

    return InputError(message)
