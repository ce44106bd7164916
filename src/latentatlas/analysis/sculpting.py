"""Manifold Sculpting (Gashler, Ventura & Martinez 2007): unroll a manifold by squeezing it flat."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError

from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

try:  # scikit-learn >= 1.6; older versions have the method instead of the function
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - depends on the installed scikit-learn

    def _validate_data(estimator: Any, X: Any, **options: Any) -> Any:
        return estimator._validate_data(X, **options)


#: Weight of a neighbour already adjusted in the current iteration (the paper's w_ij = 10).
ADJUSTED_WEIGHT = 10.0
#: The junk dimensions count as gone (burn-in over) once scaled below this (as in Waffles).
BURN_IN_SCALE = 0.01
#: Below this scale the junk dimensions are set to zero and no longer rescaled (as in Waffles).
ZERO_SCALE = 0.001
#: At most this many hill-climbing rounds per point and iteration (as in Waffles).
MAX_CLIMB_ROUNDS = 30
#: Learning-rate update after each iteration (Waffles): shrink when the points needed fewer
#: hill-climbing moves than there are points, grow otherwise.
RATE_SHRINK, RATE_GROW = 0.87, 1 / 0.91
#: At most this many 1/sigma rescalings of the kept dimensions per iteration (one or two are
#: the norm; the bound only stops a degenerate, collapsed layout from looping forever).
MAX_RESCALES = 1000
#: Re-centre the kept dimensions every this many iterations (Waffles), since they are scaled
#: about the origin.
RECENTRE_EVERY = 20
#: The layout counts as settled when the last iteration's hill-climbing step was at most this
#: many mean neighbour distances. Waffles' step rule keeps about one move per point per
#: iteration, so the step finds one of two levels: 0.01-0.13 once the sheet has refrozen,
#: mostly 0.5-2 while it is still "melted" (docs/analyses/sculpting.md; 0.22 and 0.23 were
#: seen once each). 0.2 lies between them.
SETTLED_STEP = 0.2
#: A junk part of a squared neighbour distance below this fraction of it counts as rounding
#: noise (it would change the distance by less than 1 part in 10**9).
JUNK_TOLERANCE = 1e-9
#: Memory for one chunk of the neighbour-of-neighbour search, in float64 values (32 MiB).
CHUNK_VALUES = 4 * 2**20


class SculptingParameterError(InputError, InvalidParameterError):
    """A hyper-parameter of :class:`ManifoldSculpting` out of range.

    Both our :class:`~latentatlas.errors.InputError` (so the CLI reports it as one sentence)
    and scikit-learn's ``InvalidParameterError`` (so scikit-learn's conventions hold).
    """


@dataclass(frozen=True)
class _Geometry:
    """What the sculpting keeps from the input space: neighbours, distances, angles, junk.

    For each point ``i`` and neighbour slot ``a``, ``j = neighbors[i, a]`` is the neighbour and
    ``m = colinear[i, a]`` the neighbour of ``j`` most collinear with ``i - j``. The discarded
    ("junk") dimensions only ever shrink by a common factor, so their contribution to every
    distance and angle the error needs is stored once, as squared lengths and dot products.
    """

    neighbors: NDArray[np.intp]  # (n, k)
    colinear: NDArray[np.intp]  # (n, k)
    distances0: NDArray[np.float64]  # (n, k) delta_ij0
    angles0: NDArray[np.float64]  # (n, k) theta_ij0, radians
    mean_distance: float  # delta_ave
    kept: NDArray[np.float64]  # (n, d) coordinates in the kept principal directions
    junk_sq: NDArray[np.float64]  # (n, k) junk part of |x_i - x_j|^2
    junk_dot: NDArray[np.float64]  # (n, k) junk part of (x_i - x_j).(x_m - x_j)
    junk_sq_colinear: NDArray[np.float64]  # (n, k) junk part of |x_m - x_j|^2

    def kernel_pairs(self) -> tuple[NDArray[Any], ...]:
        """The per-pair arrays in the order the compiled pass takes them (``PAIRS``)."""
        from latentatlas.analysis._sculpting_kernel import PAIRS

        return tuple(getattr(self, name) for name in PAIRS)


class ManifoldSculpting(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Manifold Sculpting: non-linear dimensionality reduction by gradual squeezing.

    Each point remembers the distances to its ``n_neighbors`` nearest neighbours and, for each
    neighbour, the angle it makes with that neighbour's most collinear neighbour. The data are
    rotated onto principal axes; then every iteration scales the discarded dimensions by
    ``sigma``, scales the kept ones up until the mean neighbour distance is restored, and moves
    the points, by hill climbing in the kept dimensions, to reduce the error

    ``e_i = sum_j w_ij [((delta_ij - delta_ij0) / (2 delta_ave))^2``
    ``+ ((theta_ij - theta_ij0) / pi)^2]``

    with ``w_ij = 10`` for a neighbour already adjusted in this iteration and 1 otherwise
    (Gashler et al. 2007, Eq. 1). Points are visited one at a time, breadth-first from a random
    point, each climbing against the positions its predecessors have just reached, as in the
    paper (a compiled loop, ``_sculpting_kernel``), but from the same point in every
    iteration. After a burn-in (until the discarded dimensions are scaled below 1 %), it
    stops when the total error has not improved for ``patience`` iterations, and drops the
    discarded dimensions.

    The method is transductive: like scikit-learn's ``TSNE`` it has ``fit`` and
    ``fit_transform`` but no ``transform`` for new points.

    Departures from the paper (see docs/analyses/sculpting.md, which measures their effect):

    - **One breadth-first start per run.** The starting point is drawn once, where the paper
      and Waffles draw a new one every iteration. The update melts the sheet early and
      unrolls it only if it refreezes; with a new start every iteration the swiss hole never
      refroze (|Spearman| 0.92, 0.93, 0.60 for seeds 0-2), with one start it unrolls (1.000
      for each), presumably because every point then leans on the same already-adjusted
      neighbours in every iteration.
    - **Alignment on neighbour differences.** The kept axes are the leading principal axes
      of the differences ``x_j - x_i`` between neighbours (the average tangent directions),
      not of the points: the paper's PCA squeezes the smallest *global* variance, which on
      scikit-learn's swiss roll is the roll's height (measured, this did about as well on
      rolls and worse on holes).
    - Junk parts of squared neighbour distances below ``JUNK_TOLERANCE`` (1e-9) of them are
      rounding noise and count as zero, so an exactly flat layout is not squeezed and stays
      exact.
    - Points the directed neighbour graph does not reach from the start are adjusted last
      (Waffles, the authors' library, leaves them unadjusted).
    - **Details from Waffles** that the paper leaves open: only the ``n_components`` kept
      axes are stored explicitly (the others enter through stored squared lengths and dot
      products, exact because they only shrink by a common factor); the step starts at
      ``delta_ave``, is multiplied per point by a random factor in [0.6, 1), and after each
      iteration by 0.87 if the points made fewer moves than there are points, else by 1/0.91;
      at most 30 hill-climbing rounds per point; the kept coordinates are re-centred every 20
      iterations; the junk dimensions are zeroed below a scale of 0.001.
    - The final embedding is rotated onto its own principal axes (an isometry: no distance or
      angle changes), so the first coordinate follows the manifold's longest direction.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the embedding (at most the number of features).
    n_neighbors : int, default=20
        Neighbours per point (fewer than the number of samples). 16 to 28 unroll
        scikit-learn's swiss roll and swiss hole of 2,000 points for seeds 0-2, where 12 can
        leave them folded; at 1,000 points 20 fails for one seed in three
        (docs/analyses/sculpting.md measures how often it fails).
    sigma : float in (0, 1), default=0.99
        Factor by which the discarded dimensions shrink per iteration (the paper's 0.99).
    max_iter : int, default=1000
        Most iterations in all, burn-in included.
    patience : int, default=50
        After the burn-in, stop when the error has not improved for this many iterations.
    n_init : int, default=1
        Runs from the same neighbourhoods with different random breadth-first starts and
        steps; the embedding with the lowest final error is kept (as ``KMeans`` keeps the
        lowest inertia). A run that freezes folded ends with a much higher error than one
        that unrolls (80,000 against 8,000 on a 1,000-point roll;
        docs/analyses/sculpting.md), so a few runs make success likelier at that many times
        the cost. The first run is the one ``n_init=1`` makes.
    random_state : int, RandomState instance or None, default=0
        Seeds the breadth-first starting point, the step factors and the PCA; the same seed
        gives the same embedding.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
        The embedding of the training data.
    n_iter_ : int
        Iterations run.
    error_history_ : ndarray of shape (n_iter_,)
        Total error (the sum of ``e_i``) after each iteration.
    step_history_ : ndarray of shape (n_iter_,)
        The hill-climbing step of each iteration, in mean neighbour distances
        (``delta_ave``), before each point's random factor in [0.6, 1).
    settled_ : bool
        Whether the last step was at most ``SETTLED_STEP`` (0.2) mean neighbour distances.
        If not, the points were still moving that far every iteration when the sculpting
        stopped: the embedding is a snapshot of a layout that has not converged, and a
        ``ConvergenceWarning`` says so. Settled is not the same as right: a layout can
        freeze folded, with a much higher final error (compare ``error_history_[-1]`` over
        seeds, or use ``n_init``). On MNIST the layout does not settle
        (docs/analyses/sculpting.md).
    n_features_in_ : int
        Number of features seen in ``fit``.

    References
    ----------
    Gashler, M., Ventura, D. & Martinez, T. (2007). Iterative non-linear dimensionality
    reduction with Manifold Sculpting. *Advances in Neural Information Processing Systems 20*,
    513-520. Error: Eq. (1); algorithm: Fig. 2.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_neighbors": [Interval(Integral, 2, None, closed="left")],
        "sigma": [Interval(Real, 0, 1, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components: int = 2,
        *,
        n_neighbors: int = 20,
        sigma: float = 0.99,
        max_iter: int = 1000,
        patience: int = 50,
        n_init: int = 1,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.sigma = sigma
        self.max_iter = max_iter
        self.patience = patience
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: Any = None) -> ManifoldSculpting:
        """Embed ``X``; the embedding is in ``embedding_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points; at least ``n_neighbors + 1`` of them.
        y : ignored
            Present for scikit-learn's API.

        Returns
        -------
        ManifoldSculpting
            This estimator, fitted.
        """
        x = self._validated(X)
        rng = check_random_state(self.random_state)
        geometry = _geometry(x, self.n_neighbors, self.n_components, rng)
        runs = []
        for _ in range(self.n_init):  # each run goes on drawing from the same generator
            sculptor = _Sculptor(geometry, self.sigma, rng)
            runs.append((sculptor.run(self.max_iter, self.patience), sculptor))
        history, sculptor = min(runs, key=lambda run: run[0][-1])  # the first of equal ones
        self.embedding_ = _principal_axes(sculptor.coordinates)
        self.n_iter_ = len(history)
        self.error_history_ = np.asarray(history, dtype=np.float64)
        self.step_history_ = np.asarray(sculptor.steps, dtype=np.float64)
        self.settled_ = bool(self.step_history_[-1] <= SETTLED_STEP)
        self._n_features_out = self.n_components
        if not self.settled_:
            warnings.warn(_unsettled_message(self.n_iter_, self.step_history_[-1]),
                          ConvergenceWarning, stacklevel=2)  # fmt: skip
        return self

    def fit_transform(self, X: ArrayLike, y: Any = None) -> NDArray[np.float64]:
        """Embed ``X`` and return the embedding.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points; at least ``n_neighbors + 1`` of them.
        y : ignored
            Present for scikit-learn's API.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The embedding (``embedding_``).
        """
        return self.fit(X).embedding_

    def _validated(self, X: ArrayLike) -> NDArray[np.float64]:
        """``X`` as float64 after scikit-learn's checks, errors as our InputError."""
        try:
            self._validate_params()
            x = _validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        except InvalidParameterError as error:
            raise SculptingParameterError(str(error)) from None
        except ValueError as error:
            raise InputError(str(error)) from None
        n_samples, n_features = x.shape
        if self.n_components > n_features:
            raise InputError(
                f"n_components={self.n_components} must be at most the number of features "
                f"(n_features = {n_features})"
            )
        if self.n_neighbors >= n_samples:
            raise InputError(
                f"n_neighbors={self.n_neighbors} must be less than the number of samples "
                f"(n_samples = {n_samples})"
            )
        return x

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _unsettled_message(n_iter: int, step: float) -> str:
    """The warning for a sculpting that stopped before its layout settled."""
    return (
        f"Manifold Sculpting stopped after {n_iter} iterations with a hill-climbing step of "
        f"{step:.2f} mean neighbour distances (settled is at most {SETTLED_STEP}): the points "
        "were still moving that far each iteration, so the embedding is a snapshot of a "
        "layout that has not converged; another random_state, or n_init > 1, may settle it"
    )


