"""The analyses of one digit-pairs cell, and the arrays its report draws from."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas import runs
from latentatlas.analysis import (
    code_shape,
    fit_label_classifier,
    knn_accuracy,
    label_reconstruction,
    original_space_silhouette,
    procrustes_align,
    seed_variability,
    silhouette,
)
from latentatlas.models import reconstruct_array
from latentatlas.studies.digit_pairs.config import DigitPairsConfig
from latentatlas.studies.digit_pairs.study import (
    N_EXAMPLES,
    CodeShapeSeeds,
    KnnScores,
    LabelReconstruction,
    PairResult,
    SeedSpread,
    check_split,
    data_config,
)
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput


def analyse_cell(config: DigitPairsConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
    """Run every analysis of ``cell`` on the validation split.

    Returns the :class:`PairResult` and, for the report, the validation labels and codes, the
    per-sample silhouettes, the validation-loss curves and example reconstructions of each
    model and seed (the report draws from these and loads no data or model).
    """
    dataset = context.dataset(data_config(config, cell.params["pair"]))
    first_config = cell.runs[0][0]
    train_idx, val_idx = runs.split_indices(first_config, dataset)
    x_train, y_train = dataset.x[train_idx], dataset.labels[train_idx]
    x_val, y_val = dataset.x[val_idx], dataset.labels[val_idx]
    classifier = fit_label_classifier(x_train, y_train, kind=config.classifier, random_state=0)
    examples = _example_rows(y_val)
    pixels = original_space_silhouette(x_val, y_val)
    arrays: dict[str, NDArray[Any]] = {
        "labels": y_val,
        "examples/original": x_val[examples],
        "pixel_silhouette": np.asarray(pixels.samples),
    }
    by_model: dict[str, list[Any]] = {}
    failed: dict[str, str] = {}
    for run_config, relative in cell.runs:
        run = context.run(relative)
        if run is None:
            failed[relative] = context.failures.get(relative, "the run is missing")
            continue
        check_split(run, val_idx)
        by_model.setdefault(run_config.model.name, []).append(run)
    outcomes = {
        model: _analyse_model(model, model_runs, classifier, x_val, y_val, examples, arrays)
        for model, model_runs in by_model.items()
    }
    result = PairResult(
        original_silhouette=pixels.mean,
        silhouette={m: o["silhouette"] for m, o in outcomes.items()},
        seed_variability={m: o["spread"] for m, o in outcomes.items()},
        label_reconstruction={m: o["labels"] for m, o in outcomes.items()},
        knn={m: o["knn"] for m, o in outcomes.items()},
        validation_loss={m: o["validation_loss"] for m, o in outcomes.items()},
        code_shape={m: o["shape"] for m, o in outcomes.items()},
        n_train=len(train_idx),
        n_validation=len(val_idx),
        failed_runs=failed,
    )
    return CellOutput(result, arrays)


def _example_rows(labels: NDArray[Any]) -> NDArray[np.int64]:
    """The first :data:`N_EXAMPLES` validation rows of each class, so both digits are shown."""
    return np.concatenate(
        [np.flatnonzero(labels == label)[:N_EXAMPLES] for label in np.unique(labels)]
    ).astype(np.int64)


def _analyse_model(
    model: str,
    model_runs: list[Any],
    classifier: Any,
    x_val: NDArray[np.float32],
    y_val: NDArray[np.int64],
    examples: NDArray[np.int64],
    arrays: dict[str, NDArray[Any]],
) -> dict[str, Any]:
    """One model's numbers over its seeds; its codes, curves and examples go into ``arrays``."""
    codes = [run.latents["validation_codes"] for run in model_runs]
    clusters = [silhouette(z, y_val) for z in codes]
    knn = [
        knn_accuracy(
            run.latents["train_codes"],
            run.latents["train_labels"],
            run.latents["validation_codes"],
            y_val,
        )
        for run in model_runs
    ]
    reconstructions = [reconstruct_array(run.model, x_val) for run in model_runs]
    labels_back = [label_reconstruction(r, y_val, classifier) for r in reconstructions]
    variability = seed_variability(codes, y_val)
    shapes = [code_shape(z) for z in codes]
    for index, run in enumerate(model_runs):
        seed = f"{model}/seed-{run.config.seed}"
        arrays[f"codes/{seed}"] = codes[index]
        arrays[f"aligned/{seed}"] = procrustes_align(codes[0], codes[index])
        arrays[f"silhouette/{seed}"] = np.asarray(clusters[index].samples)
        arrays[f"misreconstructed/{seed}"] = labels_back[index].misreconstructed
        arrays[f"history/{seed}"] = np.asarray(run.history.validation_loss)
        arrays[f"examples/{seed}"] = reconstructions[index][examples]
    if model_runs[0].model.denoising:
        arrays[f"examples/noisy/{model}"] = _noisy(model_runs[0].model, x_val[examples])
    return {
        "silhouette": tuple(float(c.mean) for c in clusters),
        "spread": SeedSpread(
            variability.silhouette_std,
            variability.silhouette_relative_spread,
            variability.procrustes_mean,
            variability.cka_mean,
            variability.procrustes_pairs,
            variability.cka_pairs,
        ),
        "shape": CodeShapeSeeds(
            share_near_origin=tuple(s.share_near_origin for s in shapes),
            flatness=tuple(s.flatness for s in shapes),
            collapsed=tuple(s.collapsed for s in shapes),
        ),
        "labels": LabelReconstruction(
            error_rate=tuple(float(r.error_rate) for r in labels_back),
            confusion=np.sum([r.confusion for r in labels_back], axis=0).astype(np.int64),
            classifier_accuracy=float(classifier.test_accuracy),
        ),
        "knn": KnnScores(
            accuracy=tuple(float(k.accuracy) for k in knn),
            macro_f1=tuple(float(k.macro_f1) for k in knn),
        ),
        "validation_loss": tuple(float(run.history.best.validation["total"]) for run in model_runs),
    }


def _noisy(model: Any, originals: NDArray[np.float32]) -> NDArray[np.float32]:
    """The noisy inputs a denoising model saw in training, drawn with a fixed generator."""
    import torch

    generator = torch.Generator().manual_seed(0)
    return model.corrupt(torch.as_tensor(originals), generator).detach().cpu().numpy()
