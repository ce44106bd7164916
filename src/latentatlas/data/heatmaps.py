"""Gaussian and Student-t density heatmaps on a 36x36 grid, as the heatmaps source draws them.

Each image is a centred bivariate density with covariance
``[[var_x, corr * sqrt(var_x * var_y)], [corr * sqrt(var_x * var_y), var_y]]`` evaluated on
``np.linspace(-3, 3, 36)`` in both directions and divided by its largest pixel. Rows of an image
follow y and columns follow x (``np.meshgrid``'s default ``"xy"`` indexing), so row 0 is y = -3.
The factor grid reproduces the seed's ``np.arange`` calls: 25 variances 0.1, 0.3, ..., 4.9 for
each axis and 19 correlations -0.95, -0.85, ..., 0.85, in total 25 * 25 * 19 = 11,875 images,
ordered with var_x slowest and corr fastest.

The four-factor extension (``heatmaps-t``) renders the same grid as bivariate Student-t
densities. The seed assigns the degrees of freedom by the rule ``(var_x + var_y)**2 - l > 20``
with ``l ~ U(0, 10)`` and names the two values "2 or 200" in that order; we read the rule as the
indicator that selects the second value: true gives 200 degrees of freedom (near-Gaussian, for
the wide densities with large variances), false gives 2 (heavy tails). Label 1 is ``dof=200``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.data._checks import as_int
from latentatlas.data.base import Dataset
from latentatlas.errors import InputError

GRID = np.linspace(-3.0, 3.0, 36)
# The seed builds its factor grid with np.arange(0.1, 5, 0.2) and np.arange(-0.95, 0.95, 0.1).
# A float stop makes np.arange's length fragile, so we fix the counts (25 and 19) and build the
# values the way np.arange does (tests check both against np.arange bit for bit).


def _arange_values(start: float, step: float, count: int) -> NDArray[np.float64]:
    # np.arange fills start + i * delta with delta = (start + step) - start, not step itself.
    return start + np.arange(count) * ((start + step) - start)


VARIANCES = _arange_values(0.1, 0.2, 25)
CORRELATIONS = _arange_values(-0.95, 0.1, 19)
N_IMAGES = len(VARIANCES) ** 2 * len(CORRELATIONS)
DOF_VALUES = (2.0, 200.0)
SOURCE = "generated: Gaussian densities on the heatmaps study's source grid"
SOURCE_T = "generated: Student-t densities (2 or 200 dof) on the heatmaps study's source grid"
_CHUNK = 1024


def factor_grid() -> NDArray[np.float64]:
    """All 11,875 (var_x, var_y, corr) combinations, var_x slowest and corr fastest."""
    var_x, var_y, corr = np.meshgrid(VARIANCES, VARIANCES, CORRELATIONS, indexing="ij")
    return np.column_stack([var_x.ravel(), var_y.ravel(), corr.ravel()])


def render_heatmaps(
    var_x: ArrayLike, var_y: ArrayLike, corr: ArrayLike, dof: ArrayLike | None = None
) -> NDArray[np.float32]:
    """Render max-normalised bivariate densities on the 36x36 grid.

    Parameters
    ----------
    var_x, var_y : array_like of shape (n,)
        Variances of x (columns) and y (rows), positive.
    corr : array_like of shape (n,)
        Correlations, in (-1, 1).
    dof : array_like of shape (n,) or scalar, optional
        Degrees of freedom of a bivariate Student-t density; None renders Gaussians.

    Returns
    -------
    ndarray of shape (n, 1, 36, 36), float32
        Each image divided by its own maximum, so its peak pixel is exactly 1.
    """
    vx, vy, rho = (np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (var_x, var_y, corr))
    vx, vy, rho = np.broadcast_arrays(vx, vy, rho)
    if np.any(vx <= 0) or np.any(vy <= 0) or np.any(np.abs(rho) >= 1):
        raise InputError("heatmap variances must be positive and correlations inside (-1, 1)")
    nu = None if dof is None else np.broadcast_to(np.asarray(dof, dtype=np.float64), vx.shape)
    out = np.empty((len(vx), 1, len(GRID), len(GRID)), dtype=np.float32)
    for start in range(0, len(vx), _CHUNK):
        part = slice(start, start + _CHUNK)
        q = _mahalanobis_squared(vx[part], vy[part], rho[part])
        if nu is None:
            density = np.exp(-0.5 * q)
        else:
            # Bivariate t kernel (1 + q / nu) ** (-(nu + 2) / 2); the constant cancels below.
            exponent = (-(nu[part] + 2.0) / 2.0)[:, None, None]
            density = np.exp(exponent * np.log1p(q / nu[part][:, None, None]))
        density /= density.max(axis=(1, 2), keepdims=True)
        out[part, 0] = density
    return out


def _mahalanobis_squared(
    vx: NDArray[np.float64], vy: NDArray[np.float64], rho: NDArray[np.float64]
) -> NDArray[np.float64]:
    """(p^T S^-1 p) at every grid point p = (x, y), for each covariance S; shape (n, 36, 36)."""
    x = GRID[None, None, :]
    y = GRID[None, :, None]
    vx, vy, rho = vx[:, None, None], vy[:, None, None], rho[:, None, None]
    # Inverse of [[vx, c], [c, vy]] with c = rho sqrt(vx vy) is [[vy, -c], [-c, vx]] / det.
    c = rho * np.sqrt(vx * vy)
    det = vx * vy * (1.0 - rho**2)
    return (vy * x**2 - 2.0 * c * x * y + vx * y**2) / det


def dof_assignment(seed: int = 0) -> NDArray[np.float64]:
    """Degrees of freedom for each of the 11,875 grid images: 200 where the seed's rule holds.

    The rule is ``(var_x + var_y)**2 - l > 20`` with ``l ~ U(0, 10)`` drawn from
    ``numpy.random.default_rng`` seeded by the first child of ``SeedSequence(seed)``.
    """
    l_seed, _ = np.random.SeedSequence(seed).spawn(2)
    factors = factor_grid()
    noise = np.random.default_rng(l_seed).uniform(0.0, 10.0, size=len(factors))
    rule = (factors[:, 0] + factors[:, 1]) ** 2 - noise > 20.0
    return np.where(rule, DOF_VALUES[1], DOF_VALUES[0])


def _subset(subsample: object, seed: int, dataset: str) -> NDArray[np.int64]:
    if subsample is None:
        return np.arange(N_IMAGES)
    count = as_int(subsample, "subsample", dataset, 1)
    if count > N_IMAGES:
        raise InputError(
            f"option subsample={count} of data set '{dataset}' exceeds its {N_IMAGES} images"
        )
    _, subset_seed = np.random.SeedSequence(seed).spawn(2)
    chosen = np.random.default_rng(subset_seed).choice(N_IMAGES, size=count, replace=False)
    return np.sort(chosen)


def load(subsample: int | None = None, seed: int = 0) -> Dataset:
    """Load the 11,875 Gaussian heatmaps of the heatmaps source with factors (var_x, var_y, corr).

    Parameters
    ----------
    subsample : int, optional
        Keep a random subset of this many images (for quick runs), in grid order.
    seed : int
        Seed of that subset.

    Returns
    -------
    Dataset
        ``x`` float32 (n, 1, 36, 36), peak 1; continuous factors; no labels.
    """
    seed = as_int(seed, "seed", "heatmaps")
    rows = _subset(subsample, seed, "heatmaps")
    factors = factor_grid()[rows]
    return Dataset(
        name="heatmaps",
        x=render_heatmaps(factors[:, 0], factors[:, 1], factors[:, 2]),
        factors=factors,
        factor_names=("var_x", "var_y", "corr"),
        factor_kinds=("continuous", "continuous", "continuous"),
        source=SOURCE,
        options={"subsample": subsample, "seed": seed},
    )


def load_t(subsample: int | None = None, seed: int = 0) -> Dataset:
    """Load the four-factor heatmaps: the same grid as Student-t densities with 2 or 200 dof.

    Parameters
    ----------
    subsample : int, optional
        Keep a random subset of this many images (for quick runs), in grid order.
    seed : int
        Seed of the degrees-of-freedom draw (see :func:`dof_assignment`) and of the subset.

    Returns
    -------
    Dataset
        ``x`` float32 (n, 1, 36, 36); factors (var_x, var_y, corr, dof) with dof discrete;
        labels 0 for ``dof=2`` and 1 for ``dof=200``.
    """
    seed = as_int(seed, "seed", "heatmaps-t")
    rows = _subset(subsample, seed, "heatmaps-t")
    factors = np.column_stack([factor_grid(), dof_assignment(seed)])[rows]
    return Dataset(
        name="heatmaps-t",
        x=render_heatmaps(factors[:, 0], factors[:, 1], factors[:, 2], dof=factors[:, 3]),
        labels=(factors[:, 3] == DOF_VALUES[1]).astype(np.int64),
        label_names=("dof=2", "dof=200"),
        factors=factors,
        factor_names=("var_x", "var_y", "corr", "dof"),
        factor_kinds=("continuous", "continuous", "continuous", "discrete"),
        source=SOURCE_T,
        options={"subsample": subsample, "seed": seed},
    )


def describe(subsample: int | None = None, seed: int = 0) -> dict[str, object]:
    """Size, shape and source of :func:`load`, without rendering."""
    return {
        "size": N_IMAGES if subsample is None else len(_subset(subsample, 0, "heatmaps")),
        "shape": (1, 36, 36),
        "labels": None,
        "factors": ["var_x", "var_y", "corr"],
        "source": SOURCE,
    }


def describe_t(subsample: int | None = None, seed: int = 0) -> dict[str, object]:
    """Size, shape and source of :func:`load_t`, without rendering."""
    return {
        "size": N_IMAGES if subsample is None else len(_subset(subsample, 0, "heatmaps-t")),
        "shape": (1, 36, 36),
        "labels": "dof 2 / 200",
        "factors": ["var_x", "var_y", "corr", "dof"],
        "source": SOURCE_T,
    }
