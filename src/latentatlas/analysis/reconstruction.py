"""Per-image reconstruction errors: their distribution, its tail, and the worst images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import skew

from latentatlas.analysis._checks import check_codes, check_positive_int
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

if TYPE_CHECKING:  # torch is only needed by reconstruction_errors, imported there
    from latentatlas.models.base import Autoencoder


@dataclass(frozen=True, eq=False)
class ErrorSummary(ResultMixin):
    """Summary of a distribution of per-image errors.

    Attributes
    ----------
    mean, median, p95, p99, max : float
        Mean, 50th, 95th and 99th percentiles (linear interpolation) and maximum.
    skewness : float
        Fisher-Pearson coefficient ``g1 = m3 / m2^(3/2)`` (``scipy.stats.skew``); a heavy
        right tail (the source's autoencoder) makes it large and positive.
    """

    mean: float
    median: float
    p95: float
    p99: float
    max: float
    skewness: float


@dataclass(frozen=True, eq=False)
class ReconstructionErrors(ResultMixin):
    """Per-image reconstruction errors of a model, summarised, with the worst images.

    Attributes
    ----------
    frobenius : ndarray of shape (n,)
        ``||x - x_hat||_F``, the square root of the summed squared pixel differences (the
        source's measure).
    mse : ndarray of shape (n,)
        Mean squared pixel difference, ``||x - x_hat||_F^2 / n_pixels``.
    frobenius_summary, mse_summary : ErrorSummary
    worst_indices : ndarray of int64, shape (w,)
        Rows of the largest errors, worst first (the order is the same for both measures).
    worst_originals, worst_reconstructions : ndarray of shape (w, ...)
        Those images and their reconstructions.
    """

    frobenius: NDArray[np.float64]
    mse: NDArray[np.float64]
    frobenius_summary: ErrorSummary
    mse_summary: ErrorSummary
    worst_indices: NDArray[np.int64]
    worst_originals: NDArray[np.float32]
    worst_reconstructions: NDArray[np.float32]


def summarise_errors(errors: ArrayLike) -> ErrorSummary:
    """Mean, median, 95th and 99th percentiles, maximum and skewness of per-image errors.

    Parameters
    ----------
    errors : array-like of shape (n,), n >= 2

    Returns
    -------
    ErrorSummary
    """
    values = check_codes(np.asarray(errors, dtype=np.float64).reshape(-1, 1), "errors")[:, 0]
    median, p95, p99 = np.percentile(values, [50.0, 95.0, 99.0])
    # A constant sample has no skewness (0/0); report 0 rather than NaN.
    spread = float(np.std(values))
    return ErrorSummary(
        mean=float(values.mean()),
        median=float(median),
        p95=float(p95),
        p99=float(p99),
        max=float(values.max()),
        skewness=float(skew(values)) if spread > 0 else 0.0,
    )


def error_distribution(
    originals: ArrayLike, reconstructions: ArrayLike, n_worst: int = 8
) -> ReconstructionErrors:
    """Per-image Frobenius and mean squared errors between images and their reconstructions.

    The model-free half of :func:`reconstruction_errors`.

    Parameters
    ----------
    originals, reconstructions : array-like of shape (n, ...)
        Images, same shape; ``n >= 2``.
    n_worst : int
        Number of worst images kept.

    Returns
    -------
    ReconstructionErrors
    """
    x = np.asarray(originals)
    x_hat = np.asarray(reconstructions)
    if x.shape != x_hat.shape:
        raise InputError(
            f"reconstructions have shape {x_hat.shape} but originals have shape {x.shape}"
        )
    worst = check_positive_int(n_worst, "n_worst")
    flat = check_codes(x.reshape(len(x), -1), "originals").astype(np.float64)
    flat_hat = check_codes(x_hat.reshape(len(x), -1), "reconstructions").astype(np.float64)
    squared = np.sum((flat - flat_hat) ** 2, axis=1)
    frobenius = np.sqrt(squared)
    order = np.argsort(-frobenius, kind="stable")[:worst]
    return ReconstructionErrors(
        frobenius=frobenius,
        mse=squared / flat.shape[1],
        frobenius_summary=summarise_errors(frobenius),
        mse_summary=summarise_errors(squared / flat.shape[1]),
        worst_indices=order.astype(np.int64),
        worst_originals=x[order].astype(np.float32),
        worst_reconstructions=x_hat[order].astype(np.float32),
    )


def reconstruction_errors(
    model: Autoencoder, x: Any, n_worst: int = 8, batch_size: int = 1024
) -> ReconstructionErrors:
    """Reconstruct ``x`` with ``model`` and summarise the per-image errors.

    Parameters
    ----------
    model : Autoencoder
        Run in evaluation mode through ``latentatlas.models.reconstruct_array`` (a VAE
        decodes its mean code, no sampling).
    x : array-like of shape (n, *input_shape)
        Images, e.g. the validation split.
    n_worst : int
        Number of worst images kept.
    batch_size : int
        Images reconstructed at once.

    Returns
    -------
    ReconstructionErrors
    """
    from latentatlas.models import reconstruct_array

    images = np.asarray(x, dtype=np.float32)
    if images.shape[1:] != tuple(model.input_shape):
        raise InputError(
            f"x has images of shape {images.shape[1:]} but the model expects {model.input_shape}"
        )
    return error_distribution(images, reconstruct_array(model, images, batch_size), n_worst)
