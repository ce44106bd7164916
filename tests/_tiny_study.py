"""The tiny test study, in the shapes the engine's tests need: a few seeds of a small model on the
8x8 digits (seconds), with the norm of each run's validation codes as its result.

One :class:`TinyStudy` serves every test of the engine; a :class:`Shape` (its name, the grid's
cells and run folders, the model's size) and a settings type tell its instances apart:

- :data:`TINY` (``tiny-kill``): 3 seeds of an autoencoder in one cell ``all``, trained long
  enough (6 epochs) to be killed midway: the kill, lock and Ray cluster tests;
- :data:`TOY` (``toy``): a cell per latent dimension (``dim-1``, ``dim-2``), any of PCA, AE, VAE,
  and a claim that two dimensions hold more: tests/studies/test_engine.py;
- :data:`TINY_INTEGRITY` (``tiny``): the toy's grid, damaged file by file:
  tests/studies/test_integrity.py;
- :data:`PROGRESS` (``progress-tiny``): 2 seeds of an autoencoder in one cell ``only``, whose
  analysis and report can wait for the heartbeat: tests/test_progress.py.

Each analysis appends its cell's key to the study's ``calls``, so a test sees what was analysed
again. tests/ is on the path of pytest and of the drivers the kill tests start.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.report import Report
from latentatlas.results import ResultMixin
from latentatlas.studies import engine
from latentatlas.studies.claims import ClaimSpec, Separated
from latentatlas.studies.config import StudyConfig, setting

#: How long a waiting stage waits for the heartbeat before it fails (never reached unless the
#: heartbeat is broken; a loaded machine only makes the wait longer).
PATIENCE = 120.0


@dataclass(frozen=True)
class TinyConfig(StudyConfig):
    QUICK: ClassVar[Mapping[str, Any]] = {"seeds": 1}

    seeds: int = setting(2, "Seeds.")
    models: tuple[str, ...] = setting(("pca",), "Models.")
    epochs: int = setting(2, "Epochs.")
    lr: float = setting(1e-3, "Learning rate of the ae.")
    device: str = setting("cpu", "Device.")
    label: str = setting("norms", "An analysis-only setting (changes no run).")


@dataclass(frozen=True)
class KillConfig(TinyConfig):
    """:data:`TINY`'s settings: three autoencoders trained long enough to be killed midway."""

    seeds: int = setting(3, "Seeds.")
    models: tuple[str, ...] = setting(("ae",), "Models.")
    epochs: int = setting(6, "Epochs.")


@dataclass(frozen=True)
class ProgressConfig(TinyConfig):
    """:data:`PROGRESS`'s settings: autoencoders, whose epochs say that they run."""

    models: tuple[str, ...] = setting(("ae",), "Models.")


@dataclass(frozen=True, eq=False)
class TinyResult(ResultMixin):
    #: The norm of each seed's validation codes, by model.
    code_norm: dict[str, tuple[float, ...]]
    #: The cell's runs that did not finish.
    failed: tuple[str, ...]


@dataclass(frozen=True)
class Shape:
    """What tells the tiny studies apart: the name, the grid and the model's size.

    ``cell`` and ``folder`` are formats of ``dim`` (and ``model``, ``seed``): a cell per entry
    of ``dims`` and a run folder per model and seed of it.
    """

    name: str
    config_type: type = TinyConfig
    dims: tuple[int, ...] = (1, 2)
    cell: str = "dim-{dim}"
    folder: str = "runs/dim-{dim}/{model}/seed-{seed}"
    hidden: int = 8
    batch_size: int = 256
    #: Whether it judges a claim: the second of ``dims`` holds more than the first (PCA's norms).
    claim: bool = False


