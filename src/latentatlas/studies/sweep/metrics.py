"""What a sweep measures on each run: its losses, reconstruction error, silhouette and k-NN."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.results import ResultMixin

#: Metrics the table holds and the report draws (label, what a higher value means).
METRICS: dict[str, str] = {
    "validation_loss": "validation loss (the model's own objective, best epoch)",
    "reconstruction_error": "validation reconstruction error (MSE per pixel)",
    "silhouette": "silhouette of validation codes by label",
    "knn_accuracy": "k-NN accuracy of validation codes",
}


@dataclass(frozen=True, eq=False)
class RunMetrics(ResultMixin):
    """What a sweep measures on one finished run.

    Attributes
    ----------
    train_loss, validation_loss : float
        The model's own training objective (reconstruction, plus KL for a VAE) at the best
        epoch, averaged over samples.
    best_epoch, epochs_trained : int
        The epoch whose weights were kept, and the epochs trained (fewer than ``epochs`` when
        training stopped early).
    reconstruction_error : float
        Mean over validation samples of the per-pixel squared error (comparable across models).
    silhouette : float
        Mean silhouette of the validation codes grouped by label (NaN without labels).
    knn_accuracy : float
        Accuracy of k-NN on the validation codes, ``k`` chosen by cross-validation on the
        training codes (NaN without labels or with a class of fewer than 2 training codes).
    knn_k : int or None
        The chosen ``k``.
    """

    train_loss: float
    validation_loss: float
    best_epoch: int
    epochs_trained: int
    reconstruction_error: float
    silhouette: float
    knn_accuracy: float
    knn_k: int | None


def run_metrics(
    history: Any, latents: Mapping[str, NDArray[Any]], random_state: int = 0
) -> RunMetrics:
    """Measure one run from its training history and stored latent codes.

    Parameters
    ----------
    history : latentatlas.train.History
        The run's training history.
    latents : mapping of str to ndarray
        The run's ``latents.npz``: ``train_codes``, ``validation_codes``,
        ``validation_reconstruction_error`` and, where the data has labels,
        ``train_labels`` and ``validation_labels``.
    random_state : int
        Seed of the k-NN cross-validation folds.

    Returns
    -------
    RunMetrics

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes. J. Comput. Appl. Math. 20, 53-65 (the silhouette);
    k-NN accuracy as in :func:`latentatlas.analysis.knn_accuracy`.
    """
    from latentatlas.analysis.classification import knn_accuracy
    from latentatlas.analysis.clusters import silhouette

    best = history.best
    silhouette_mean, knn, k = math.nan, math.nan, None
    if "validation_labels" in latents and "train_labels" in latents:
        codes, labels = latents["validation_codes"], latents["validation_labels"]
        if 2 <= len(np.unique(labels)) <= len(labels) - 1:
            silhouette_mean = silhouette(codes, labels).mean
        folds = _knn_folds(latents["train_labels"])
        if folds >= 2:
            result = knn_accuracy(
                latents["train_codes"],
                latents["train_labels"],
                codes,
                labels,
                cv=folds,
                random_state=random_state,
            )
            knn, k = result.accuracy, result.k
    return RunMetrics(
        train_loss=float(best.train["total"]),
        validation_loss=float(best.validation["total"]),
        best_epoch=int(history.best_epoch),
        epochs_trained=len(history.epochs),
        reconstruction_error=float(np.mean(latents["validation_reconstruction_error"])),
        silhouette=float(silhouette_mean),
        knn_accuracy=float(knn),
        knn_k=k,
    )


def _knn_folds(train_labels: NDArray[Any]) -> int:
    """Five folds, or fewer when the smallest class has fewer training codes (0: no k-NN)."""
    classes, counts = np.unique(train_labels, return_counts=True)
    return 0 if len(classes) < 2 else min(5, int(counts.min()))
