"""The typed results of the digit-pairs study: the metrics.json schema of one cell.

Imports nothing of the study's own modules, so ``analyse`` and ``report`` both build on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.results import PerSeed, ResultMixin


def summary_of(kind: type, result: Any) -> Any:
    """A ``kind`` made of the same-named fields (or properties) of a fuller analysis result."""
    return kind(**{field.name: getattr(result, field.name) for field in dataclasses.fields(kind)})


@dataclass(frozen=True, eq=False)
class SeedSpread(ResultMixin):
    """How much one model's results move between seeds (see ``analysis.seed_variability``).

    ``procrustes_pairs`` and ``cka_pairs`` hold the value of every pair of seeds, so their
    spread is reported beside their mean.
    """

    silhouette_std: float
    silhouette_relative_spread: float | None
    procrustes_mean: float | None
    cka_mean: float | None
    procrustes_pairs: tuple[float, ...]
    cka_pairs: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class CodeShape(ResultMixin):
    """One seed's cloud: the share at the origin and how flat it is (``analysis.code_shape``)."""

    share_near_origin: float
    flatness: float
    collapsed: bool


@dataclass(frozen=True, eq=False)
class KnnScore(ResultMixin):
    """One seed's k-NN accuracy and macro F1 on the validation codes."""

    accuracy: float
    macro_f1: float


@dataclass(frozen=True, eq=False)
class LabelReconstruction(ResultMixin):
    """The source's label-reconstruction metric of one model, per seed.

    Not a :class:`PerSeed` table: ``confusion`` and ``classifier_accuracy`` are one value for
    all seeds (the confusion summed over them, the pixel classifier's own accuracy).
    """

    error_rate: tuple[float, ...]
    confusion: NDArray[np.int64]
    classifier_accuracy: float


@dataclass(frozen=True, eq=False)
class PairResult(ResultMixin):
    """Every number of one cell (pair, latent dimension, activation); the metrics.json schema.

    ``to_dict`` keeps the published layout: ``silhouette`` holds ``original`` (the pixel-space
    silhouette) beside one list per model, every other metric is keyed by model. ``code_shape``
    and ``knn`` are per-seed tables (``{"seeds": [...], "accuracy": [...], ...}``).
    """

    original_silhouette: float
    silhouette: dict[str, tuple[float, ...]]
    seed_variability: dict[str, SeedSpread]
    label_reconstruction: dict[str, LabelReconstruction]
    knn: dict[str, PerSeed[KnnScore]]
    validation_loss: dict[str, tuple[float, ...]]
    code_shape: dict[str, PerSeed[CodeShape]]
    n_train: int
    n_validation: int
    failed_runs: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """The published layout, with ``silhouette.original`` beside the models."""
        document = super().to_dict()
        original = document.pop("original_silhouette")
        document["silhouette"] = {"original": original, **document["silhouette"]}
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PairResult:
        """Inverse of :meth:`to_dict`."""
        document = dict(data)
        silhouette = dict(document.get("silhouette", {}))
        document["original_silhouette"] = silhouette.pop("original", None)
        document["silhouette"] = silhouette
        document.setdefault("failed_runs", {})
        return super().from_dict(document)

    @property
    def models(self) -> list[str]:
        """The models with at least one finished seed."""
        return list(self.silhouette)
