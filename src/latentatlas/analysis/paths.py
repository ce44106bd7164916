"""Paths through a latent space, how far they stray from the data, and what their decodes show."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import make_smoothing_spline
from scipy.spatial import ConvexHull, QhullError
from sklearn.neighbors import KDTree

from latentatlas.analysis._checks import (
    check_codes,
    check_factor_names,
    check_positive_int,
    check_vector,
)
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

if TYPE_CHECKING:  # for annotations only; decode_path imports torch (via models) itself
    from latentatlas.analysis.factor_reader import FactorReader
    from latentatlas.models.base import Autoencoder


# --------------------------------------------------------------------------- path makers


def line_path(start: ArrayLike, end: ArrayLike, n_points: int = 12) -> NDArray[np.float64]:
    """Evenly spaced points on the straight segment from ``start`` to ``end`` (both included).

    Parameters
    ----------
    start, end : array-like of shape (d,)
        The two endpoints.
    n_points : int
        Number of points, at least 2.

    Returns
    -------
    ndarray of shape (n_points, d)
        Row 0 is ``start`` and the last row ``end``; the path's length is ``||end - start||``.
    """
    first = _point(start, "start")
    last = _point(end, "end", len(first))
    n = check_positive_int(n_points, "n_points", 2)
    steps = np.linspace(0.0, 1.0, n)[:, None]
    return (1.0 - steps) * first + steps * last


def axis_path(
    codes: ArrayLike,
    axis: int,
    n_points: int = 12,
    through: ArrayLike | None = None,
    quantiles: tuple[float, float] = (0.01, 0.99),
) -> NDArray[np.float64]:
    """A line parallel to latent axis ``axis`` across the span of the codes on that axis.

    The source's "lines on the 0-1 axis": every coordinate but ``axis`` is held at ``through``
    (default: the codes' coordinate-wise median), and ``axis`` runs from the ``quantiles[0]``
    to the ``quantiles[1]`` quantile of the codes on it (quantiles, not min and max, so one
    stray code does not stretch the path far into empty space).

    Parameters
    ----------
    codes : array-like of shape (n, d)
    axis : int
        Latent axis to move along, in ``[0, d)``.
    n_points : int
        Number of points, at least 2.
    through : array-like of shape (d,), optional
        A point the line passes through.
    quantiles : (float, float)
        Quantiles of the codes on ``axis`` where the path starts and ends, in [0, 1].

    Returns
    -------
    ndarray of shape (n_points, d)
    """
    x = check_codes(codes, "codes").astype(np.float64)
    axis = _check_axis(axis, x.shape[1])
    centre = np.median(x, axis=0) if through is None else _point(through, "through", x.shape[1])
    low, high = _check_quantiles(quantiles)
    start, end = centre.copy(), centre.copy()
    start[axis], end[axis] = np.quantile(x[:, axis], [low, high])
    return line_path(start, end, n_points)


def direction_path(
    codes: ArrayLike,
    direction: ArrayLike,
    n_points: int = 12,
    through: ArrayLike | None = None,
    quantiles: tuple[float, float] = (0.01, 0.99),
) -> NDArray[np.float64]:
    """A line along any ``direction`` across the span of the codes, built as :func:`axis_path`.

    The line passes through ``through`` (default the codes' coordinate-wise median) and runs
    from the ``quantiles[0]`` to the ``quantiles[1]`` quantile of the codes' projections on the
    unit ``direction``. With ``direction`` a latent axis it is :func:`axis_path`; with a random
    direction it is the null a chosen direction is compared with (same hull, same rule).

    Parameters
    ----------
    codes : array-like of shape (n, d)
    direction : array-like of shape (d,)
        Any non-zero vector; only its direction counts.
    n_points : int
        Number of points, at least 2.
    through : array-like of shape (d,), optional
        A point the line passes through.
    quantiles : (float, float)
        Quantiles of the projections where the path starts and ends, in [0, 1].

    Returns
    -------
    ndarray of shape (n_points, d)
    """
    x = check_codes(codes, "codes").astype(np.float64)
    unit = _point(direction, "direction", x.shape[1])
    norm = float(np.linalg.norm(unit))
    if norm == 0:
        raise InputError("direction must be a non-zero vector")
    unit = unit / norm
    centre = np.median(x, axis=0) if through is None else _point(through, "through", x.shape[1])
    low, high = np.quantile(x @ unit, _check_quantiles(quantiles))
    offset = float(centre @ unit)
    return line_path(centre + (low - offset) * unit, centre + (high - offset) * unit, n_points)


def arc_path(
    centre: ArrayLike,
    radius: float,
    axes: tuple[int, int] = (0, 2),
    angles: tuple[float, float] = (0.0, np.pi),
    n_points: int = 12,
) -> NDArray[np.float64]:
    """Points on a circular arc in the plane of two latent axes (the source's angular direction).

    ``p(t) = centre + radius * (cos t * e_i + sin t * e_j)`` for ``t`` evenly spaced from
    ``angles[0]`` to ``angles[1]``, where ``(i, j) = axes``. Every point is at ``radius`` from
    ``centre``; the arc's length is ``radius * |angles[1] - angles[0]|`` (the polyline
    through the points is slightly shorter).

    Parameters
    ----------
    centre : array-like of shape (d,)
        Centre of the circle.
    radius : float
        Radius, positive.
    axes : (int, int)
        The two distinct latent axes spanning the plane.
    angles : (float, float)
        Start and end angle in radians, measured from ``e_i`` towards ``e_j``.
    n_points : int
        Number of points, at least 2.

    Returns
    -------
    ndarray of shape (n_points, d)
    """
    middle = _point(centre, "centre")
    first, second = (_check_axis(a, len(middle)) for a in axes)
    if first == second:
        raise InputError(f"axes must be two different latent axes, got {axes}")
    if not (np.isfinite(radius) and radius > 0):
        raise InputError(f"radius must be a positive number, got {radius}")
    n = check_positive_int(n_points, "n_points", 2)
    turn = np.linspace(float(angles[0]), float(angles[1]), n)
    path = np.tile(middle, (n, 1))
    path[:, first] += radius * np.cos(turn)
    path[:, second] += radius * np.sin(turn)
    return path


def binned_spline_path(
    codes: ArrayLike,
    along: int,
    n_points: int = 12,
    n_bins: int = 12,
    select: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """A smooth curve through binned codes, parametrised by one latent axis.

    The source's isovariance strip: keep the selected codes, cut the axis ``along`` into
    ``n_bins`` bins holding equal numbers of codes, take the median of every coordinate in
    each bin, and fit one cubic smoothing spline per other coordinate as a function of the
    ``along`` coordinate (``scipy.interpolate.make_smoothing_spline``, smoothing chosen by
    generalised cross-validation). The path evaluates the splines at ``n_points`` evenly
    spaced values between the first and last bin medians.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    along : int
        The latent axis that parametrises the curve.
    n_points : int
        Number of points, at least 2.
    n_bins : int
        Number of bins, at least 5 (a cubic smoothing spline needs 5 knots).
    select : array-like of bool, shape (n,), optional
        Which codes to use; default all.

    Returns
    -------
    ndarray of shape (n_points, d)
        Ordered by increasing ``along`` coordinate.

    References
    ----------
    Craven, P. & Wahba, G. (1979). Smoothing noisy data with spline functions. Numerische
    Mathematik 31, 377-403 (the GCV criterion scipy uses).
    """
    x = check_codes(codes, "codes").astype(np.float64)
    along = _check_axis(along, x.shape[1])
    n = check_positive_int(n_points, "n_points", 2)
    bins = check_positive_int(n_bins, "n_bins", 5)
    if select is not None:
        x = x[check_vector(select, len(x), "select", "codes").astype(bool)]
    if len(x) < bins:
        raise InputError(f"only {len(x)} codes are selected but n_bins={bins} needs {bins}")
    medians = _bin_medians(x, along, bins)
    grid = np.linspace(medians[0, along], medians[-1, along], n)
    path = np.empty((n, x.shape[1]))
    for column in range(x.shape[1]):
        if column == along:
            path[:, column] = grid
        else:
            spline = make_smoothing_spline(medians[:, along], medians[:, column])
            path[:, column] = spline(grid)
    return path


def isovariance_path(
    codes: ArrayLike,
    factors: ArrayLike,
    factor_names: tuple[str, ...],
    max_difference: float = 0.25,
    n_points: int = 12,
    n_bins: int = 12,
) -> NDArray[np.float64]:
    """The source's isovariance path: a spline through codes with ``var_x`` close to ``var_y``.

    Keeps codes with ``|var_x - var_y| <= max_difference`` and runs
    :func:`binned_spline_path` along the latent axis most aligned with ``corr`` (the largest
    absolute coefficient of a least-squares fit of ``corr`` on the codes, computed on all
    codes). Along it the variances stay near equal while the correlation sweeps its range.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    factors : array-like of shape (n, k)
        Ground-truth factors of the codes' images.
    factor_names : tuple of str
        Names of the factor columns; must include ``var_x``, ``var_y`` and ``corr``.
    max_difference : float
        Largest ``|var_x - var_y|`` kept (the factor grid steps by 0.2: 0.25 keeps equal and
        neighbouring variances).
    n_points, n_bins : int
        As in :func:`binned_spline_path`.

    Returns
    -------
    ndarray of shape (n_points, d)
    """
    x = check_codes(codes, "codes").astype(np.float64)
    table = _factor_columns(factors, factor_names, len(x), ("var_x", "var_y", "corr"))
    coefficients = np.linalg.lstsq(_with_intercept(x), table["corr"], rcond=None)[0][1:]
    along = int(np.argmax(np.abs(coefficients)))
    keep = np.abs(table["var_x"] - table["var_y"]) <= max_difference
    return binned_spline_path(x, along, n_points, n_bins, select=keep)


def bounding_plane_paths(
    codes: ArrayLike, axes: tuple[int, int] = (1, 2), n_points: int = 12
) -> dict[str, NDArray[np.float64]]:
    """Paths along the upper and lower planes that bound the cloud in the plane of two axes.

    Projects the codes on ``axes = (i, j)`` and takes the convex hull of the projection. Its
    longest edge whose outward normal points up in ``j`` is the trace of the upper bounding
    plane (the plane through that edge, parallel to every other latent axis), likewise down
    for the lower one. Each path is the straight line in the full latent space between the
    two codes whose projections are that edge's ends, so it starts and ends on data and runs
    along the boundary (the source's "bounding planes in the y-z directions").

    Parameters
    ----------
    codes : array-like of shape (n, d)
    axes : (int, int)
        The projection plane; the second axis decides what is "upper".
    n_points : int
        Number of points per path, at least 2.

    Returns
    -------
    dict with keys ``"upper"`` and ``"lower"``, each an ndarray of shape (n_points, d),
    ordered by increasing coordinate on ``axes[0]``.
    """
    x = check_codes(codes, "codes").astype(np.float64)
    first, second = (_check_axis(a, x.shape[1]) for a in axes)
    if first == second:
        raise InputError(f"axes must be two different latent axes, got {axes}")
    try:
        hull = ConvexHull(x[:, [first, second]])
    except QhullError as error:
        raise InputError(f"the codes' projection on axes {axes} is degenerate: {error}") from None
    lengths = np.linalg.norm(np.diff(hull.points[hull.simplices], axis=1)[:, 0], axis=1)
    paths = {}
    for side, sign in (("upper", 1.0), ("lower", -1.0)):
        facing = sign * hull.equations[:, 1] > 0
        edge = hull.simplices[np.flatnonzero(facing)[np.argmax(lengths[facing])]]
        ends = x[edge[np.argsort(x[edge, first])]]
        paths[side] = line_path(ends[0], ends[1], n_points)
    return paths


def empty_space_path(
    codes: ArrayLike, n_points: int = 12, max_candidates: int = 60, random_state: int = 0
) -> NDArray[np.float64]:
    """The straight path between two data codes that crosses the emptiest part of the cloud.

    Candidates are the codes on the convex hull (the tips of the cloud's tails; at most
    ``max_candidates``, a seeded random subset when there are more); of all pairs, the one
    whose segment reaches farthest from every code (largest :func:`off_manifold_distance`
    at ``n_points`` points) is returned. Both ends are data codes, so the path leaves the
    data and comes back: the source's "transversing empty space" between two tails.

    Parameters
    ----------
    codes : array-like of shape (n, d)
        At least ``d + 1`` codes in general position.
    n_points : int
        Number of points, at least 2.
    max_candidates : int
        Largest number of hull codes tried as endpoints (pairs grow as its square).
    random_state : int
        Seed of the subset of candidates.

    Returns
    -------
    ndarray of shape (n_points, d)
    """
    x = check_codes(codes, "codes").astype(np.float64)
    n = check_positive_int(n_points, "n_points", 2)
    limit = check_positive_int(max_candidates, "max_candidates", 2)
    candidates = _hull_vertices(x)
    if len(candidates) > limit:
        candidates = np.random.default_rng(random_state).choice(candidates, limit, replace=False)
    first, second = np.triu_indices(len(candidates), k=1)
    steps = np.linspace(0.0, 1.0, n)[None, :, None]
    starts, ends = x[candidates[first]][:, None], x[candidates[second]][:, None]
    points = ((1.0 - steps) * starts + steps * ends).reshape(-1, x.shape[1])
    reach = off_manifold_distance(points, x).reshape(len(first), n).max(axis=1)
    best = int(np.argmax(reach))
    return line_path(x[candidates[first[best]]], x[candidates[second[best]]], n)


# --------------------------------------------------------------------------- pure geometry


def path_length(path: ArrayLike) -> float:
    """Length of the polyline through the points of ``path`` (sum of segment lengths).

    Parameters
    ----------
    path : array-like of shape (m, d), m >= 2

    Returns
    -------
    float
    """
    points = check_codes(path, "path").astype(np.float64)
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


def off_manifold_distance(points: ArrayLike, codes: ArrayLike) -> NDArray[np.float64]:
    """Euclidean distance from each point to its nearest data code: how far off the data it is.

    Uses a KD-tree (``sklearn.neighbors.KDTree``) over the codes; 0 for a point that is a code.

    Parameters
    ----------
    points : array-like of shape (m, d)
    codes : array-like of shape (n, d)

    Returns
    -------
    ndarray of shape (m,)
    """
    x = check_codes(codes, "codes").astype(np.float64)
    query = np.asarray(points, dtype=np.float64)
    if query.ndim != 2 or query.shape[1] != x.shape[1] or not np.isfinite(query).all():
        raise InputError(
            f"points must be a finite (m, {x.shape[1]}) array like the codes, got {query.shape}"
        )
    return KDTree(x).query(query, k=1)[0][:, 0]


# --------------------------------------------------------------------------- decoding


@dataclass(frozen=True, eq=False)
class PathDecoding(ResultMixin):
    """A latent path, its decoded images, how far it is off the data and what the images show.

    Attributes
    ----------
    points : ndarray of shape (m, d)
        The path.
    images : ndarray of shape (m, ...)
        The decode of each point (the image strip).
    offmanifold : ndarray of shape (m,)
        Distance of each point to its nearest data code.
    max_offmanifold, mean_offmanifold : float
        Largest and mean of ``offmanifold``.
    length : float
        Length of the polyline through the points.
    factor_names : tuple of str
        Names of the factors read off the images (empty without a reader).
    factors : ndarray of shape (m, k) or None
        Factors the reader reads off each decoded image.
    factor_span : dict of str to float
        ``(max - min)`` of each factor read along the path over its range in the reader's
        training images: 1 means the path sweeps that factor's whole range, 0 it holds it.
    """

    points: NDArray[np.float64]
    images: NDArray[np.float32]
    offmanifold: NDArray[np.float64]
    max_offmanifold: float
    mean_offmanifold: float
    length: float
    factor_names: tuple[str, ...]
    factors: NDArray[np.float64] | None
    factor_span: dict[str, float]


def describe_path(
    path: ArrayLike, images: ArrayLike, codes: ArrayLike, reader: FactorReader | None = None
) -> PathDecoding:
    """Off-manifold distances and factor readings of a path whose decodes are already given.

    The model-free half of :func:`decode_path`.

    Parameters
    ----------
    path : array-like of shape (m, d)
    images : array-like of shape (m, ...)
        Decode of each point of ``path``.
    codes : array-like of shape (n, d)
        Data codes the distances are measured to.
    reader : FactorReader, optional
        From :func:`~latentatlas.analysis.factor_reader.fit_factor_reader`; reads the factors
        off each image.

    Returns
    -------
    PathDecoding
    """
    points = check_codes(path, "path").astype(np.float64)
    pictures = np.asarray(images, dtype=np.float32)
    if len(pictures) != len(points):
        raise InputError(f"images has {len(pictures)} entries but path has {len(points)} points")
    distance = off_manifold_distance(points, codes)
    read, span = None, {}
    if reader is not None:
        read = reader.predict(pictures)
        width = np.asarray(reader.factor_max) - np.asarray(reader.factor_min)
        swept = (read.max(axis=0) - read.min(axis=0)) / np.where(width > 0, width, 1.0)
        span = {name: float(v) for name, v in zip(reader.factor_names, swept, strict=True)}
    return PathDecoding(
        points=points,
        images=pictures,
        offmanifold=distance,
        max_offmanifold=float(distance.max()),
        mean_offmanifold=float(distance.mean()),
        length=path_length(points),
        factor_names=() if reader is None else reader.factor_names,
        factors=read,
        factor_span=span,
    )


def decode_path(
    model: Autoencoder,
    path: ArrayLike,
    codes: ArrayLike,
    reader: FactorReader | None = None,
    batch_size: int = 1024,
) -> PathDecoding:
    """Decode every point of a latent path and describe the strip of images it gives.

    Parameters
    ----------
    model : Autoencoder
        The model whose decoder is used (``latentatlas.models.decode_array``).
    path : array-like of shape (m, d)
        Points in the model's latent space, ``d`` its ``latent_dim``.
    codes : array-like of shape (n, d)
        The data's codes (e.g. the encoded validation set), for off-manifold distances.
    reader : FactorReader, optional
        Reads the factors off each decoded image (fitted on original images).
    batch_size : int
        Points decoded at once.

    Returns
    -------
    PathDecoding
    """
    from latentatlas.models import decode_array

    points = check_codes(path, "path").astype(np.float32)
    if points.shape[1] != model.latent_dim:
        raise InputError(
            f"path has {points.shape[1]} columns but the model's latent_dim is {model.latent_dim}"
        )
    return describe_path(points, decode_array(model, points, batch_size=batch_size), codes, reader)


def path_arrays(prefix: str, decoding: PathDecoding) -> dict[str, NDArray[Any]]:
    """A decoded path as named arrays under ``prefix/`` for an ``.npz`` file (a report draws
    from them without the model; :func:`path_from_arrays` reads them back)."""
    names = tuple(decoding.factor_names)
    arrays = {
        "points": np.asarray(decoding.points),
        "images": np.asarray(decoding.images, dtype=np.float32),
        "offmanifold": np.asarray(decoding.offmanifold),
        "summary": np.array([decoding.max_offmanifold, decoding.mean_offmanifold, decoding.length]),
        "factor_names": np.array(names, dtype=str),
        "factor_span": np.array([decoding.factor_span.get(n, np.nan) for n in names]),
    }
    if decoding.factors is not None:
        arrays["factors"] = np.asarray(decoding.factors)
    return {f"{prefix}/{key}": value for key, value in arrays.items()}


def path_from_arrays(arrays: Mapping[str, NDArray[Any]], prefix: str) -> PathDecoding:
    """The :class:`PathDecoding` stored by :func:`path_arrays`."""
    names = tuple(str(n) for n in arrays[f"{prefix}/factor_names"])
    summary = arrays[f"{prefix}/summary"]
    span = arrays[f"{prefix}/factor_span"]
    return PathDecoding(
        points=arrays[f"{prefix}/points"],
        images=arrays[f"{prefix}/images"],
        offmanifold=arrays[f"{prefix}/offmanifold"],
        max_offmanifold=float(summary[0]),
        mean_offmanifold=float(summary[1]),
        length=float(summary[2]),
        factor_names=names,
        factors=arrays.get(f"{prefix}/factors"),
        factor_span={n: float(v) for n, v in zip(names, span, strict=True)},
    )


#: A path counts as changing a factor when it sweeps at least this share of its range.
MIN_SPAN = 0.2
#: Readings closer than this fraction of their range are ties for the rank correlation. Decodes
#: that the reader reads at the clip of a factor's range (a path run off the data) differ only
#: by float noise, whose sign changes with the BLAS and thread setup; left as they are, that
#: noise decided ranks (|rho| 0.978 in one run and 0.997 in another for the same decodes).
TIE_TOLERANCE = 1e-9


def monotonicity_of(
    decoding: PathDecoding, factors: frozenset[str] | None = None, min_span: float = MIN_SPAN
) -> tuple[float, str]:
    """The largest |Spearman rho| between position along a path and a factor it changes.

    Only factors that the path sweeps over at least ``min_span`` of their range count
    (``decoding.factor_span``): a reader's reading of nearly identical decodes wobbles, and a
    rank correlation would call that wobble monotone. Spearman's rho (Spearman 1904) is 1 in
    absolute value exactly when the reading rises or falls steadily along the path, whatever
    its shape. A path that changes no factor is monotone in none: ``(0.0, "none")``. Readings
    within :data:`TIE_TOLERANCE` of their range of each other count as ties, so float noise
    cannot change the result. The maximum over factors favours many factors: compare the
    result only with that of other paths read by the same reader (e.g. random directions).

    Parameters
    ----------
    decoding : PathDecoding
        Decoded with a factor reader.
    factors : frozenset of str, optional
        The factors considered (e.g. the continuous ones); default every factor read.
    min_span : float
        Smallest share of a factor's range the path must sweep for the factor to count.

    Returns
    -------
    (float, str)
        The largest |rho| and its factor.

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between two things.
    American Journal of Psychology 15(1), 72-101.
    """
    from scipy.stats import spearmanr

    if decoding.factors is None:
        raise InputError("the path was decoded without a factor reader")
    position = np.arange(len(decoding.factors))
    best, best_name = 0.0, "none"
    for column, name in enumerate(decoding.factor_names):
        counted = factors is None or name in factors
        if not counted or decoding.factor_span.get(name, 0.0) < min_span:
            continue
        readings = _ties_kept(decoding.factors[:, column])
        rho = abs(float(spearmanr(position, readings).statistic))
        if rho > best:
            best, best_name = rho, name
    return best, best_name


def random_direction_monotonicity(
    model: Autoencoder,
    codes: ArrayLike,
    reader: FactorReader,
    factors: frozenset[str] | None = None,
    n_directions: int = 6,
    n_points: int = 12,
    random_state: int = 0,
) -> float:
    """Mean :func:`monotonicity_of` over lines through the codes in random directions.

    The null a chosen direction's monotonicity is read against (the maximum over factors makes
    a high value easy: a smooth decoder changes some factor steadily along almost any line).
    ``n_directions`` directions are drawn uniformly on the sphere (normalised standard normal
    vectors), each line made by the axis paths' rule (:func:`direction_path`: through the
    median code, from the 1st to the 99th percentile of the codes' projections), decoded and
    read by ``reader``. Seed it with the run's seed, so that the directions of different runs
    are independent draws (a paired test over seeds assumes it).

    Parameters
    ----------
    model : Autoencoder
    codes : array-like of shape (n, d)
    reader : FactorReader
        Reads the factors off each decoded image.
    factors : frozenset of str, optional
        The factors considered, as in :func:`monotonicity_of`.
    n_directions, n_points : int
        Random lines, and points decoded along each.
    random_state : int
        Seed of the directions.

    Returns
    -------
    float
    """
    rng = np.random.default_rng(random_state)
    directions = rng.standard_normal(
        (check_positive_int(n_directions, "n_directions"), np.shape(codes)[1])
    )
    return float(
        np.mean(
            [
                monotonicity_of(
                    decode_path(model, direction_path(codes, d, n_points), codes, reader), factors
                )[0]
                for d in directions
            ]
        )
    )


def _ties_kept(readings: NDArray[np.float64]) -> NDArray[np.float64]:
    """``readings`` in units of :data:`TIE_TOLERANCE` times their range, rounded: ties stay ties."""
    quantum = TIE_TOLERANCE * float(np.ptp(readings))
    return readings if quantum == 0 else np.round(readings / quantum)


# --------------------------------------------------------------------------- helpers


def _point(value: ArrayLike, name: str, dim: int | None = None) -> NDArray[np.float64]:
    point = np.asarray(value, dtype=np.float64)
    if point.ndim != 1 or len(point) < 1 or not np.isfinite(point).all():
        raise InputError(f"{name} must be a finite 1-d point, got shape {point.shape}")
    if dim is not None and len(point) != dim:
        raise InputError(f"{name} has {len(point)} coordinates but {dim} were expected")
    return point


def _check_axis(axis: Any, dim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer) or not 0 <= axis < dim:
        raise InputError(f"axis {axis!r} is not a latent axis; expected an integer in [0, {dim})")
    return int(axis)


def _check_quantiles(quantiles: tuple[float, float]) -> tuple[float, float]:
    low, high = (float(q) for q in quantiles)
    if not 0.0 <= low < high <= 1.0:
        raise InputError(f"quantiles must satisfy 0 <= low < high <= 1, got {quantiles}")
    return low, high


def _bin_medians(x: NDArray[np.float64], along: int, n_bins: int) -> NDArray[np.float64]:
    """Coordinate-wise medians of ``n_bins`` equal-count bins of ``x`` sorted on ``along``."""
    ordered = x[np.argsort(x[:, along], kind="stable")]
    medians = np.array([np.median(part, axis=0) for part in np.array_split(ordered, n_bins)])
    if np.any(np.diff(medians[:, along]) <= 0):
        raise InputError(
            f"the selected codes take too few distinct values on axis {along} for {n_bins} bins"
        )
    return medians


def _with_intercept(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.column_stack([np.ones(len(x)), x])


def _factor_columns(
    factors: ArrayLike, names: tuple[str, ...], n: int, needed: tuple[str, ...]
) -> dict[str, NDArray[np.float64]]:
    table = np.asarray(factors, dtype=np.float64)
    if table.ndim != 2 or len(table) != n:
        raise InputError(f"factors must have shape ({n}, k) to match the codes, got {table.shape}")
    names = check_factor_names(names, table.shape[1])
    missing = [name for name in needed if name not in names]
    if missing:
        raise InputError(f"factor_names {list(names)} lack {', '.join(missing)}")
    return {name: table[:, names.index(name)] for name in needed}


def _hull_vertices(x: NDArray[np.float64]) -> NDArray[np.intp]:
    try:
        return ConvexHull(x).vertices
    except QhullError as error:
        raise InputError(f"the codes span no full-dimensional hull: {error}") from None
