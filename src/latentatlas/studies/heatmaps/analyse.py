"""The analyses of one heatmaps cell (a data set), and the arrays its report draws from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from latentatlas.analysis import (
    FactorReader,
    FactorViewsResult,
    HullDecodesResult,
    HullPerturbationResult,
    HullResult,
    KnnResult,
    NearestImages,
    PathDecoding,
    ReconstructionErrors,
    decode_path,
    factor_views,
    fit_factor_reader,
    hull,
    hull_decodes,
    hull_perturbations,
    knn_accuracy,
    monotonicity_of,
    random_direction_monotonicity,
    reconstruction_errors,
    stratified_sample,
)
from latentatlas.analysis.paths import (
    arc_path,
    axis_path,
    bounding_plane_paths,
    empty_space_path,
    isovariance_path,
    path_arrays,
)
from latentatlas.errors import InputError
from latentatlas.results import PerSeed
from latentatlas.studies.columns import columns_of
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput, Rows, Split
from latentatlas.studies.heatmaps.config import HeatmapsConfig
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

    train: Rows
    validation: Rows
    factors_val: NDArray[np.float64]
    factor_names: tuple[str, ...]
    continuous: frozenset[str]
    reader: FactorReader
    training_images: NearestImages


@dataclass(frozen=True)
class _Seed:
    """The analyses of one run; None where one could not be computed (the notes say why)."""

    views: FactorViewsResult | None
    errors: ReconstructionErrors
    hull: HullResult | None
    perturbations: HullPerturbationResult | None
    decodes: HullDecodesResult | None
    paths: dict[str, PathDecoding]
    path_scores: dict[str, dict[str, Any]]  # the rows of PathScores
    knn: KnnResult | None
    validation_loss: float
    random_monotonicity: float


def analyse_cell(config: HeatmapsConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
    """Run every analysis of ``cell`` on the validation split of its data set.

    Returns the :class:`HeatmapsResult` and, for the report, per model (its first finished
    seed) the validation codes of :data:`VIEW_POINTS` images with their factors, the per-image
    reconstruction errors and worst images, the decoded paths, hull perturbations and decodes
    of the hull's empty regions (the report draws from these and loads no data or model).
    """
    context.step("the factor reader and the training images' index")
    data = _cell_data(config, context.split(cell))
    validation = data.validation
    view_rows = np.sort(np.random.default_rng(0).permutation(len(validation))[:VIEW_POINTS])
    arrays: dict[str, NDArray[Any]] = {"view/factors": data.factors_val[view_rows]}
    by_model, failed = context.finished_runs(cell)
    notes: dict[str, str] = {}
    models = {}
    for model, model_runs in by_model.items():
        per_seed = context.per_seed(
            model,
            model_runs,
            partial(_analyse_seed, data=data, model=model, notes=notes, say=context.update),
        )
        models[model] = _model_scores(per_seed)
        arrays.update(_model_arrays(model, model_runs[0], per_seed.results[0], view_rows))
    context.step("the baseline image distance")
    baseline = data.training_images.distance(validation.x[baseline_rows(data.factors_val)])
    labels = validation.labels
    result = HeatmapsResult(
        dataset=validation.dataset.name,
        factor_names=data.factor_names,
        models=models,
        reader_r2=dict(data.reader.test_r2),
        baseline_image_distance=float(np.median(baseline)),
        knn_chance=None if labels is None else float(np.bincount(labels).max() / len(labels)),
        n_train=len(data.train),
        n_validation=len(validation),
        notes=notes,
        failed_runs=failed,
    )
    return CellOutput(result, arrays)


def baseline_rows(factors: NDArray[np.float64]) -> NDArray[np.int64]:
    """The validation rows scored for the baseline distance: :data:`BASELINE_IMAGES` of them
    over every factor bin (the rows keep the factor grid's order, so the first ones would be
    the smallest var_x only), sorted; every row when there are fewer."""
    return np.sort(stratified_sample(BASELINE_IMAGES, factors=factors, random_state=0))


def _cell_data(config: HeatmapsConfig, split: Split) -> _CellData:
    train, validation = split
    names, kinds = tuple(train.dataset.factor_names), train.dataset.factor_kinds
    reader = fit_factor_reader(train.x, train.factors, names, kind=config.reader, random_state=0)
    return _CellData(
        train=train,
        validation=validation,
        factors_val=np.asarray(validation.factors, dtype=np.float64),
        factor_names=names,
        continuous=frozenset(n for n, k in zip(names, kinds, strict=True) if k == "continuous"),
        reader=reader,
        training_images=NearestImages(train.x),
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
    model: str,
    notes: dict[str, str],
    say: Callable[[str], None] = lambda stage: None,
) -> _Seed:
    """Every analysis of one run of ``model`` on the validation split; what cannot be computed
    is noted under ``<model>/seed-<s>/<analysis>``, and ``say`` names each stage as it begins
    (progress)."""
    seed = int(run.config.seed)
    where = f"{model}/seed-{seed}"
    codes = np.asarray(run.latents["validation_codes"], dtype=np.float64)
    say("factor views")
    views = _attempt(
        notes,
        f"{where}/factor_views",
        lambda: factor_views(codes, data.factors_val, data.factor_names, random_state=0),
    )
    say("convex hull")
    shape = _attempt(notes, f"{where}/hull", lambda: hull(codes, random_state=0))
    perturbations = decodes = None
    if shape is not None:
        say("hull perturbations and decodes")
        perturbations = hull_perturbations(run.model, codes, shape, random_state=0)
        decodes = hull_decodes(
            run.model, codes, shape, data.training_images, HULL_DECODES, N_EXAMPLES
        )
    say("decoded paths")
    paths = {
        name: decode_path(run.model, path, codes, data.reader)
        for name, path in make_paths(codes, data, where, notes).items()
    }
    spacing = float(np.median(_neighbour_distances(codes)))  # also where the hull failed
    knn = None
    if data.validation.labels is not None:  # the training rows have labels too
        train_codes = run.latents["train_codes"]
        say("k-NN accuracy")
        knn = _attempt(
            notes,
            f"{where}/knn",
            lambda: knn_accuracy(train_codes, data.train.labels, codes, data.validation.labels),
        )
    say("reconstruction errors, path scores and random directions")
    return _Seed(
        views=views,
        errors=reconstruction_errors(run.model, data.validation.x, n_worst=N_EXAMPLES),
        hull=shape,
        perturbations=perturbations,
        decodes=decodes,
        paths=paths,
        path_scores={n: _path_scores(d, data, spacing) for n, d in paths.items()},
        knn=knn,
        validation_loss=float(run.history.best.validation["total"]),
        random_monotonicity=random_direction_monotonicity(
            run.model, codes, data.reader, data.continuous, N_RANDOM_DIRECTIONS, PATH_POINTS, seed
        ),
    )


def _neighbour_distances(codes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance from each code to its nearest other code (k=2: the nearest is itself)."""
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=2).fit(codes).kneighbors(codes)[0][:, 1]


