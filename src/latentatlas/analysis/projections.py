"""Views of a latent cloud in two dimensions: PCA spectrum, t-SNE/UMAP maps and zoomed planes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sklearn
from numpy.typing import ArrayLike, NDArray
from sklearn.neighbors import NearestNeighbors

from latentatlas.analysis._checks import check_codes, check_positive_int
from latentatlas.analysis._result import ResultMixin
from latentatlas.errors import InputError

Method = Literal["tsne", "umap"]
Basis = Literal["pca", "original"]
Gradient = Literal["auto", "fft", "bh"]

#: Below this many points Barnes-Hut gradients are faster than FFT ones (openTSNE's own rule):
#: the FFT's fixed interpolation grid costs more than the tree at small n.
FFT_FROM = 10_000

#: Total t-SNE iterations by default, a quarter exaggerated: 100 + 300 instead of openTSNE's
#: 250 + 500 kept 10-NN preservation within 0.004 of openTSNE's defaults in 0.46 of the time
#: (benchmarks/embedding.py, 20,000 x 256, 2 cores; docs/analyses/projections.md).
DEFAULT_TSNE_ITERATIONS = 400

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


@dataclass(frozen=True, eq=False)
class EmbeddingResult(ResultMixin):
    """A 2-d map of a cloud and how well it keeps each point's nearest neighbours.

    Attributes
    ----------
    embedding : ndarray of shape (n, 2)
        The map, one row per input point.
    method : str
        ``"tsne"`` (openTSNE) or ``"umap"`` (umap-learn).
    n_components : int or None
        Leading principal components the map was computed from; None for the codes as given.
    prereduce : int or None
        For the codes as given: the principal components the neighbour search ran on
        (a speed lever, see docs/analyses/projections.md); None when not reduced.
    perplexity : float or None
        t-SNE perplexity (None for UMAP).
    early_exaggeration : float or None
        t-SNE early exaggeration factor (None for UMAP).
    n_iter : int
        Optimisation iterations in total (t-SNE: early exaggeration phase included).
    n_neighbors : int or None
        UMAP's ``n_neighbors`` (None for t-SNE).
    random_state : int
        Seed; the same seed gives the same map.
    preservation : float
        Mean fraction of each evaluated point's ``k`` nearest neighbours among the codes as
        given that are also among its ``k`` nearest neighbours in the map, see
        :func:`neighbour_preservation`.
    preservation_k : int
        The ``k`` of ``preservation``.
    n_evaluated : int
        Number of query points it was evaluated on (a seeded sample when fewer than ``n``).
    trustworthiness : float or None
        scikit-learn's ``trustworthiness`` of the map with ``preservation_k`` neighbours (1: no
        point of the map has neighbours that are far in the codes), see
        :func:`map_trustworthiness`; None in results stored before it existed, or when the
        points evaluated number ``2 k`` or fewer.
    trustworthiness_n : int or None
        Points it was computed on (a seeded sample when fewer than ``n``).
    """

    embedding: NDArray[np.float32]
    method: str
    n_components: int | None
    prereduce: int | None
    perplexity: float | None
    early_exaggeration: float | None
    n_iter: int
    n_neighbors: int | None
    random_state: int
    preservation: float
    preservation_k: int
    n_evaluated: int
    trustworthiness: float | None = None
    trustworthiness_n: int | None = None


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


def neighbour_preservation(
    codes: ArrayLike,
    embedding: ArrayLike,
    k: int = 10,
    n_queries: int | None = 5000,
    random_state: int = 0,
) -> float:
    """Mean fraction of each point's ``k`` nearest neighbours that a map keeps.

    For a query point ``i``, ``N_high(i)`` are its ``k`` nearest other points among ``codes``
    and ``N_map(i)`` among ``embedding`` (Euclidean, exact); the score is the mean over queries
    of ``|N_high(i) & N_map(i)| / k``: 1 when every neighbourhood is kept, about ``k / n``
    for a random map. Exact high-d neighbours of all 165,000 points would cost 165,000^2
    distances, so the queries are a seeded sample of ``n_queries`` points, each searched
    against the full set: the estimate's standard error is below 0.005 at 5,000 queries.

    Parameters
    ----------
    codes : array-like of shape (n, d)
        The points as given.
    embedding : array-like of shape (n, m)
        Their map (m = 2 here), row ``i`` being point ``i``.
    k : int
        Neighbours per point.
    n_queries : int or None
        Query points sampled (without replacement); None or at least ``n`` uses all points.
    random_state : int
        Seed of the query sample.

    Returns
    -------
    float

    References
    ----------
    Lee, J. A. & Verleysen, M. (2009). Quality assessment of dimensionality reduction:
    rank-based criteria. Neurocomputing 72, 1431-1443 (the K-ary neighbourhood agreement).
    """
    high = check_codes(codes, "codes")
    low = check_codes(embedding, "embedding")
    if len(low) != len(high):
        raise InputError(f"embedding has {len(low)} rows but codes has {len(high)}")
    k = check_positive_int(k, "k")
    if k >= len(high):
        raise InputError(f"k={k} needs more than {k} points, got {len(high)}")
    queries = _query_rows(len(high), n_queries, random_state)
    near_high = _neighbours_of(high, queries, k)[1]
    near_low = _neighbours_of(low, queries, k)[1]
    # Indices are distinct within a row: count matches over the (k x k) pairs of each row.
    shared = (near_high[:, :, None] == near_low[:, None, :]).any(axis=2).sum(axis=1)
    return float(np.mean(shared) / k)


def map_trustworthiness(
    codes: ArrayLike,
    embedding: ArrayLike,
    k: int = 10,
    n_samples: int | None = 2000,
    random_state: int = 0,
) -> tuple[float | None, int]:
    """scikit-learn's trustworthiness of a map, on a seeded sample of the points when large.

    ``T(k) = 1 - 2 / (n k (2n - 3k - 1)) sum_i sum_{j in U_k(i)} (r(i, j) - k)``, where
    ``U_k(i)`` are the map's ``k`` nearest neighbours of ``i`` that are not among its ``k``
    nearest codes and ``r(i, j)`` is ``j``'s rank among ``i``'s neighbours in the codes:
    1 when the map invents no neighbours, about 0.5 for a random map. It is
    ``sklearn.manifold.trustworthiness`` unchanged, which holds all ``n x n`` distances, so for
    ``n > n_samples`` it runs on a seeded sample of ``n_samples`` points (codes and map
    restricted to the same rows): neighbourhoods are then those among the sampled points.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    embedding : array-like of shape (n, m)
    k : int
        Neighbours per point.
    n_samples : int or None
        Points used (None: all). 2,000 points hold 2 x 32 MB of distances and ranks.
    random_state : int
        Seed of the sample.

    Returns
    -------
    (float or None, int)
        The score (None when the points used number ``2 k`` or fewer, where scikit-learn
        refuses) and the number of points used.

    References
    ----------
    Venna, J. & Kaski, S. (2001). Neighborhood preservation in nonlinear projection methods: an
    experimental study. ICANN, 485-491.
    """
    from sklearn.manifold import trustworthiness

    high = check_codes(codes, "codes")
    low = check_codes(embedding, "embedding")
    if len(low) != len(high):
        raise InputError(f"embedding has {len(low)} rows but codes has {len(high)}")
    k = check_positive_int(k, "k")
    if n_samples is not None:
        check_positive_int(n_samples, "n_samples")
    rows = _query_rows(len(high), n_samples, random_state)
    if k >= len(rows) / 2:
        return None, len(rows)
    return float(trustworthiness(high[rows], low[rows], n_neighbors=k)), len(rows)


def _query_rows(n: int, n_queries: int | None, random_state: int) -> NDArray[np.int64]:
    """All rows, or a seeded sorted sample of ``n_queries`` of them."""
    if n_queries is None or n_queries >= n:
        return np.arange(n, dtype=np.int64)
    n_queries = check_positive_int(n_queries, "n_queries")
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=n_queries, replace=False)).astype(np.int64)


def _neighbours_of(
    points: NDArray[Any], queries: NDArray[np.int64], k: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Exact distances and indices of the ``k`` nearest other points of rows ``queries``.

    scikit-learn's brute search (chunked, multi-threaded, float64 distances) against the full
    set; one extra neighbour is asked for and the query itself removed, or the farthest one
    when a duplicate point took the query's place.
    """
    # Distance chunks of 64 MiB instead of scikit-learn's default 1 GiB bound the peak memory.
    with sklearn.config_context(working_memory=64):
        return _search(points, queries, k)


