"""SIGKILL a training at seeded random points, and a study, a sweep and an atlas (in this process
or with two worker processes) and a study and a sweep on Ray once they are provably midway:
nothing half-written looks complete, no worker outlives its driver, and running again finishes
with the same weights and results as an uninterrupted run.

No kill waits for a delay: on a loaded machine a delay lands somewhere else (or after the end).
A training kills itself at its n-th optimiser step or file operation (see :func:`die_at_event`),
n drawn with a seed; a driver is killed while it waits, blocked, after its first finished run
(see :func:`pause_after_first_run`)."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from _ray_cluster import (
    Cluster,
    live_processes,
    local_cluster,
    ray_environment,
    reap,
    session_processes,
)
from _tiny_study import TINY, TINY_ENTRY, KillConfig, TinyResult, register, tiny_metrics
from latentatlas import runs
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.data.base import Dataset
from latentatlas.executors import LocalExecutor, RayExecutor
from latentatlas.studies import engine

#: Seed of the kill points; the points are printed on failure through the assertion messages.
KILL_SEED = 20240611
torch.set_num_threads(1)


# -- a training -----------------------------------------------------------------------------------
def kill_dataset() -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(name="toy", x=rng.random((800, 1, 8, 8), dtype=np.float32))


def kill_config() -> RunConfig:
    return RunConfig(
        data=DataConfig("toy"),
        model=ModelConfig("ae", 2, {"hidden": [32]}),
        train=TrainConfig(epochs=4, batch_size=32, device="cpu", patience=None),
        seed=3,
    )


#: What a training's kill point counts: optimiser steps and these calls (a rename's eve, a sync).
FILE_EVENTS = ("fsync", "replace", "rename")


def training_events(on_event: Callable[[], None]) -> Callable[[], None]:
    """Call ``on_event`` before each file operation of :data:`FILE_EVENTS` and after each
    optimiser step in this process; return the function that stops it."""
    from torch.optim.optimizer import register_optimizer_step_post_hook

    originals = {name: getattr(os, name) for name in FILE_EVENTS}

    def counted(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            on_event()
            return real(*args, **kwargs)

        return call

    hook = register_optimizer_step_post_hook(lambda *_: on_event())
    for name, real in originals.items():
        setattr(os, name, counted(real))

    def stop() -> None:
        hook.remove()
        for name, real in originals.items():
            setattr(os, name, real)

    return stop


def count_training_events(out: Path) -> int:
    """The events (see :func:`training_events`) of one uninterrupted training into ``out``."""
    count = itertools.count()
    stop = training_events(lambda: next(count))
    try:
        runs.train_run(kill_config(), out, kill_dataset())
    finally:
        stop()
    return next(count)


def die_at_event(n: int) -> None:
    """SIGKILL this process at its ``n``-th training event, whatever the machine's load."""
    count = itertools.count(1)

    def tick() -> None:
        if next(count) == n:
            os.kill(os.getpid(), signal.SIGKILL)

    training_events(tick)  # for the rest of this (child) process


def _train_child(out: str, kill_at: str, ready: Any) -> None:
    dataset = kill_dataset()
    die_at_event(int(kill_at))
    ready.set()
    runs.train_run(kill_config(), out, dataset=dataset, progress=False, resume=True)


def _start(target: Any, *args: str) -> Any:
    """A forked child (torch already imported: no start-up cost) that is past its set-up.

    Not a daemon, since a daemon may not start worker processes: every test kills it.
    """
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    process = context.Process(target=target, args=(*args, ready))
    process.start()
    _STARTED.append(process)
    if not ready.wait(60):
        process.kill()
        process.join()
        raise AssertionError("the child did not start")
    return process


#: The children :func:`_start` started; :func:`_no_child_left` kills those a test left alive.
_STARTED: list[Any] = []


