"""``latentatlas inspect`` on the study engine: map one model trained elsewhere.

The model source (a factory and weights, a TorchScript file, Python callables or stored codes;
see :mod:`latentatlas.models.external`) is analysed with every analysis its model and data
allow; nothing is trained. The study has one cell with no runs; its result says what ran and
what was skipped, and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from latentatlas.analysis._result import ResultMixin
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput, Study, StudyResults
from latentatlas.studies.inspect.config import InspectConfig

CELL = "model"


@dataclass(frozen=True, eq=False)
class Step(ResultMixin):
    """One group of analyses: whether it ran, and what it needs when it did not."""

    name: str
    ran: bool
    why: str


@dataclass(frozen=True, eq=False)
class DensitySeeds(ResultMixin):
    """The shape of the cloud per seed (analysis/density.py, analysis/projections.py)."""

    n_dominant_axes: tuple[int, ...]
    radius_peak: tuple[float, ...]
    expected_radius: tuple[float, ...]
    n_leading_components: tuple[int, ...]
    first_component_ratio: tuple[float, ...]
    local_dimension: tuple[float, ...]
    local_dimension_gaussian: tuple[float, ...]
    void_excess: tuple[float, ...]
    tsne_preservation: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class LabelSeeds(ResultMixin):
    """Classes in the codes per seed; ``label_error_rate`` needs a decoder and images."""

    pixel_silhouette: float | None
    silhouette: tuple[float, ...]
    knn_accuracy: tuple[float, ...]
    knn_macro_f1: tuple[float, ...]
    label_error_rate: tuple[float, ...] | None
    classifier_accuracy: float | None


@dataclass(frozen=True, eq=False)
class FactorSeeds(ResultMixin):
    """Disentanglement against the ground-truth factors, per seed."""

    factor_names: tuple[str, ...]
    dci_disentanglement: tuple[float, ...]
    dci_completeness: tuple[float, ...]
    dci_informativeness: tuple[float, ...]
    mig: tuple[float, ...]
    sap: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class DecoderSeeds(ResultMixin):
    """What the decoder makes of codes, per seed.

    ``reconstruction_error`` is the median per-image mean squared error; ``mean_image_error``
    the same for the mean image put out for every input (a model that learnt nothing).
    """

    reconstruction_error: tuple[float, ...]
    mean_image_error: float
    meaningful_fraction: tuple[float, ...]
    meaningful_fraction_fitted: tuple[float, ...]
    consistent_dims: tuple[int, ...]
    traversed_dims: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class SeedSpread(ResultMixin):
    """How much the layout moves between seeds (analysis/seeds.py)."""

    silhouette_std: float | None
    procrustes_mean: float
    cka_mean: float
    procrustes_pairs: tuple[float, ...]
    cka_pairs: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class InspectResult(ResultMixin):
    """Every number of one inspected model; the metrics.json schema.

    ``source`` records how to load the model again: its kind, where it is (import path or
    file) and the SHA-256 of every file read.
    """

    kind: str
    location: str
    files: dict[str, str]
    dataset: str | None
    n: int
    input_shape: tuple[int, ...] | None
    latent_dim: int
    seeds: int
    steps: tuple[Step, ...]
    density: DensitySeeds | None
    labels: LabelSeeds | None
    factors: FactorSeeds | None
    decoder: DecoderSeeds | None
    seed_spread: SeedSpread | None


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

        return analyse_cell(config, self.prepared(config))

    def headline(self, config: InspectConfig, results: Mapping[str, Any]) -> dict[str, Any]:
        """metrics.json's top level: the one result."""
        return results[CELL].to_dict() if CELL in results else {}

    def report(self, results: StudyResults) -> Any:
        """The report, drawn from stored results only."""
        from latentatlas.studies.inspect.report import build_report

        return build_report(results)


STUDY = InspectStudy()
