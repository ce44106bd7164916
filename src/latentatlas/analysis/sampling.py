"""Seeded stratified samples of rows: every class, every factor bin, never the file's first rows.

Data sets keep their source order (MNIST: all zeros first; sprites: all squares at one scale
first), so ``rows[:n]`` is one class. :func:`stratified_sample` picks ``n`` rows that cover every
class, or every quantile bin of every factor, in a seeded order; :func:`stratified_rows` does it
for some rows of a data set (its validation rows, say).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_positive_int
from latentatlas.errors import InputError

#: Quantile bins per continuous factor when ``bins`` is not given.
DEFAULT_BINS = 4


def stratified_sample(
    n: int,
    labels: ArrayLike | None = None,
    factors: ArrayLike | None = None,
    random_state: int = 0,
    bins: int = DEFAULT_BINS,
    factor_kinds: tuple[str, ...] | None = None,
    n_rows: int | None = None,
) -> NDArray[np.int64]:
    """Indices of ``n`` rows that cover every class or every factor bin, in a seeded order.

    Each row gets one bin per column: its label (a class), then per factor either its value
    (discrete factors) or its quantile bin among ``bins`` equally populated bins (continuous
    factors). The rows are grouped into *strata*, the joint bins of the leading columns: the
    first column crossed with the next ones for as long as the number of occupied joint bins
    stays at most ``n`` (so every stratum can be sampled). Rows are then taken round-robin over
    the strata: in each round the strata are visited in a seeded random order and each gives
    one row; within a stratum the row chosen is the one whose bins of the *other* columns have
    been chosen least so far (ties broken by a seeded shuffle), which balances the columns that
    were not crossed. Without labels or factors the sample is a seeded uniform permutation.

    Parameters
    ----------
    n : int
        Rows wanted, at least 1. More than there are gives every row (in the stratified order);
        fewer than the number of classes gives ``n`` different classes, chosen at random.
    labels : array-like of shape (N,), optional
        Class labels; stratified by class (it counts as the first column).
    factors : array-like of shape (N, K), optional
        Generating factors; discrete columns by value, continuous ones by quantile bin.
    random_state : int
        Seed; the same seed gives the same indices, different seeds different ones.
    bins : int
        Quantile bins per continuous factor, at least 2 (ties can leave some empty).
    factor_kinds : tuple of {"discrete", "continuous"}, optional
        One kind per factor column; by default a column with at most ``bins`` distinct values
        is discrete and any other is continuous.
    n_rows : int, optional
        Number of rows to sample from when neither ``labels`` nor ``factors`` is given.

    Returns
    -------
    ndarray of int64, shape (min(n, N),)
        Row indices, all different, in the order they were picked: every prefix of the result
        is itself stratified (the first ``c`` cover ``c`` classes), so a caller may take
        ``sample[:k]`` for a smaller figure.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., ch. 5 (stratified random sampling).
    """
    wanted = check_positive_int(n, "n")
    bins = check_positive_int(bins, "bins", minimum=2)
    columns = _bin_columns(labels, factors, bins, factor_kinds, n_rows)
    rng = np.random.default_rng(random_state)
    total = len(columns)
    if columns.shape[1] == 0:
        return rng.permutation(total)[:wanted].astype(np.int64)
    n_crossed = _crossable(columns, wanted)
    strata = _joint(columns[:, :n_crossed])
    return _round_robin(strata, columns[:, n_crossed:], min(wanted, total), rng)


def stratified_rows(
    dataset: Any, rows: ArrayLike, n: int, random_state: int = 0
) -> NDArray[np.int64]:
    """``n`` of a data set's ``rows`` that cover every factor bin, or every class without factors.

    Parameters
    ----------
    dataset : Dataset
        Its ``factors`` (with ``factor_names`` and ``factor_kinds``) stratify where it has
        them, else its ``labels``; with neither the rows are a seeded permutation.
    rows : array-like of int
        The rows to choose from, e.g. a split's validation indices.
    n, random_state
        As for :func:`stratified_sample`; every prefix of the result is stratified too.

    Returns
    -------
    ndarray of int64
        Entries of ``rows``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if dataset.factors is not None and len(dataset.factor_names):
        kinds = tuple(dataset.factor_kinds) or None
        picked = stratified_sample(
            n, factors=dataset.factors[rows], factor_kinds=kinds, random_state=random_state
        )
    else:
        labels = None if dataset.labels is None else np.asarray(dataset.labels)[rows]
        picked = stratified_sample(n, labels=labels, n_rows=len(rows), random_state=random_state)
    return rows[picked]