class TinyStudy(engine.Study):
    """The tiny study in ``shape``; see the module docstring."""

    title = "Tiny"
    question = "Does the engine work?"
    source = citation = "a test"
    result_type = TinyResult

    def __init__(self, shape: Shape):
        self.shape = shape
        self.name = shape.name
        self.config_type = shape.config_type
        #: The keys of the cells analysed, in order (a test clears it).
        self.calls: list[str] = []
        #: Stages (``analysis``, ``report``) that block until the heartbeat has named them.
        self.wait_for_heartbeat: dict[str, threading.Event] = {}

    def cells(self, config: TinyConfig) -> list[engine.Cell]:
        shape = self.shape
        train = TrainConfig(
            epochs=config.epochs, batch_size=shape.batch_size, lr=config.lr, device=config.device
        )
        return [
            engine.Cell(
                shape.cell.format(dim=dim),
                tuple(
                    (
                        RunConfig(DataConfig("digits"), self._model(model, dim), train, seed),
                        shape.folder.format(dim=dim, model=model, seed=seed),
                    )
                    for model in config.models
                    for seed in range(config.seeds)
                ),
                {"dim": dim},
            )
            for dim in shape.dims
        ]

    def _model(self, name: str, dim: int) -> ModelConfig:
        return ModelConfig(name, dim, {} if name == "pca" else {"hidden": [self.shape.hidden]})

    def analyse(
        self, config: TinyConfig, cell: engine.Cell, context: engine.AnalysisContext
    ) -> engine.CellOutput:
        self.calls.append(cell.key)
        norms: dict[str, list[float]] = {}
        failed = []
        for run_config, relative in cell.runs:
            context.step(relative)
            context.update("the norm")
            self._wait("analysis")
            run = context.run(relative)
            if run is None:
                failed.append(relative)
                continue
            norm = float(np.linalg.norm(run.latents["validation_codes"]))
            norms.setdefault(run_config.model.name, []).append(norm)
        result = TinyResult({m: tuple(v) for m, v in norms.items()}, tuple(failed))
        every = [norm for model_norms in norms.values() for norm in model_norms]
        return engine.CellOutput(result, {"norms": np.asarray(every)})

    def claim_specs(self, config: TinyConfig) -> list[ClaimSpec]:
        """With ``shape.claim``: the second dimension holds more than the first."""
        if not self.shape.claim:
            return []
        low, high = (self.shape.cell.format(dim=d) for d in self.shape.dims[:2])

        def norms(evidence: Any, cell: str) -> tuple[float, ...]:
            return evidence.results[cell].code_norm.get("pca", ())

        return [
            ClaimSpec(
                "more_dims",
                "Two dimensions hold more.",
                lambda e: Separated(norms(e, high), norms(e, low), expect="greater"),
            )
        ]

    def report(self, results: engine.StudyResults) -> Report:
        self._wait("report")
        report = Report("Tiny")
        for cell in results.cells:
            report.add_section(cell.key).add_text(str(results.arrays(cell.key)["norms"].tolist()))
        return report

    def _wait(self, stage: str) -> None:
        if stage in self.wait_for_heartbeat:
            heard = self.wait_for_heartbeat[stage].wait(PATIENCE)
            assert heard, f"no heartbeat during {stage}"


TINY = TinyStudy(
    Shape(
        "tiny-kill",
        KillConfig,
        dims=(2,),
        cell="all",
        folder="runs/seed-{seed}",
        hidden=16,
        batch_size=64,
    )
)
TOY = TinyStudy(Shape("toy", claim=True))
TINY_INTEGRITY = TinyStudy(Shape("tiny"))
PROGRESS = TinyStudy(
    Shape(
        "progress-tiny", ProgressConfig, dims=(2,), cell="only", folder="runs/{model}/seed-{seed}"
    )
)

#: The registry entry of :data:`TINY` (tests/ is on the path of pytest and of the drivers).
TINY_ENTRY = "_tiny_study:TINY"
#: The registry entry of each tiny study, by name.
ENTRIES = {
    study.name: f"_tiny_study:{attribute}"
    for attribute, study in [
        ("TINY", TINY),
        ("TOY", TOY),
        ("TINY_INTEGRITY", TINY_INTEGRITY),
        ("PROGRESS", PROGRESS),
    ]
}


def register() -> None:
    """Make ``latentatlas study tiny-kill`` and ``engine.get("tiny-kill")`` find :data:`TINY`."""
    engine.STUDIES[TINY.name] = TINY_ENTRY


def tiny_metrics(folder: Path) -> dict[str, Any]:
    """The results and failures of a finished tiny study in ``folder``."""
    document = json.loads((folder / "metrics.json").read_text())
    return {key: document[key] for key in ("cells", "failed_runs")}
