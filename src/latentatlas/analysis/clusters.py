"""How well labelled classes separate in a space: the exact silhouette, in memory-bounded tiles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_codes, check_fits_in_memory
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

Metric = Literal["euclidean", "cosine"]
METRICS: tuple[str, ...] = ("euclidean", "cosine")
Precision = Literal["auto", "float64", "float32"]
PRECISIONS: tuple[str, ...] = ("auto", "float64", "float32")

#: Default memory for one distance tile, in bytes; the tile is ``block_size**2`` float64 values.
#: 32 MiB gives 2,048 x 2,048 tiles: large enough for full-speed BLAS, small enough that the
#: symmetric half of the matrix is most of the work and memory stays far below scikit-learn's.
DEFAULT_TILE_BYTES = 32 * 2**20

#: Squared distances below this fraction of the tile's squared-norm scale are recomputed exactly
#: (float64 tiles; float32 tiles use :data:`CLOSE_PAIR_RELATIVE_FLOAT32`).
CLOSE_PAIR_RELATIVE = 1e-6

#: ``precision="auto"`` computes float32 tiles from this many points on (below it a float64
#: silhouette takes under a second, and the studies' reference numbers stay bit-for-bit).
FLOAT32_FROM = 20_000

#: In float32 tiles the expansion's rounding is ~1e-5 of the squared-norm scale (sgemm over
#: 784 terms), so pairs closer than this fraction of it are recomputed exactly in float64.
CLOSE_PAIR_RELATIVE_FLOAT32 = 1e-3

#: Rows whose float32 silhouette is recomputed exactly in float64 as the agreement check: half
#: a seeded random sample, half the rows where float32 is weakest (smallest a(i) relative to
#: the squared-norm scale, i.e. tight classes far from the centre).
FLOAT32_CHECK_ROWS = 256

#: Largest |float32 - float64| silhouette accepted on the checked rows; beyond it every tile is
#: recomputed in float64. Well-conditioned data deviate by ~1e-7 (tests, docs/analyses/clusters.md).
FLOAT32_TOLERANCE = 1e-5


@dataclass(frozen=True, eq=False)
class SilhouetteResult(ResultMixin):
    """Silhouette values of a labelled point cloud.

    Attributes
    ----------
    mean : float
        Mean silhouette over all samples (scikit-learn's ``silhouette_score``).
    samples : ndarray of shape (n,)
        Silhouette of each sample, in [-1, 1]; 0 for a sample alone in its class.
    labels : ndarray of shape (n,)
        The labels the silhouette was computed for, as given.
    class_means : dict
        Mean silhouette of the samples of each label, keyed by label value.

    precision : str
        ``"float64"`` or ``"float32"``: the arithmetic of the distance tiles the values come
        from (float32 only when its agreement check passed).
    float32_deviation : float or None
        With a float32 attempt, the largest ``|s32(i) - s64(i)|`` over the rows checked
        exactly in float64 (above :data:`FLOAT32_TOLERANCE` the result is float64); None
        when no float32 tiles were computed.
    """

    mean: float
    samples: NDArray[np.float64]
    labels: NDArray[Any]
    class_means: dict[Any, float]
    precision: str = "float64"
    float32_deviation: float | None = None


def silhouette(
    codes: ArrayLike,
    labels: ArrayLike,
    block_size: int | None = None,
    metric: Metric = "euclidean",
    precision: Precision = "auto",
) -> SilhouetteResult:
    """Compute the exact silhouette of every sample, in tiles so memory stays bounded.

    For sample ``i`` in class ``A``, ``a(i)`` is its mean distance to the other members of
    ``A`` and ``b(i)`` the smallest mean distance to the members of another class; the
    silhouette is ``s(i) = (b(i) - a(i)) / max(a(i), b(i))``, and ``s(i) = 0`` when ``i`` is
    alone in its class (Rousseeuw 1987). The values equal scikit-learn's
    ``silhouette_samples`` (to about 1e-14 for float64 input). Exactly repeated points are
    0 apart here; scikit-learn's expansion leaves ~1e-8 between them, so with duplicated
    float points the two differ by up to ~1e-9 (see docs/analyses/clusters.md).

    Distances are computed on ``block_size x block_size`` tiles of the distance matrix;
    each tile is reduced to per-class sums with one matrix product against a one-hot class
    matrix, and the matrix's symmetry means only tiles on or above the diagonal are
    computed. Extra memory is ``O(block_size**2 + block_size * d + n * k)`` for ``n``
    samples in ``d`` dimensions and ``k`` classes: never the ``n x n`` matrix.

    The tiles are float64, or float32 (about 2.5x faster at 60,000 x 784) with a float64
    agreement check: pairs closer than :data:`CLOSE_PAIR_RELATIVE_FLOAT32` of the
    squared-norm scale are recomputed exactly, the sums are accumulated in float64, and
    :data:`FLOAT32_CHECK_ROWS` rows (seeded random ones and those where float32 is weakest)
    are recomputed exactly in float64; if any of them differs by more than
    :data:`FLOAT32_TOLERANCE`, the whole silhouette is recomputed in float64. The result
    says which arithmetic its values come from.

    Parameters
    ----------
    codes : array-like of shape (n, d)
        Points, e.g. latent codes or flattened images. Any float or integer dtype; float32
        input is converted to float64 one tile at a time, never as a whole.
    labels : array-like of shape (n,)
        Class of each point: integers or strings. Needs between 2 and ``n - 1`` classes.
    block_size : int, optional
        Rows (and columns) per distance tile. By default the largest tile that fits
        ``DEFAULT_TILE_BYTES`` (32 MiB), i.e. 2,048 rows.
    metric : {"euclidean", "cosine"}
        Distance between points, as in ``sklearn.metrics.pairwise_distances``.
    precision : {"auto", "float64", "float32"}
        Arithmetic of the distance tiles: float64; float32 with the agreement check above;
        or ``"auto"``, float32 from :data:`FLOAT32_FROM` points on and float64 below.

    Returns
    -------
    SilhouetteResult
        Mean, per-sample values, the labels and the mean of each class.

    Raises
    ------
    InputError
        If ``codes`` is not a finite 2-d numeric array, ``labels`` does not have one entry
        per row, there are fewer than 2 or more than ``n - 1`` classes, or an option is bad.

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and validation
    of cluster analysis. Journal of Computational and Applied Mathematics 20, 53-65.
    """
    points = check_codes(codes, "codes")
    label_array, class_index, classes = _check_labels(labels, len(points))
    block = _check_block_size(block_size, len(points))
    if metric not in METRICS:
        raise InputError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "auto":
        precision = "float32" if len(points) >= FLOAT32_FROM else "float64"
    sizes = np.bincount(class_index, minlength=len(classes)).astype(np.float64)
    samples, deviation = None, None
    if precision == "float32":
        samples, deviation = _float32_silhouette(points, class_index, sizes, block, metric)
    if samples is None:
        sums = _class_distance_sums(points, _onehot(class_index, len(classes)), block, metric)
        samples, precision = _silhouette_from_sums(sums, class_index, sizes), "float64"
    class_means = {
        _plain(label): float(samples[class_index == k].mean()) for k, label in enumerate(classes)
    }
    return SilhouetteResult(
        mean=float(samples.mean()),
        samples=samples,
        labels=label_array,
        class_means=class_means,
        precision=precision,
        float32_deviation=deviation,
    )


def original_space_silhouette(
    x: ArrayLike,
    labels: ArrayLike,
    block_size: int | None = None,
    precision: Precision = "auto",
) -> SilhouetteResult:
    """Silhouette of the raw inputs (the "original space" baseline), each image flattened.

    The source finds 0.11 for MNIST digits 1 and 2 in pixel space, against 0.47 for a 2-d PCA.

    Parameters
    ----------
    x : array-like of shape (n, ...)
        Inputs, e.g. images ``(n, c, h, w)``; every sample is flattened to one vector.
    labels : array-like of shape (n,)
        Class of each input.
    block_size : int, optional
        Passed to :func:`silhouette`.
    precision : {"auto", "float64", "float32"}
        Passed to :func:`silhouette` (``"auto"``: float32 tiles, checked, from 20,000 images).

    Returns
    -------
    SilhouetteResult
        As :func:`silhouette` with the Euclidean metric.
    """
    inputs = np.asarray(x)
    if inputs.ndim < 1 or len(inputs) == 0:
        raise InputError(f"x must hold at least one sample, got shape {inputs.shape}")
    flat = inputs.reshape(len(inputs), -1)
    return silhouette(flat, labels, block_size=block_size, precision=precision)


def _onehot(class_index: NDArray[np.intp], k: int, dtype: Any = np.float64) -> NDArray[Any]:
    onehot = np.zeros((len(class_index), k), dtype=dtype)
    onehot[np.arange(len(class_index)), class_index] = 1.0
    return onehot


def _float32_silhouette(
    points: NDArray[Any],
    class_index: NDArray[np.intp],
    sizes: NDArray[np.float64],
    block: int,
    metric: str,
) -> tuple[NDArray[np.float64] | None, float]:
    """Silhouette from float32 tiles, and its largest deviation on the rows checked in float64.

    Returns ``(None, deviation)`` when the check fails (the caller then uses float64 tiles).
    """
    onehot = _onehot(class_index, len(sizes), np.float32)
    sums = _class_distance_sums(points, onehot, block, metric, np.float32)
    samples = _silhouette_from_sums(sums, class_index, sizes)
    checked = _check_rows(sums, class_index, sizes, points, metric)
    exact_sums = _row_distance_sums(points, checked, _onehot(class_index, len(sizes)), metric)
    exact = _silhouette_from_sums(exact_sums, class_index[checked], sizes)
    deviation = float(np.max(np.abs(samples[checked] - exact)))
    return (samples if deviation <= FLOAT32_TOLERANCE else None), deviation


def _check_rows(
    sums: NDArray[np.float64],
    class_index: NDArray[np.intp],
    sizes: NDArray[np.float64],
    points: NDArray[Any],
    metric: str,
) -> NDArray[np.intp]:
    """Rows for the float64 check: a seeded random half, and the rows where float32 is weakest.

    The expansion's rounding is relative to the squared norms, so it matters most where a
    point's mean distance to its own class, a(i), is small beside its (centred) norm.
    """
    n = len(points)
    if n <= FLOAT32_CHECK_ROWS:
        return np.arange(n)
    random_rows = np.random.default_rng(0).choice(n, FLOAT32_CHECK_ROWS // 2, replace=False)
    own = sums[np.arange(n), class_index] / np.maximum(sizes[class_index] - 1.0, 1.0)
    scale = np.ones(n)
    if metric == "euclidean":  # centred norms, a block of rows at a time (no float64 copy)
        center = points.mean(axis=0, dtype=np.float64)
        for rows in _blocks(n, 4096):
            centred = points[rows] - center
            scale[rows] = np.sqrt(np.einsum("ij,ij->i", centred, centred)) + 1e-300
    weakest = np.argsort(own / scale, kind="stable")
    chosen = np.unique(random_rows)
    weakest = weakest[~np.isin(weakest, chosen)][: FLOAT32_CHECK_ROWS - len(chosen)]
    return np.sort(np.concatenate([chosen, weakest]))


def _row_distance_sums(
    points: NDArray[Any], rows: NDArray[np.intp], onehot: NDArray[np.float64], metric: str
) -> NDArray[np.float64]:
    """Exact (float64) sum of distances from the given rows to every class, shape (m, k)."""
    center = points.mean(axis=0, dtype=np.float64) if metric == "euclidean" else None
    left, left_scale = _operand(points[rows], metric, center, side="left")
    sums = np.zeros((len(rows), onehot.shape[1]))
    for cols in _blocks(len(points), int(np.sqrt(DEFAULT_TILE_BYTES / 8))):
        right, right_scale = _operand(points[cols], metric, center, side="right")
        tile = left @ right.T
        if metric == "euclidean":  # self-pairs are close pairs here: recomputed to exactly 0
            _refine_close_pairs(tile, points, rows, cols, left_scale + right_scale)
        _finish_distances(tile, metric)
        own = np.flatnonzero((rows >= cols.start) & (rows < cols.stop))
        tile[own, rows[own] - cols.start] = 0.0
        sums += tile @ onehot[cols]
    return sums


def _class_distance_sums(
    points: NDArray[Any],
    onehot: NDArray[Any],
    block: int,
    metric: str,
    dtype: Any = np.float64,
) -> NDArray[np.float64]:
    """Sum of distances from every point to every class, shape (n, k), tile by tile.

    Tiles are ``dtype`` (float64 or float32); the sums are accumulated in float64.
    """
    center = points.mean(axis=0, dtype=np.float64) if metric == "euclidean" else None
    close = CLOSE_PAIR_RELATIVE if dtype == np.float64 else CLOSE_PAIR_RELATIVE_FLOAT32
    sums = np.zeros(onehot.shape, dtype=np.float64)
    buffer = np.empty(block * block, dtype=dtype)
    for rows in _blocks(len(points), block):
        left, left_scale = _operand(points[rows], metric, center, "left", dtype)
        for cols in _blocks(len(points), block, start=rows.start):
            right, right_scale = _operand(points[cols], metric, center, "right", dtype)
            tile = buffer[: (rows.stop - rows.start) * (cols.stop - cols.start)]
            tile = tile.reshape(rows.stop - rows.start, cols.stop - cols.start)
            np.matmul(left, right.T, out=tile)
            if rows == cols:
                np.fill_diagonal(tile, np.inf)  # self-pairs: not "close pairs" to recompute
            if metric == "euclidean":
                _refine_close_pairs(tile, points, rows, cols, left_scale + right_scale, close)
            _finish_distances(tile, metric)
            if rows == cols:
                np.fill_diagonal(tile, 0.0)  # a point's distance to itself, free of rounding
            sums[rows] += tile @ onehot[cols]
            if rows != cols:  # the mirrored tile below the diagonal, without computing it
                sums[cols] += tile.T @ onehot[rows]
    return sums


def _refine_close_pairs(
    tile: NDArray[Any],
    points: NDArray[Any],
    rows: slice | NDArray[np.intp],
    cols: slice,
    scale: float,
    relative: float = CLOSE_PAIR_RELATIVE,
) -> None:
    """Recompute, from coordinate differences, squared distances the expansion cannot resolve.

    ``|x|^2 + |y|^2 - 2 x.y`` carries an absolute rounding error of order
    ``eps * (|x|^2 + |y|^2)``, which after the square root is ~1e-8 for identical points.
    Pairs whose computed value is below ``relative * scale`` (near-duplicates, the only pairs
    where that error is not negligible) are recomputed exactly, so duplicated points get
    distance 0. scikit-learn keeps the expansion's value for them. ``rows`` is a slice of
    ``points`` or an array of row indices.
    """
    limit = relative * scale
    if tile.min() >= limit:  # the usual case: one fast reduction instead of a mask and a search
        return
    close_rows, close_cols = np.nonzero(tile < limit)
    pairs_per_chunk = max(1, 2**22 // points.shape[1])
    for first in range(0, len(close_rows), pairs_per_chunk):
        chunk = slice(first, first + pairs_per_chunk)
        i, j = close_rows[chunk], close_cols[chunk]
        first_rows = rows[i] if isinstance(rows, np.ndarray) else rows.start + i
        differences = points[first_rows].astype(np.float64) - points[cols.start + j]
        tile[i, j] = np.einsum("ij,ij->i", differences, differences)


def _operand(
    chunk: NDArray[Any],
    metric: str,
    center: NDArray[np.float64] | None,
    side: str,
    dtype: Any = np.float64,
) -> tuple[NDArray[Any], float]:
    """One factor of a tile's product, augmented so the product is the whole distance formula.

    Euclidean: ``[x, |x|^2, 1] . [-2y, 1, |y|^2] = |x - y|^2`` (after centering, which keeps
    the expansion's cancellation error small). Cosine: ``[x/|x|, 1] . [-y/|y|, 1] = 1 - cos``.
    Folding the norms into the product saves two passes over every tile. Also returns the
    largest squared norm in the chunk (Euclidean only; 0 for cosine), the scale of the
    expansion's rounding error. The operand is built in float64 and then cast to ``dtype``.
    """
    rows, dim = chunk.shape
    extra = 2 if metric == "euclidean" else 1
    out = np.empty((rows, dim + extra), dtype=np.float64)
    body = out[:, :dim]
    body[...] = chunk
    if metric == "euclidean":
        body -= center
        squared_norms = np.einsum("ij,ij->i", body, body)
        if side == "left":
            out[:, dim], out[:, dim + 1] = squared_norms, 1.0
        else:
            body *= -2.0
            out[:, dim], out[:, dim + 1] = 1.0, squared_norms
        return out.astype(dtype, copy=False), float(squared_norms.max())
    norms = np.sqrt(np.einsum("ij,ij->i", body, body))
    norms[norms == 0.0] = 1.0  # as sklearn.preprocessing.normalize: a zero row stays zero
    body /= norms[:, None]
    if side == "right":
        body *= -1.0
    out[:, dim] = 1.0
    return out.astype(dtype, copy=False), 0.0


def _finish_distances(tile: NDArray[Any], metric: str) -> None:
    """Turn the raw product into distances in place, clamping rounding below zero."""
    if metric == "euclidean":
        np.maximum(tile, 0.0, out=tile)
        np.sqrt(tile, out=tile)
    else:
        np.clip(tile, 0.0, 2.0, out=tile)


def _silhouette_from_sums(
    sums: NDArray[np.float64], class_index: NDArray[np.intp], class_sizes: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per-sample silhouette from the (n, k) distance sums, with scikit-learn's conventions."""
    n = len(sums)
    own = (np.arange(n), class_index)
    own_size = class_sizes[class_index]
    with np.errstate(divide="ignore", invalid="ignore"):
        intra = sums[own] / (own_size - 1.0)  # a(i) leaves the point itself out
        means = sums / class_sizes
        means[own] = np.inf
        nearest = means.min(axis=1)
        samples = (nearest - intra) / np.maximum(intra, nearest)
    samples[own_size == 1] = 0.0  # a point alone in its class has silhouette 0
    return np.nan_to_num(samples, nan=0.0)  # a(i) = b(i) = 0 (all points equal): 0, as sklearn


def _blocks(n: int, block: int, start: int = 0) -> Iterator[slice]:
    for first in range(start, n, block):
        yield slice(first, min(first + block, n))


def _check_labels(labels: ArrayLike, n: int) -> tuple[NDArray[Any], NDArray[np.intp], NDArray[Any]]:
    """Labels as given, their class index 0..k-1, and the sorted classes."""
    array = np.asarray(labels)
    if array.ndim != 1:
        raise InputError(f"labels must be 1-d, got shape {array.shape}")
    if len(array) != n:
        raise InputError(f"labels has {len(array)} entries but codes has {n} rows")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InputError(f"labels has a NaN or infinite value at index {_first_nonfinite(array)}")
    try:
        classes, class_index = np.unique(array, return_inverse=True)
    except TypeError as error:
        raise InputError(f"labels must all be of one comparable type ({error})") from None
    if not 2 <= len(classes) <= n - 1:
        raise InputError(
            f"labels must name between 2 and {n - 1} (n - 1) classes for a silhouette, "
            f"got {len(classes)}"
        )
    return array, class_index.reshape(-1), classes


def _first_nonfinite(array: NDArray[Any]) -> int:
    return int(np.flatnonzero(~np.isfinite(array))[0])


def _check_block_size(block_size: int | None, n: int) -> int:
    if block_size is None:
        return min(n, int(np.sqrt(DEFAULT_TILE_BYTES / 8)))
    if isinstance(block_size, bool) or not isinstance(block_size, int | np.integer):
        raise InputError(f"block_size must be a positive integer, got {block_size!r}")
    if block_size < 1:
        raise InputError(f"block_size must be a positive integer, got {block_size}")
    block = min(n, int(block_size))
    # A tile as large as the whole n x n matrix is the unblocked computation: refuse it up
    # front, with the memory it needs, rather than die in np.empty.
    check_fits_in_memory(
        8 * block * block,
        f"block_size={block} (a {block:,} x {block:,} float64 distance tile)",
        f"leave block_size unset ({DEFAULT_TILE_BYTES // 2**20} MiB tiles) or choose a smaller one",
    )
    return block


def _plain(value: Any) -> Any:
    """A NumPy scalar as the matching Python scalar, so result dicts are JSON-ready."""
    return value.item() if isinstance(value, np.generic) else value
