"""The analyses of one digit-pairs cell, and the arrays its report draws from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

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
from latentatlas.analysis.sampling import stratified_sample
from latentatlas.models import corrupt_array, reconstruct_array
from latentatlas.results import PerSeed
from latentatlas.studies.digit_pairs.config import DigitPairsConfig
from latentatlas.studies.digit_pairs.results import (
    CodeShape,
    KnnScore,
    LabelReconstruction,
    PairResult,
    SeedSpread,
    summary_of,
)
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput, Rows, Split

#: Example images per digit kept for the reconstruction figures.
N_EXAMPLES = 5


#: The fields of :class:`PairResult` that hold one entry per model (its row).
ROW_FIELDS = (
    "silhouette",
    "seed_variability",
    "label_reconstruction",
    "knn",
    "validation_loss",
    "code_shape",
)


def analyse_cell(config: DigitPairsConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
    """Run every analysis of ``cell`` on the validation split.

    Returns the :class:`PairResult` and, for the report, the validation labels and codes, the
    per-sample silhouettes, the validation-loss curves and example reconstructions of each
    model and seed (the report draws from these and loads no data or model).
    """
    split = context.split(cell)
    train, validation = split
    context.step("the label classifier and the pixels' silhouette")
    classifier = fit_label_classifier(train.x, train.labels, kind=config.classifier, random_state=0)
    examples = _example_rows(validation.labels)
    pixels = original_space_silhouette(validation.x, validation.labels)
    arrays: dict[str, NDArray[Any]] = {
        "labels": validation.labels,
        "examples/original": validation.x[examples],
        "examples/labels": validation.labels[examples],
        "pixel_silhouette": np.asarray(pixels.samples),
    }
    by_model, failed = context.finished_runs(cell)
    rows = {}
    for model, model_runs in by_model.items():
        context.step(f"{model}: silhouettes, seed spread, labels and k-NN")
        rows[model] = _analyse_model(model, model_runs, classifier, validation, examples, arrays)
    if config.with_sculpting and cell.params["activation"] == config.activations[0]:
        context.step("manifold sculpting")
        seeds = range(config.seeds)
        rows["sculpting"] = _analyse_sculpting(cell.params["latent_dim"], seeds, split, arrays)
    per_model = {
        field: {m: row[field] for m, row in rows.items() if field in row} for field in ROW_FIELDS
    }
    result = PairResult(
        original_silhouette=pixels.mean,
        **per_model,
        n_train=len(train),
        n_validation=len(validation),
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
    validation: Rows,
    examples: NDArray[np.int64],
    arrays: dict[str, NDArray[Any]],
) -> dict[str, Any]:
    """One model's row of :class:`PairResult` (by field); its seeds' arrays go into ``arrays``."""
    seeds = [run.config.seed for run in model_runs]
    train = [(run.latents["train_codes"], run.latents["train_labels"]) for run in model_runs]
    codes = [run.latents["validation_codes"] for run in model_runs]
    row = _analyse_codes(model, seeds, train, codes, validation.labels, arrays)
    reconstructions = [reconstruct_array(run.model, validation.x) for run in model_runs]
    labels_back = [label_reconstruction(r, validation.labels, classifier) for r in reconstructions]
    for seed, run, reconstruction, labelled in zip(
        seeds, model_runs, reconstructions, labels_back, strict=True
    ):
        arrays[f"misreconstructed/{model}/seed-{seed}"] = labelled.misreconstructed
        arrays[f"history/{model}/seed-{seed}"] = np.asarray(run.history.validation_loss)
        arrays[f"examples/{model}/seed-{seed}"] = reconstruction[examples]
    if model_runs[0].model.denoising:
        noisy = corrupt_array(model_runs[0].model, validation.x[examples])
        arrays[f"examples/noisy/{model}"] = noisy
    row["label_reconstruction"] = LabelReconstruction(
        error_rate=tuple(float(r.error_rate) for r in labels_back),
        confusion=np.sum([r.confusion for r in labels_back], axis=0).astype(np.int64),
        classifier_accuracy=float(classifier.test_accuracy),
    )
    row["validation_loss"] = tuple(
        float(run.history.best.validation["total"]) for run in model_runs
    )
    return row


def _analyse_codes(
    model: str,
    seeds: Sequence[int],
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
    for seed, z, cluster in zip(seeds, codes, clusters, strict=True):
        arrays[f"codes/{model}/seed-{seed}"] = z
        arrays[f"aligned/{model}/seed-{seed}"] = procrustes_align(codes[0], z)
        arrays[f"silhouette/{model}/seed-{seed}"] = np.asarray(cluster.samples)
    return {
        "silhouette": tuple(float(c.mean) for c in clusters),
        "seed_variability": summary_of(SeedSpread, seed_variability(codes, y_val)),
        "code_shape": PerSeed(
            tuple(seeds), tuple(summary_of(CodeShape, code_shape(z)) for z in codes)
        ),
        "knn": PerSeed(tuple(seeds), tuple(summary_of(KnnScore, k) for k in knn)),
    }


def _analyse_sculpting(
    latent_dim: int, seeds: Sequence[int], split: Split, arrays: dict[str, NDArray[Any]]
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

    n_train = len(split.train)
    images = np.concatenate([split.train.x, split.validation.x])
    images = images.reshape(len(images), -1)
    # The estimator's default neighbours, or fewer when a tiny study has fewer images (as the
    # filaments study lowers t-SNE's perplexity): it analyses what it trained, not an error.
    neighbors = min(ManifoldSculpting().n_neighbors, len(images) - 1)
    fits, seconds = [], []
    for seed in seeds:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits.append(
                manifold_sculpting(
                    images, n_components=latent_dim, n_neighbors=neighbors, random_state=seed
                )
            )
        seconds.append(time.perf_counter() - started)
    arrays["timing/sculpting"] = np.asarray(seconds)
    arrays["step/sculpting"] = np.asarray([fit.step_history[-1] for fit in fits])
    arrays["settled/sculpting"] = np.asarray([fit.settled for fit in fits])
    train = [(fit.embedding[:n_train], split.train.labels) for fit in fits]
    codes = [fit.embedding[n_train:] for fit in fits]
    return _analyse_codes("sculpting", seeds, train, codes, split.validation.labels, arrays)
