"""Zoomed density images of a latent cloud projected onto a plane of two axes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_codes, check_positive_int
from latentatlas.analysis._result import ResultMixin
from latentatlas.analysis.pca import principal_axes
from latentatlas.errors import InputError

Basis = Literal["pca", "original"]


@dataclass(frozen=True, eq=False)
class PlaneView(ResultMixin):
    """A 2-d histogram of the points projected onto a plane, inside one square window.

    Attributes
    ----------
    half_width : float
        The window is ``[-h, h]^2`` around the plane's origin (the PCA origin, or the
        coordinate origin for original axes).
    counts : ndarray of shape (bins, bins)
        Points per cell; ``counts[i, j]`` is row ``i`` of the first axis, column ``j`` of
        the second (as ``numpy.histogram2d``).
    n_inside : int
        Points inside the window.
    empty_fraction : float
        Share of the window's cells without any point.
    """

    half_width: float
    counts: NDArray[np.int64]
    n_inside: int
    empty_fraction: float


@dataclass(frozen=True, eq=False)
class PlaneViewsResult(ResultMixin):
    """Zoomed density images of the projection onto one plane.

    Attributes
    ----------
    basis : str
        ``"pca"`` (principal axes) or ``"original"`` (the codes' own coordinates).
    axes : tuple of int
        The two axes spanning the plane, 0-based (the source's "first and 18th PCA axes"
        are ``(0, 17)``).
    views : tuple of PlaneView
        One per window, from the largest to the smallest.
    n_points : int
        Points projected.
    """

    basis: str
    axes: tuple[int, int]
    views: tuple[PlaneView, ...]
    n_points: int


def plane_views(
    codes: ArrayLike,
    axes: tuple[int, int] = (0, 1),
    basis: Basis = "pca",
    half_widths: tuple[float, ...] | None = None,
    bins: int = 128,
) -> PlaneViewsResult:
    """Density images of the projection onto a plane, in shrinking square windows.

    The points are projected onto the plane of two principal axes (centred on the PCA
    origin) or of two original coordinate axes; inside each window ``[-h, h]^2`` they are
    counted on a ``bins x bins`` grid. A density image stays readable for 100,000+ points
    where a scatter of markers would paint the window over.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    axes : tuple of two int
        The two axes, 0-based and distinct.
    basis : {"pca", "original"}
    half_widths : tuple of float, optional
        Window half-widths, in the units of the plane's coordinates. Default: ``e, e/2, e/4,
        e/8, e/16`` with ``e`` the 99.5th percentile of ``max(|u|, |v|)`` (the source went
        from an overview down to 0.25).
    bins : int
        Cells per side of every window.

    Returns
    -------
    PlaneViewsResult
    """
    array = check_codes(codes, "codes")
    u, v = plane_coordinates(array, axes, basis)
    bins = check_positive_int(bins, "bins")
    if half_widths is None:
        extent = float(np.quantile(np.maximum(np.abs(u), np.abs(v)), 0.995))
        half_widths = tuple(extent / 2**i for i in range(5))
    views = []
    for h in half_widths:
        if not (np.isfinite(h) and h > 0):
            raise InputError(f"half_widths must be positive numbers, got {h}")
        counts = plane_counts(u, v, float(h), bins)
        views.append(
            PlaneView(
                half_width=float(h),
                counts=counts,
                n_inside=int(counts.sum()),
                empty_fraction=float(np.mean(counts == 0)),
            )
        )
    return PlaneViewsResult(
        basis=basis, axes=(int(axes[0]), int(axes[1])), views=tuple(views), n_points=len(array)
    )


def plane_coordinates(
    codes: NDArray[Any], axes: tuple[int, int], basis: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coordinates of ``codes`` along two principal axes (``"pca"``) or original axes."""
    if basis not in ("pca", "original"):
        raise InputError(f"basis must be 'pca' or 'original', got {basis!r}")
    if len(axes) != 2 or axes[0] == axes[1]:
        raise InputError(f"axes must be two distinct axis indices, got {axes}")
    for axis in axes:
        if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
            raise InputError(f"axes must be integers, got {axes}")
        if not 0 <= axis < codes.shape[1]:
            raise InputError(
                f"axis {axis} is out of range for codes with {codes.shape[1]} dimensions (0-based)"
            )
    if basis == "original":
        return (codes[:, axes[0]].astype(np.float64), codes[:, axes[1]].astype(np.float64))
    pca = principal_axes(codes)
    plane = pca.components[list(axes)]
    dtype = codes.dtype if codes.dtype.kind == "f" else np.float64
    uv = (codes @ plane.T.astype(dtype)).astype(np.float64) - pca.mean @ plane.T
    return uv[:, 0], uv[:, 1]


def plane_counts(
    u: NDArray[np.float64], v: NDArray[np.float64], half_width: float, bins: int
) -> NDArray[np.int64]:
    """Counts on a ``bins x bins`` grid over ``[-h, h]^2`` (points outside are left out).

    Equals ``numpy.histogram2d(u, v, bins, [[-h, h], [-h, h]])`` (right edges included),
    with one ``bincount`` instead of its searchsorted per axis: several times faster at
    165,000 points.
    """
    inside = (np.abs(u) <= half_width) & (np.abs(v) <= half_width)
    scale = bins / (2.0 * half_width)
    row = np.minimum(((u[inside] + half_width) * scale).astype(np.int64), bins - 1)
    col = np.minimum(((v[inside] + half_width) * scale).astype(np.int64), bins - 1)
    return np.bincount(row * bins + col, minlength=bins * bins).reshape(bins, bins)
