"""The filaments study's typed results: every number of metrics.json, one entry per seed.

Each ``*Seeds`` table holds one value per seed (:func:`~latentatlas.studies.columns.columns_of`
builds it); :class:`ModelFilaments` lists the seeds once.
"""

from __future__ import annotations

from dataclasses import dataclass

from latentatlas.resources import ResourceTable
from latentatlas.results import ResultMixin


@dataclass(frozen=True, eq=False)
class AxisSeeds(ResultMixin):
    """``axis_density`` per seed: the dominant axes (0-based) and the typical axis width."""

    dominant_axes: tuple[tuple[int, ...], ...]
    n_dominant: tuple[int, ...]
    median_half_width: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class RadiusSeeds(ResultMixin):
    """``radius_density`` per seed: the peak (bins of 0.5 and 0.05) against the expected one.

    ``null_tolerance``: the largest relative peak distance of 19 Gaussian clouds with the
    seed's mean and covariance (``radius_peak_null``; empty in results written before it).
    """

    peak: tuple[float, ...]
    peak_fine: tuple[float, ...]
    expected_peak: tuple[float, ...]
    unit_gaussian_peak: float
    minimum: tuple[float, ...]
    maximum: tuple[float, ...]
    null_tolerance: tuple[float, ...] = ()

    @property
    def relative_distance(self) -> tuple[float, ...]:
        """``|peak - expected| / expected`` per seed (infinite for an expected radius of 0)."""
        return tuple(
            abs(p - e) / e if e > 0 else float("inf")
            for p, e in zip(self.peak, self.expected_peak, strict=True)
        )


@dataclass(frozen=True, eq=False)
class SpectrumSeeds(ResultMixin):
    """``pca_spectrum`` per seed: components above the flat tail, first-to-second ratio."""

    n_leading: tuple[int, ...]
    first_to_second: tuple[float, ...]
    first_ratio: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class FilamentSeeds(ResultMixin):
    """``filament_score`` per seed, each beside the matched Gaussian's value.

    ``void_fraction[s][j]`` is seed ``s``'s share of empty grid cells at ``scales[j]``,
    averaged over ``planes`` (``void_fraction_gaussian`` the same for the matched Gaussian).
    The calibrated readings of :class:`~latentatlas.analysis.density.FilamentScoreResult`
    follow, one per seed (empty in results written before them): the median local dimension
    at each k of ``ks`` for the codes and the Gaussian, ``smallest_dimension``,
    ``low_dimension_ratio``, ``is_low_dimensional``, ``void_threshold``, ``has_voids`` and
    ``one_dimensional`` (None: undecided).
    """

    local_dimension_median: tuple[float, ...]
    local_dimension_median_gaussian: tuple[float, ...]
    twonn: tuple[float, ...]
    twonn_gaussian: tuple[float, ...]
    nn_distance_ratio: tuple[float, ...]
    planes: tuple[tuple[int, int], ...]
    scales: tuple[float, ...]
    void_fraction: tuple[tuple[float, ...], ...]
    void_fraction_gaussian: tuple[tuple[float, ...], ...]
    void_excess: tuple[float, ...]
    k: int
    ks: tuple[tuple[int, ...], ...] = ()
    dimension_by_k: tuple[tuple[float, ...], ...] = ()
    dimension_by_k_gaussian: tuple[tuple[float, ...], ...] = ()
    smallest_dimension: tuple[float, ...] = ()
    low_dimension_ratio: tuple[float, ...] = ()
    is_low_dimensional: tuple[bool, ...] = ()
    void_threshold: tuple[float, ...] = ()
    has_voids: tuple[bool, ...] = ()
    one_dimensional: tuple[bool | None, ...] = ()


@dataclass(frozen=True, eq=False)
class DecodeSeeds(ResultMixin):
    """``random_decodes`` per seed: ``meaningful_fraction`` of N(0, I) codes (the source's
    random points), ``meaningful_fraction_fitted`` of the Gaussian fitted to the codes;
    ``mean_image_meaningful``: whether the criterion would call the mean training image
    meaningful (then a high share is no evidence; empty in results written before)."""

    meaningful_fraction: tuple[float, ...]
    meaningful_fraction_fitted: tuple[float, ...]
    near_codes_fraction: tuple[float, ...]
    near_codes_fraction_fitted: tuple[float, ...]
    pixel_threshold: tuple[float, ...]
    mean_image_distance: tuple[float, ...] = ()
    mean_image_meaningful: tuple[bool, ...] = ()


@dataclass(frozen=True, eq=False)
class ModelFilaments(ResultMixin):
    """Every number of one model, one entry per finished seed (in ``seeds`` order)."""

    seeds: tuple[int, ...]
    figure_seed: int
    axis_density: AxisSeeds
    radius_density: RadiusSeeds
    pca_spectrum: SpectrumSeeds
    filament_score: FilamentSeeds
    random_decodes: DecodeSeeds
    reconstruction_error: tuple[float, ...]
    tsne_preservation: float


@dataclass(frozen=True, eq=False)
class FilamentsResult(ResultMixin):
    """Every number of the study (one cell); the metrics.json schema.

    ``n_factors``: the data set's generative factors (None where it declares none, and in
    results written before it); "nearly 1-d" is a question only where it is 1.
    """

    dataset: str
    image_shape: tuple[int, ...]
    latent_dim: int
    n_train: int
    models: dict[str, ModelFilaments]
    resources: ResourceTable
    failed_runs: dict[str, str]
    n_factors: int | None = None
