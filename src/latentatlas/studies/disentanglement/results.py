"""Typed results of the disentanglement study: the schema of its metrics.json.

Kept apart from ``study.py`` because they hold the analyses' own result types
(:class:`~latentatlas.analysis.disentanglement.DCIResult`), whose module imports scikit-learn:
``study.py`` is imported when the command line starts and must stay light.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from latentatlas.analysis.disentanglement import DCIResult, SingleFactorDCIResult
from latentatlas.analysis.traversal import TraversalSeedsResult
from latentatlas.results import ResultMixin


@dataclass(frozen=True, eq=False)
class DCISeeds(ResultMixin):
    """Eastwood & Williams' DCI of one model, one value per seed.

    ``informativeness`` is the mean held-out ACCURACY of the factor classifiers (higher is
    better), as disentanglement_lib computes it; ``chance`` is what guessing each factor's
    majority class (after the same discretisation) scores on that mean, the same for every seed
    (nan in results written before it was stored); ``by_seed`` keeps every seed's full result
    (importance matrix, per-factor accuracies) for the report.
    """

    disentanglement: tuple[float, ...]
    completeness: tuple[float, ...]
    informativeness: tuple[float, ...]
    informativeness_train: tuple[float, ...]
    by_seed: tuple[DCIResult, ...]
    chance: float = float("nan")

    @property
    def skill(self) -> tuple[float, ...]:
        """Informativeness above chance per seed: ``(I - chance) / (1 - chance)``, 0 = guessing."""
        return tuple((i - self.chance) / (1.0 - self.chance) for i in self.informativeness)


@dataclass(frozen=True, eq=False)
class SingleFactorSeeds(ResultMixin):
    """The source's single-label DCI (labels as the one factor), one value per seed.

    ``informativeness`` is the held-out accuracy; ``effective_codes`` is ``1 / D``, the number
    of codes the label's importance is effectively spread over.
    """

    disentanglement: tuple[float, ...]
    completeness: tuple[float, ...]
    informativeness: tuple[float, ...]
    effective_codes: tuple[float, ...]
    by_seed: tuple[SingleFactorDCIResult, ...]


@dataclass(frozen=True, eq=False)
class ModelResult(ResultMixin):
    """Every number of one model over its finished seeds.

    ``dci``, ``mig`` and ``sap`` need ground-truth factors (None on MNIST); ``dci_single_factor``
    needs labels (the MNIST model only). ``mig_per_factor`` and ``sap_per_factor`` hold each
    seed's gap per factor.
    """

    seeds: tuple[int, ...]
    validation_loss: tuple[float, ...]
    traversal: TraversalSeedsResult
    dci: DCISeeds | None = None
    mig: tuple[float, ...] | None = None
    sap: tuple[float, ...] | None = None
    mig_per_factor: tuple[NDArray[np.float64], ...] | None = None
    sap_per_factor: tuple[NDArray[np.float64], ...] | None = None
    dci_single_factor: SingleFactorSeeds | None = None


@dataclass(frozen=True, eq=False)
class DisentanglementResult(ResultMixin):
    """Every number of one cell (one data set); the metrics.json schema.

    ``models`` is keyed ``ae-classifier`` (MNIST) or ``ae``, ``vae-beta1``, ``vae-beta4``, ...
    ``folded_factors`` names the factors scored modulo a symmetry of the images (sprites:
    ``orientation``, see ``config.ORIENTATION_PERIODS``).
    """

    dataset: str
    factor_names: tuple[str, ...]
    models: dict[str, ModelResult]
    n_images: int
    n_train: int
    n_validation: int
    dci_n_train: int
    dci_n_test: int
    failed_runs: dict[str, str]
    folded_factors: tuple[str, ...] = ()
