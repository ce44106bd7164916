"""``latentatlas inspect`` on the study engine: map one model trained elsewhere.

The model source (a factory and weights, a TorchScript file, Python callables or stored codes;
see :mod:`latentatlas.models.external`) is analysed with every analysis its model and data
allow; nothing is trained. The study has one cell with no runs; its result says what ran and
what was skipped, and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput, Study, StudyResults
from latentatlas.studies.inspect.config import InspectConfig
from latentatlas.studies.inspect.results import CELL, InspectResult


class InspectStudy(Study):
    """Map one model trained elsewhere with every analysis its model and data allow.

    Parameters
    ----------
    prepared : Prepared, optional
        The sources and data, already loaded and checked (the Python API passes callables
        and arrays this way); by default :meth:`check` loads them from the settings.
    """

    name = "inspect"
    title = "Inspect"
    question = "What does the latent space of a model trained elsewhere look like?"
    source = "your model"
    config_type = InspectConfig
    result_type = InspectResult

    def __init__(self, prepared: Any = None):
        self._prepared = prepared

    def cells(self, config: InspectConfig) -> list[Cell]:
        """One cell and no runs: nothing is trained."""
        return [Cell(CELL, (), {"kind": config.kind})]

    def check(self, config: InspectConfig) -> None:
        """Load the data and every seed's model, encode one batch: before anything is written."""
        self.prepared(config)

    def prepared(self, config: InspectConfig) -> Any:
        """The loaded sources and data of ``config`` (loaded once)."""
        from latentatlas.studies.inspect.prepare import prepare

        if self._prepared is None or self._prepared.config != config:
            self._prepared = prepare(config)
        return self._prepared

    def analyse(self, config: InspectConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
        """Every analysis the model and data allow; see :func:`analyse.analyse_cell`."""
        from latentatlas.studies.inspect.analyse import analyse_cell

        context.step("loading the model and data, encoding")
        prepared = self.prepared(config)
        return analyse_cell(config, prepared, context.step)

    def headline(self, config: InspectConfig, results: Mapping[str, Any]) -> dict[str, Any]:
        """metrics.json's top level: the one result."""
        return results[CELL].to_dict() if CELL in results else {}

    def report(self, results: StudyResults) -> Any:
        """The report, drawn from stored results only."""
        from latentatlas.studies.inspect.report import build_report

        return build_report(results)


STUDY = InspectStudy()