def _search(
    points: NDArray[Any], queries: NDArray[np.int64], k: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    search = NearestNeighbors(
        n_neighbors=k + 1, algorithm="brute" if points.shape[1] > 3 else "auto"
    )
    distances, indices = search.fit(points).kneighbors(points[queries])
    # A stable sort that moves the query's own index to the end keeps the others in order.
    order = np.argsort(indices == queries[:, None], axis=1, kind="stable")[:, :k]
    rows = np.arange(len(queries))[:, None]
    return distances[rows, order].astype(np.float64), indices[rows, order].astype(np.int64)


def embed_2d(
    codes: ArrayLike,
    method: Method = "tsne",
    n_components: int | None = None,
    perplexity: float | None = None,
    early_exaggeration: float | None = None,
    n_iter: int | None = None,
    prereduce: int | None = None,
    n_neighbors: int = 15,
    n_jobs: int = -1,
    gradient: Gradient = "auto",
    random_state: int = 0,
    preservation_k: int = 10,
    n_queries: int | None = 5000,
    n_trust: int | None = 2000,
) -> EmbeddingResult:
    """Map a cloud to the plane with t-SNE (openTSNE) or UMAP, and score neighbour keeping.

    t-SNE runs openTSNE with FFT-accelerated gradients (FIt-SNE) on all cores, approximate
    neighbours (Annoy) above 1,000 points, PCA initialisation and the learning rate
    ``n / early_exaggeration`` of Belkina et al. (2019). The source's settings are available:
    ``perplexity=10, early_exaggeration=16`` (and ``n_components=2, 4, 10`` for "t-SNE after
    PCA"). The defaults scale: see docs/analyses/projections.md for the measured choice.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    method : {"tsne", "umap"}
        UMAP needs the optional package umap-learn.
    n_components : int, optional
        Map the first ``n_components`` principal components instead of the codes.
    perplexity : float, optional
        t-SNE perplexity; default 30, capped at ``(n - 1) / 3``.
    early_exaggeration : float, optional
        t-SNE early exaggeration; default 12 (openTSNE's).
    n_iter : int, optional
        Total t-SNE iterations, a quarter of them (at most 250) exaggerated; default 400
        (openTSNE's defaults are 250 + 500). UMAP: its epochs (default: umap-learn's choice).
    prereduce : int or None
        When mapping the codes as given in more than ``prereduce`` dimensions, search
        neighbours and initialise on their first ``prereduce`` principal components (a
        speed lever; off by default: 50 components lost 0.04 of 10-NN preservation on the
        benchmark's curves); None searches the codes themselves.
    n_neighbors : int
        UMAP's neighbourhood size.
    n_jobs : int
        Threads for t-SNE (-1: all cores). UMAP with a seed runs on one thread.
    gradient : {"auto", "fft", "bh"}
        t-SNE's repulsive gradient: FFT-interpolated (FIt-SNE) or Barnes-Hut; "auto" uses
        FFT from :data:`FFT_FROM` points on and Barnes-Hut below, where it is faster.
    random_state : int
        Seed of the neighbour index, initialisation and optimisation, and of the queries
        of the preservation score.
    preservation_k, n_queries : int
        Passed to :func:`neighbour_preservation` (against the codes as given).
    n_trust : int or None
        Points (a seeded sample) on which :func:`map_trustworthiness` runs with the same
        ``k``; None: all (``n x n`` distances).

    Returns
    -------
    EmbeddingResult

    References
    ----------
    van der Maaten, L. & Hinton, G. (2008). Visualizing data using t-SNE. JMLR 9, 2579-2605.
    Linderman, G. C. et al. (2019). Fast interpolation-based t-SNE for improved visualization of
    single-cell RNA-seq data. Nature Methods 16, 243-245.
    Poličar, P. G., Stražar, M. & Zupan, B. (2024). openTSNE: a modular Python library for t-SNE
    dimensionality reduction and embedding. J. Stat. Softw. 109(3).
    McInnes, L., Healy, J. & Melville, J. (2018). UMAP. arXiv:1802.03426.
    """
    array = check_codes(codes, "codes")
    if method not in ("tsne", "umap"):
        raise InputError(f"method must be 'tsne' or 'umap', got {method!r}")
    if gradient not in ("auto", "fft", "bh"):
        raise InputError(f"gradient must be 'auto', 'fft' or 'bh', got {gradient!r}")
    if n_trust is not None:
        check_positive_int(n_trust, "n_trust")
    data, reduced = _map_input(array, n_components, prereduce)
    settings = _settings(len(array), method, perplexity, early_exaggeration, n_iter, n_neighbors)
    if method == "tsne":
        if gradient == "auto":
            gradient = "fft" if len(array) >= FFT_FROM else "bh"
        embedding = _tsne(data, settings, n_jobs, gradient, random_state)
    else:
        embedding = _umap(data, settings, random_state)
    score = neighbour_preservation(array, embedding, preservation_k, n_queries, random_state)
    trust, n_trusted = map_trustworthiness(array, embedding, preservation_k, n_trust, random_state)
    return EmbeddingResult(
        embedding=embedding.astype(np.float32),
        method=method,
        n_components=n_components,
        prereduce=reduced,
        random_state=random_state,
        preservation=score,
        preservation_k=preservation_k,
        n_evaluated=len(_query_rows(len(array), n_queries, random_state)),
        trustworthiness=trust,
        trustworthiness_n=n_trusted,
        **settings,
    )


def _map_input(
    codes: NDArray[Any], n_components: int | None, prereduce: int | None
) -> tuple[NDArray[np.float64], int | None]:
    """What the map is computed from, and the pre-reduction used (None when none)."""
    if n_components is not None:
        n_components = check_positive_int(n_components, "n_components")
        if n_components > codes.shape[1]:
            raise InputError(
                f"n_components={n_components} exceeds the {codes.shape[1]} dimensions of codes"
            )
        return principal_axes(codes).transform(codes, n_components), None
    if prereduce is not None and codes.shape[1] > check_positive_int(prereduce, "prereduce"):
        return principal_axes(codes).transform(codes, prereduce), prereduce
    return np.asarray(codes, dtype=np.float64), None


def _settings(
    n: int,
    method: str,
    perplexity: float | None,
    early_exaggeration: float | None,
    n_iter: int | None,
    n_neighbors: int,
) -> dict[str, Any]:
    """The map's hyper-parameters with defaults filled in and checked."""
    if method == "umap":
        n_neighbors = check_positive_int(n_neighbors, "n_neighbors", 2)
        epochs = 0 if n_iter is None else check_positive_int(n_iter, "n_iter")
        return dict(
            perplexity=None, early_exaggeration=None, n_iter=epochs, n_neighbors=n_neighbors
        )
    if n < 4:
        raise InputError(f"t-SNE needs at least 4 points, got {n}")
    chosen = min(30.0, (n - 1) / 3) if perplexity is None else float(perplexity)
    if not 0 < chosen <= (n - 1) / 3:
        raise InputError(f"perplexity must be in (0, (n - 1) / 3 = {(n - 1) / 3:g}], got {chosen}")
    exaggeration = 12.0 if early_exaggeration is None else float(early_exaggeration)
    if not exaggeration >= 1:
        raise InputError(f"early_exaggeration must be at least 1, got {exaggeration}")
    total = DEFAULT_TSNE_ITERATIONS if n_iter is None else check_positive_int(n_iter, "n_iter", 2)
    return dict(perplexity=chosen, early_exaggeration=exaggeration, n_iter=total, n_neighbors=None)


def _tsne(
    data: NDArray[np.float64],
    settings: dict[str, Any],
    n_jobs: int,
    gradient: str,
    random_state: int,
) -> NDArray[np.float64]:
    """openTSNE in its two standard phases: exaggerated, then plain."""
    import openTSNE

    exaggerated = min(250, settings["n_iter"] // 4)
    tsne = openTSNE.TSNE(
        perplexity=settings["perplexity"],
        early_exaggeration=settings["early_exaggeration"],
        early_exaggeration_iter=exaggerated,
        n_iter=settings["n_iter"] - exaggerated,
        negative_gradient_method=gradient,
        n_jobs=n_jobs,
        random_state=random_state,
    )
    return np.asarray(tsne.fit(data), dtype=np.float64)


def _umap(
    data: NDArray[np.float64], settings: dict[str, Any], random_state: int
) -> NDArray[np.float64]:
    """umap-learn, imported here: it is optional and takes seconds to import (numba)."""
    try:
        import umap
    except ImportError:
        raise InputError("method='umap' needs the optional package umap-learn") from None
    epochs = settings["n_iter"] or None
    # A fixed random_state makes umap-learn run single-threaded, which makes it repeatable
    # (umap-learn issues #183 and #525); tests/analysis check that it is.
    model = umap.UMAP(
        n_neighbors=settings["n_neighbors"], n_epochs=epochs, random_state=random_state
    )
    return np.asarray(model.fit_transform(data), dtype=np.float64)


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
