"""The heatmaps study on the engine: the grid, the typed results and the source's claims.

Redoes 002_da2b51c41f09188e.txt over seeds, with numbers where the source had pictures: a
convolutional VAE and autoencoder embed 36x36 Gaussian (and Student-t) density heatmaps in a
3-d latent space; how well each factor can be read off the codes, the reconstruction errors
and their tail, how full the latent cloud's convex hull is, what the decoder draws in its empty
parts and along the source's paths, and (on ``heatmaps-t``) whether the degrees of freedom can
be classified from the codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from latentatlas._stats import mean_and_std
from latentatlas.analysis._result import ResultMixin
from latentatlas.config import DataConfig, ModelConfig
from latentatlas.studies.claims import Claim, Comparison, compare, seeds_note
from latentatlas.studies.engine import (
    AnalysisContext,
    Cell,
    CellOutput,
    Study,
    seed_runs,
)
from latentatlas.studies.heatmaps.config import LATENT_DIM, HeatmapsConfig

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
#: A direction counts as monotone in a factor when |Spearman rho| reaches this.
MONOTONE_THRESHOLD = 0.9
#: A path counts as changing a factor when it sweeps at least this share of its range.
MIN_SPAN = 0.2
#: k-NN accuracies closer than this count as "similar" (the source's 4-factor claim).
KNN_TOLERANCE = 0.02
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
    """How heatmap-like the decodes of points drawn uniformly in the codes' hull are, per seed.

    Each decode is scored by its Frobenius distance to the nearest training heatmap (the
    units of the reconstruction error). ``hull_distance`` is the median over every point,
    ``off_data_distance`` the median over the points farther than the hull's near-data radius
    from every code (the empty regions; NaN when no point is), ``off_data_share`` their share.
    """

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
        read off the decodes that sweeps at least :data:`MIN_SPAN` of its range: 1 when some
        factor changes steadily along it, 0 when no factor changes.
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
    ``monotonicity``; ``knn`` is None on data without labels (``heatmaps``).
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


class HeatmapsStudy(Study):
    """Does a VAE organise a latent space of heatmaps better than an autoencoder does?"""

    name = "heatmaps"
    title = "Heatmaps"
    question = (
        "Is a VAE's 3-d latent space of Gaussian heatmaps denser, better to decode from and "
        "more meaningful in its directions than an autoencoder's?"
    )
    source = "002_da2b51c41f09188e.txt"
    citation = '"Exploring the latent space of variational autoencoders using Gaussian Heatmaps"'
    report_module = "latentatlas.studies.heatmaps.report"
    config_type = HeatmapsConfig
    result_type = HeatmapsResult
    cells_key = "datasets"

    def cells(self, config: HeatmapsConfig) -> list[Cell]:
        """One cell per data set, each training every model over every seed."""
        models = {
            model: ModelConfig(model, LATENT_DIM, {"filters": list(config.filters)})
            for model in config.models
        }
        return [
            Cell(
                dataset,
                seed_runs(config, data_config(config, dataset), models, f"runs/{dataset}"),
                {"dataset": dataset},
            )
            for dataset in config.datasets
        ]

    def analyse(self, config: HeatmapsConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
        """Every analysis of one data set on its validation split; see :func:`analyse_cell`."""
        from latentatlas.studies.heatmaps.analyse import analyse_cell

        return analyse_cell(config, cell, context)

    def claims(self, config: HeatmapsConfig, results: Mapping[str, HeatmapsResult]) -> list[Claim]:
        """The source's claims: the AE/VAE comparison on the headline cell, k-NN on heatmaps-t."""
        headline = results[config.datasets[0]]
        four = results.get("heatmaps-t")
        return [
            ae_better_on_average(headline),
            ae_heavier_tail(headline),
            ae_sparser(headline),
            ae_decodes_empty_worse(headline),
            vae_monotone(headline),
            dof_kept(four),
            knn_similar(four),
        ]


def data_config(config: HeatmapsConfig, dataset: str) -> DataConfig:
    """The loader options of one data set: one home for the runs and the analyses."""
    options: dict[str, Any] = {}
    if config.subsample is not None:
        options["subsample"] = config.subsample
    return DataConfig(name=dataset, options=options)


# -- claims ---------------------------------------------------------------------------------------
def _title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


def _pair(result: HeatmapsResult | None) -> tuple[ModelScores, ModelScores] | None:
    """The (AE, VAE) scores of a cell, or None when either model has no finished seed."""
    if result is None or not {"conv-ae", "conv-vae"} <= set(result.models):
        return None
    return result.models["conv-ae"], result.models["conv-vae"]


def _verdict(comparison: Comparison, expected: str) -> str:
    """Supported when the AE's seeds all lie on the ``expected`` side of the VAE's, contradicted
    when all lie on the other side, inconclusive when they overlap."""
    if comparison.direction == "overlap" or comparison.n_a == 0 or comparison.n_b == 0:
        return "inconclusive"
    return "supported" if comparison.direction == expected else "contradicted"


