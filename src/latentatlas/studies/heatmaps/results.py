"""The typed results of the heatmaps study: the metrics.json schema.

Both the analysis (which builds them) and the report (which draws them) import this module;
it imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from latentatlas.results import ResultMixin

#: Paths whose decodes should change one factor monotonically (the source's "directions"):
#: a line along each latent axis, the isovariance curve and the two bounding-plane lines.
DIRECTION_PATHS: tuple[str, ...] = (
    "axis-z1",
    "axis-z2",
    "axis-z3",
    "isovariance",
    "upper-plane",
    "lower-plane",
)
#: Every path decoded, in the order the report draws them.
PATH_NAMES: tuple[str, ...] = (*DIRECTION_PATHS, "arc-z1-z3", "empty-space")
#: Random directions through the codes decoded per seed: the null of the direction paths.
N_RANDOM_DIRECTIONS = 6
MODEL_TITLES = {"conv-vae": "VAE", "conv-ae": "AE"}


@dataclass(frozen=True, eq=False)
class ReconstructionScores(ResultMixin):
    """Per-seed summaries of the Frobenius reconstruction error on the validation split.

    ``tail_ratio`` is ``p99 / median``: how far the worst percent of images lies beyond a
    typical one; a heavy tail (the source's autoencoder) makes it large.
    """

    mean: tuple[float, ...]
    median: tuple[float, ...]
    p99: tuple[float, ...]
    tail_ratio: tuple[float, ...]
    skewness: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class HullScores(ResultMixin):
    """Per-seed convex-hull numbers of the validation codes (``analysis.hull``).

    ``perturbation_change`` is the mean RMS pixel change of the decodes of hull vertices
    moved by one near-data radius (``analysis.hull_perturbations``).
    """

    occupied_fraction: tuple[float, ...]
    occupied_se: tuple[float, ...]
    volume: tuple[float, ...]
    median_neighbour_distance: tuple[float, ...]
    perturbation_change: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class DecodeScores(ResultMixin):
    """How far the decodes of points drawn uniformly in the codes' hull lie from the nearest
    training heatmap, per seed: :class:`~latentatlas.analysis.HullDecodesResult`'s numbers."""

    hull_distance: tuple[float, ...]
    off_data_distance: tuple[float, ...]
    off_data_share: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class PathScores(ResultMixin):
    """One named latent path, decoded, per seed (``analysis.decode_path``).

    Attributes
    ----------
    max_offmanifold : tuple of float
        Largest distance of a path point to its nearest validation code (latent units).
    max_offmanifold_scaled : tuple of float
        The same over the codes' median nearest-neighbour distance, comparable across models.
    max_image_distance : tuple of float
        Largest Frobenius distance of a decode to its nearest training heatmap.
    monotonicity : tuple of float
        Largest |Spearman rho| between the position along the path and a continuous factor
        read off the decodes that sweeps at least 20% of its range
        (:func:`~latentatlas.analysis.paths.monotonicity_of`): 1 when some factor changes
        steadily along it, 0 when no factor changes.
    monotone_factor : tuple of str
        That factor ("" where the path could not be made).
    """

    max_offmanifold: tuple[float, ...]
    max_offmanifold_scaled: tuple[float, ...]
    max_image_distance: tuple[float, ...]
    monotonicity: tuple[float, ...]
    monotone_factor: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class KnnScores(ResultMixin):
    """k-NN classification of the degrees of freedom from the codes, per seed."""

    accuracy: tuple[float, ...]
    f1: tuple[float, ...]
    k: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class ModelScores(ResultMixin):
    """Every number of one model on one data set, one entry per finished seed.

    ``directions_monotonicity`` is the mean over :data:`DIRECTION_PATHS` of each path's
    ``monotonicity``; ``random_monotonicity`` the same statistic over
    :data:`N_RANDOM_DIRECTIONS` lines through the median code in random directions seeded by the
    run's seed (before, the same directions for every seed), made by the rule of the axis paths
    (the null the directions must beat; empty in results stored before it was measured);
    ``knn`` is None on data without labels (``heatmaps``).
    """

    seeds: tuple[int, ...]
    factor_r2: dict[str, tuple[float, ...]]
    factor_linear_r2: dict[str, tuple[float, ...]]
    reconstruction: ReconstructionScores
    hull: HullScores
    decodes: DecodeScores
    paths: dict[str, PathScores]
    directions_monotonicity: tuple[float, ...]
    knn: KnnScores | None
    validation_loss: tuple[float, ...]
    random_monotonicity: tuple[float, ...] = ()


@dataclass(frozen=True, eq=False)
class HeatmapsResult(ResultMixin):
    """Every number of one data set's cell; the metrics.json schema.

    Attributes
    ----------
    dataset : str
    factor_names : tuple of str
        The data set's factors.
    models : dict of str to ModelScores
        Per model (``conv-vae``, ``conv-ae``) with at least one finished seed.
    reader_r2 : dict of str to float
        Held-out R^2 of the regressor that reads the factors off images.
    baseline_image_distance : float
        Median Frobenius distance of a validation heatmap to its nearest training heatmap:
        how far a real, unseen heatmap is from the training set (the scale for decodes).
    knn_chance : float or None
        Share of the most common class in the validation labels (None without labels).
    n_train, n_validation : int
    notes : dict of str to str
        Analyses that could not be computed for a model and seed, with the reason (their
        numbers are NaN).
    failed_runs : dict of str to str
    """

    dataset: str
    factor_names: tuple[str, ...]
    models: dict[str, ModelScores]
    reader_r2: dict[str, float]
    baseline_image_distance: float
    knn_chance: float | None
    n_train: int
    n_validation: int
    notes: dict[str, str]
    failed_runs: dict[str, str]
