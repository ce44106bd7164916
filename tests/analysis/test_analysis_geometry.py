"""Tests for factor views, the convex hull, its occupancy and perturbations near it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _results import round_trip
from scipy.spatial import ConvexHull

from latentatlas.analysis.geometry import (
    FactorViewsResult,
    HullPerturbationResult,
    HullResult,
    factor_columns,
    factor_views,
    hull,
    hull_perturbations,
    perturb_points,
    uniform_in_hull,
)
from latentatlas.data import load
from latentatlas.errors import InputError
from latentatlas.models import build, encode_array

CUBE = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
SIMPLEX = np.vstack([np.zeros(3), np.eye(3)])


def _synthetic_factors(n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    codes = rng.uniform(-1.0, 1.0, size=(n, 3))
    factors = np.column_stack([
        2.0 * codes[:, 0] + 1.0,  # linear in z1
        np.sin(4.0 * codes[:, 1]),  # smooth but not monotone in z2
        rng.normal(size=n),  # not encoded at all
    ])  # fmt: skip
    return codes, factors, ("linear", "wavy", "noise")


def test_factor_columns_adds_the_variance_difference_only_when_both_exist():
    factors = np.array([[1.0, 3.0, 0.5], [2.0, 1.0, -0.5]])
    columns = factor_columns(factors, ("var_x", "var_y", "corr"))
    assert list(columns) == ["var_x", "var_y", "corr", "var_x - var_y"]
    np.testing.assert_array_equal(columns["var_x - var_y"], [-2.0, 1.0])
    assert list(factor_columns(factors, ("a", "b", "c"))) == ["a", "b", "c"]


def test_factor_views_separates_linear_curved_and_absent_factors():
    codes, factors, names = _synthetic_factors()
    result = factor_views(codes, factors, names, random_state=0)
    assert result.axis_pairs == ((0, 1), (0, 2), (1, 2))
    assert result.r2["linear"] > 0.99 and result.linear_r2["linear"] > 0.999
    assert result.r2["wavy"] > 0.93 and result.linear_r2["wavy"] < 0.2
    assert result.r2["noise"] < 0.05
    np.testing.assert_allclose(result.directions["linear"], [1.0, 0.0, 0.0], atol=1e-6)
    assert result.aligned_axis == {"linear": 0, "wavy": 1, "noise": result.aligned_axis["noise"]}
    assert result.n_train + result.n_test == len(codes)


def test_factor_views_is_deterministic_and_round_trips():
    codes, factors, names = _synthetic_factors(600, seed=1)
    first = factor_views(codes, factors, names, regressor="boosting", random_state=3)
    second = factor_views(codes, factors, names, regressor="boosting", random_state=3)
    assert first.r2 == second.r2
    back = round_trip(first)
    assert isinstance(back, FactorViewsResult)
    assert back.r2 == first.r2 and back.axis_pairs == first.axis_pairs
    for name in names:
        np.testing.assert_allclose(back.directions[name], first.directions[name])


def test_hull_of_a_cube_and_of_a_simplex_has_their_volumes():
    interior = np.random.default_rng(0).uniform(0.1, 0.9, size=(50, 3))
    cube = hull(np.vstack([interior, CUBE]), n_samples=2000)
    assert cube.volume == pytest.approx(1.0) and cube.area == pytest.approx(6.0)
    np.testing.assert_array_equal(cube.vertices, np.arange(50, 58))
    simplex = hull(SIMPLEX, n_samples=2000)
    assert simplex.volume == pytest.approx(1.0 / 6.0)
    assert simplex.area == pytest.approx(1.5 + np.sqrt(3.0) / 2.0)


def test_uniform_in_hull_is_inside_and_uniform():
    points = uniform_in_hull(SIMPLEX, 20_000, random_state=0)
    assert np.all(points >= -1e-12) and np.all(points.sum(axis=1) <= 1.0 + 1e-12)
    # In the unit simplex, P(x1 + x2 + x3 <= 1/2) = (1/2)^3.
    share = np.mean(points.sum(axis=1) <= 0.5)
    assert share == pytest.approx(0.125, abs=4 * np.sqrt(0.125 * 0.875 / 20_000))
    cube = uniform_in_hull(CUBE, 20_000, random_state=1)
    np.testing.assert_allclose(cube.mean(axis=0), 0.5, atol=0.01)


def test_occupied_fraction_of_a_half_filled_cube():
    axis = np.arange(0.0, 0.5001, 0.05)
    half = np.array(list(itertools.product(axis, np.arange(0.0, 1.0001, 0.05), repeat=1)))
    grid = np.array([[x, y, z] for x, y in half for z in np.arange(0.0, 1.0001, 0.05)])
    result = hull(np.vstack([grid, CUBE]), radius=0.05, n_samples=20_000, random_state=0)
    # every point with x <= 0.5 is within sqrt(3) * 0.025 < 0.05 of a grid code; x > 0.55 is not
    assert 0.5 < result.occupied_fraction < 0.56
    p = result.occupied_fraction
    assert result.occupied_se == pytest.approx(np.sqrt(p * (1 - p) / 20_000))
    assert result.radius == 0.05


def test_default_radius_scales_with_the_cloud_and_results_round_trip():
    codes = np.random.default_rng(2).normal(size=(400, 3))
    small, large = hull(codes, n_samples=3000), hull(10.0 * codes, n_samples=3000)
    assert large.radius == pytest.approx(10.0 * small.radius)
    assert large.occupied_fraction == pytest.approx(small.occupied_fraction)
    assert small.radius == pytest.approx(2.0 * small.median_neighbour_distance)
    assert hull(codes, n_samples=3000).occupied_fraction == small.occupied_fraction
    back = round_trip(small)
    assert isinstance(back, HullResult) and back.volume == small.volume
    np.testing.assert_array_equal(back.vertices, small.vertices)


def test_hull_volume_agrees_with_scipy_in_two_dimensions():
    codes = np.random.default_rng(3).normal(size=(100, 2))
    assert hull(codes, n_samples=100).volume == pytest.approx(ConvexHull(codes).volume)


def test_perturbations_of_a_linear_decoder_move_images_by_the_step_length():
    data = load("heatmaps", subsample=300)
    model = build("pca", data.input_shape, 3)
    model.fit_closed_form(data.x)
    codes = encode_array(model, data.x).astype(np.float64)
    shape = hull(codes, n_samples=1000)
    result = hull_perturbations(model, codes, shape, n_points=6, n_perturbations=4, random_state=5)
    assert result.image_change.shape == (6, 4) and result.example_images.shape == (4, 5, 1, 36, 36)
    assert set(result.base_indices) <= set(shape.vertices.tolist())
    assert result.scale == shape.radius
    # PCA decodes z to z @ W + mean with orthonormal W: a step d moves pixels by ||d|| in total.
    moved = perturb_points(codes[result.base_indices], 4, shape.radius, random_state=5)
    step = np.linalg.norm(moved - codes[result.base_indices][:, None], axis=2)
    np.testing.assert_allclose(result.image_change, step / 36.0, rtol=1e-3)
    back = round_trip(result)
    assert isinstance(back, HullPerturbationResult)
    np.testing.assert_allclose(back.image_change, result.image_change)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: factor_columns(np.zeros((3, 2)), ("a",)), "factor_names must be 2"),
        (lambda: factor_views(np.zeros((5, 2)), np.zeros((4, 1)), ("a",)), "rows"),
        (lambda: factor_views(np.zeros((5, 2)), np.zeros((5, 1)), ("a",)), "too few"),
        (lambda: factor_views(*_synthetic_factors(50), regressor="svm"), "regressor must"),
        (lambda: hull(np.zeros((5, 1))), "2 to 6 dimensions"),
        (lambda: hull(np.zeros((20, 7))), "2 to 6 dimensions"),
        (lambda: hull(np.column_stack([np.eye(4, 2), np.zeros(4)])), "no full-dimensional"),
        (lambda: hull(SIMPLEX, radius=-1.0), "radius must"),
        (lambda: hull(SIMPLEX, n_samples=0), "n_samples"),
        (lambda: hull(np.vstack([SIMPLEX, SIMPLEX])), "pass radius"),
        (lambda: perturb_points(SIMPLEX, 2, scale=0.0), "scale must"),
    ],
)
def test_bad_inputs_raise_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()
