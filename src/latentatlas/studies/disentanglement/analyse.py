"""The analyses of one disentanglement cell (a data set), and the arrays its report draws from."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas import runs
from latentatlas.analysis.disentanglement import dci, dci_single_factor, mig, sap
from latentatlas.analysis.sampling import stratified_sample
from latentatlas.analysis.traversal import effect_agreement, traversal_effects, traverse
from latentatlas.studies.disentanglement.config import (
    ORIENTATION_PERIODS,
    DisentanglementConfig,
    data_config,
    seed_pairs,
)
from latentatlas.studies.disentanglement.results import (
    DCISeeds,
    DisentanglementResult,
    ModelResult,
    SingleFactorSeeds,
    TraversalSeeds,
)
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput


def analyse_cell(config: DisentanglementConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
    """Score every model of ``cell`` over its finished seeds.

    DCI, MIG and SAP (factor data sets) or the single-label DCI (MNIST) use the codes of every
    image, training and validation rows together (the scores train their own classifiers on
    their own split); traversals use ``traversal_inputs`` validation images drawn by
    :func:`traversal_rows`, the grids the first ``grid_inputs`` of them. The arrays hold what the
    report draws: the traversal grids of the first seed, the per-input effects of every seed and
    the first seed's mean change images.
    """
    dataset = context.dataset(data_config(config, cell.params["dataset"]))
    train_idx, val_idx = runs.split_indices(cell.runs[0][0], dataset)
    inputs = traversal_rows(dataset, val_idx, config.traversal_inputs)
    grid = np.arange(min(config.grid_inputs, len(inputs)), dtype=np.int64)
    arrays: dict[str, NDArray[Any]] = {"traversal/inputs": inputs, "grid/rows": inputs[grid]}
    if dataset.labels is not None:
        arrays["grid/labels"] = np.asarray(dataset.labels)[inputs[grid]]
    sizes = _dci_sizes(config, len(dataset))
    x_inputs = np.asarray(dataset.x[inputs])
    kinds = tuple(dataset.factor_kinds) or None
    names = tuple(dataset.factor_names)
    folded = _folded_factors(names)
    models: dict[str, ModelResult] = {}
    by_model, failed = context.finished_runs(cell, group=lambda _, path: path.split("/")[-2])
    for model in cell.params["models"]:
        if by_model.get(model):
            context.step(f"{model}: traversals, DCI, MIG and SAP of {len(by_model[model])} seed(s)")
            models[model] = _analyse_model(
                config,
                model,
                by_model[model],
                (x_inputs, grid),
                (kinds, names, folded),
                sizes,
                arrays,
            )
    return CellOutput(
        DisentanglementResult(
            dataset=cell.params["dataset"],
            factor_names=names,
            models=models,
            n_images=len(dataset),
            n_train=len(train_idx),
            n_validation=len(val_idx),
            dci_n_train=sizes[0],
            dci_n_test=sizes[1],
            failed_runs=failed,
            folded_factors=tuple(name for name, on in zip(names, folded, strict=True) if on),
        ),
        arrays,
    )


def traversal_rows(dataset: Any, val_idx: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """``n`` validation rows that cover every class (MNIST) or every factor bin, seeded.

    The data sets keep their source order (``val_idx[:n]`` is all zeros, or all squares at one
    scale), so the rows are a stratified sample (:func:`stratified_sample`, seed 0) over the
    factors where the data set has them, else over the labels. Every prefix is stratified too:
    the grids' first images are of different classes (the source compared two digits).
    """
    if dataset.factors is not None and len(dataset.factor_names):
        kinds = tuple(dataset.factor_kinds) or None
        picked = stratified_sample(n, factors=dataset.factors[val_idx], factor_kinds=kinds)
    else:
        labels = None if dataset.labels is None else np.asarray(dataset.labels)[val_idx]
        picked = stratified_sample(n, labels=labels, n_rows=len(val_idx))
    return np.asarray(val_idx, dtype=np.int64)[picked]


def _folded_factors(names: tuple[str, ...]) -> tuple[bool, ...]:
    """Which factors are scored modulo a symmetry: a sprite's orientation, given its shape."""
    return tuple(name == "orientation" and "shape" in names for name in names)


