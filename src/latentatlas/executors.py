"""Run a plan of trainings: in this process or in local worker processes.

A plan is a list of ``(RunConfig, run folder)``. Studies, ``latentatlas train`` and sweeps hand
their plans to an executor; a Ray executor (the sweeps issue) plugs in beside
:class:`LocalExecutor` with the same :meth:`run`. A training that diverges or fails is recorded
as a failed :class:`RunOutcome` (or raised, with ``stop_on_error``) so that a study can carry on
with the other runs and say in its report which ones failed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from latentatlas.config import RunConfig
from latentatlas.errors import InputError

Plan = Sequence[tuple[RunConfig, Path]]


@dataclass(frozen=True)
class RunOutcome:
    """How one planned training ended.

    Attributes
    ----------
    path : Path
        The run folder.
    ok : bool
        True when the run folder is complete.
    error : str or None
        The one-sentence reason when it failed (a divergence, a resource error).
    seconds : float
        Wall-clock time of the training.
    """

    path: Path
    ok: bool
    error: str | None = None
    seconds: float = 0.0


class Executor(Protocol):
    """Anything that trains a plan and reports each run's outcome as it finishes."""

    def run(
        self,
        plan: Plan,
        *,
        overwrite: bool = False,
        stop_on_error: bool = False,
        on_done: Callable[[RunOutcome], None] | None = None,
        on_epoch: Callable[[Path, Any], None] | None = None,
    ) -> list[RunOutcome]: ...