@dataclass(frozen=True, eq=False)
class SculptingResult(ResultMixin):
    """A Manifold Sculpting embedding with its convergence record.

    Attributes
    ----------
    embedding : ndarray of shape (n, n_components)
        The embedding.
    n_iter : int
        Iterations run.
    error_history : ndarray of shape (n_iter,)
        Total error after each iteration.
    step_history : ndarray of shape (n_iter,)
        Hill-climbing step of each iteration, in mean neighbour distances.
    settled : bool
        Whether the layout settled (``ManifoldSculpting.settled_``).
    n_neighbors : int
        Neighbours per point used.
    sigma : float
        Shrink factor per iteration used.
    """

    embedding: NDArray[np.float64]
    n_iter: int
    error_history: NDArray[np.float64]
    step_history: NDArray[np.float64]
    settled: bool
    n_neighbors: int
    sigma: float


def manifold_sculpting(
    x: ArrayLike,
    n_components: int = 2,
    n_neighbors: int = 20,
    sigma: float = 0.99,
    max_iter: int = 1000,
    patience: int = 50,
    random_state: int = 0,
    n_init: int = 1,
) -> SculptingResult:
    """Embed ``x`` with :class:`ManifoldSculpting` and return a storable result.

    Parameters
    ----------
    x : array-like of shape (n, d)
        Points (e.g. latent codes or flattened images).
    n_components, n_neighbors, sigma, max_iter, patience, random_state, n_init
        As for :class:`ManifoldSculpting`.

    Returns
    -------
    SculptingResult
        The embedding, the number of iterations, the error and step of each, and whether
        the layout settled. An unsettled layout gives a ``ConvergenceWarning``.

    References
    ----------
    Gashler, Ventura & Martinez (2007), NIPS 20, 513-520.
    """
    estimator = ManifoldSculpting(
        n_components,
        n_neighbors=n_neighbors,
        sigma=sigma,
        max_iter=max_iter,
        patience=patience,
        n_init=n_init,
        random_state=random_state,
    ).fit(x)
    return SculptingResult(
        embedding=estimator.embedding_,
        n_iter=estimator.n_iter_,
        error_history=estimator.error_history_,
        step_history=estimator.step_history_,
        settled=estimator.settled_,
        n_neighbors=n_neighbors,
        sigma=float(sigma),
    )