def _bin_columns(
    labels: ArrayLike | None,
    factors: ArrayLike | None,
    bins: int,
    kinds: tuple[str, ...] | None,
    n_rows: int | None,
) -> NDArray[np.int64]:
    """One integer bin per row and column (labels first, then each factor); shape (N, C)."""
    parts: list[NDArray[np.int64]] = []
    size = None
    if labels is not None:
        values = np.asarray(labels)
        if values.ndim != 1 or len(values) == 0:
            raise InputError(f"labels must be a non-empty 1-d array, got shape {values.shape}")
        parts.append(np.unique(values, return_inverse=True)[1].reshape(-1))
        size = len(values)
    if factors is not None:
        parts.extend(_factor_bins(factors, bins, kinds, size))
        size = len(parts[-1]) if parts else 0
    if size is None:
        if n_rows is None:
            raise InputError("stratified_sample needs labels, factors or n_rows")
        return np.zeros((check_positive_int(n_rows, "n_rows"), 0), dtype=np.int64)
    return np.stack(parts, axis=1).astype(np.int64)


def _factor_bins(
    factors: ArrayLike, bins: int, kinds: tuple[str, ...] | None, size: int | None
) -> list[NDArray[np.int64]]:
    """Per factor column: its value index (discrete) or its quantile bin (continuous)."""
    values = np.asarray(factors, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or len(values) == 0 or values.shape[1] == 0:
        raise InputError(f"factors must be a non-empty (N, K) array, got shape {values.shape}")
    if size is not None and len(values) != size:
        raise InputError(f"factors has {len(values)} rows but labels has {size} entries")
    if not np.isfinite(values).all():
        raise InputError("factors has a NaN or infinite value")
    if kinds is not None and len(kinds) != values.shape[1]:
        raise InputError(
            f"factor_kinds has {len(kinds)} entries but factors has {values.shape[1]} columns"
        )
    out = []
    for j, column in enumerate(values.T):
        discrete = kinds[j] == "discrete" if kinds is not None else len(np.unique(column)) <= bins
        if discrete:
            out.append(np.unique(column, return_inverse=True)[1].reshape(-1))
        else:
            edges = np.quantile(column, np.linspace(0.0, 1.0, bins + 1)[1:-1])
            out.append(np.searchsorted(edges, column, side="right"))
    return out


def _joint(columns: NDArray[np.int64]) -> NDArray[np.int64]:
    """One stratum id per row: its joint bin over ``columns`` (0 for every row without any)."""
    if columns.shape[1] == 0:
        return np.zeros(len(columns), dtype=np.int64)
    return np.unique(columns, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _crossable(columns: NDArray[np.int64], n: int) -> int:
    """How many leading columns can be crossed with at most ``n`` occupied joint bins (>= 1)."""
    count = 1
    while count < columns.shape[1] and len(np.unique(_joint(columns[:, : count + 1]))) <= n:
        count += 1
    return count


def _round_robin(
    strata: NDArray[np.int64], others: NDArray[np.int64], n: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Pick ``n`` rows one per stratum per round, balancing the bins of the ``others`` columns."""
    shuffled = rng.permutation(len(strata))
    ordered = shuffled[np.argsort(strata[shuffled], kind="stable")]  # by stratum, shuffled within
    members = np.split(ordered, np.flatnonzero(np.diff(strata[ordered])) + 1)
    counts = [np.zeros(int(c.max()) + 1, dtype=np.int64) for c in others.T]
    taken: list[int] = []
    remaining = [np.ones(len(m), dtype=bool) for m in members]
    while len(taken) < n:
        for s in rng.permutation(len(members)):
            if len(taken) == n:
                break
            if remaining[s].any():
                taken.append(_pick(members[s], remaining[s], others, counts))
    return np.asarray(taken, dtype=np.int64)


def _pick(
    rows: NDArray[Any], remaining: NDArray[np.bool_], others: NDArray[np.int64], counts: list[Any]
) -> int:
    """The remaining row of a stratum whose other bins were picked least; update the counts."""
    candidates = np.flatnonzero(remaining)
    load = np.zeros(len(candidates), dtype=np.int64)
    for j, count in enumerate(counts):
        load += count[others[rows[candidates], j]]
    position = candidates[int(np.argmin(load))]  # first minimum: the seeded shuffle breaks ties
    remaining[position] = False
    row = int(rows[position])
    for j, count in enumerate(counts):
        count[others[row, j]] += 1
    return row