def identifiable_factors(
    factors: NDArray[np.float64], names: tuple[str, ...], folded: tuple[bool, ...]
) -> NDArray[np.float64]:
    """``factors`` with each folded orientation taken modulo its shape's period.

    A square rotated by 90 degrees is the same image, an ellipse by 180 degrees too; no code
    can tell those orientations apart, so DCI, MIG and SAP score the orientation that the image
    shows (``ORIENTATION_PERIODS``), not the one the generator drew.
    """
    if not any(folded):
        return factors
    out = np.array(factors, dtype=np.float64)
    periods = np.asarray(ORIENTATION_PERIODS)[out[:, names.index("shape")].astype(np.int64)]
    for column in np.flatnonzero(folded):
        out[:, column] = np.mod(out[:, column], periods)
    return out


def chance_accuracy(
    factors: NDArray[np.float64], kinds: tuple[str, ...], n_bins: int = 20
) -> float:
    """Mean over factors of the majority class's share: DCI informativeness by guessing.

    Continuous factors are cut into ``n_bins`` equal-width bins first, as ``dci`` does.
    """
    shares = []
    for column, kind in zip(np.asarray(factors, dtype=np.float64).T, kinds, strict=True):
        if kind == "continuous":
            counts = np.histogram(column, n_bins)[0]
        else:
            counts = np.unique(column, return_counts=True)[1]
        shares.append(counts.max() / counts.sum())
    return float(np.mean(shares))


def _dci_sizes(config: DisentanglementConfig, n_rows: int) -> tuple[int, int]:
    """The DCI split: the configured sizes, or the same proportion of fewer rows."""
    wanted = config.dci_n_train + config.dci_n_test
    if wanted <= n_rows:
        return config.dci_n_train, config.dci_n_test
    n_train = int(n_rows * config.dci_n_train / wanted)
    return n_train, n_rows - n_train


def _all_rows(run: Any, kind: str) -> NDArray[Any]:
    """``codes``, ``labels`` or ``factors`` of every image, training rows then validation rows."""
    return np.concatenate([run.latents[f"train_{kind}"], run.latents[f"validation_{kind}"]])


def _analyse_model(
    config: DisentanglementConfig,
    model: str,
    model_runs: list[Any],
    traversal_inputs: tuple[NDArray[np.float32], NDArray[np.int64]],
    factors: tuple[tuple[str, ...] | None, tuple[str, ...], tuple[bool, ...]],
    sizes: tuple[int, int],
    arrays: dict[str, NDArray[Any]],
) -> ModelResult:
    """One model's scores over its seeds; its traversal arrays go into ``arrays``.

    ``traversal_inputs`` holds the images traversed and the positions among them of the
    images drawn in the grids; ``factors`` the factors' kinds, names and which are folded.
    """
    x_inputs, grid = traversal_inputs
    seeds = tuple(int(run.config.seed) for run in model_runs)
    effects = []
    for index, run in enumerate(model_runs):
        code_std = _all_rows(run, "codes").std(axis=0, ddof=1)  # the unit of mode "std"
        measured = traversal_effects(
            run.model, x_inputs, mode=config.traversal_mode, code_std=code_std
        )
        effects.append(measured)
        arrays[f"effect/{model}/seed-{seeds[index]}"] = measured.effect
        if index == 0:  # the first seed's pictures: grid and mean change images
            arrays[f"mean_change/{model}"] = measured.mean_change.astype(np.float32)
            _store_grid(config, model, run, x_inputs, grid, code_std, arrays)
    scores: dict[str, Any] = {}
    if "train_factors" in model_runs[0].latents:
        scores = _factor_scores(config, model_runs, factors, sizes)
    elif "train_labels" in model_runs[0].latents:
        scores["dci_single_factor"] = _single_factor_scores(config, model_runs, sizes)
    return ModelResult(
        seeds=seeds,
        validation_loss=tuple(float(r.history.best.validation["total"]) for r in model_runs),
        traversal=_traversal_seeds(effects),
        **scores,
    )


def _store_grid(
    config: DisentanglementConfig,
    model: str,
    run: Any,
    x_inputs: NDArray[np.float32],
    grid: NDArray[np.int64],
    code_std: NDArray[np.float64],
    arrays: dict[str, NDArray[Any]],
) -> None:
    """The first seed's traversal grids: every grid image on MNIST, the first elsewhere."""
    shown = grid if run.config.data.name == "mnist" else grid[:1]  # keeps arrays.npz small
    result = traverse(run.model, x_inputs[shown], mode=config.traversal_mode, code_std=code_std)
    prefix = f"traversal/{model}"
    arrays[f"{prefix}/images"] = result.images.astype(np.float16)  # display only: halves the file
    arrays[f"{prefix}/codes"] = result.codes
    arrays[f"{prefix}/dims"] = np.asarray(result.dims, dtype=np.int64)
    arrays[f"{prefix}/values"] = result.values
    arrays[f"{prefix}/scale"] = result.scale


