"""The analyses of one heatmaps cell (a data set), and the arrays its report draws from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from sklearn.neighbors import NearestNeighbors

from latentatlas import runs
from latentatlas.analysis import (
    decode_path,
    direction_path,
    factor_views,
    fit_factor_reader,
    hull,
    hull_perturbations,
    knn_accuracy,
    monotonicity_of,
    reconstruction_errors,
    stratified_sample,
    uniform_in_hull,
)
from latentatlas.analysis.factor_reader import FactorReader
from latentatlas.analysis.paths import (
    PathDecoding,
    arc_path,
    axis_path,
    bounding_plane_paths,
    empty_space_path,
    isovariance_path,
    off_manifold_distance,
    path_arrays,
)
from latentatlas.errors import InputError
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput
from latentatlas.studies.heatmaps.config import HeatmapsConfig, data_config
from latentatlas.studies.heatmaps.results import (
    DIRECTION_PATHS,
    N_RANDOM_DIRECTIONS,
    PATH_NAMES,
    DecodeScores,
    HeatmapsResult,
    HullScores,
    KnnScores,
    ModelScores,
    PathScores,
    ReconstructionScores,
)

#: Validation codes kept for the 3-d views and latent projections (the file stays small).
VIEW_POINTS = 3000
#: Points drawn uniformly in the hull and decoded to probe its empty regions.
HULL_DECODES = 1000
#: Validation images scored against the training set for the baseline distance.
BASELINE_IMAGES = 1000
#: Points per decoded path (and images in its strip).
PATH_POINTS = 16
#: Worst reconstructions and off-data decodes kept for the report.
N_EXAMPLES = 8

T = TypeVar("T")


@dataclass(frozen=True)
class _CellData:
    """What every model of a cell is measured against: the split, the reader and the images."""

    x_val: NDArray[np.float32]
    factors_val: NDArray[np.float64]
    factor_names: tuple[str, ...]
    continuous: frozenset[str]
    labels_train: NDArray[np.int64] | None
    labels_val: NDArray[np.int64] | None
    reader: FactorReader
    training_images: NearestNeighbors


@dataclass
class _SeedOutcome:
    """The analyses of one run; None where an analysis could not be computed (see notes)."""

    seed: int
    views: Any
    errors: Any
    hull: Any
    perturbations: Any
    decodes: tuple[float, float, float]
    off_data_examples: tuple[NDArray[np.float32], NDArray[np.float64]]
    paths: dict[str, PathDecoding]
    path_scores: dict[str, tuple[float, float, float, float, str]]
    knn: Any
    validation_loss: float
    random_monotonicity: float


def analyse_cell(config: HeatmapsConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
    """Run every analysis of ``cell`` on the validation split of its data set.

    Returns the :class:`HeatmapsResult` and, for the report, per model (its first finished
    seed) the validation codes of :data:`VIEW_POINTS` images with their factors, the per-image
    reconstruction errors and worst images, the decoded paths, hull perturbations and decodes
    of the hull's empty regions (the report draws from these and loads no data or model).
    """
    dataset = context.dataset(data_config(config, cell.params["dataset"]))
    train_idx, val_idx = runs.split_indices(cell.runs[0][0], dataset)
    context.step("the factor reader and the training images' index")
    data = _cell_data(config, dataset, train_idx, val_idx)
    view_rows = np.sort(np.random.default_rng(0).permutation(len(val_idx))[:VIEW_POINTS])
    arrays: dict[str, NDArray[Any]] = {"view/factors": data.factors_val[view_rows]}
    by_model, failed = context.finished_runs(cell)
    notes: dict[str, str] = {}
    models = {}
    for model, model_runs in by_model.items():
        outcomes = []
        for run in model_runs:
            where = f"{model}/seed-{run.config.seed}"
            context.step(where)
            outcomes.append(_analyse_seed(run, data, where, notes, context.update))
        models[model] = _model_scores(outcomes)
        arrays.update(_model_arrays(model, model_runs[0], outcomes[0], view_rows))
    context.step("the baseline image distance")
    baseline = _nearest_image_distance(data, data.x_val[baseline_rows(data.factors_val)])
    labels = data.labels_val
    result = HeatmapsResult(
        dataset=dataset.name,
        factor_names=data.factor_names,
        models=models,
        reader_r2=dict(data.reader.test_r2),
        baseline_image_distance=float(np.median(baseline)),
        knn_chance=None if labels is None else float(np.bincount(labels).max() / len(labels)),
        n_train=len(train_idx),
        n_validation=len(val_idx),
        notes=notes,
        failed_runs=failed,
    )
    return CellOutput(result, arrays)


def baseline_rows(factors: NDArray[np.float64]) -> NDArray[np.int64]:
    """The validation rows scored for the baseline distance: :data:`BASELINE_IMAGES` of them
    over every factor bin (the rows keep the factor grid's order, so the first ones would be
    the smallest var_x only), sorted; every row when there are fewer."""
    return np.sort(stratified_sample(BASELINE_IMAGES, factors=factors, random_state=0))


def _cell_data(
    config: HeatmapsConfig, dataset: Any, train_idx: NDArray[np.int64], val_idx: NDArray[np.int64]
) -> _CellData:
    names = tuple(dataset.factor_names)
    x_train = dataset.x[train_idx]
    reader = fit_factor_reader(
        x_train, dataset.factors[train_idx], names, kind=config.reader, random_state=0
    )
    # Decodes are compared with every training heatmap in pixel space (1,296 dimensions),
    # where brute force on BLAS is ~8x faster than the KD-tree of off_manifold_distance.
    images = NearestNeighbors(n_neighbors=1, algorithm="brute")
    images.fit(x_train.reshape(len(x_train), -1).astype(np.float64))
    labels = None if dataset.labels is None else np.asarray(dataset.labels)
    return _CellData(
        x_val=dataset.x[val_idx],
        factors_val=np.asarray(dataset.factors[val_idx], dtype=np.float64),
        factor_names=names,
        continuous=frozenset(
            n for n, kind in zip(names, dataset.factor_kinds, strict=True) if kind == "continuous"
        ),
        labels_train=None if labels is None else labels[train_idx],
        labels_val=None if labels is None else labels[val_idx],
        reader=reader,
        training_images=images,
    )


def _attempt(notes: dict[str, str], where: str, compute: Callable[[], T]) -> T | None:
    """``compute()``, or None with the reason noted when its inputs are degenerate.

    Only :class:`InputError` is caught: the geometry refuses clouds that span no volume
    (a collapsed code), and that is a finding to report, not a crash of the whole study.
    """
    try:
        return compute()
    except InputError as error:
        notes[where] = str(error)
        return None


def _analyse_seed(
    run: Any,
    data: _CellData,
    where: str,
    notes: dict[str, str],
    say: Callable[[str], None] = lambda stage: None,
) -> _SeedOutcome:
    """Every analysis of one trained model on the validation split; ``say`` names each stage
    as it begins (progress)."""
    codes = np.asarray(run.latents["validation_codes"], dtype=np.float64)
    say("factor views")
    views = _attempt(
        notes,
        f"{where}/factor_views",
        lambda: factor_views(codes, data.factors_val, data.factor_names, random_state=0),
    )
    say("convex hull")
    shape = _attempt(notes, f"{where}/hull", lambda: hull(codes, random_state=0))
    perturbations = None
    decodes: tuple[float, float, float] = (np.nan, np.nan, np.nan)
    examples = (np.zeros((0, *data.x_val.shape[1:]), np.float32), np.zeros(0))
    if shape is not None:
        say("hull perturbations and decodes")
        perturbations = hull_perturbations(run.model, codes, shape, random_state=0)
        decodes, examples = _hull_decodes(run.model, codes, shape, data)
    say("decoded paths")
    paths = _decoded_paths(run.model, codes, data, where, notes)
    scale = np.median(_neighbour_distances(codes))
    knn = None
    if data.labels_train is not None and data.labels_val is not None:
        train_codes = run.latents["train_codes"]
        say("k-NN accuracy")
        knn = _attempt(
            notes,
            f"{where}/knn",
            lambda: knn_accuracy(train_codes, data.labels_train, codes, data.labels_val),
        )
    say("reconstruction errors, path scores and random directions")
    return _SeedOutcome(
        seed=int(run.config.seed),
        views=views,
        errors=reconstruction_errors(run.model, data.x_val, n_worst=N_EXAMPLES),
        hull=shape,
        perturbations=perturbations,
        decodes=decodes,
        off_data_examples=examples,
        paths=paths,
        path_scores={n: _path_scores(d, data, scale) for n, d in paths.items()},
        knn=knn,
        validation_loss=float(run.history.best.validation["total"]),
        random_monotonicity=_random_monotonicity(run.model, codes, data, int(run.config.seed)),
    )


def _random_monotonicity(
    model: Any, codes: NDArray[np.float64], data: _CellData, seed: int
) -> float:
    """Mean monotonicity of lines through the median code in seeded random directions.

    The null of the direction paths: :data:`N_RANDOM_DIRECTIONS` directions drawn uniformly on
    the sphere, each line made by the axis paths' rule (1st to 99th percentile of the codes'
    projections, :func:`direction_path`), decoded and scored as they are. The directions are
    drawn afresh for each run ``seed``, so that the seeds' (directions, random lines) pairs are
    independent of one another, as the claim's paired test assumes.
    """
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((N_RANDOM_DIRECTIONS, codes.shape[1]))
    return float(
        np.mean(
            [
                monotonicity_of(
                    decode_path(model, direction_path(codes, d, PATH_POINTS), codes, data.reader),
                    data.continuous,
                )[0]
                for d in directions
            ]
        )
    )


def _neighbour_distances(codes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance from each code to its nearest other code (k=2: the nearest is itself)."""
    return NearestNeighbors(n_neighbors=2).fit(codes).kneighbors(codes)[0][:, 1]


