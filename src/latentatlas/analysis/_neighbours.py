"""Exact nearest-neighbour search over a cloud's points, shared by the analyses that need it.

Private to :mod:`latentatlas.analysis`: maps (neighbour preservation), density (intrinsic
dimension from the neighbours' distances) and decoding (the codes' spacing) all search
neighbours this one way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.neighbors import NearestNeighbors

from latentatlas.analysis._checks import check_positive_int


def query_rows(n: int, n_queries: int | None, random_state: int) -> NDArray[np.int64]:
    """All rows, or a seeded sorted sample of ``n_queries`` of them."""
    if n_queries is None or n_queries >= n:
        return np.arange(n, dtype=np.int64)
    n_queries = check_positive_int(n_queries, "n_queries")
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=n_queries, replace=False)).astype(np.int64)


def neighbours_of(
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
