"""SIGKILL a training and a study at seeded random points: nothing half-written looks complete,
and running again finishes with the same weights and results as an uninterrupted run."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from latentatlas import runs
from latentatlas.analysis._result import ResultMixin
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.data.base import Dataset
from latentatlas.report import Report
from latentatlas.studies import engine
from latentatlas.studies.config import StudyConfig, setting

#: Seed of the kill points; the points are printed on failure through the assertion messages.
KILL_SEED = 20240611
torch.set_num_threads(1)


# -- a training -----------------------------------------------------------------------------------
def kill_dataset() -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(name="toy", x=rng.random((1500, 1, 8, 8), dtype=np.float32))


def kill_config() -> RunConfig:
    return RunConfig(
        data=DataConfig("toy"),
        model=ModelConfig("ae", 2, {"hidden": [32]}),
        train=TrainConfig(epochs=10, batch_size=32, device="cpu", patience=None),
        seed=3,
    )


def _train_child(out: str, ready: Any) -> None:
    dataset = kill_dataset()
    ready.set()
    runs.train_run(kill_config(), out, dataset=dataset, progress=False, resume=True)


def _start(target: Any, *args: str) -> Any:
    """A forked child (torch already imported: no start-up cost) that is past its set-up."""
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    process = context.Process(target=target, args=(*args, ready), daemon=True)
    process.start()
    assert ready.wait(60), "the child did not start"
    return process


def _kill_after(process: Any, seconds: float) -> None:
    time.sleep(seconds)
    if process.is_alive():
        os.kill(process.pid, signal.SIGKILL)
    process.join()


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
    started = time.perf_counter()
    whole = runs.load(runs.train_run(kill_config(), tmp_path / "whole", kill_dataset()))
    duration = time.perf_counter() - started
    rng = random.Random(KILL_SEED)
    for trial in range(2):
        out = tmp_path / f"cut-{trial}" / "run"
        points = [rng.uniform(0.0, 1.3 * duration) for _ in range(2)]
        for point in points:  # killed, restarted with resume, killed again
            _kill_after(_start(_train_child, str(out)), point)
            _check_nothing_half_written(out.parent, f"killed {point:.2f} s into {points}")
        resumed = runs.load(runs.train_run(kill_config(), out, kill_dataset(), resume=True))
        for key, value in whole.model.state_dict().items():
            assert torch.equal(value, resumed.model.state_dict()[key]), (key, points)
        assert resumed.history.validation_loss == whole.history.validation_loss
        assert not runs.partial_dir(out).exists()
        assert [s.status for s in runs.list_runs(out.parent)] == ["complete"]


# -- a study --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TinyConfig(StudyConfig):
    seeds: int = setting(3, "Seeds.")


@dataclass(frozen=True, eq=False)
class TinyResult(ResultMixin):
    code_norms: tuple[float, ...]


class TinyStudy(engine.Study):
    name = "tiny-kill"
    title = "Tiny"
    question = "Does a killed study resume?"
    source = "tests/reliability/test_kill.py"
    config_type = TinyConfig
    result_type = TinyResult

    def cells(self, config: TinyConfig) -> list[engine.Cell]:
        plan = tuple(
            (
                RunConfig(
                    DataConfig("digits"),
                    ModelConfig("ae", 2, {"hidden": [16]}),
                    TrainConfig(epochs=6, batch_size=64, device="cpu"),
                    seed,
                ),
                f"runs/seed-{seed}",
            )
            for seed in range(config.seeds)
        )
        return [engine.Cell("all", plan, {})]

    def analyse(
        self, config: TinyConfig, cell: engine.Cell, context: engine.AnalysisContext
    ) -> engine.CellOutput:
        norms = []
        for _, relative in cell.runs:
            run = context.run(relative)
            norms.append(float(np.linalg.norm(run.latents["validation_codes"])))
        return engine.CellOutput(TinyResult(tuple(norms)), {"norms": np.asarray(norms)})

    def report(self, results: engine.StudyResults) -> Report:
        report = Report("Tiny")
        report.add_section("Norms").add_text(str(results.arrays("all")["norms"].tolist()))
        return report


TINY = TinyStudy()


def register() -> None:
    engine.STUDIES[TINY.name] = "test_kill:TINY"


def _study_child(folder: str, ready: Any) -> None:
    register()
    ready.set()
    engine.run(TINY, TINY.config_type(), folder, progress=False)


def _metrics(folder: Path) -> dict[str, Any]:
    document = json.loads((folder / "metrics.json").read_text())
    return {key: document[key] for key in ("cells", "failed_runs")}


def test_a_study_killed_midway_completes_when_run_again(tmp_path):
    register()
    reference = tmp_path / "reference"
    engine.run(TINY, TinyConfig(), reference, progress=False)
    folder = tmp_path / "killed"
    process = _start(_study_child, str(folder))
    deadline = time.monotonic() + 60
    while process.is_alive() and time.monotonic() < deadline:  # until one run is finished
        if runs.is_complete(folder / "runs" / "seed-0"):
            break
        time.sleep(0.01)
    point = random.Random(KILL_SEED).uniform(0.0, 0.3)
    _kill_after(process, point)
    assert process.exitcode == -signal.SIGKILL, "the study finished before it could be killed"
    _check_nothing_half_written(folder / "runs", f"study killed {point:.2f} s after seed-0")
    assert not (folder / "report.html").exists()
    engine.run(TINY, TinyConfig(), folder, progress=False)
    assert _metrics(folder) == _metrics(reference)
    assert [s.status for s in runs.list_runs(folder / "runs")] == ["complete"] * 3
    assert not list(folder.rglob("*.partial")) and not list(folder.rglob(".*.tmp"))


def test_the_tiny_study_reads_back(tmp_path):
    register()
    engine.run(TINY, TinyConfig(seeds=1), tmp_path, progress=False)
    results = engine.load(tmp_path)
    assert isinstance(results.results["all"], TinyResult)
    assert isinstance(results.config, TinyConfig) and results.config.seeds == 1


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


def _sweep_child(spec: str, folder: str, ready: Any) -> None:
    import warnings

    from latentatlas.sweep import run_sweep

    warnings.simplefilter("ignore")
    ready.set()
    run_sweep(spec, folder)


def _wait_for_a_finished_run(process: Any, root: Path) -> None:
    deadline = time.monotonic() + 90
    while process.is_alive() and time.monotonic() < deadline:
        try:
            if any(root.glob("*/*/manifest.json")):  # runs/<model>/<key>/manifest.json
                return
        except OSError:  # the child renames and removes folders while we look
            pass
        time.sleep(0.01)


def test_a_sweep_killed_midway_completes_when_run_again(tmp_path):
    import warnings

    from latentatlas.sweep import read_table, run_sweep

    spec = tmp_path / "spec.toml"
    spec.write_text(SWEEP_SPEC)
    folder = tmp_path / "sweep"
    process = _start(_sweep_child, str(spec), str(folder))
    _wait_for_a_finished_run(process, folder / "runs")
    point = random.Random(KILL_SEED + 1).uniform(0.0, 0.5)
    _kill_after(process, point)
    assert process.exitcode == -signal.SIGKILL, "the sweep finished before it could be killed"
    _check_nothing_half_written(folder / "runs", f"sweep killed {point:.2f} s after a run")
    assert not (folder / "results.csv").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = run_sweep(spec, folder)  # the same command again
    table = read_table(folder)
    assert len(table) == 3 and not outcome.failures
    assert 1 <= outcome.trained <= 2  # only what the kill left unfinished
    assert [s.status for s in runs.list_runs(folder / "runs")] == ["complete"] * 3
    assert not list(folder.rglob("*.partial"))


def _atlas_child(folder: str, ready: Any) -> None:
    from latentatlas.studies.atlas import run_atlas

    register()
    ready.set()
    run_atlas(folder, names=[TINY.name], progress=False)


def test_an_atlas_killed_midway_completes_when_run_again(tmp_path):
    from latentatlas.studies.atlas import run_atlas

    register()
    folder = tmp_path / "atlas"
    process = _start(_atlas_child, str(folder))
    deadline = time.monotonic() + 60
    while process.is_alive() and time.monotonic() < deadline:
        if runs.is_complete(folder / TINY.name / "runs" / "seed-0"):
            break
        time.sleep(0.01)
    point = random.Random(KILL_SEED + 2).uniform(0.0, 0.3)
    _kill_after(process, point)
    assert process.exitcode == -signal.SIGKILL, "the atlas finished before it could be killed"
    _check_nothing_half_written(folder / TINY.name / "runs", f"atlas killed {point:.2f} s in")
    assert not (folder / "index.html").exists()
    index = run_atlas(folder, names=[TINY.name], progress=False)
    assert index.is_file() and f'href="{TINY.name}/report.html"' in index.read_text()
    assert [s.status for s in runs.list_runs(folder / TINY.name / "runs")] == ["complete"] * 3