class LocalExecutor:
    """Train in this process (``jobs=1``) or in ``jobs`` spawned worker processes.

    Parameters
    ----------
    jobs : int
        Worker processes; 1 trains here and loads each data set once.
    threads : int or None
        Torch threads per training. 1 makes the numbers independent of ``jobs`` and of the
        machine's thread settings (a reduction split over more threads sums in another order)
        and is also the fastest for small models (docs/performance.md). None keeps this
        process's setting in-process and gives each worker ``cpu_count // jobs``.
    progress : bool
        Per-epoch progress bars of in-process trainings (off in workers).
    """

    def __init__(self, jobs: int = 1, threads: int | None = 1, progress: bool = False):
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise InputError(f"jobs must be a positive integer, got {jobs!r}")
        self.jobs, self.threads, self.progress = jobs, threads, progress

    def run(
        self,
        plan: Plan,
        *,
        overwrite: bool = False,
        stop_on_error: bool = False,
        on_done: Callable[[RunOutcome], None] | None = None,
        on_epoch: Callable[[Path, Any], None] | None = None,
    ) -> list[RunOutcome]:
        """Train every run of ``plan``; return the outcomes in the plan's order."""
        if not plan:
            return []
        if self.jobs == 1 or len(plan) == 1:
            return self._run_here(plan, overwrite, stop_on_error, on_done, on_epoch)
        return self._run_in_processes(plan, overwrite, stop_on_error, on_done)

    def _run_here(
        self,
        plan: Plan,
        overwrite: bool,
        stop_on_error: bool,
        on_done: Callable[[RunOutcome], None] | None,
        on_epoch: Callable[[Path, Any], None] | None,
    ) -> list[RunOutcome]:
        from latentatlas import data

        datasets: dict[str, Any] = {}
        outcomes = []
        for config, path in plan:
            key = data_key(config)
            if key not in datasets:
                datasets[key] = data.load(config.data.name, **config.data.options)
            epoch_callback = None if on_epoch is None else _bind(on_epoch, Path(path))
            outcome = train_one(
                config,
                Path(path),
                dataset=datasets[key],
                overwrite=overwrite,
                threads=self.threads,
                progress=self.progress,
                on_epoch=epoch_callback,
                catch=not stop_on_error,
            )
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)
        return outcomes

    def _run_in_processes(
        self,
        plan: Plan,
        overwrite: bool,
        stop_on_error: bool,
        on_done: Callable[[RunOutcome], None] | None,
    ) -> list[RunOutcome]:
        threads = self.threads or max(1, (os.cpu_count() or 1) // self.jobs)
        context = get_context("spawn")  # fork would copy torch's thread pools and locks
        with ProcessPoolExecutor(max_workers=self.jobs, mp_context=context) as pool:
            futures = [
                pool.submit(
                    _train_in_worker, config.to_dict(), str(path), overwrite, threads, stop_on_error
                )
                for config, path in plan
            ]
            outcomes = []
            for future in futures:
                outcome = future.result()
                outcomes.append(outcome)
                if on_done is not None:
                    on_done(outcome)
        return outcomes


def data_key(config: RunConfig) -> str:
    """A text that is equal for runs that load the same data with the same options."""
    return json.dumps(config.data.to_dict(), sort_keys=True, default=str)


def train_one(
    config: RunConfig,
    path: Path,
    *,
    dataset: Any = None,
    overwrite: bool = False,
    threads: int | None = 1,
    progress: bool = False,
    on_epoch: Callable[[Any], None] | None = None,
    catch: bool = True,
    resume: bool = True,
) -> RunOutcome:
    """Train one run (resuming its checkpoint unless ``resume`` is False) and return its outcome.

    With ``catch`` a divergence or a resource error becomes a failed outcome whose ``error``
    is one sentence; without it the exception propagates.
    """
    from latentatlas.runs import train_run
    from latentatlas.train import TrainingDiverged

    started = time.perf_counter()
    try:
        with torch_threads(threads):
            train_run(
                config,
                path,
                dataset,
                progress=progress,
                resume=resume,
                overwrite=overwrite,
                on_epoch=on_epoch,
            )
    except (TrainingDiverged, InputError, MemoryError) as error:
        if not catch:
            raise
        return RunOutcome(path, False, _sentence(error), time.perf_counter() - started)
    return RunOutcome(path, True, None, time.perf_counter() - started)


def _sentence(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, InputError | RuntimeError) else f"out of memory ({text})"


@contextmanager
def torch_threads(threads: int | None):  # type: ignore[no-untyped-def]
    """Set torch's intra-op threads for the block (None leaves them as they are)."""
    import torch

    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _bind(on_epoch: Callable[[Path, Any], None], path: Path) -> Callable[[Any], None]:
    return lambda record: on_epoch(path, record)


def _train_in_worker(
    config: dict[str, Any], path: str, overwrite: bool, threads: int, stop_on_error: bool
) -> RunOutcome:
    """Train one run in a worker process (top level so that spawn can pickle it)."""
    import warnings

    # The parent already showed each data set's warnings once, as one sentence, when it checked
    # the plan; a worker would repeat them as raw Python warnings for every run it trains.
    warnings.simplefilter("ignore")
    return train_one(
        RunConfig.from_dict(config),
        Path(path),
        overwrite=overwrite,
        threads=threads,
        catch=not stop_on_error,
    )


def check_plan(plan: Plan) -> dict[str, Any]:
    """Load each data set and build each model of ``plan`` once, before anything is written.

    Returns the loaded data sets keyed by :func:`data_key`, so bad options fail fast with their
    own sentence (an unknown activation, a missing data folder, a split that leaves no data).
    """
    from latentatlas import data
    from latentatlas.models import check_buildable
    from latentatlas.train import resolve_device

    datasets: dict[str, Any] = {}
    for config, _ in plan:
        key = data_key(config)
        if key not in datasets:
            datasets[key] = data.load(config.data.name, **config.data.options)
            datasets[key].split(config.train.split_seed, config.train.validation_fraction)
        resolve_device(config.train.device)
        check_buildable(config.model, datasets[key].input_shape)
    return datasets


def train_many(
    plan: Plan,
    jobs: int = 1,
    progress: bool = True,
    overwrite: bool = False,
    on_done: Callable[[str], None] | None = None,
    threads: int | None = 1,
) -> list[Path]:
    """Train every run of ``plan`` and stop at the first failure (``latentatlas train``).

    Complete runs are kept and interrupted ones resumed from their checkpoints; with
    ``overwrite`` complete runs are trained again. One torch thread per run by default, so
    the weights do not depend on ``jobs`` or on the machine's thread settings.
    """
    check_plan(plan)

    def done(outcome: RunOutcome) -> None:
        if on_done is not None:
            on_done(f"trained {outcome.path}")

    executor = LocalExecutor(jobs, threads=threads, progress=progress)
    outcomes = executor.run(plan, overwrite=overwrite, stop_on_error=True, on_done=done)
    return [outcome.path for outcome in outcomes]