def _ae_against_vae(
    key: str,
    statement: str,
    result: HeatmapsResult,
    values: Any,
    expected: str,
    label: str,
    digits: int = 3,
    extra: str = "",
) -> Claim:
    """A claim read from one per-seed number of the AE against the VAE's."""
    pair = _pair(result)
    if pair is None:
        return not_measured(key, statement, "needs finished conv-ae and conv-vae runs")
    comparison = compare(values(pair[0]), values(pair[1]))
    return Claim(
        key,
        statement,
        _verdict(comparison, expected),
        f"{label} on {result.dataset}: " + comparison.describe("AE", "VAE", digits) + "." + extra,
        "no overlap of per-seed values in the expected direction (supported) or the other "
        "(contradicted), else inconclusive; " + seeds_note(comparison),
    )


def ae_better_on_average(result: HeatmapsResult) -> Claim:
    """The source: the AE's test reconstruction error is on average below the VAE's."""
    return _ae_against_vae(
        "ae_better_on_average",
        "The AE reconstructs better on average than the VAE.",
        result,
        lambda scores: scores.reconstruction.median,
        "less",
        "Median Frobenius reconstruction error (validation)",
        digits=3,
    )


def ae_heavier_tail(result: HeatmapsResult) -> Claim:
    """The source: the AE's error distribution is heavy tailed (a few images fit badly)."""
    pair = _pair(result)
    extra = ""
    if pair is not None:
        extra = (
            f" Skewness AE {_mean(pair[0].reconstruction.skewness):.2f}, "
            f"VAE {_mean(pair[1].reconstruction.skewness):.2f} (means over seeds)."
        )
    return _ae_against_vae(
        "ae_heavier_tail",
        "The AE's reconstruction error has a heavier tail than the VAE's.",
        result,
        lambda scores: scores.reconstruction.tail_ratio,
        "greater",
        "99th percentile over median of the Frobenius error",
        extra=extra,
    )


def ae_sparser(result: HeatmapsResult) -> Claim:
    """The source: the AE's latent cloud is sparser, with empty regions between points."""
    return _ae_against_vae(
        "ae_sparser",
        "The AE's latent cloud is sparser than the VAE's.",
        result,
        lambda scores: scores.hull.occupied_fraction,
        "less",
        "Share of the convex hull within 2 median neighbour distances of a code",
    )


def ae_decodes_empty_worse(result: HeatmapsResult) -> Claim:
    """The source: decoding points in the AE's empty regions gives images unlike the data."""
    extra = f" A real validation heatmap lies {result.baseline_image_distance:.3f} from the "
    extra += "nearest training heatmap."
    pair = _pair(result)
    if pair is not None:
        path = [scores.paths.get("empty-space") for scores in pair]
        if all(p is not None for p in path):
            extra += (
                " Along the empty-space path the worst decode lies "
                f"{_mean(path[0].max_image_distance):.3f} (AE) and "  # type: ignore[union-attr]
                f"{_mean(path[1].max_image_distance):.3f} (VAE) from any training heatmap."  # type: ignore[union-attr]
            )
    return _ae_against_vae(
        "ae_decodes_empty_worse",
        "The AE decodes empty regions of its latent space worse than the VAE.",
        result,
        lambda scores: scores.decodes.off_data_distance,
        "greater",
        "Median distance from the decode of an off-data point in the hull to the nearest "
        "training heatmap",
        extra=extra,
    )


def vae_monotone(result: HeatmapsResult) -> Claim:
    """The source: the VAE's directions are monotone in the latent traits."""
    key = "vae_directions_monotone"
    statement = "The VAE's directions are monotone in the factors."
    vae = result.models.get("conv-vae")
    if vae is None:
        return not_measured(key, statement, "needs finished conv-vae runs")
    scores = np.asarray(vae.directions_monotonicity, dtype=np.float64)
    scores = scores[np.isfinite(scores)]
    if len(scores) == 0:
        return not_measured(key, statement, "no direction path could be decoded")
    if scores.min() >= MONOTONE_THRESHOLD:
        verdict = "supported"
    elif scores.max() < MONOTONE_THRESHOLD:
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    ae = result.models.get("conv-ae")
    other = (
        f" The AE scores {_range(ae.directions_monotonicity)} for comparison."
        if ae is not None
        else ""
    )
    return Claim(
        key,
        statement,
        verdict,
        f"Mean over the {len(DIRECTION_PATHS)} direction paths of the largest |Spearman rho| "
        f"between position and a factor read off the decodes that sweeps at least "
        f"{MIN_SPAN:.0%} of its range, VAE on {result.dataset}: "
        f"{_range(vae.directions_monotonicity)} over {len(scores)} seed(s).{other}",
        f"every seed at least {MONOTONE_THRESHOLD} (supported), none (contradicted), else "
        f"inconclusive; {len(scores)} seed(s)",
    )


