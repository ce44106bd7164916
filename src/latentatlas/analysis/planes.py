"""Zoomed density images of a latent cloud projected onto a plane of two axes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_codes, check_positive_int
from latentatlas.analysis.pca import principal_axes
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

Basis = Literal["pca", "original"]
Centring = Literal["data", "origin"]


@dataclass(frozen=True, eq=False)
class PlaneView(ResultMixin):
    """A 2-d histogram of the points projected onto a plane, inside one square window.

    Attributes
    ----------
    half_width : float
        The window is the square ``centre + [-h, h]^2``.
    counts : ndarray of shape (bins, bins)
        Points per cell; ``counts[i, j]`` is row ``i`` of the first axis, column ``j`` of
        the second (as ``numpy.histogram2d``).
    n_inside : int
        Points inside the window.
    empty_fraction : float
        Share of the window's cells without any point.
    centre : tuple of float or None
        The window's centre in the plane's coordinates; None in results written before
        windows followed the data, whose windows sat on the plane's origin.
    """

    half_width: float
    counts: NDArray[np.int64]
    n_inside: int
    empty_fraction: float
    centre: tuple[float, float] | None = None


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
    centre: Centring = "data",
) -> PlaneViewsResult:
    """Density images of the projection onto a plane, in shrinking square windows.

    The points are projected onto the plane of two principal axes (centred on the PCA
    origin) or of two original coordinate axes; inside each window they are counted on a
    ``bins x bins`` grid. A density image stays readable for 100,000+ points where a scatter
    of markers would paint the window over.

    By default the windows follow the data, not the plane's origin (codes on original axes
    may sit far from 0, and a zoom on 0 then shows an empty square): the first window is
    centred on the points' median, and each smaller one on the densest square of its size
    inside the window before it (see :func:`zoom_centres`), so the zooms are nested.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    axes : tuple of two int
        The two axes, 0-based and distinct.
    basis : {"pca", "original"}
    half_widths : tuple of float, optional
        Window half-widths from the largest to the smallest, in the units of the plane's
        coordinates. Default: ``e, e/2, e/4, e/8, e/16`` with ``e`` the 99.5th percentile of
        ``max(|u - median u|, |v - median v|)`` (the source went from an overview down to
        0.25).
    bins : int
        Cells per side of every window.
    centre : {"data", "origin"}
        ``"data"``: windows on the median and the densest squares, as above. ``"origin"``:
        every window on the plane's origin (the PCA mean, or 0 of the original axes), as the
        source drew them; a void at the origin then shows as an empty window.

    Returns
    -------
    PlaneViewsResult
    """
    array = check_codes(codes, "codes")
    u, v = plane_coordinates(array, axes, basis)
    bins = check_positive_int(bins, "bins")
    if centre not in ("data", "origin"):
        raise InputError(f"centre must be 'data' or 'origin', got {centre!r}")
    median = (float(np.median(u)), float(np.median(v))) if centre == "data" else (0.0, 0.0)
    if half_widths is None:
        offsets = np.maximum(np.abs(u - median[0]), np.abs(v - median[1]))
        extent = max(float(np.quantile(offsets, 0.995)), np.finfo(np.float32).tiny)
        half_widths = tuple(extent / 2**i for i in range(5))
    for h in half_widths:
        if not (np.isfinite(h) and h > 0):
            raise InputError(f"half_widths must be positive numbers, got {h}")
    views = []
    centres = (
        zoom_centres(u, v, half_widths, median) if centre == "data" else [median] * len(half_widths)
    )
    for h, (cu, cv) in zip(half_widths, centres, strict=True):
        counts = plane_counts(u - cu, v - cv, float(h), bins)
        views.append(
            PlaneView(
                half_width=float(h),
                counts=counts,
                n_inside=int(counts.sum()),
                empty_fraction=float(np.mean(counts == 0)),
                centre=(cu, cv),
            )
        )
    return PlaneViewsResult(
        basis=basis, axes=(int(axes[0]), int(axes[1])), views=tuple(views), n_points=len(array)
    )


def zoom_centres(
    u: NDArray[np.float64],
    v: NDArray[np.float64],
    half_widths: tuple[float, ...],
    first: tuple[float, float],
    grid: int = 64,
) -> list[tuple[float, float]]:
    """Centres of nested zoom windows: the first at ``first``, each next one on the densest
    square of its size inside the window before it.

    The previous window is counted on a ``grid x grid`` mesh; a summed-area table gives the
    count of every square of the new window's size at once, and the fullest one (the first
    in row order among equals) is kept. The window is then centred on the median of the
    points in that square (many squares hold all of a thin line; the first of them has the
    line on its edge), moved back inside the window before it where it stuck out. A window
    not smaller than the one before keeps its centre.
    """
    centres = [first]
    for previous, h in itertools.pairwise(half_widths):
        cu, cv = centres[-1]
        side = max(1, round(grid * h / previous))
        if side >= grid:
            centres.append((cu, cv))
            continue
        counts = plane_counts(u - cu, v - cv, float(previous), grid)
        table = np.pad(counts.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        boxes = (
            table[side:, side:]
            - table[:-side, side:]
            - table[side:, :-side]
            + table[:-side, :-side]
        )
        row, col = np.unravel_index(int(np.argmax(boxes)), boxes.shape)
        cell = 2.0 * previous / grid
        low_u, low_v = cu - previous + row * cell, cv - previous + col * cell
        inside = (
            (u >= low_u) & (u <= low_u + side * cell) & (v >= low_v) & (v <= low_v + side * cell)
        )
        if inside.any():
            centre = np.array([np.median(u[inside]), np.median(v[inside])])
        else:
            centre = np.array([low_u, low_v]) + side * cell / 2
        room = max(previous - h, 0.0)
        centre = np.clip(centre, np.array([cu, cv]) - room, np.array([cu, cv]) + room)
        centres.append((float(centre[0]), float(centre[1])))
    return [(float(a), float(b)) for a, b in centres]


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
    """Counts on a ``bins x bins`` grid over ``[-h, h]^2`` (points outside are left out; shift
    ``u`` and ``v`` to count around another centre).

    Equals ``numpy.histogram2d(u, v, bins, [[-h, h], [-h, h]])`` (right edges included),
    with one ``bincount`` instead of its searchsorted per axis: several times faster at
    165,000 points.
    """
    inside = (np.abs(u) <= half_width) & (np.abs(v) <= half_width)
    scale = bins / (2.0 * half_width)
    row = np.minimum(((u[inside] + half_width) * scale).astype(np.int64), bins - 1)
    col = np.minimum(((v[inside] + half_width) * scale).astype(np.int64), bins - 1)
    return np.bincount(row * bins + col, minlength=bins * bins).reshape(bins, bins)
