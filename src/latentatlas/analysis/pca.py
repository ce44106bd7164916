"""Exact principal axes of a latent cloud, and how its variance spreads over them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_codes
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

#: Rows converted to float64 at a time when accumulating the covariance (bounds the copy).
_CHUNK_ROWS = 16_384


@dataclass(frozen=True, eq=False)
class PrincipalAxes(ResultMixin):
    """The principal axes of a point cloud (exact, from its covariance matrix).

    Attributes
    ----------
    mean : ndarray of shape (d,)
        Centre of the cloud, the origin of the PCA coordinates.
    components : ndarray of shape (d, d)
        Unit principal axes as rows, by decreasing variance; each axis's sign is fixed so
        that its largest-magnitude entry is positive (deterministic, as in ``models.PCA``).
    variances : ndarray of shape (d,)
        Variance along each axis (eigenvalues of the covariance, ``ddof=1``), decreasing.
    """

    mean: NDArray[np.float64]
    components: NDArray[np.float64]
    variances: NDArray[np.float64]

    def transform(self, codes: ArrayLike, n_components: int | None = None) -> NDArray[np.float64]:
        """PCA coordinates ``(codes - mean) @ components[:k].T`` of shape (n, k)."""
        axes = self.components if n_components is None else self.components[:n_components]
        return (np.asarray(codes, dtype=np.float64) - self.mean) @ axes.T


@dataclass(frozen=True, eq=False)
class PcaSpectrumResult(ResultMixin):
    """How the variance of a cloud spreads over its principal components.

    Attributes
    ----------
    explained_variance : ndarray of shape (d,)
        Variance along each principal axis, decreasing.
    explained_variance_ratio : ndarray of shape (d,)
        The same as a fraction of the total variance.
    cumulative : ndarray of shape (d,)
        Running sum of ``explained_variance_ratio``.
    first_to_second : float
        ``ratio[0] / ratio[1]``: how much the first component dominates (inf when d = 1).
    floor : float
        Median ratio: the level of the flat tail the source sees after about 10 components.
    n_leading : int
        Components whose ratio exceeds ``flat_factor * floor``: those standing above the tail.
    """

    explained_variance: NDArray[np.float64]
    explained_variance_ratio: NDArray[np.float64]
    cumulative: NDArray[np.float64]
    first_to_second: float
    floor: float
    n_leading: int


def principal_axes(codes: ArrayLike) -> PrincipalAxes:
    """Exact principal axes of ``codes`` from their covariance matrix.

    The covariance is accumulated in float64 over blocks of rows (float32 codes are never
    copied whole), then diagonalised with :func:`numpy.linalg.eigh`: for ``n >> d`` (165,000
    x 256) this is cheaper than an SVD of the data and exact.

    Parameters
    ----------
    codes : array-like of shape (n, d)

    Returns
    -------
    PrincipalAxes

    References
    ----------
    Jolliffe, I. T. (2002). Principal Component Analysis, 2nd ed. Springer, section 1.1.
    """
    array = check_codes(codes, "codes")
    mean = array.mean(axis=0, dtype=np.float64)
    scatter = np.zeros((array.shape[1], array.shape[1]))
    for start in range(0, len(array), _CHUNK_ROWS):
        block = array[start : start + _CHUNK_ROWS].astype(np.float64) - mean
        scatter += block.T @ block
    variances, vectors = np.linalg.eigh(scatter / (len(array) - 1))
    order = np.argsort(variances)[::-1]
    components = vectors[:, order].T
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    return PrincipalAxes(
        mean=mean,
        components=components * signs[:, None],
        variances=np.clip(variances[order], 0.0, None),
    )


def pca_spectrum(codes: ArrayLike, flat_factor: float = 1.5) -> PcaSpectrumResult:
    """Explained variance per principal component, and how many stand above a flat tail.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    flat_factor : float
        A component counts as leading when its variance ratio exceeds ``flat_factor`` times
        the median ratio (the flat tail's level).

    Returns
    -------
    PcaSpectrumResult

    References
    ----------
    Jolliffe, I. T. (2002). Principal Component Analysis, 2nd ed., section 6.1 (scree plot).
    """
    if not flat_factor > 0:
        raise InputError(f"flat_factor must be positive, got {flat_factor}")
    variances = principal_axes(codes).variances
    total = variances.sum()
    if total <= 0.0:
        raise InputError("codes have zero variance: every point is the same")
    ratio = variances / total
    floor = float(np.median(ratio))
    return PcaSpectrumResult(
        explained_variance=variances,
        explained_variance_ratio=ratio,
        cumulative=np.cumsum(ratio),
        first_to_second=float(ratio[0] / ratio[1]) if len(ratio) > 1 and ratio[1] > 0 else np.inf,
        floor=floor,
        n_leading=int(np.count_nonzero(ratio > flat_factor * floor)),
    )