def dof_kept(result: HeatmapsResult | None) -> Claim:
    """The source: the fourth trait (the degrees of freedom) is kept in the latent space."""
    key = "dof_kept"
    statement = "Both models keep the degrees of freedom (the fourth trait) in the latent space."
    pair = _pair(result)
    if result is None or pair is None or result.knn_chance is None:
        return not_measured(key, statement, "needs the heatmaps-t data set and both models")
    if any(scores.knn is None for scores in pair):
        return not_measured(key, statement, "no k-NN scores were computed")
    accuracies = [np.asarray(s.knn.accuracy, dtype=np.float64) for s in pair]  # type: ignore[union-attr]
    chance = result.knn_chance
    if all(a.min() > chance for a in accuracies):
        verdict = "supported"
    elif all(a.max() <= chance for a in accuracies):
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    return Claim(
        key,
        statement,
        verdict,
        f"k-NN accuracy of dof from the codes: AE {_range(pair[0].knn.accuracy)}, "  # type: ignore[union-attr]
        f"VAE {_range(pair[1].knn.accuracy)}, against {chance:.3f} for always guessing the "  # type: ignore[union-attr]
        "most common class.",
        "every seed of both models above the majority-class rate (supported), every seed at "
        f"or below it (contradicted), else inconclusive; {min(len(a) for a in accuracies)} "
        "seed(s)",
    )


def knn_similar(result: HeatmapsResult | None) -> Claim:
    """The source: a k-NN classifier on the codes scores alike for AE and VAE."""
    key = "knn_similar"
    statement = "A k-NN classifier of the degrees of freedom scores alike on AE and VAE codes."
    pair = _pair(result)
    if result is None or pair is None or any(s.knn is None for s in pair):
        return not_measured(key, statement, "needs the heatmaps-t data set and both models")
    accuracy = compare(pair[0].knn.accuracy, pair[1].knn.accuracy)  # type: ignore[union-attr]
    f1 = compare(pair[0].knn.f1, pair[1].knn.f1)  # type: ignore[union-attr]
    gaps = [abs(c.mean_a - c.mean_b) for c in (accuracy, f1)]
    if all(
        c.direction == "overlap" or gap <= KNN_TOLERANCE
        for c, gap in zip((accuracy, f1), gaps, strict=True)
    ):
        verdict = "supported"
    elif all(
        c.separated and gap > KNN_TOLERANCE for c, gap in zip((accuracy, f1), gaps, strict=True)
    ):
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    return Claim(
        key,
        statement,
        verdict,
        "Accuracy: "
        + accuracy.describe("AE", "VAE")
        + ". Macro F1: "
        + f1.describe("AE", "VAE")
        + ".",
        f"similar = seed ranges overlap or means within {KNN_TOLERANCE}, for both accuracy and "
        f"F1 (supported); separated by more than {KNN_TOLERANCE} in both (contradicted); "
        + seeds_note(accuracy),
    )


def _mean(values: Sequence[float]) -> float:
    """Mean of the finite values (NaN when there is none)."""
    return mean_and_std(values)[0]


def _range(values: Sequence[float]) -> str:
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if len(finite) == 0:
        return "n/a"
    if len(finite) == 1:
        return f"{finite[0]:.3f}"
    return f"{finite.min():.3f} to {finite.max():.3f}"


def not_measured(key: str, statement: str, why: str) -> Claim:
    """An inconclusive claim that the study could not measure, saying why."""
    return Claim(key, statement, "inconclusive", f"Not measured: {why}.", "none")


# -- stored paths ---------------------------------------------------------------------------------
def path_arrays(prefix: str, decoding: Any) -> dict[str, np.ndarray]:
    """A decoded path as named arrays for ``arrays.npz`` (see :func:`path_from_arrays`)."""
    names = tuple(decoding.factor_names)
    arrays = {
        "points": np.asarray(decoding.points),
        "images": np.asarray(decoding.images, dtype=np.float32),
        "offmanifold": np.asarray(decoding.offmanifold),
        "summary": np.array([decoding.max_offmanifold, decoding.mean_offmanifold, decoding.length]),
        "factor_names": np.array(names, dtype=str),
        "factor_span": np.array([decoding.factor_span.get(n, np.nan) for n in names]),
    }
    if decoding.factors is not None:
        arrays["factors"] = np.asarray(decoding.factors)
    return {f"{prefix}/{key}": value for key, value in arrays.items()}


def path_from_arrays(arrays: Mapping[str, np.ndarray], prefix: str) -> Any:
    """The :class:`~latentatlas.analysis.paths.PathDecoding` stored by :func:`path_arrays`."""
    from latentatlas.analysis.paths import PathDecoding

    names = tuple(str(n) for n in arrays[f"{prefix}/factor_names"])
    summary = arrays[f"{prefix}/summary"]
    span = arrays[f"{prefix}/factor_span"]
    return PathDecoding(
        points=arrays[f"{prefix}/points"],
        images=arrays[f"{prefix}/images"],
        offmanifold=arrays[f"{prefix}/offmanifold"],
        max_offmanifold=float(summary[0]),
        mean_offmanifold=float(summary[1]),
        length=float(summary[2]),
        factor_names=names,
        factors=arrays.get(f"{prefix}/factors"),
        factor_span={n: float(v) for n, v in zip(names, span, strict=True)},
    )


STUDY = HeatmapsStudy()
