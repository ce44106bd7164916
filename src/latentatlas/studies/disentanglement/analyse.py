"""The analyses of one disentanglement cell (a data set), and the arrays its report draws from."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.analysis.disentanglement import dci, dci_chance, dci_single_factor, mig, sap
from latentatlas.analysis.sampling import stratified_rows
from latentatlas.analysis.traversal import (
    TraversalEffectsResult,
    traversal_effects,
    traversal_seeds,
    traverse,
)
from latentatlas.data.sprites import identifiable_factors
from latentatlas.studies.arrays import store_result
from latentatlas.studies.columns import columns_of
from latentatlas.studies.disentanglement.config import MNIST_CELL, DisentanglementConfig
from latentatlas.studies.disentanglement.results import (
    DCISeeds,
    DisentanglementResult,
    ModelResult,
    SingleFactorSeeds,
)
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput

#: Factors that a data set's images show only modulo a symmetry, and what folds them.
FOLDED = {"sprites": (("orientation",), identifiable_factors)}


def analyse_cell(config: DisentanglementConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
    """Score every model of ``cell`` over its finished seeds.

    DCI, MIG and SAP (factor data sets) or the single-label DCI (MNIST) use the codes of every
    image, training and validation rows together (the scores train their own classifiers on
    their own split); traversals use ``traversal_inputs`` validation images, a stratified sample
    (:func:`~latentatlas.analysis.sampling.stratified_rows`, seed 0: the data sets keep their
    source order), the grids the first ``grid_inputs`` of them. The arrays hold what the report
    draws: the first seed's traversal grids (``traversal/<model>``) and traversal effects
    (``effects/<model>``), and the per-input effects of every seed (``effect/<model>/seed-<s>``).
    """
    name = cell.params["dataset"]
    train, validation = context.split(cell)
    dataset = validation.dataset
    inputs = stratified_rows(dataset, validation.index, config.traversal_inputs)
    arrays: dict[str, NDArray[Any]] = {
        "traversal/inputs": inputs,
        "grid/rows": inputs[: config.grid_inputs],
    }
    if dataset.labels is not None:
        arrays["grid/labels"] = np.asarray(dataset.labels)[arrays["grid/rows"]]
    sizes = _dci_sizes(config, len(dataset))
    folded, fold = FOLDED.get(name, ((), None))
    kinds = tuple(dataset.factor_kinds) or None
    x_inputs = np.asarray(dataset.x[inputs])
    n_shown = config.grid_inputs if name == MNIST_CELL else 1  # keeps arrays.npz small
    models: dict[str, ModelResult] = {}
    by_model, failed = context.finished_runs(cell)
    for model, model_runs in by_model.items():  # in the cell's model order
        context.step(f"{model}: traversals, DCI, MIG and SAP of {len(model_runs)} seed(s)")
        effects = _traverse(config, model, model_runs, x_inputs, n_shown, arrays)
        models[model] = ModelResult(
            seeds=tuple(int(run.config.seed) for run in model_runs),
            validation_loss=tuple(
                float(run.history.best.validation["total"]) for run in model_runs
            ),
            traversal=traversal_seeds(effects),
            **_scores(config, model_runs, sizes, kinds, fold),
        )
    result = DisentanglementResult(
        dataset=name,
        factor_names=tuple(dataset.factor_names),
        models=models,
        n_images=len(dataset),
        n_train=len(train),
        n_validation=len(validation),
        dci_n_train=sizes[0],
        dci_n_test=sizes[1],
        failed_runs=failed,
        folded_factors=folded,
    )
    return CellOutput(result, arrays)


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


def _traverse(
    config: DisentanglementConfig,
    model: str,
    model_runs: list[Any],
    x_inputs: NDArray[np.float32],
    n_shown: int,
    arrays: dict[str, NDArray[Any]],
) -> list[TraversalEffectsResult]:
    """Every seed's traversal effects on ``x_inputs``; the first seed's pictures go into
    ``arrays``: its effects and the traversal grids of the first ``n_shown`` inputs."""
    effects = []
    for run in model_runs:
        code_std = _all_rows(run, "codes").std(axis=0, ddof=1)  # the unit of mode "std"
        measured = traversal_effects(
            run.model, x_inputs, mode=config.traversal_mode, code_std=code_std
        )
        arrays[f"effect/{model}/seed-{run.config.seed}"] = measured.effect
        if not effects:
            mean_change = measured.mean_change.astype(np.float32)
            store_result(
                arrays, f"effects/{model}", dataclasses.replace(measured, mean_change=mean_change)
            )
            grids = traverse(
                run.model, x_inputs[:n_shown], mode=config.traversal_mode, code_std=code_std
            )
            images = grids.images.astype(np.float16)  # display only: halves the file
            store_result(arrays, f"traversal/{model}", dataclasses.replace(grids, images=images))
        effects.append(measured)
    return effects


def _scores(
    config: DisentanglementConfig,
    model_runs: list[Any],
    sizes: tuple[int, int],
    kinds: tuple[str, ...] | None,
    fold: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None,
) -> dict[str, Any]:
    """Every seed's DCI, MIG and SAP against the factors that the images show (``fold``), or
    the source's single-label DCI where the runs have labels and no factors (MNIST)."""
    # The same split for every seed: only the model varies.
    split = {"estimator": config.estimator, "n_train": sizes[0], "n_test": sizes[1]}
    latents = model_runs[0].latents
    if "train_factors" in latents:
        return _factor_scores(model_runs, split, kinds, fold)
    if "train_labels" in latents:
        scores = [
            dci_single_factor(
                _all_rows(run, "codes"), _all_rows(run, "labels"), **split, random_state=0
            )
            for run in model_runs
        ]
        return {"dci_single_factor": columns_of(SingleFactorSeeds, scores, by_seed=tuple(scores))}
    return {}


def _factor_scores(
    model_runs: list[Any],
    split: dict[str, Any],
    kinds: tuple[str, ...] | None,
    fold: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None,
) -> dict[str, Any]:
    """DCI (on the ``split``), MIG and SAP of every seed; ``fold`` gives the factors shown."""
    dcis, migs, saps = [], [], []
    for run in model_runs:
        codes, factors = _all_rows(run, "codes"), _all_rows(run, "factors")
        factors = fold(factors) if fold else factors
        dcis.append(dci(codes, factors, factor_kinds=kinds, **split, random_state=0))
        migs.append(mig(codes, factors, factor_kinds=kinds))
        saps.append(sap(codes, factors, factor_kinds=kinds, random_state=0))
    chance = dci_chance(factors, dcis[0].factor_kinds)
    return {
        "dci": columns_of(DCISeeds, dcis, by_seed=tuple(dcis), chance=chance),
        "mig": tuple(m.mig for m in migs),
        "sap": tuple(s.sap for s in saps),
        "mig_per_factor": tuple(m.gap_per_factor for m in migs),
        "sap_per_factor": tuple(s.gap_per_factor for s in saps),
    }
