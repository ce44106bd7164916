"""Tests for Manifold Sculpting: scikit-learn's estimator checks, determinism, quality, inputs."""

from __future__ import annotations

import json
import math
from collections import deque

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.datasets import make_swiss_roll
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.estimator_checks import parametrize_with_checks

from latentatlas.analysis.sculpting import (
    ManifoldSculpting,
    SculptingParameterError,
    SculptingResult,
    manifold_sculpting,
)
from latentatlas.errors import InputError


def _paper_roll(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The paper's swiss roll: t in [2, 10], x = t sin t, z = t cos t, height in [-6, 6]."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(2.0, 10.0, n)
    return np.c_[t * np.sin(t), rng.uniform(-6.0, 6.0, n), t * np.cos(t)], t


def _unrolling(embedding: np.ndarray, t: np.ndarray) -> float:
    """Largest |Spearman correlation| between an embedding coordinate and the roll angle."""
    return max(abs(spearmanr(embedding[:, c], t)[0]) for c in range(embedding.shape[1]))


# --- scikit-learn's conventions ------------------------------------------------------------


# Transductive like TSNE: no ``transform``, so the checks of transform on new data do not
# apply and are not run by scikit-learn either. None is skipped: all applicable checks pass.
@parametrize_with_checks([ManifoldSculpting(n_neighbors=4, max_iter=3, patience=1)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_same_seed_same_embedding_and_other_seed_differs():
    x, _ = _paper_roll(300, seed=1)
    first = ManifoldSculpting(n_neighbors=8, max_iter=40, random_state=3).fit_transform(x)
    again = ManifoldSculpting(n_neighbors=8, max_iter=40, random_state=3).fit_transform(x)
    other = ManifoldSculpting(n_neighbors=8, max_iter=40, random_state=4).fit_transform(x)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_attributes_after_fit():
    x, _ = _paper_roll(200, seed=2)
    estimator = ManifoldSculpting(n_neighbors=6, max_iter=25).fit(x)
    assert estimator.embedding_.shape == (200, 2)
    assert estimator.n_iter_ == 25  # burn-in (459 iterations at sigma 0.99) is not over
    assert estimator.error_history_.shape == (25,)
    assert np.all(estimator.error_history_ >= 0)
    assert estimator.n_features_in_ == 3


def test_stops_after_patience_once_burn_in_is_over():
    x, _ = _paper_roll(200, seed=3)
    estimator = ManifoldSculpting(n_neighbors=6, sigma=0.5, patience=5, max_iter=500).fit(x)
    # 0.5**7 < 0.01: burn-in ends after 7 iterations; then at least `patience` more.
    assert 7 + 5 <= estimator.n_iter_ < 500
    tail = estimator.error_history_[6:]
    best = int(np.argmin(tail))
    assert len(tail) - 1 - best >= 5


def test_flat_data_is_kept_isometric():
    """Points already in a plane: nothing to squeeze, neighbour distances are preserved."""
    rng = np.random.default_rng(0)
    plane = rng.uniform(0, 1, size=(300, 2)) * [20.0, 5.0]
    x = np.c_[plane, np.zeros(300)] @ np.linalg.qr(rng.normal(size=(3, 3)))[0]
    embedding = ManifoldSculpting(n_neighbors=8, max_iter=100).fit_transform(x)
    assert trustworthiness(x, embedding, n_neighbors=8) > 0.99
    assert abs(spearmanr(embedding[:, 0], plane[:, 0])[0]) > 0.99  # long side first


# --- quality on the swiss roll -------------------------------------------------------------


def test_unrolls_sklearn_swiss_roll():
    x, t = make_swiss_roll(1000, random_state=0)
    embedding = ManifoldSculpting(n_neighbors=12, random_state=0).fit_transform(x)
    assert _unrolling(embedding, t) > 0.9
    assert trustworthiness(x, embedding, n_neighbors=10) > 0.85


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="the issue's target (0.95 at 2,000 points) is not met yet: the hill climbing stays "
    "folded (diagnosis in docs/analyses/sculpting.md)",
)
@pytest.mark.parametrize("hole", [False, True])
def test_issue_target_on_2000_points(hole):
    x, t = make_swiss_roll(2000, random_state=0, hole=hole)
    embedding = ManifoldSculpting(n_neighbors=12, random_state=0).fit_transform(x)
    assert _unrolling(embedding, t) > 0.95


# --- agreement with a straightforward sequential implementation ----------------------------


def _reference_sculpting(x, k, sigma, iterations, seed):
    """The paper's algorithm one point at a time, in plain Python (slow; for small n).

    Same error, weights, PCA split, breadth-first order and step-size rule as the estimator
    (Gashler et al. 2007; Waffles' step rule), with each point hill-climbing to completion
    before the next one starts.
    """
    rng = np.random.default_rng(seed)
    n = len(x)
    distances, neighbors = NearestNeighbors(n_neighbors=k).fit(x).kneighbors()
    colinear, angles0 = np.empty((n, k), dtype=int), np.empty((n, k))
    for i in range(n):
        for a, j in enumerate(neighbors[i]):
            cosines = [_cosine(x[i] - x[j], x[m] - x[j]) if m != i else 2.0 for m in neighbors[j]]
            best = int(np.argmin(cosines))
            colinear[i, a], angles0[i, a] = neighbors[j, best], math.acos(cosines[best])
    mean_distance = distances.mean()
    # All axes of the neighbour differences, leading ones first (the estimator's alignment);
    # the junk dimensions are kept explicitly here.
    differences = (x[:, None] - x[neighbors]).reshape(-1, x.shape[1])
    axes = np.linalg.svd(np.vstack([differences, -differences]), full_matrices=False)[2]
    y = (x - x.mean(axis=0)) @ axes.T
    rate, scale = mean_distance, 1.0
    for _ in range(iterations):
        if scale > 0.001:
            scale *= sigma
            y[:, 2:] *= sigma
            while np.mean(np.linalg.norm(y[:, None] - y[neighbors], axis=2)) < mean_distance:
                y[:, :2] /= sigma
        done = np.zeros(n, dtype=bool)
        queue, moves = deque([int(rng.integers(n))]), 0
        while queue:
            i = queue.popleft()
            if done[i]:
                continue
            queue.extend(j for j in neighbors[i] if not done[j])
            moves += _climb(y, i, neighbors, colinear, distances, angles0, done, rate, rng)
            done[i] = True
        rate = rate * 0.87 if moves < n else rate / 0.91
    return y[:, :2]


def _cosine(u, v):
    norms = np.linalg.norm(u) * np.linalg.norm(v)
    return float(np.clip(u @ v / norms, -1, 1)) if norms > 0 else 0.0


def _point_error(y, i, neighbors, colinear, distances, angles0, done, delta_ave):
    error = 0.0
    for a, j in enumerate(neighbors[i]):
        u, v = y[i] - y[j], y[colinear[i, a]] - y[j]
        theta = math.acos(_cosine(u, v))
        weight = 10.0 if done[j] else 1.0
        error += weight * (
            ((np.linalg.norm(u) - distances[i, a]) / (2 * delta_ave)) ** 2
            + ((theta - angles0[i, a]) / math.pi) ** 2
        )
    return error


def _climb(y, i, neighbors, colinear, distances, angles0, done, rate, rng):
    delta_ave = distances.mean()
    step = rate * rng.uniform(0.6, 1.0)
    base = _point_error(y, i, neighbors, colinear, distances, angles0, done, delta_ave)
    for rounds in range(30):
        improved = False
        for axis in range(2):
            for move in (step, -step):
                y[i, axis] += move
                error = _point_error(y, i, neighbors, colinear, distances, angles0, done, delta_ave)
                if error < base:
                    base, improved = error, True
                    break
                y[i, axis] -= move
        if not improved:
            return rounds
    return 30


@pytest.mark.slow
def test_same_quality_as_sequential_reference():
    x, t = _paper_roll(250, seed=5)
    iterations = 120  # sigma 0.96: the junk is below 1 % after 113 iterations
    reference = _reference_sculpting(x, k=10, sigma=0.96, iterations=iterations, seed=0)
    fast = ManifoldSculpting(
        n_neighbors=10, sigma=0.96, max_iter=iterations, random_state=0
    ).fit_transform(x)
    ours = trustworthiness(x, fast, n_neighbors=10)
    theirs = trustworthiness(x, reference, n_neighbors=10)
    assert ours > theirs - 0.03
    assert _unrolling(fast, t) > _unrolling(reference, t) - 0.05


# --- inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_components": 0}, "n_components"),
        ({"n_neighbors": 1}, "n_neighbors"),
        ({"sigma": 1.0}, "sigma"),
        ({"sigma": 0}, "sigma"),
        ({"max_iter": 0}, "max_iter"),
        ({"patience": -1}, "patience"),
        ({"n_waves": 0}, "n_waves"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_bad_parameters_raise_input_error(options, message):
    x, _ = _paper_roll(50, seed=0)
    with pytest.raises(SculptingParameterError, match=message):
        ManifoldSculpting(**options).fit(x)
    assert issubclass(SculptingParameterError, InputError)


@pytest.mark.parametrize(
    ("x", "options", "message"),
    [
        ([*np.ones((20, 3)).tolist(), [np.nan, 0, 0]], {}, "NaN"),
        (np.ones((20, 3)), {"n_components": 4}, "n_components=4 must be at most"),
        (np.ones((10, 3)), {"n_neighbors": 10}, "n_neighbors=10 must be less than"),
        (np.ones((1, 3)), {}, "1 sample"),
        (np.ones(30), {}, "2D array"),
        ([["a", "b"], ["c", "d"]], {}, "convert"),
    ],
)
def test_bad_data_raise_input_error(x, options, message):
    with pytest.raises(InputError, match=message):
        ManifoldSculpting(**options).fit(x)


def test_duplicate_points_do_not_break_it():
    x, _ = _paper_roll(100, seed=0)
    x = np.vstack([x, x[:20]])
    embedding = ManifoldSculpting(n_neighbors=6, max_iter=30).fit_transform(x)
    assert np.isfinite(embedding).all()


# --- the storable result -------------------------------------------------------------------


def test_result_round_trip():
    x, _ = _paper_roll(120, seed=0)
    result = manifold_sculpting(x, n_neighbors=6, max_iter=10)
    assert isinstance(result, SculptingResult)
    again = SculptingResult.from_dict(json.loads(json.dumps(result.to_dict())))
    np.testing.assert_array_equal(again.embedding, result.embedding)
    np.testing.assert_array_equal(again.error_history, result.error_history)
    assert (again.n_iter, again.n_neighbors, again.sigma) == (10, 6, result.sigma)
