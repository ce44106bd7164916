"""How much a latent space depends on the training seed: silhouette spread and layout similarity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import procrustes

from latentatlas._stats import mean_and_std
from latentatlas.analysis._checks import check_codes
from latentatlas.analysis.clusters import silhouette
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin


@dataclass(frozen=True, eq=False)
class SeedVariabilityResult(ResultMixin):
    """The same data encoded by models trained from several seeds, compared.

    Attributes
    ----------
    silhouette_by_seed : tuple of float
        Mean silhouette of each seed's codes, in seed order.
    silhouette_mean, silhouette_std, silhouette_min, silhouette_max : float
        Spread of the silhouette over seeds; the standard deviation uses ``ddof=1`` (the
        sample standard deviation) with two or more seeds and is 0.0 with one seed.
    procrustes : ndarray of shape (s, s)
        Pairwise Procrustes disparity between seeds' layouts (0 on the diagonal), in [0, 1].
    procrustes_mean : float or None
        Mean over the ``s (s - 1) / 2`` pairs of seeds; None with one seed (no pairs).
    cka : ndarray of shape (s, s)
        Pairwise linear CKA between seeds (1 on the diagonal), in [0, 1].
    cka_mean : float or None
        Mean over the pairs of seeds; None with one seed.
    silhouette_relative_spread : float or None
        ``silhouette_std / |silhouette_mean|``: how much the clustering score moves between
        seeds, relative to its size; None when the mean is 0.
    layout_spread : float or None
        ``procrustes_mean``: how much the layout itself moves between seeds, as a fraction of
        its (standardised) total variance. Comparing it with ``silhouette_relative_spread``
        says whether the score varies less than the picture (the source's observation).
    """

    silhouette_by_seed: tuple[float, ...]
    silhouette_mean: float
    silhouette_std: float
    silhouette_min: float
    silhouette_max: float
    procrustes: NDArray[np.float64]
    procrustes_mean: float | None
    cka: NDArray[np.float64]
    cka_mean: float | None
    silhouette_relative_spread: float | None
    layout_spread: float | None

    @property
    def n_seeds(self) -> int:
        """Number of seeds compared."""
        return len(self.silhouette_by_seed)

    @property
    def procrustes_pairs(self) -> tuple[float, ...]:
        """The disparity of every pair of seeds (the upper triangle), for its spread."""
        return _upper(self.procrustes)

    @property
    def cka_pairs(self) -> tuple[float, ...]:
        """The linear CKA of every pair of seeds (the upper triangle), for its spread."""
        return _upper(self.cka)


def procrustes_disparity(a: ArrayLike, b: ArrayLike) -> float:
    """Procrustes disparity between two layouts of the same points.

    Both layouts are centred and scaled to unit Frobenius norm; ``b`` is then rotated (or
    reflected) and scaled to best match ``a``; the disparity is the remaining sum of squared
    differences, ``1 - (sum of singular values of a^T b)^2``, in [0, 1] and symmetric in
    ``a`` and ``b``. 0 means the layouts are the same up to translation, rotation,
    reflection and scale. This is :func:`scipy.spatial.procrustes`.

    Parameters
    ----------
    a, b : array-like of shape (n, d)
        Two embeddings of the same ``n`` points, row ``i`` of each being the same point.

    Returns
    -------
    float
        The disparity.

    References
    ----------
    Gower, J. C. (1975). Generalized Procrustes analysis. Psychometrika 40, 33-51.
    """
    first, second = _check_pair(a, b)
    if first.shape != second.shape:
        raise InputError(
            f"Procrustes needs layouts of the same shape, got {first.shape} and {second.shape}"
        )
    try:
        return float(procrustes(first, second)[2])
    except ValueError as error:  # scipy refuses a layout with all points equal
        raise InputError(f"Procrustes disparity is undefined here: {error}") from None


def procrustes_align(reference: ArrayLike, codes: ArrayLike) -> NDArray[np.float64]:
    """``codes`` rotated, reflected, scaled and shifted to best match ``reference``.

    The orthogonal Procrustes solution (the transform behind :func:`procrustes_disparity`),
    returned in ``reference``'s own position and scale so that several seeds' layouts can be
    drawn on one set of axes.

    Parameters
    ----------
    reference, codes : array-like of shape (n, d)
        Two layouts of the same ``n`` points.

    Returns
    -------
    ndarray of shape (n, d)
        ``s * (codes - mean(codes)) @ R + mean(reference)`` with the rotation or reflection
        ``R`` and scale ``s`` minimising the squared distance to ``reference``.
    """
    from scipy.linalg import orthogonal_procrustes

    target, source = _check_pair(reference, codes)
    if target.shape != source.shape:
        raise InputError(
            f"Procrustes needs layouts of the same shape, got {target.shape} and {source.shape}"
        )
    target_centred = target - target.mean(axis=0)
    source_centred = source - source.mean(axis=0)
    if not np.any(source_centred):
        raise InputError("Procrustes alignment is undefined for a layout with all points equal")
    rotation, singular_sum = orthogonal_procrustes(source_centred, target_centred)
    scale = singular_sum / np.sum(source_centred**2)
    return scale * source_centred @ rotation + target.mean(axis=0)


def linear_cka(a: ArrayLike, b: ArrayLike) -> float:
    """Linear centred kernel alignment (CKA) between two representations of the same points.

    With column-centred ``X`` (n x p) and ``Y`` (n x q),
    ``CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)``, in [0, 1]. It is invariant to
    orthogonal transforms and isotropic scaling of either representation (not to general
    invertible linear maps), and 1 when they are equal up to those.

    Written here with NumPy because no well-kept library ships it (it is a few lines in the
    paper's own code); the formula is equation (4) of Kornblith et al. (2019).

    Parameters
    ----------
    a : array-like of shape (n, p)
    b : array-like of shape (n, q)
        Two representations of the same ``n`` points; ``p`` and ``q`` may differ.

    Returns
    -------
    float
        The linear CKA.

    References
    ----------
    Kornblith, S., Norouzi, M., Lee, H. & Hinton, G. (2019). Similarity of neural network
    representations revisited. ICML, PMLR 97, 3519-3529.
    """
    first, second = _check_pair(a, b)
    x = first - first.mean(axis=0)
    y = second - second.mean(axis=0)
    # For n >> p, q the p x q cross-products are far cheaper than the n x n Gram matrices.
    cross = np.linalg.norm(y.T @ x) ** 2
    self_x, self_y = np.linalg.norm(x.T @ x), np.linalg.norm(y.T @ y)
    if self_x == 0.0 or self_y == 0.0:
        raise InputError("linear CKA is undefined for a representation with all points equal")
    return float(cross / (self_x * self_y))


def seed_variability(
    codes_by_seed: Sequence[ArrayLike], labels: ArrayLike, block_size: int | None = None
) -> SeedVariabilityResult:
    """Compare the latent codes of the same points from models trained with different seeds.

    Turns "the latent organisation is extremely sensitive to initial conditions" into
    numbers: the spread of the mean silhouette over seeds, and how different the layouts are
    once translation, rotation, reflection and scale are removed (pairwise Procrustes
    disparity) or in their linear similarity structure (pairwise linear CKA).

    Parameters
    ----------
    codes_by_seed : sequence of array-like, each of shape (n, d)
        One array of codes per seed, all for the same ``n`` points in the same order.
    labels : array-like of shape (n,)
        Class of each point, for the silhouette.
    block_size : int, optional
        Passed to :func:`~latentatlas.analysis.silhouette`.

    Returns
    -------
    SeedVariabilityResult
        With one seed, the standard deviation is 0.0, the pairwise matrices are 1 x 1
        (disparity 0, CKA 1) and the pairwise means are None.
    """
    codes = _check_seeds(codes_by_seed)
    by_seed = tuple(silhouette(c, labels, block_size=block_size).mean for c in codes)
    disparity = _pairwise(codes, procrustes_disparity, diagonal=0.0)
    cka = _pairwise(codes, linear_cka, diagonal=1.0)
    values = np.asarray(by_seed)
    mean, std, _ = mean_and_std(by_seed)
    procrustes_mean = _upper_mean(disparity)
    return SeedVariabilityResult(
        silhouette_by_seed=by_seed,
        silhouette_mean=mean,
        silhouette_std=std,
        silhouette_min=float(values.min()),
        silhouette_max=float(values.max()),
        procrustes=disparity,
        procrustes_mean=procrustes_mean,
        cka=cka,
        cka_mean=_upper_mean(cka),
        silhouette_relative_spread=std / abs(mean) if mean != 0.0 else None,
        layout_spread=procrustes_mean,
    )


def _pairwise(codes: list[NDArray[Any]], measure: Any, diagonal: float) -> NDArray[np.float64]:
    matrix = np.full((len(codes), len(codes)), diagonal)
    for i, j in combinations(range(len(codes)), 2):
        matrix[i, j] = matrix[j, i] = measure(codes[i], codes[j])
    return matrix


def _upper(matrix: NDArray[np.float64]) -> tuple[float, ...]:
    return tuple(float(v) for v in matrix[np.triu_indices(len(matrix), k=1)])


def _upper_mean(matrix: NDArray[np.float64]) -> float | None:
    upper = _upper(matrix)
    return float(np.mean(upper)) if upper else None


def _check_pair(a: ArrayLike, b: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    first = check_codes(a, "a").astype(np.float64)
    second = check_codes(b, "b").astype(np.float64)
    if len(first) != len(second):
        raise InputError(f"a has {len(first)} rows but b has {len(second)}; need the same points")
    return first, second


def _check_seeds(codes_by_seed: Sequence[ArrayLike]) -> list[NDArray[Any]]:
    if isinstance(codes_by_seed, np.ndarray) and codes_by_seed.ndim == 2:
        raise InputError("codes_by_seed must be a sequence of 2-d arrays, one per seed")
    codes = [check_codes(c, f"codes_by_seed[{i}]") for i, c in enumerate(codes_by_seed)]
    if not codes:
        raise InputError("codes_by_seed is empty; expected one array of codes per seed")
    for i, c in enumerate(codes[1:], start=1):
        if c.shape != codes[0].shape:
            raise InputError(
                f"codes_by_seed[{i}] has shape {c.shape} but codes_by_seed[0] has "
                f"{codes[0].shape}; every seed must encode the same points"
            )
    return codes
