"""The shape of a latent cloud: which factors it encodes, where, and how full its convex hull is."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import ConvexHull, Delaunay, QhullError
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KDTree, KNeighborsRegressor

from latentatlas.analysis._checks import check_codes, check_positive_int
from latentatlas.analysis.paths import off_manifold_distance
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

if TYPE_CHECKING:  # torch is only needed by hull_perturbations, imported there
    from latentatlas.models.base import Autoencoder

RegressorKind = Literal["knn", "boosting"]

#: Differences of factors added as colourings (the source colours by var_x - var_y).
DEFAULT_DIFFERENCES: tuple[tuple[str, str], ...] = (("var_x", "var_y"),)

#: Qhull's cost grows like n^(d/2); beyond this many latent dimensions a hull is not attempted.
MAX_HULL_DIM = 6


@dataclass(frozen=True, eq=False)
class FactorViewsResult(ResultMixin):
    """How each generating factor is laid out in a latent space.

    Attributes
    ----------
    factor_names : tuple of str
        The factors studied: those given, then each difference (``"var_x - var_y"``).
    axis_pairs : tuple of (int, int)
        Every pair of latent axes, the 2-d projections to draw.
    r2 : dict of str to float
        R^2 on held-out codes of a smooth regressor of each factor on the codes.
    linear_r2 : dict of str to float
        R^2 on held-out codes of a least-squares linear fit of each factor on the codes.
    directions : dict of str to ndarray of shape (d,)
        Unit vector of that linear fit's coefficients: the latent direction along which the
        factor grows fastest (zeros where the fit is flat).
    aligned_axis : dict of str to int
        The latent axis most aligned with each factor (largest ``|direction|`` entry).
    regressor : str
        ``"knn"`` or ``"boosting"``.
    n_train, n_test : int
        Codes used to fit and to score.
    """

    factor_names: tuple[str, ...]
    axis_pairs: tuple[tuple[int, int], ...]
    r2: dict[str, float]
    linear_r2: dict[str, float]
    directions: dict[str, NDArray[np.float64]]
    aligned_axis: dict[str, int]
    regressor: str
    n_train: int
    n_test: int


def factor_columns(
    factors: ArrayLike,
    factor_names: Sequence[str],
    differences: Sequence[tuple[str, str]] = DEFAULT_DIFFERENCES,
) -> dict[str, NDArray[np.float64]]:
    """Each factor as a named column, plus the differences asked for (where both exist).

    Parameters
    ----------
    factors : array-like of shape (n, k)
    factor_names : sequence of str
        One name per column.
    differences : sequence of (str, str)
        Pairs ``(a, b)`` that add a column ``"a - b"``; pairs naming an absent factor are
        skipped, so the default adds ``var_x - var_y`` for heatmaps and nothing elsewhere.

    Returns
    -------
    dict of str to ndarray of shape (n,)
    """
    table = check_codes(np.asarray(factors, dtype=np.float64), "factors")
    names = [str(name) for name in factor_names]
    if len(names) != table.shape[1] or len(set(names)) != len(names):
        raise InputError(
            f"factor_names must be {table.shape[1]} distinct names, one per factor column, "
            f"got {names}"
        )
    columns = {name: table[:, i] for i, name in enumerate(names)}
    for first, second in differences:
        if first in columns and second in columns:
            columns[f"{first} - {second}"] = columns[first] - columns[second]
    return columns


def factor_views(
    codes: ArrayLike,
    factors: ArrayLike,
    factor_names: Sequence[str],
    regressor: RegressorKind = "knn",
    n_neighbors: int = 10,
    test_fraction: float = 0.25,
    differences: Sequence[tuple[str, str]] = DEFAULT_DIFFERENCES,
    random_state: int = 0,
) -> FactorViewsResult:
    """Measure how well, and along which direction, the codes encode each factor.

    The codes are split once into a fitting part and a held-out ``test_fraction``. For each
    factor ``f``: ``r2`` is the held-out coefficient of determination
    ``1 - sum (f - f_hat)^2 / sum (f - mean f)^2`` of a smooth regressor of ``f`` on the
    codes (``"knn"``: mean of the ``n_neighbors`` nearest fitting codes; ``"boosting"``:
    scikit-learn's histogram gradient boosting); ``linear_r2`` the same for an ordinary
    least-squares fit ``f ~ a + w.z``, whose ``w / ||w||`` is the factor's latent
    direction. A high ``r2`` with a low ``linear_r2`` means the factor is encoded, but
    along a curved path. Codes are not standardised: the latent geometry is the object.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    factors : array-like of shape (n, k)
        Ground-truth factors of the encoded samples.
    factor_names : sequence of str
        One name per factor column.
    regressor : {"knn", "boosting"}
    n_neighbors : int
        Neighbours of the k-NN regressor.
    test_fraction : float
        Share of codes held out for scoring, in (0, 1).
    differences : sequence of (str, str)
        Factor differences to add (see :func:`factor_columns`).
    random_state : int
        Seed of the split and of the boosting.

    Returns
    -------
    FactorViewsResult
    """
    z = check_codes(codes, "codes").astype(np.float64)
    columns = factor_columns(factors, factor_names, differences)
    if len(next(iter(columns.values()))) != len(z):
        raise InputError(f"factors has {len(next(iter(columns.values())))} rows but codes {len(z)}")
    if not 0.0 < test_fraction < 1.0:
        raise InputError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    neighbours = check_positive_int(n_neighbors, "n_neighbors")
    train, test = train_test_split(
        np.arange(len(z)), test_size=test_fraction, random_state=random_state
    )
    if len(train) < neighbours + 1 or len(test) < 2:
        raise InputError(f"{len(z)} codes are too few to fit and score {neighbours} neighbours")
    r2, linear_r2, directions = {}, {}, {}
    for name, values in columns.items():
        smooth = _smooth_regressor(regressor, neighbours, random_state)
        smooth.fit(z[train], values[train])
        r2[name] = float(r2_score(values[test], smooth.predict(z[test])))
        linear = LinearRegression().fit(z[train], values[train])
        linear_r2[name] = float(r2_score(values[test], linear.predict(z[test])))
        norm = np.linalg.norm(linear.coef_)
        directions[name] = linear.coef_ / norm if norm > 0 else np.zeros(z.shape[1])
    return FactorViewsResult(
        factor_names=tuple(columns),
        axis_pairs=tuple(combinations(range(z.shape[1]), 2)),
        r2=r2,
        linear_r2=linear_r2,
        directions=directions,
        aligned_axis={name: int(np.argmax(np.abs(w))) for name, w in directions.items()},
        regressor=regressor,
        n_train=len(train),
        n_test=len(test),
    )


def _smooth_regressor(
    kind: str, n_neighbors: int, random_state: int
) -> KNeighborsRegressor | HistGradientBoostingRegressor:
    if kind == "knn":
        return KNeighborsRegressor(n_neighbors=n_neighbors)
    if kind == "boosting":
        return HistGradientBoostingRegressor(random_state=random_state)
    raise InputError(f"regressor must be 'knn' or 'boosting', got {kind!r}")


# --------------------------------------------------------------------------- convex hull


@dataclass(frozen=True, eq=False)
class HullResult(ResultMixin):
    """The convex hull of a latent cloud and how much of it lies near data.

    Attributes
    ----------
    volume : float
        Hull volume (area in 2-d), from Qhull.
    area : float
        Hull surface area (perimeter in 2-d).
    vertices : ndarray of int64
        Indices of the codes on the hull.
    radius : float
        A hull point within this distance of some code counts as "near data".
    median_neighbour_distance : float
        Median distance from a code to its nearest other code (the default radius's unit).
    occupied_fraction : float
        Monte Carlo estimate of the share of the hull's volume within ``radius`` of a code.
    occupied_se : float
        Its binomial standard error ``sqrt(p (1 - p) / n_samples)``.
    n_samples : int
        Uniform points drawn inside the hull for the estimate.
    """

    volume: float
    area: float
    vertices: NDArray[np.int64]
    radius: float
    median_neighbour_distance: float
    occupied_fraction: float
    occupied_se: float
    n_samples: int


def hull(
    codes: ArrayLike,
    radius: float | None = None,
    radius_factor: float = 2.0,
    n_samples: int = 20_000,
    random_state: int = 0,
) -> HullResult:
    """Convex hull of the codes and the share of its volume that lies within ``radius`` of data.

    The hull, its volume and area come from Qhull (``scipy.spatial.ConvexHull``). The
    occupied share is a Monte Carlo estimate: ``n_samples`` points are drawn uniformly inside
    the hull (exactly, not by rejection: a simplex of the hull's Delaunay triangulation is
    chosen with probability proportional to its volume, then a point in it with flat
    Dirichlet barycentric weights), and ``p`` is the fraction whose nearest code is within
    ``radius``, with standard error ``sqrt(p (1 - p) / n_samples)``. The default radius is
    ``radius_factor`` times the median nearest-neighbour distance between codes, so it
    scales with the cloud: a VAE's dense cloud and an autoencoder's sparse one are judged
    each in its own units.

    Parameters
    ----------
    codes : array-like of shape (n, d)
        ``2 <= d <= 6`` and at least ``d + 1`` codes in general position.
    radius : float, optional
        Distance that counts as near data; default ``radius_factor`` x median neighbour
        distance.
    radius_factor : float
        Multiple of the median neighbour distance used when ``radius`` is None.
    n_samples : int
        Monte Carlo points.
    random_state : int
        Seed of the Monte Carlo points.

    Returns
    -------
    HullResult

    References
    ----------
    Barber, C. B., Dobkin, D. P. & Huhdanpaa, H. (1996). The Quickhull algorithm for convex
    hulls. ACM Transactions on Mathematical Software 22(4), 469-483.
    """
    z = check_codes(codes, "codes").astype(np.float64)
    if not 2 <= z.shape[1] <= MAX_HULL_DIM:
        raise InputError(f"hull needs codes of 2 to {MAX_HULL_DIM} dimensions, got {z.shape[1]}")
    samples = check_positive_int(n_samples, "n_samples")
    convex = _convex_hull(z)
    tree = KDTree(z)
    # k=2: the nearest neighbour of a code is itself at distance 0.
    neighbour = float(np.median(tree.query(z, k=2)[0][:, 1]))
    near = _near_radius(radius, radius_factor, neighbour)
    inside = uniform_in_hull(z[convex.vertices], samples, random_state)
    p = float(np.mean(tree.query(inside, k=1)[0][:, 0] <= near))
    return HullResult(
        volume=float(convex.volume),
        area=float(convex.area),
        vertices=np.sort(convex.vertices).astype(np.int64),
        radius=near,
        median_neighbour_distance=neighbour,
        occupied_fraction=p,
        occupied_se=math.sqrt(p * (1.0 - p) / samples),
        n_samples=samples,
    )


def uniform_in_hull(
    points: ArrayLike, n_samples: int, random_state: int = 0
) -> NDArray[np.float64]:
    """Points drawn uniformly inside the convex hull of ``points``.

    A Delaunay triangulation cuts the hull into simplices; each draw picks a simplex with
    probability proportional to its volume ``|det(v_1 - v_0, ..., v_d - v_0)| / d!`` and a
    point in it with barycentric weights from a flat Dirichlet distribution (normalised
    standard exponentials), which is uniform on a simplex.

    Parameters
    ----------
    points : array-like of shape (n, d)
    n_samples : int
    random_state : int

    Returns
    -------
    ndarray of shape (n_samples, d)

    References
    ----------
    Devroye, L. (1986). Non-Uniform Random Variate Generation, ch. XI.2 (uniform points in
    a simplex). Springer.
    """
    vertices = check_codes(points, "points").astype(np.float64)
    count = check_positive_int(n_samples, "n_samples")
    try:
        simplices = vertices[Delaunay(vertices).simplices]
    except QhullError as error:
        raise InputError(f"the points span no full-dimensional hull: {error}") from None
    edges = simplices[:, 1:] - simplices[:, :1]
    volumes = np.abs(np.linalg.det(edges)) / math.factorial(vertices.shape[1])
    rng = np.random.default_rng(random_state)
    chosen = rng.choice(len(simplices), size=count, p=volumes / volumes.sum())
    weights = rng.exponential(size=(count, vertices.shape[1] + 1))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkd->nd", weights, simplices[chosen])


def _convex_hull(z: NDArray[np.float64]) -> ConvexHull:
    try:
        return ConvexHull(z)
    except QhullError as error:
        raise InputError(f"the codes span no full-dimensional hull: {error}") from None


def _near_radius(radius: float | None, radius_factor: float, neighbour: float) -> float:
    if radius is not None:
        if not (np.isfinite(radius) and radius > 0):
            raise InputError(f"radius must be a positive number, got {radius}")
        return float(radius)
    if not (np.isfinite(radius_factor) and radius_factor > 0):
        raise InputError(f"radius_factor must be a positive number, got {radius_factor}")
    if neighbour == 0.0:
        raise InputError(
            "more than half of the codes coincide with another code, so the default radius "
            "is 0; pass radius explicitly"
        )
    return float(radius_factor * neighbour)


# --------------------------------------------------------------------------- perturbations


@dataclass(frozen=True, eq=False)
class HullPerturbationResult(ResultMixin):
    """Random perturbations of codes on the hull, and how far their decodes move.

    Attributes
    ----------
    base_indices : ndarray of int64, shape (m,)
        Codes perturbed (hull vertices).
    scale : float
        Standard deviation of the Gaussian perturbation, per latent axis.
    offmanifold : ndarray of shape (m, p)
        Distance of each perturbed point to its nearest code.
    image_change : ndarray of shape (m, p)
        Root-mean-square pixel difference between the decode of the base code and of each
        perturbed point.
    mean_image_change : float
        Mean of ``image_change``.
    example_images : ndarray of shape (e, 1 + p, ...)
        For the first ``e`` base codes: the base decode, then each perturbed decode.
    """

    base_indices: NDArray[np.int64]
    scale: float
    offmanifold: NDArray[np.float64]
    image_change: NDArray[np.float64]
    mean_image_change: float
    example_images: NDArray[np.float32]


def perturb_points(
    points: ArrayLike, n_perturbations: int, scale: float, random_state: int = 0
) -> NDArray[np.float64]:
    """Each point plus ``n_perturbations`` independent draws of ``N(0, scale^2 I)``.

    Returns
    -------
    ndarray of shape (m, n_perturbations, d)
    """
    base = check_codes(points, "points").astype(np.float64)
    count = check_positive_int(n_perturbations, "n_perturbations")
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"scale must be a positive number, got {scale}")
    noise = np.random.default_rng(random_state).normal(
        0.0, scale, (len(base), count, base.shape[1])
    )
    return base[:, None, :] + noise


def hull_perturbations(
    model: Autoencoder,
    codes: ArrayLike,
    hull_result: HullResult,
    n_points: int = 20,
    n_perturbations: int = 5,
    scale: float | None = None,
    n_examples: int = 4,
    random_state: int = 0,
) -> HullPerturbationResult:
    """Decode random perturbations of codes on the hull and measure how much the images change.

    ``n_points`` hull vertices (a seeded random subset) are each moved ``n_perturbations``
    times by Gaussian noise of standard deviation ``scale`` (default: the hull's near-data
    ``radius``); the change is the root-mean-square pixel difference between the decode of
    the vertex and of the moved point. The source perturbs points on the hull and finds the
    decodes stay heatmap-like because the space near the hull is dense.

    Parameters
    ----------
    model : Autoencoder
    codes : array-like of shape (n, d)
        The codes ``hull_result`` was computed from.
    hull_result : HullResult
    n_points, n_perturbations : int
    scale : float, optional
    n_examples : int
        Base codes whose decodes are kept for a figure.
    random_state : int

    Returns
    -------
    HullPerturbationResult
    """
    from latentatlas.models import decode_array

    z = check_codes(codes, "codes").astype(np.float64)
    vertices = hull_vertices(hull_result, z)
    rng = np.random.default_rng(random_state)
    count = min(check_positive_int(n_points, "n_points"), len(vertices))
    chosen = np.sort(rng.choice(vertices, size=count, replace=False))
    step = hull_result.radius if scale is None else scale
    moved = perturb_points(z[chosen], n_perturbations, step, random_state)
    stacked = np.concatenate([z[chosen][:, None], moved], axis=1)  # (m, 1 + p, d)
    images = decode_array(model, stacked.reshape(-1, z.shape[1]).astype(np.float32))
    images = images.reshape(count, n_perturbations + 1, *images.shape[1:])
    flat = images.reshape(count, n_perturbations + 1, -1)
    change = np.sqrt(np.mean((flat[:, 1:] - flat[:, :1]) ** 2, axis=2)).astype(np.float64)
    distance = off_manifold_distance(moved.reshape(-1, z.shape[1]), z).reshape(change.shape)
    return HullPerturbationResult(
        base_indices=chosen.astype(np.int64),
        scale=float(step),
        offmanifold=distance,
        image_change=change,
        mean_image_change=float(change.mean()),
        example_images=images[: max(0, int(n_examples))],
    )


def hull_vertices(hull_result: HullResult, codes: NDArray[np.float64]) -> NDArray[np.int64]:
    """The hull's vertex indices, checked to index ``codes`` (the codes the hull was built on)."""
    vertices = np.asarray(hull_result.vertices, dtype=np.int64)
    if len(vertices) == 0 or vertices.max() >= len(codes):
        raise InputError("hull_result does not belong to these codes (vertex index out of range)")
    return vertices