def make_paths(
    codes: NDArray[np.float64], data: _CellData, where: str, notes: dict[str, str]
) -> dict[str, NDArray[np.float64]]:
    """The source's paths through the codes, by name, in :data:`PATH_NAMES` order.

    What each is: ``report.PATH_CAPTIONS``. A path that cannot be made on these codes is left
    out, with the reason in ``notes``.
    """
    centre = np.median(codes, axis=0)
    radius = float(np.median(np.linalg.norm((codes - centre)[:, [0, 2]], axis=1)))
    makers: dict[str, Callable[[], Any]] = {
        "planes": partial(bounding_plane_paths, codes, (1, 2), PATH_POINTS),
        **{f"axis-z{a + 1}": partial(axis_path, codes, a, PATH_POINTS) for a in range(3)},
        "isovariance": partial(
            isovariance_path, codes, data.factors_val, data.factor_names, n_points=PATH_POINTS
        ),
        "arc-z1-z3": partial(arc_path, centre, radius, (0, 2), (0.0, np.pi), PATH_POINTS),
        "empty-space": partial(empty_space_path, codes, PATH_POINTS, random_state=0),
    }
    made = {name: _attempt(notes, f"{where}/paths/{name}", make) for name, make in makers.items()}
    planes = made.pop("planes") or {}
    made |= {f"{side}-plane": planes.get(side) for side in ("upper", "lower")}
    return {name: made[name] for name in PATH_NAMES if made.get(name) is not None}


