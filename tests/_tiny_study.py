"""The tiny study the kill tests and the Ray cluster test run: 3 seeds of a small autoencoder
on the 8x8 digits (a few seconds), with the norm of each seed's codes as its result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from latentatlas.analysis._result import ResultMixin
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.report import Report
from latentatlas.studies import engine
from latentatlas.studies.config import StudyConfig, setting


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
    source = "tests/_tiny_study.py"
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


#: The registry entry of :data:`TINY` (tests/ is on the path of pytest and of the drivers).
TINY_ENTRY = "_tiny_study:TINY"


def register() -> None:
    """Make ``latentatlas study tiny-kill`` and ``engine.get("tiny-kill")`` find :data:`TINY`."""
    engine.STUDIES[TINY.name] = TINY_ENTRY


def tiny_metrics(folder: Path) -> dict[str, Any]:
    """The results and failures of a finished tiny study in ``folder``."""
    document = json.loads((folder / "metrics.json").read_text())
    return {key: document[key] for key in ("cells", "failed_runs")}
