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
from latentatlas.analysis._result import PerSeed
from latentatlas.analysis.sampling import stratified_sample
from latentatlas.models import reconstruct_array
from latentatlas.studies.digit_pairs.config import DigitPairsConfig, data_config
from latentatlas.studies.digit_pairs.results import (
    CodeShape,
    KnnScore,
    LabelReconstruction,
    PairResult,
    SeedSpread,
)
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput

#: Example images per digit kept for the reconstruction figures.
N_EXAMPLES = 5


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
    context.step("the label classifier and the pixels' silhouette")
    classifier = fit_label_classifier(x_train, y_train, kind=config.classifier, random_state=0)
    examples = _example_rows(y_val)
    pixels = original_space_silhouette(x_val, y_val)
    arrays: dict[str, NDArray[Any]] = {
        "labels": y_val,
        "examples/original": x_val[examples],
        "examples/labels": y_val[examples],
        "pixel_silhouette": np.asarray(pixels.samples),
    }
    by_model, failed = context.finished_runs(cell)
    outcomes = {}
    for model, model_runs in by_model.items():
        context.step(f"{model}: silhouettes, seed spread, labels and k-NN")
        outcomes[model] = _analyse_model(
            model, model_runs, classifier, x_val, y_val, examples, arrays
        )
    if config.with_sculpting and cell.params["activation"] == config.activations[0]:
        context.step("manifold sculpting")
        outcomes["sculpting"] = _analyse_sculpting(
            config, cell.params["latent_dim"], x_train, x_val, y_val, y_train, arrays
        )
    result = PairResult(
        original_silhouette=pixels.mean,
        silhouette={m: o["silhouette"] for m, o in outcomes.items()},
        seed_variability={m: o["spread"] for m, o in outcomes.items()},
        label_reconstruction={m: o["labels"] for m, o in outcomes.items() if "labels" in o},
        knn={m: o["knn"] for m, o in outcomes.items()},
        validation_loss={
            m: o["validation_loss"] for m, o in outcomes.items() if "validation_loss" in o
        },
        code_shape={m: o["shape"] for m, o in outcomes.items()},
        n_train=len(train_idx),
        n_validation=len(val_idx),
        failed_runs=failed,
    )
    return CellOutput(result, arrays)


def _example_rows(labels: NDArray[Any]) -> NDArray[np.int64]:
    """:data:`N_EXAMPLES` validation rows per class, drawn stratified and seeded, by class."""
    picked = stratified_sample(N_EXAMPLES * len(np.unique(labels)), labels=labels, random_state=0)
    return picked[np.argsort(labels[picked], kind="stable")].astype(np.int64)


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
    seeds = [run.config.seed for run in model_runs]
    train = [(run.latents["train_codes"], run.latents["train_labels"]) for run in model_runs]
    codes = [run.latents["validation_codes"] for run in model_runs]
    outcome = _analyse_codes(model, seeds, train, codes, y_val, arrays)
    reconstructions = [reconstruct_array(run.model, x_val) for run in model_runs]
    labels_back = [label_reconstruction(r, y_val, classifier) for r in reconstructions]
    for seed, run, reconstruction, labelled in zip(
        seeds, model_runs, reconstructions, labels_back, strict=True
    ):
        arrays[f"misreconstructed/{model}/seed-{seed}"] = labelled.misreconstructed
        arrays[f"history/{model}/seed-{seed}"] = np.asarray(run.history.validation_loss)
        arrays[f"examples/{model}/seed-{seed}"] = reconstruction[examples]
    if model_runs[0].model.denoising:
        arrays[f"examples/noisy/{model}"] = _noisy(model_runs[0].model, x_val[examples])
    outcome["labels"] = LabelReconstruction(
        error_rate=tuple(float(r.error_rate) for r in labels_back),
        confusion=np.sum([r.confusion for r in labels_back], axis=0).astype(np.int64),
        classifier_accuracy=float(classifier.test_accuracy),
    )
    outcome["validation_loss"] = tuple(
        float(run.history.best.validation["total"]) for run in model_runs
    )
    return outcome


def _analyse_codes(
    model: str,
    seeds: list[int],
    train: list[tuple[NDArray[Any], NDArray[Any]]],
    codes: list[NDArray[Any]],
    y_val: NDArray[np.int64],
    arrays: dict[str, NDArray[Any]],
) -> dict[str, Any]:
    """What every row gets from its validation codes alone: clusters, k-NN, seeds, shape."""
    clusters = [silhouette(z, y_val) for z in codes]
    knn = [
        knn_accuracy(z_train, y_train, z, y_val)
        for (z_train, y_train), z in zip(train, codes, strict=True)
    ]
    variability = seed_variability(codes, y_val)
    shapes = [code_shape(z) for z in codes]
    for seed, z, cluster in zip(seeds, codes, clusters, strict=True):
        arrays[f"codes/{model}/seed-{seed}"] = z
        arrays[f"aligned/{model}/seed-{seed}"] = procrustes_align(codes[0], z)
        arrays[f"silhouette/{model}/seed-{seed}"] = np.asarray(cluster.samples)
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
        "shape": PerSeed(
            tuple(seeds),
            tuple(CodeShape(s.share_near_origin, s.flatness, s.collapsed) for s in shapes),
        ),
        "knn": PerSeed(
            tuple(seeds), tuple(KnnScore(float(k.accuracy), float(k.macro_f1)) for k in knn)
        ),
    }


def _analyse_sculpting(
    config: DigitPairsConfig,
    latent_dim: int,
    x_train: NDArray[np.float32],
    x_val: NDArray[np.float32],
    y_val: NDArray[np.int64],
    y_train: NDArray[np.int64],
    arrays: dict[str, NDArray[Any]],
) -> dict[str, Any]:
    """Manifold Sculpting as a row: fitted on train + validation (it has no out-of-sample map).

    One fit per seed (``random_state`` = the seed); the validation rows of the embedding are its
    "validation codes", the training rows train the k-NN. The seconds per fit, each fit's last
    hill-climbing step and whether its layout settled go to ``arrays`` (the report says how
    many settled, in place of the estimator's ``ConvergenceWarning``).
    """
    import time
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from latentatlas.analysis.sculpting import ManifoldSculpting, manifold_sculpting

    images = np.concatenate([x_train, x_val]).reshape(len(x_train) + len(x_val), -1)
    # The estimator's default neighbours, or fewer when a tiny study has fewer images (as the
    # filaments study lowers t-SNE's perplexity): it analyses what it trained, not an error.
    neighbors = min(ManifoldSculpting().n_neighbors, len(images) - 1)
    seeds = list(range(config.seeds))
    train, codes, seconds, steps, settled = [], [], [], [], []
    for seed in seeds:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = manifold_sculpting(
                images, n_components=latent_dim, n_neighbors=neighbors, random_state=seed
            )
        seconds.append(time.perf_counter() - started)
        steps.append(result.step_history[-1])
        settled.append(result.settled)
        train.append((result.embedding[: len(x_train)], y_train))
        codes.append(result.embedding[len(x_train) :])
    arrays["timing/sculpting"] = np.asarray(seconds)
    arrays["step/sculpting"] = np.asarray(steps)
    arrays["settled/sculpting"] = np.asarray(settled)
    return _analyse_codes("sculpting", seeds, train, codes, y_val, arrays)


def _noisy(model: Any, originals: NDArray[np.float32]) -> NDArray[np.float32]:
    """The noisy inputs a denoising model saw in training, drawn with a fixed generator."""
    import torch

    generator = torch.Generator().manual_seed(0)
    return model.corrupt(torch.as_tensor(originals), generator).detach().cpu().numpy()