def _geometry(x: NDArray[np.float64], k: int, d: int, rng: np.random.RandomState) -> _Geometry:
    """Neighbours, distances, most collinear neighbours-of-neighbours, and the PCA split."""
    centred = x - x.mean(axis=0)
    # A tree or brute-force BLAS search as scikit-learn sees fit; never an n x n matrix in
    # memory beyond scikit-learn's own chunking.
    distances, neighbors = NearestNeighbors(n_neighbors=k).fit(centred).kneighbors()
    colinear, slot, dots, cosines = _most_colinear(centred, neighbors, distances)
    kept = centred @ _tangent_axes(centred, neighbors, d, rng).T  # (n, d)
    kept_sq = _squared_distances(kept, neighbors)
    kept_dot = _dot_products(kept, neighbors, colinear)
    # Distances and dot products are invariant under the PCA rotation, so the junk part is
    # the full value minus the kept part. Where the data have no junk (a plane, rotated), the
    # subtraction leaves rounding noise of either sign; it counts as none, or the squeeze
    # would rescale the kept axes by 1/sigma (1 %) at the noise's whim and break an exact
    # layout.
    junk_sq = distances**2 - kept_sq
    junk_sq[junk_sq <= JUNK_TOLERANCE * distances**2] = 0.0
    return _Geometry(
        neighbors=neighbors,
        colinear=colinear,
        distances0=distances,
        angles0=np.arccos(cosines),
        mean_distance=float(distances.mean()),
        kept=kept,
        junk_sq=junk_sq,
        junk_dot=dots - kept_dot,
        junk_sq_colinear=np.take_along_axis(junk_sq[neighbors], slot[..., None], axis=2)[..., 0],
    )