@pytest.fixture(autouse=True)
def _no_child_left() -> Iterator[None]:
    """Kill, after each test, the forked children it left (a test that failed or timed out):
    one left alive would keep training, and this process would wait for it when it exits."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.is_alive():
            process.kill()
        process.join()


def _join_killed_or_finished(process: Any, where: str) -> None:
    """Wait for a child that kills itself (or finishes first); fail, killing it, if it hangs."""
    process.join(240)
    if process.is_alive():
        process.kill()
        process.join()
        raise AssertionError(f"{where}: the training neither died nor finished in 240 s")
    assert process.exitcode in (0, -signal.SIGKILL), f"{where}: exit code {process.exitcode}"


def pause_after_first_run(marker: str | os.PathLike[str]) -> None:
    """Make this process's executors stop for good after their first finished run.

    Called in a driver (a forked child or a subprocess) before it runs anything: the first
    ``on_done`` of a plan runs as usual, then writes ``marker`` and blocks until the test kills
    the driver. Other runs may go on in workers meanwhile, but the driver cannot finish.
    """
    for executor_type in (LocalExecutor, RayExecutor):
        _pause_run_of(executor_type, Path(marker))


def _pause_run_of(executor_type: type, marker: Path) -> None:
    run = executor_type.run

    def paused(self: Any, plan: Any, *, on_done: Any = None, **options: Any) -> Any:
        def done(outcome: Any) -> None:
            if on_done is not None:
                on_done(outcome)
            marker.write_text(str(os.getpid()))
            threading.Event().wait()  # until the test's SIGKILL

        return run(self, plan, on_done=done, **options)

    executor_type.run = paused  # type: ignore[method-assign]


def _wait_until_paused(process: Any, marker: Path, log: Path | None = None) -> None:
    """Wait until the driver has finished a run and blocked; fail if it ended first.

    No deadline of its own: at load 20 on 2 cores a two-worker driver's first run took over
    the 120 s it once had. pytest's timeout stops a hang; the children are killed after it."""
    while not marker.exists() and _alive(process):
        time.sleep(0.02)
    if marker.exists():
        return
    process.kill()  # it may be stuck: never leave it behind
    output = "" if log is None else "\n" + log.read_text(errors="replace")[-3000:]
    raise AssertionError(f"the driver did not pause after a finished run{output}")


def _kill(process: Any) -> None:
    """SIGKILL the paused driver alone (not its workers) and reap it."""
    os.kill(process.pid, signal.SIGKILL)
    if isinstance(process, subprocess.Popen):
        process.wait()
    else:
        process.join()
    code = process.returncode if isinstance(process, subprocess.Popen) else process.exitcode
    assert code == -signal.SIGKILL, f"the driver ended by itself ({code})"


def _children(parent: int) -> dict[int, str]:
    """pid -> name of the live child processes of ``parent``, from /proc."""
    return {pid: name for pid, name, fields in live_processes() if int(fields[1]) == parent}


def _still_alive(pids: dict[int, str], seconds: float) -> dict[int, str]:
    """Those of ``pids`` still alive (not zombies) after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        left = {pid: name for pid, name in pids.items() if _is_running(pid)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in ("Z", "X")


def _kill_and_check_workers_die(process: Any, jobs: int) -> None:
    """Kill the paused driver; every process it started (its ``jobs`` workers, the resource
    tracker) must be gone within 5 s, or it would go on training beside the rerun."""
    workers = _children(process.pid)
    assert jobs == 1 or len(workers) >= jobs, f"expected {jobs} workers, found {workers}"
    _kill(process)
    try:
        left = _still_alive(workers, 5.0)
        assert not left, f"workers outlived their driver by 5 s: {left}"
    finally:
        for pid in _still_alive(workers, 0):
            os.kill(pid, signal.SIGKILL)


def _check_nothing_half_written(root: Path, where: str) -> None:
    """Every run listed complete is complete and intact; none is listed broken."""
    for summary in runs.list_runs(root) if root.is_dir() else []:
        assert summary.status != "broken", f"{where}: {summary.problem}"
        if summary.status == "complete":
            runs.verify(summary.path)
            runs.load(summary.path)  # loads, all files there and consistent
        else:
            assert not summary.path.exists(), f"{where}: incomplete run {summary.path} exists"


def test_a_training_killed_at_random_points_resumes_to_the_uninterrupted_weights(tmp_path):
    events = count_training_events(tmp_path / "whole")
    whole = runs.load(tmp_path / "whole")
    rng = random.Random(KILL_SEED)
    seeded = [[rng.randint(1, events + events // 10) for _ in range(2)] for _ in range(2)]
    # and once just before the run is renamed into place (its last event syncs the folder)
    for trial, points in enumerate([*seeded, [events - 1]]):
        out = tmp_path / f"cut-{trial}" / "run"
        for point in points:  # killed, restarted with resume, killed again (or finished)
            where = f"killed at event {point} of {events} (points {points})"
            _join_killed_or_finished(_start(_train_child, str(out), str(point)), where)
            _check_nothing_half_written(out.parent, where)
        resumed = runs.load(runs.train_run(kill_config(), out, kill_dataset(), resume=True))
        for key, value in whole.model.state_dict().items():
            assert torch.equal(value, resumed.model.state_dict()[key]), (key, points)
        assert resumed.history.validation_loss == whole.history.validation_loss
        assert not runs.partial_dir(out).exists()
        assert [s.status for s in runs.list_runs(out.parent)] == ["complete"]


# -- a study --------------------------------------------------------------------------------------
def _study_child(folder: str, marker: str, jobs: str, ready: Any) -> None:
    register()
    pause_after_first_run(marker)
    ready.set()
    engine.run(TINY, TINY.config_type(), folder, jobs=int(jobs), progress=False)


@pytest.fixture(scope="module")
def tiny_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The metrics of the tiny study, run once uninterrupted in this process."""
    register()
    folder = tmp_path_factory.mktemp("reference")
    engine.run(TINY, KillConfig(), folder, progress=False)
    return tiny_metrics(folder)