def _traversal_seeds(effects: list[Any]) -> TraversalSeeds:
    """Counts, consistency and cross-seed agreement of the traversal effects of every seed."""
    first = effects[0]
    active = [np.asarray(e.classification) != "inactive" for e in effects]
    return TraversalSeeds(
        consistent_dims=tuple(e.classification.count("consistent") for e in effects),
        entangled_dims=tuple(e.classification.count("entangled") for e in effects),
        inactive_dims=tuple(e.classification.count("inactive") for e in effects),
        mean_consistency=tuple(
            float(e.consistency[mask].mean()) if mask.any() else float("nan")
            for e, mask in zip(effects, active, strict=True)
        ),
        classification=tuple(tuple(e.classification) for e in effects),
        consistency=tuple(e.consistency for e in effects),
        mean_effect=tuple(e.mean_effect for e in effects),
        seed_agreement=tuple(
            effect_agreement(effects[a], effects[b], by="profile").score
            for a, b in seed_pairs(len(effects))
        ),
        n_inputs=int(first.effect.shape[0]),
        mode=first.mode,
        inactive_fraction=first.inactive_fraction,
        consistency_threshold=first.consistency_threshold,
        min_effect=first.min_effect,
        agreement_cosine=float(first.agreement_cosine),
        cross_dimension_cosine=tuple(float(e.cross_dimension_cosine) for e in effects),
        mean_cosine=tuple(e.mean_cosine for e in effects if e.mean_cosine is not None),
        silent_share=tuple(e.silent_share for e in effects if e.silent_share is not None),
    )


def _factor_scores(
    config: DisentanglementConfig,
    model_runs: list[Any],
    factors_used: tuple[tuple[str, ...] | None, tuple[str, ...], tuple[bool, ...]],
    sizes: tuple[int, int],
) -> dict[str, Any]:
    """DCI, MIG and SAP of every seed against the identifiable ground-truth factors."""
    kinds, names, folded = factors_used
    dcis, migs, saps = [], [], []
    for run in model_runs:
        codes = _all_rows(run, "codes")
        factors = identifiable_factors(_all_rows(run, "factors"), names, folded)
        dcis.append(
            dci(
                codes,
                factors,
                factor_kinds=kinds,
                estimator=config.estimator,
                n_train=sizes[0],
                n_test=sizes[1],
                random_state=0,  # the same split for every seed: only the model varies
            )
        )
        migs.append(mig(codes, factors, factor_kinds=kinds))
        saps.append(sap(codes, factors, factor_kinds=kinds, random_state=0))
    return {
        "dci": DCISeeds(
            disentanglement=tuple(d.disentanglement for d in dcis),
            completeness=tuple(d.completeness for d in dcis),
            informativeness=tuple(d.informativeness for d in dcis),
            informativeness_train=tuple(d.informativeness_train for d in dcis),
            by_seed=tuple(dcis),
            chance=chance_accuracy(factors, dcis[0].factor_kinds),
        ),
        "mig": tuple(m.mig for m in migs),
        "sap": tuple(s.sap for s in saps),
        "mig_per_factor": tuple(m.gap_per_factor for m in migs),
        "sap_per_factor": tuple(s.gap_per_factor for s in saps),
    }


def _single_factor_scores(
    config: DisentanglementConfig, model_runs: list[Any], sizes: tuple[int, int]
) -> SingleFactorSeeds:
    """The source's single-label DCI of every seed, with the digit labels as the factor."""
    results = [
        dci_single_factor(
            _all_rows(run, "codes"),
            _all_rows(run, "labels"),
            estimator=config.estimator,
            n_train=sizes[0],
            n_test=sizes[1],
            random_state=0,
        )
        for run in model_runs
    ]
    return SingleFactorSeeds(
        disentanglement=tuple(r.disentanglement for r in results),
        completeness=tuple(r.completeness for r in results),
        informativeness=tuple(r.informativeness for r in results),
        effective_codes=tuple(
            1.0 / r.disentanglement if r.disentanglement > 0 else float("nan") for r in results
        ),
        by_seed=tuple(results),
    )
