"""The typed result of ``latentatlas inspect``: what ran, and each analysis group per seed."""

from __future__ import annotations

from dataclasses import dataclass

from latentatlas.results import ResultMixin

CELL = "model"


@dataclass(frozen=True, eq=False)
class Step(ResultMixin):
    """One group of analyses: whether it ran, and what it needs when it did not."""

    name: str
    ran: bool
    why: str


@dataclass(frozen=True, eq=False)
class DensitySeeds(ResultMixin):
    """The shape of the cloud per seed (analysis/density.py, analysis/pca.py, analysis/maps.py)."""

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