def _alive(process: Any) -> bool:
    """Whether a forked child (multiprocessing) or a subprocess still runs."""
    return process.poll() is None if isinstance(process, subprocess.Popen) else process.is_alive()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_study_killed_midway_completes_when_run_again(tiny_reference, tmp_path, jobs):
    register()
    folder, marker = tmp_path / "killed", tmp_path / "paused"
    process = _start(_study_child, str(folder), str(marker), str(jobs))
    _wait_until_paused(process, marker)
    _kill_and_check_workers_die(process, jobs)
    _check_nothing_half_written(folder / "runs", f"study with {jobs} job(s) killed")
    assert not (folder / "report.html").exists()
    engine.run(TINY, KillConfig(), folder, progress=False)
    assert tiny_metrics(folder) == tiny_reference
    assert [s.status for s in runs.list_runs(folder / "runs")] == ["complete"] * 3
    assert not list(folder.rglob("*.partial")) and not list(folder.rglob(".*.tmp"))


def test_the_tiny_study_reads_back(tmp_path):
    register()
    engine.run(TINY, KillConfig(seeds=1), tmp_path, progress=False)
    results = engine.load(tmp_path)
    assert isinstance(results.results["all"], TinyResult)
    assert isinstance(results.config, KillConfig) and results.config.seeds == 1


# -- a sweep and an atlas -------------------------------------------------------------------------
SWEEP_SPEC = """
dataset = "mnist"
models = ["ae"]
latent_dims = [2]
seeds = [0, 1, 2]
digit_pairs = [[1, 2]]
n_per_class = 60
epochs = 30
patience = 0
device = "cpu"
"""


def _sweep_child(spec: str, folder: str, marker: str, jobs: str, ready: Any) -> None:
    import warnings

    from latentatlas.studies.sweep import run_sweep

    warnings.simplefilter("ignore")
    pause_after_first_run(marker)
    ready.set()
    run_sweep(spec, folder, executor=LocalExecutor(int(jobs), threads=1))


def _complete_runs(root: Path) -> int:
    return sum(s.status == "complete" for s in runs.list_runs(root)) if root.is_dir() else 0