def _nearest_image_distance(data: _CellData, images: NDArray[Any]) -> NDArray[np.float64]:
    """Frobenius distance from each image to its nearest training heatmap."""
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    return data.training_images.kneighbors(flat)[0][:, 0]


def _hull_decodes(
    model: Any, codes: NDArray[np.float64], shape: Any, data: _CellData
) -> tuple[tuple[float, float, float], tuple[NDArray[np.float32], NDArray[np.float64]]]:
    """Decode points drawn uniformly in the hull; how far their images are from any heatmap.

    Returns (median distance over all points, median over the points off the data, share of
    points off the data) and the first :data:`N_EXAMPLES` off-data decodes with distances.
    """
    from latentatlas.models import decode_array

    points = uniform_in_hull(codes[shape.vertices], HULL_DECODES, random_state=0)
    images = decode_array(model, points.astype(np.float32))
    distance = _nearest_image_distance(data, images)
    off = off_manifold_distance(points, codes) > shape.radius
    off_median = float(np.median(distance[off])) if off.any() else np.nan
    summary = (float(np.median(distance)), off_median, float(off.mean()))
    shown = np.flatnonzero(off)[:N_EXAMPLES]
    return summary, (images[shown].astype(np.float32), distance[shown])


def make_paths(
    codes: NDArray[np.float64], data: _CellData, where: str, notes: dict[str, str]
) -> dict[str, NDArray[np.float64]]:
    """The source's paths through the codes, by name (see :data:`PATH_NAMES`).

    Lines along each latent axis through the median code; the isovariance curve; the upper
    and lower bounding-plane lines in the plane of z2 and z3; a half circle in the plane of
    z1 and z3 around the median code, with the median distance of the codes from it in that
    plane as radius; and the straight path across the emptiest part of the cloud.
    """
    makers: dict[str, Callable[[], Any]] = {
        f"axis-z{axis + 1}": (lambda a=axis: axis_path(codes, a, PATH_POINTS))
        for axis in range(codes.shape[1])
    }
    makers["isovariance"] = lambda: isovariance_path(
        codes, data.factors_val, data.factor_names, n_points=PATH_POINTS
    )
    planes = _attempt(
        notes, f"{where}/paths/planes", lambda: bounding_plane_paths(codes, (1, 2), PATH_POINTS)
    )
    centre = np.median(codes, axis=0)
    radius = float(np.median(np.linalg.norm((codes - centre)[:, [0, 2]], axis=1)))
    makers["arc-z1-z3"] = lambda: arc_path(centre, radius, (0, 2), (0.0, np.pi), PATH_POINTS)
    makers["empty-space"] = lambda: empty_space_path(codes, PATH_POINTS, random_state=0)
    paths = {}
    for name in PATH_NAMES:
        if name in ("upper-plane", "lower-plane"):
            if planes is not None:
                paths[name] = planes[name.split("-")[0]]
            continue
        path = _attempt(notes, f"{where}/paths/{name}", makers[name])
        if path is not None:
            paths[name] = path
    return paths