def _path_scores(decoding: PathDecoding, data: _CellData, spacing: float) -> dict[str, Any]:
    """One decoded path's row of :class:`PathScores`."""
    monotonicity, factor = monotonicity_of(decoding, data.continuous)
    return {
        "max_offmanifold": decoding.max_offmanifold,
        "max_offmanifold_scaled": decoding.max_offmanifold / spacing if spacing > 0 else np.nan,
        "max_image_distance": float(data.training_images.distance(decoding.images).max()),
        "monotonicity": monotonicity,
        "monotone_factor": factor,
    }


def _model_scores(per_seed: PerSeed[_Seed]) -> ModelScores:
    """One model's per-seed analyses as the columns of its :class:`ModelScores`."""
    seeds = per_seed.results
    names = next((s.views.factor_names for s in seeds if s.views is not None), ())

    def column(value: Callable[[_Seed], Any]) -> tuple[Any, ...]:
        return tuple(value(s) for s in seeds)

    def r2(field: str) -> dict[str, tuple[float, ...]]:
        return {
            n: column(lambda s, n=n: getattr(s.views, field)[n] if s.views else np.nan)
            for n in names
        }

    summaries = column(lambda s: s.errors.frobenius_summary)
    knns = per_seed.column("knn")
    return ModelScores(
        seeds=per_seed.seeds,
        factor_r2=r2("r2"),
        factor_linear_r2=r2("linear_r2"),
        reconstruction=columns_of(
            ReconstructionScores,
            summaries,
            tail_ratio=tuple(e.p99 / e.median if e.median > 0 else np.nan for e in summaries),
        ),
        hull=columns_of(
            HullScores,
            per_seed.column("hull"),
            perturbation_change=column(
                lambda s: s.perturbations.mean_image_change if s.perturbations else np.nan
            ),
        ),
        decodes=columns_of(DecodeScores, per_seed.column("decodes")),
        paths={
            n: columns_of(PathScores, column(lambda s, n=n: s.path_scores.get(n)))
            for n in PATH_NAMES
        },
        directions_monotonicity=column(_directions_monotonicity),
        knn=None
        if all(k is None for k in knns)
        else columns_of(
            KnnScores, knns, f1=tuple(np.nan if k is None else k.macro_f1 for k in knns)
        ),
        validation_loss=per_seed.column("validation_loss"),
        random_monotonicity=per_seed.column("random_monotonicity"),
    )


def _directions_monotonicity(seed: _Seed) -> float:
    """Mean monotonicity of the direction paths this seed could make (NaN without any)."""
    made = [seed.path_scores[n]["monotonicity"] for n in DIRECTION_PATHS if n in seed.path_scores]
    return float(np.mean(made)) if made else np.nan


def _model_arrays(
    model: str, run: Any, seed: _Seed, view_rows: NDArray[np.int64]
) -> dict[str, NDArray[Any]]:
    """What the report draws of one model, from its first finished seed."""
    errors = seed.errors
    arrays: dict[str, NDArray[Any]] = {
        f"{model}/seed": np.array([run.config.seed]),
        f"{model}/codes": np.asarray(run.latents["validation_codes"])[view_rows],
        f"{model}/errors": np.asarray(errors.frobenius),
        f"{model}/worst/indices": np.asarray(errors.worst_indices),
        f"{model}/worst/originals": np.asarray(errors.worst_originals),
        f"{model}/worst/reconstructions": np.asarray(errors.worst_reconstructions),
    }
    if seed.decodes is not None:
        arrays[f"{model}/off_data/images"] = seed.decodes.example_images
        arrays[f"{model}/off_data/distances"] = seed.decodes.example_distances
    if seed.perturbations is not None:
        arrays[f"{model}/perturbations"] = np.asarray(seed.perturbations.example_images)
    for name, decoding in seed.paths.items():
        arrays.update(path_arrays(f"{model}/paths/{name}", decoding))
    return arrays