def _tangent_axes(
    x: NDArray[np.float64], neighbors: NDArray[np.intp], d: int, rng: np.random.RandomState
) -> NDArray[np.float64]:
    """The ``d`` directions of largest variance of the neighbour differences ``x_j - x_i``.

    A departure from the paper's PCA of the points themselves: these are the directions in
    which the manifold extends locally, on average, so the squeezed directions are those in
    which it is locally thin. On scikit-learn's swiss roll the points' PCA would squeeze the
    roll's height (its smallest global variance) instead of a direction across the spiral.
    The differences are used with both signs, so their mean is zero; a random subset of at
    most ``CHUNK_VALUES`` values bounds the memory.
    """
    n, k = neighbors.shape
    pairs = min(n * k, max(d + 1, CHUNK_VALUES // x.shape[1]))
    flat = rng.choice(n * k, size=pairs, replace=False) if pairs < n * k else np.arange(n * k)
    diffs = x[flat // k] - x[neighbors.ravel()[flat]]
    seed = int(rng.randint(np.iinfo(np.int32).max))
    pca = PCA(n_components=d, random_state=seed).fit(np.vstack([diffs, -diffs]))
    return pca.components_


def _most_colinear(
    x: NDArray[np.float64], neighbors: NDArray[np.intp], distances: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """For each point i and neighbour j, the neighbour m of j with the angle i-j-m nearest pi.

    Returns ``colinear`` (the index m), ``slot`` (m's position among j's neighbours), the dot
    product ``(x_i - x_j).(x_m - x_j)`` and the cosine of the angle, each of shape (n, k).
    Works in chunks of points so the (chunk, k, k, d) difference array stays within
    ``CHUNK_VALUES`` floats.
    """
    n, k = neighbors.shape
    chunk = max(1, CHUNK_VALUES // (k * k * x.shape[1]))
    slot = np.empty((n, k), dtype=np.intp)
    dots = np.empty((n, k))
    cosines = np.empty((n, k))
    for first in range(0, n, chunk):
        rows = np.arange(first, min(first + chunk, n))
        j = neighbors[rows]  # (c, k)
        m = neighbors[j]  # (c, k, k)
        to_i = x[rows][:, None, :] - x[j]  # (c, k, D)
        to_m = x[m] - x[j][:, :, None, :]  # (c, k, k, D)
        dot = np.einsum("cad,cabd->cab", to_i, to_m)
        norms = distances[rows][:, :, None] * distances[j]
        cos = np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)
        cos[m == rows[:, None, None]] = np.inf  # m = i itself is no candidate
        best = np.argmin(cos, axis=2)
        slot[rows] = best
        dots[rows] = np.take_along_axis(dot, best[..., None], axis=2)[..., 0]
        cosines[rows] = np.clip(np.take_along_axis(cos, best[..., None], axis=2)[..., 0], -1, 1)
    colinear = np.take_along_axis(neighbors[neighbors], slot[..., None], axis=2)[..., 0]
    return colinear, slot, dots, cosines


def _squared_distances(
    coordinates: NDArray[np.float64], neighbors: NDArray[np.intp]
) -> NDArray[np.float64]:
    """``|c_i - c_j|^2`` for every point i and neighbour j, coordinates stored as (n, d)."""
    total = np.zeros(neighbors.shape)
    for axis in coordinates.T:
        total += (axis[:, None] - axis[neighbors]) ** 2
    return total


def _dot_products(
    coordinates: NDArray[np.float64], neighbors: NDArray[np.intp], colinear: NDArray[np.intp]
) -> NDArray[np.float64]:
    """``(c_i - c_j).(c_m - c_j)`` for every point i, neighbour j and its collinear m."""
    total = np.zeros(neighbors.shape)
    for axis in coordinates.T:
        vertex = axis[neighbors]
        total += (axis[:, None] - vertex) * (axis[colinear] - vertex)
    return total


def _principal_axes(embedding: NDArray[np.float64]) -> NDArray[np.float64]:
    """Centre the embedding and rotate it onto its principal axes (largest variance first)."""
    centred = embedding - embedding.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    # Fix each axis's sign so the largest coordinate is positive: deterministic output.
    rotated = centred @ vt.T
    signs = np.sign(rotated[np.argmax(np.abs(rotated), axis=0), np.arange(rotated.shape[1])])
    return np.ascontiguousarray(rotated * np.where(signs == 0, 1.0, signs))


class _Sculptor:
    """The iterative part: squeeze, restore the scale, one compiled hill-climbing pass."""

    def __init__(self, geometry: _Geometry, sigma: float, rng: np.random.RandomState) -> None:
        self.geometry = geometry
        self.sigma = sigma
        self.rng = rng
        self.coordinates = np.array(geometry.kept, order="C")  # (n, d), a copy updated in place
        self.scale = 1.0 if geometry.junk_sq.any() else 0.0
        self.learning_rate = geometry.mean_distance
        n, k = geometry.neighbors.shape
        self.graph = csr_matrix(
            (np.ones(n * k), geometry.neighbors.ravel(), np.arange(0, n * k + 1, k)),
            shape=(n, n),
        )
        self.distance_scale = 1.0 / max(2.0 * geometry.mean_distance, 1e-300)
        self.steps: list[float] = []  # each iteration's step, in mean neighbour distances
        # One breadth-first start for the whole run (a departure: the paper and Waffles draw
        # a new one each iteration; docs/analyses/sculpting.md measures why).
        self.order = self._breadth_first_order(int(rng.randint(n)))
        self.pairs = geometry.kernel_pairs()

    def run(self, max_iter: int, patience: int) -> list[float]:
        """Iterate until ``patience`` iterations without improvement after the burn-in."""
        history: list[float] = []
        best, since_best = np.inf, 0
        for iteration in range(max_iter):
            history.append(self.iterate(iteration))
            if self.scale > BURN_IN_SCALE:
                continue
            if history[-1] < best:
                best, since_best = history[-1], 0
            else:
                since_best += 1
                if since_best >= patience:
                    break
        return history

    def iterate(self, iteration: int) -> float:
        """One pass: squeeze the junk, restore the mean distance, adjust every point once."""
        from latentatlas.analysis._sculpting_kernel import sculpting_pass

        self._squeeze()
        n = len(self.coordinates)
        steps = self.learning_rate * self.rng.uniform(0.6, 1.0, size=n)
        self.steps.append(self.learning_rate / max(self.geometry.mean_distance, 1e-300))
        total_error, moves = sculpting_pass(
            self.coordinates, self.order, steps, self.pairs, self.scale * self.scale,
            ADJUSTED_WEIGHT, self.distance_scale, MAX_CLIMB_ROUNDS,
        )  # fmt: skip
        self.learning_rate *= RATE_SHRINK if moves < n else RATE_GROW
        if iteration % RECENTRE_EVERY == 0:
            self.coordinates -= self.coordinates.mean(axis=0)
        return float(total_error)

    def _squeeze(self) -> None:
        """Shrink the junk dimensions by sigma, then grow the kept ones to restore delta_ave."""
        if self.scale <= ZERO_SCALE:
            return
        self.scale *= self.sigma
        if self.scale <= ZERO_SCALE:
            self.scale = 0.0
        # The paper's loop (as in Waffles): grow by 1/sigma until the mean is back; bounded,
        # so that kept coordinates that have all become equal cannot make it spin forever.
        for _ in range(MAX_RESCALES):
            if self._mean_neighbor_distance() >= self.geometry.mean_distance:
                break
            self.coordinates /= self.sigma

    def _mean_neighbor_distance(self) -> float:
        g = self.geometry
        kept_sq = _squared_distances(self.coordinates, g.neighbors)
        return float(np.sqrt(kept_sq + self.scale**2 * g.junk_sq).mean())

    def _breadth_first_order(self, start: int) -> NDArray[np.intp]:
        """Breadth-first order over the directed neighbour graph; unreached points last."""
        n = len(self.coordinates)
        reached = breadth_first_order(self.graph, start, directed=True, return_predecessors=False)
        if len(reached) < n:
            missed = np.setdiff1d(np.arange(n), reached)
            reached = np.concatenate([reached, self.rng.permutation(missed)])
        return reached.astype(np.intp)
