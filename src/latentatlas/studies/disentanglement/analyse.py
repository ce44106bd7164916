"""The analyses of one disentanglement cell (a data set), and the arrays its report draws from."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas import runs
from latentatlas.analysis.disentanglement import dci, dci_single_factor, mig, sap
from latentatlas.analysis.traversal import effect_agreement, traversal_effects, traverse
from latentatlas.studies.disentanglement.config import DisentanglementConfig
from latentatlas.studies.disentanglement.results import (
    DCISeeds,
    DisentanglementResult,
    ModelResult,
    SingleFactorSeeds,
    TraversalSeeds,
)
from latentatlas.studies.disentanglement.study import MNIST_CELL, data_config, seed_pairs
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput


def analyse_cell(config: DisentanglementConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
    """Score every model of ``cell`` over its finished seeds.

    DCI, MIG and SAP (factor data sets) or the single-label DCI (MNIST) use the codes of every
    image, training and validation rows together (the scores train their own classifiers on
    their own split); traversals use the first ``traversal_inputs`` validation images. The
    arrays hold what the report draws: the traversal grids of the first seed, the per-input
    effects of every seed and the first seed's mean change images.
    """
    dataset = context.dataset(data_config(config, cell.params["dataset"]))
    train_idx, val_idx = runs.split_indices(cell.runs[0][0], dataset)
    inputs = val_idx[: config.traversal_inputs]
    grid = _grid_rows(dataset.labels, inputs, config.grid_inputs, cell.key == MNIST_CELL)
    arrays: dict[str, NDArray[Any]] = {"traversal/inputs": inputs, "grid/rows": inputs[grid]}
    if dataset.labels is not None:
        arrays["grid/labels"] = np.asarray(dataset.labels)[inputs[grid]]
    sizes = _dci_sizes(config, len(dataset))
    x_inputs = np.asarray(dataset.x[inputs])
    kinds = tuple(dataset.factor_kinds) or None
    models: dict[str, ModelResult] = {}
    by_model, failed = context.finished_runs(cell, group=lambda _, path: path.split("/")[-2])
    for model in cell.params["models"]:
        if by_model.get(model):
            models[model] = _analyse_model(
                config, model, by_model[model], (x_inputs, grid), kinds, sizes, arrays
            )
    return CellOutput(
        DisentanglementResult(
            dataset=cell.params["dataset"],
            factor_names=tuple(dataset.factor_names),
            models=models,
            n_images=len(dataset),
            n_train=len(train_idx),
            n_validation=len(val_idx),
            dci_n_train=sizes[0],
            dci_n_test=sizes[1],
            failed_runs=failed,
        ),
        arrays,
    )


def _grid_rows(
    labels: NDArray[Any] | None, inputs: NDArray[np.int64], count: int, distinct: bool
) -> NDArray[np.int64]:
    """Positions in ``inputs`` of the images drawn side by side.

    On MNIST, the first input and then the first inputs of other digits (the source compared
    two different digits); elsewhere the first ``count`` inputs.
    """
    if not distinct or labels is None:
        return np.arange(min(count, len(inputs)), dtype=np.int64)
    chosen: list[int] = []
    seen: set[int] = set()
    for position, row in enumerate(inputs):
        if int(labels[row]) not in seen:
            chosen.append(position)
            seen.add(int(labels[row]))
        if len(chosen) == count:
            break
    return np.asarray(chosen, dtype=np.int64)


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
    factor_kinds: tuple[str, ...] | None,
    sizes: tuple[int, int],
    arrays: dict[str, NDArray[Any]],
) -> ModelResult:
    """One model's scores over its seeds; its traversal arrays go into ``arrays``.

    ``traversal_inputs`` holds the images traversed and the positions among them of the
    images drawn in the grids.
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
        scores = _factor_scores(config, model_runs, factor_kinds, sizes)
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
    )


def _factor_scores(
    config: DisentanglementConfig,
    model_runs: list[Any],
    kinds: tuple[str, ...] | None,
    sizes: tuple[int, int],
) -> dict[str, Any]:
    """DCI, MIG and SAP of every seed against the ground-truth factors."""
    dcis, migs, saps = [], [], []
    for run in model_runs:
        codes, factors = _all_rows(run, "codes"), _all_rows(run, "factors")
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