@pytest.fixture(scope="module")
def sweep_reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The results table of the sweep, run once uninterrupted in this process."""
    import warnings

    from latentatlas.studies.sweep import read_table, run_sweep

    folder = tmp_path_factory.mktemp("sweep-reference")
    (folder / "spec.toml").write_text(SWEEP_SPEC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_sweep(folder / "spec.toml", folder / "sweep")
    return read_table(folder / "sweep")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_sweep_killed_midway_completes_when_run_again(sweep_reference, tmp_path, jobs):
    import warnings

    from latentatlas.studies.sweep import read_table, run_sweep

    spec, folder, marker = tmp_path / "spec.toml", tmp_path / "sweep", tmp_path / "paused"
    spec.write_text(SWEEP_SPEC)
    process = _start(_sweep_child, str(spec), str(folder), str(marker), str(jobs))
    _wait_until_paused(process, marker)
    _kill_and_check_workers_die(process, jobs)
    _check_nothing_half_written(folder / "runs", f"sweep with {jobs} job(s) killed")
    assert not (folder / "results.csv").exists()
    unfinished = 3 - _complete_runs(folder / "runs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = run_sweep(spec, folder)  # the same command again
    assert outcome.trained == unfinished and not outcome.failures  # only what the kill left
    assert _same_table(read_table(folder), sweep_reference)
    assert [s.status for s in runs.list_runs(folder / "runs")] == ["complete"] * 3
    assert not list(folder.rglob("*.partial"))


def _same_table(rows: list[dict[str, Any]], reference: list[dict[str, Any]]) -> bool:
    """Equal rows, NaN equal to NaN (a silhouette without labels)."""
    return json.dumps(rows, sort_keys=True, default=str) == json.dumps(
        reference, sort_keys=True, default=str
    )


def _atlas_child(folder: str, marker: str, jobs: str, ready: Any) -> None:
    from latentatlas.studies.atlas import run_atlas

    register()
    pause_after_first_run(marker)
    ready.set()
    run_atlas(folder, names=[TINY.name], jobs=int(jobs), progress=False)


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_atlas_killed_midway_completes_when_run_again(
    tiny_reference, tmp_path, jobs, monkeypatch
):
    from latentatlas.studies.atlas import run_atlas

    monkeypatch.setitem(engine.STUDIES, TINY.name, TINY_ENTRY)  # undone after the test
    folder, marker = tmp_path / "atlas", tmp_path / "paused"
    process = _start(_atlas_child, str(folder), str(marker), str(jobs))
    _wait_until_paused(process, marker)
    _kill_and_check_workers_die(process, jobs)
    _check_nothing_half_written(folder / TINY.name / "runs", f"atlas with {jobs} job(s) killed")
    assert not (folder / "index.html").exists()
    index = run_atlas(folder, names=[TINY.name], progress=False)
    assert index.is_file() and f'href="{TINY.name}/report.html"' in index.read_text()
    assert tiny_metrics(folder / TINY.name) == tiny_reference
    assert [s.status for s in runs.list_runs(folder / TINY.name / "runs")] == ["complete"] * 3


# -- a study and a sweep on the Ray executor ------------------------------------------------------
# The drivers are subprocesses, each in a session of its own, so that every process its Ray starts
# can be found by the session id and killed by pid if it outlives the test. They are not forked:
# Ray does not support forking a process that has used it, and this one may have (the Ray tests).
RAY_AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")  # per-node helpers, not workers


def _ray_workers(session: int, title: str | None = None) -> dict[int, str]:
    """The Ray workers of ``session`` (``ray::IDLE``, ``ray::_train_in_worker``), or those titled
    ``title``."""
    return {
        pid: name
        for pid, name in session_processes(session).items()
        if name.startswith("ray::") and name not in RAY_AGENTS and title in (None, name)
    }


def _wait_until_gone(session: int, title: str | None, seconds: float) -> dict[int, str]:
    """The workers (titled ``title``) of ``session`` still alive after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while (left := _ray_workers(session, title)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture(scope="module")
def ray_env() -> dict[str, str]:
    """The environment of the drivers and the cluster (see :func:`ray_environment`)."""
    return ray_environment()


@pytest.fixture(scope="module")
def ray_cluster(ray_env: dict[str, str]) -> Iterator[Cluster]:
    """A one-node Ray cluster of 2 CPUs, as ``ray start --head`` makes one, for the module."""
    with local_cluster(ray_env, head_cpus=2) as cluster:
        yield cluster


@pytest.fixture
def drivers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The drivers a test starts; none of them, nor anything their Ray started, outlives it."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        reap(process.pid)  # a killed local Ray's agents linger for up to a minute


def _driver(drivers: list[Any], env: dict[str, str], log: Path, code: str, *args: str) -> Any:
    """Start ``python -c code args`` as a driver in a session of its own, output to ``log``."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            env=env,
            cwd=Path(__file__).parent,  # for `import test_kill`
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    drivers.append(process)
    return process


def _finish(process: subprocess.Popen[bytes], log: Path) -> None:
    process.wait(180)
    assert process.returncode == 0, f"the rerun failed:\n{log.read_text(errors='replace')[-3000:]}"


def _pausing(marker: Path | None) -> str:
    """Driver code that pauses after the first finished run (:func:`pause_after_first_run`)."""
    if marker is None:
        return ""
    return f"from test_kill import pause_after_first_run\npause_after_first_run({str(marker)!r})\n"


def _study_driver(folder: Path, address: str | None, marker: Path | None = None) -> str:
    """A driver running the tiny study on a Ray: a local one it starts, or the cluster's."""
    return _pausing(marker) + (
        "from _tiny_study import TINY, KillConfig, register\n"
        "from latentatlas.executors import make_executor\n"
        "from latentatlas.studies import engine\n"
        "register()\n"
        f"executor = make_executor('ray', 2, {address!r})\n"
        "try:\n"
        f"    engine.run(TINY, KillConfig(), {str(folder)!r}, executor=executor, progress=False)\n"
        "finally:\n"
        "    executor.shutdown()\n"
    )


def test_a_study_on_a_local_ray_killed_midway_completes_when_run_again(
    ray_env, ray_cluster, tiny_reference, drivers, tmp_path
):
    folder, log, marker = tmp_path / "killed", tmp_path / "driver.log", tmp_path / "paused"
    process = _driver(drivers, ray_env, log, _study_driver(folder, None, marker))  # a local Ray
    _wait_until_paused(process, marker, log)
    workers = _ray_workers(process.pid)
    assert workers, "the driver's Ray has no workers to watch"
    _kill(process)
    # Its raylet and workers die with it (its per-node agents linger up to a minute, until they
    # notice; the drivers fixture kills those).
    assert not _wait_until_gone(process.pid, None, 10), f"workers outlived the driver: {workers}"
    _check_nothing_half_written(folder / "runs", "study on Ray killed")
    assert not (folder / "report.html").exists()
    again = _driver(drivers, ray_env, log, _study_driver(folder, ray_cluster.address))
    _finish(again, log)
    assert tiny_metrics(folder) == tiny_reference  # as uninterrupted in one process
    assert [s.status for s in runs.list_runs(folder / "runs")] == ["complete"] * 3
    assert not list(folder.rglob("*.partial")) and not list(folder.rglob(".*.tmp"))


def test_a_sweep_on_a_ray_cluster_killed_midway_completes_when_run_again(
    ray_env, ray_cluster, drivers, tmp_path
):
    from latentatlas.studies.sweep import read_table

    spec, folder, log = tmp_path / "spec.toml", tmp_path / "sweep", tmp_path / "driver.log"
    marker = tmp_path / "paused"
    spec.write_text(SWEEP_SPEC)
    cli = "from latentatlas.cli import app; app()"
    sweep = ("sweep", str(spec), "--out", str(folder))
    ray = ("--executor", "ray", "--address", ray_cluster.address, "--quiet")
    process = _driver(drivers, ray_env, log, _pausing(marker) + cli, *sweep, *ray)
    _wait_until_paused(process, marker, log)
    _kill(process)
    # The cluster lives on and stops the dead driver's tasks itself: at once on one node, where
    # the driver's raylet sees it die; later on other nodes, and 30 s later through Ray client.
    # A task still running then holds its run's lock, and the rerun's task of it waits.
    running = _wait_until_gone(ray_cluster.sessions[0], "ray::_train_in_worker", 10)
    assert not running, f"tasks of the killed driver still run: {running}"
    _check_nothing_half_written(folder / "runs", "sweep on Ray killed after a run")
    assert not (folder / "results.csv").exists()
    _finish(_driver(drivers, ray_env, log, cli, *sweep, *ray), log)  # the same command again
    assert [row["status"] for row in read_table(folder)] == ["finished"] * 3
    assert [s.status for s in runs.list_runs(folder / "runs")] == ["complete"] * 3
    assert not list(folder.rglob("*.partial")) and not list(folder.rglob(".*.tmp"))