def _decoded_paths(
    model: Any, codes: NDArray[np.float64], data: _CellData, where: str, notes: dict[str, str]
) -> dict[str, PathDecoding]:
    return {
        name: decode_path(model, path, codes, data.reader)
        for name, path in make_paths(codes, data, where, notes).items()
    }


def _path_scores(
    decoding: PathDecoding, data: _CellData, scale: float
) -> tuple[float, float, float, float, str]:
    """(max off-manifold, the same in neighbour distances, worst decode's distance to a
    heatmap, monotonicity, its factor) of one decoded path."""
    monotonicity, factor = monotonicity_of(decoding, data.continuous)
    return (
        decoding.max_offmanifold,
        decoding.max_offmanifold / scale if scale > 0 else np.nan,
        float(_nearest_image_distance(data, decoding.images).max()),
        monotonicity,
        factor,
    )


def _model_scores(outcomes: list[_SeedOutcome]) -> ModelScores:
    """One model's per-seed numbers gathered into its :class:`ModelScores`."""
    names = next((o.views.factor_names for o in outcomes if o.views is not None), ())

    def each(get: Callable[[_SeedOutcome], Any], absent: Any = np.nan) -> tuple[Any, ...]:
        return tuple(absent if get(o) is None else get(o) for o in outcomes)

    def errors(field: str) -> tuple[float, ...]:
        return tuple(float(getattr(o.errors.frobenius_summary, field)) for o in outcomes)

    median, p99 = errors("median"), errors("p99")
    hulls = [o.hull for o in outcomes]
    return ModelScores(
        seeds=tuple(o.seed for o in outcomes),
        factor_r2={n: each(lambda o, n=n: o.views and o.views.r2[n]) for n in names},
        factor_linear_r2={n: each(lambda o, n=n: o.views and o.views.linear_r2[n]) for n in names},
        reconstruction=ReconstructionScores(
            mean=errors("mean"),
            median=median,
            p99=p99,
            tail_ratio=tuple(p / m if m > 0 else np.nan for p, m in zip(p99, median, strict=True)),
            skewness=errors("skewness"),
        ),
        hull=HullScores(
            occupied_fraction=tuple(_field(h, "occupied_fraction") for h in hulls),
            occupied_se=tuple(_field(h, "occupied_se") for h in hulls),
            volume=tuple(_field(h, "volume") for h in hulls),
            median_neighbour_distance=tuple(_field(h, "median_neighbour_distance") for h in hulls),
            perturbation_change=tuple(
                _field(o.perturbations, "mean_image_change") for o in outcomes
            ),
        ),
        decodes=DecodeScores(*(tuple(o.decodes[k] for o in outcomes) for k in range(3))),
        paths={name: _path_table(outcomes, name) for name in PATH_NAMES},
        directions_monotonicity=tuple(
            float(np.mean([o.path_scores[n][3] for n in DIRECTION_PATHS if n in o.path_scores]))
            if any(n in o.path_scores for n in DIRECTION_PATHS)
            else np.nan
            for o in outcomes
        ),
        knn=_knn_scores(outcomes),
        validation_loss=tuple(o.validation_loss for o in outcomes),
        random_monotonicity=tuple(o.random_monotonicity for o in outcomes),
    )


