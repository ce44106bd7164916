"""2-d maps of a latent cloud (t-SNE, UMAP) and how well a map keeps each point's neighbours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_codes, check_positive_int
from latentatlas.analysis._neighbours import neighbours_of, query_rows
from latentatlas.analysis.pca import principal_axes
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

Method = Literal["tsne", "umap"]
Gradient = Literal["auto", "fft", "bh"]

#: Below this many points Barnes-Hut gradients are faster than FFT ones (openTSNE's own rule):
#: the FFT's fixed interpolation grid costs more than the tree at small n.
FFT_FROM = 10_000

#: Total t-SNE iterations by default, a quarter exaggerated: 100 + 300 instead of openTSNE's
#: 250 + 500 kept 10-NN preservation within 0.004 of openTSNE's defaults in 0.46 of the time
#: (benchmarks/embedding.py, 20,000 x 256, 2 cores; docs/analyses/projections.md).
DEFAULT_TSNE_ITERATIONS = 400


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
    queries = query_rows(len(high), n_queries, random_state)
    near_high = neighbours_of(high, queries, k)[1]
    near_low = neighbours_of(low, queries, k)[1]
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
    rows = query_rows(len(high), n_samples, random_state)
    if k >= len(rows) / 2:
        return None, len(rows)
    return float(trustworthiness(high[rows], low[rows], n_neighbors=k)), len(rows)


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
        n_evaluated=len(query_rows(len(array), n_queries, random_state)),
        trustworthiness=trust,
        trustworthiness_n=n_trusted,
        **settings,
    )


def _map_input(
    codes: NDArray[Any], n_components: int | None, prereduce: int | None
) -> tuple[NDArray[np.floating], int | None]:
    """What the map is computed from, and the pre-reduction used (None when none).

    Float codes are passed on as they are, float32 included: openTSNE's neighbour index and
    umap-learn store float32 anyway, so a float64 copy only added ``8 n d`` bytes to the
    peak (issue 30); :func:`_tsne` keeps the float64 PCA initialisation.
    """
    if n_components is not None:
        n_components = check_positive_int(n_components, "n_components")
        if n_components > codes.shape[1]:
            raise InputError(
                f"n_components={n_components} exceeds the {codes.shape[1]} dimensions of codes"
            )
        return principal_axes(codes).transform(codes, n_components), None
    if prereduce is not None and codes.shape[1] > check_positive_int(prereduce, "prereduce"):
        return principal_axes(codes).transform(codes, prereduce), prereduce
    return (codes if codes.dtype.kind == "f" else codes.astype(np.float64)), None


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
    data: NDArray[np.floating],
    settings: dict[str, Any],
    n_jobs: int,
    gradient: str,
    random_state: int,
) -> NDArray[np.float64]:
    """openTSNE in its two standard phases: exaggerated, then plain.

    ``TSNE.fit(data)`` in three steps, for memory (issue 30): the affinities first, holding
    only P (:func:`_affinities`); then openTSNE's own PCA initialisation of the codes in
    float64, as when the whole map ran on a float64 copy (the same numbers), the copy living
    only while the two components are computed; then the optimisation. The neighbour search
    takes the codes as given (openTSNE's Annoy index stores float32).
    """
    import openTSNE
    from openTSNE.initialization import pca

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
    affinities = _affinities(tsne, data)
    initial = pca(np.asarray(data, dtype=np.float64), random_state=random_state)
    # A copy, not a view: a view would keep openTSNE's embedding object, and with it the
    # affinities, alive while the map is scored.
    return np.array(tsne.fit(affinities=affinities, initialization=initial), dtype=np.float64)


def _affinities(tsne: Any, data: NDArray[np.floating]) -> Any:
    """The perplexity affinities ``tsne.fit(data)`` would compute, holding nothing but P.

    The same openTSNE calls as ``TSNE.fit`` (its neighbour index, then its P from the
    neighbours), so the same P to the last bit, but ``TSNE.fit`` keeps the index (Annoy's
    50 trees: 127 MiB at 80,000 x 256) alive while it computes P, and the neighbours
    and distances (``n x 3 perplexity`` of each) through the optimisation. Here the index
    is freed as soon as the neighbours are found, and those once P is made.
    """
    from openTSNE.affinity import MultiscaleMixture, PrecomputedAffinities, get_knn_index
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    # TSNE.fit's number of neighbours (perplexity is at most (n - 1) / 3, see _settings).
    k = min(len(data) - 1, int(3 * tsne.perplexity))
    index = get_knn_index(
        data,
        tsne.neighbors,
        k,
        tsne.metric,
        tsne.metric_params,
        n_jobs=tsne.n_jobs,
        random_state=tsne.random_state,
        knn_kwargs=tsne.knn_kwargs,
    )
    found = PrecomputedNeighbors(*index.build())
    del index  # the trees, before P is computed
    mixture = MultiscaleMixture(perplexities=tsne.perplexity, n_jobs=tsne.n_jobs, knn_index=found)
    return PrecomputedAffinities(mixture.P, normalize=False)


def _umap(
    data: NDArray[np.floating], settings: dict[str, Any], random_state: int
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