def _field(result: Any, name: str) -> float:
    return np.nan if result is None else float(getattr(result, name))


def _path_table(outcomes: list[_SeedOutcome], name: str) -> PathScores:
    missing = (np.nan, np.nan, np.nan, np.nan, "")
    rows = [o.path_scores.get(name, missing) for o in outcomes]
    return PathScores(
        max_offmanifold=tuple(float(r[0]) for r in rows),
        max_offmanifold_scaled=tuple(float(r[1]) for r in rows),
        max_image_distance=tuple(float(r[2]) for r in rows),
        monotonicity=tuple(float(r[3]) for r in rows),
        monotone_factor=tuple(str(r[4]) for r in rows),
    )


def _knn_scores(outcomes: list[_SeedOutcome]) -> KnnScores | None:
    if all(o.knn is None for o in outcomes):
        return None
    return KnnScores(
        accuracy=tuple(_field(o.knn, "accuracy") for o in outcomes),
        f1=tuple(_field(o.knn, "macro_f1") for o in outcomes),
        k=tuple(-1 if o.knn is None else int(o.knn.k) for o in outcomes),
    )


def _model_arrays(
    model: str, run: Any, outcome: _SeedOutcome, view_rows: NDArray[np.int64]
) -> dict[str, NDArray[Any]]:
    """What the report draws of one model, from its first finished seed."""
    errors = outcome.errors
    arrays: dict[str, NDArray[Any]] = {
        f"{model}/seed": np.array([outcome.seed]),
        f"{model}/codes": np.asarray(run.latents["validation_codes"])[view_rows],
        f"{model}/errors": np.asarray(errors.frobenius),
        f"{model}/worst/indices": np.asarray(errors.worst_indices),
        f"{model}/worst/originals": np.asarray(errors.worst_originals),
        f"{model}/worst/reconstructions": np.asarray(errors.worst_reconstructions),
        f"{model}/off_data/images": outcome.off_data_examples[0],
        f"{model}/off_data/distances": outcome.off_data_examples[1],
    }
    if outcome.perturbations is not None:
        arrays[f"{model}/perturbations"] = np.asarray(outcome.perturbations.example_images)
    for name, decoding in outcome.paths.items():
        arrays.update(path_arrays(f"{model}/paths/{name}", decoding))
    return arrays
