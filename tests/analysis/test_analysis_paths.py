"""Tests for latent path makers, off-manifold distances, decode_path and monotonicity_of.

The ``heatmaps`` and ``reader`` fixtures come from conftest.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import spearmanr

from latentatlas.analysis.factor_reader import fit_factor_reader
from latentatlas.analysis.paths import (
    PathDecoding,
    arc_path,
    axis_path,
    binned_spline_path,
    bounding_plane_paths,
    decode_path,
    describe_path,
    direction_path,
    empty_space_path,
    isovariance_path,
    line_path,
    monotonicity_of,
    off_manifold_distance,
    path_arrays,
    path_from_arrays,
    path_length,
    random_direction_monotonicity,
)
from latentatlas.data.heatmaps import render_heatmaps
from latentatlas.errors import InputError
from latentatlas.models import build, encode_array, reconstruct_array


@pytest.fixture(scope="module")
def pca_model(heatmaps):
    model = build("pca", heatmaps.input_shape, 3)
    model.fit_closed_form(heatmaps.x)
    return model


def test_line_path_has_its_endpoints_count_and_length():
    start, end = np.array([0.0, 1.0, 2.0]), np.array([3.0, 5.0, 2.0])
    path = line_path(start, end, n_points=7)
    assert path.shape == (7, 3)
    np.testing.assert_array_equal(path[0], start)
    np.testing.assert_array_equal(path[-1], end)
    assert path_length(path) == pytest.approx(5.0)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((end - start) / 6, (6, 1)))


def test_axis_path_moves_only_along_its_axis_between_quantiles():
    codes = np.random.default_rng(0).normal(size=(500, 3))
    path = axis_path(codes, axis=1, n_points=5, through=[1.0, 0.0, -2.0], quantiles=(0.1, 0.9))
    np.testing.assert_array_equal(path[:, 0], 1.0)
    np.testing.assert_array_equal(path[:, 2], -2.0)
    np.testing.assert_allclose(path[[0, -1], 1], np.quantile(codes[:, 1], [0.1, 0.9]))
    default = axis_path(codes, axis=0)
    np.testing.assert_allclose(default[0, 1:], np.median(codes, axis=0)[1:])


def test_direction_path_is_the_axis_path_on_an_axis_and_spans_any_direction():
    codes = np.random.default_rng(0).normal(size=(500, 3)) * [1.0, 2.0, 0.5]
    np.testing.assert_allclose(direction_path(codes, [0.0, 3.0, 0.0], 7), axis_path(codes, 1, 7))
    direction = np.array([1.0, 1.0, -1.0]) / np.sqrt(3.0)
    path = direction_path(codes, 5 * direction, 9, quantiles=(0.05, 0.95))
    steps = np.diff(path, axis=0)
    np.testing.assert_allclose(steps / np.linalg.norm(steps, axis=1)[:, None], [direction] * 8)
    np.testing.assert_allclose(
        path[[0, -1]] @ direction, np.quantile(codes @ direction, [0.05, 0.95])
    )
    centre = np.median(codes, axis=0)  # the line passes through the median code
    offset = centre - path[0]
    np.testing.assert_allclose(offset - (offset @ direction) * direction, 0.0, atol=1e-12)
    with pytest.raises(InputError, match="non-zero"):
        direction_path(codes, [0.0, 0.0, 0.0])


def _decoding(readings: np.ndarray, span: dict[str, float]) -> PathDecoding:
    points = np.column_stack([np.linspace(0.0, 1.0, len(readings)), np.zeros((len(readings), 2))])
    return PathDecoding(
        points=points,
        images=np.zeros((len(readings), 1, 4, 4), np.float32),
        offmanifold=np.zeros(len(readings)),
        max_offmanifold=0.0,
        mean_offmanifold=0.0,
        length=1.0,
        factor_names=("var_x", "corr", "dof"),
        factors=readings,
        factor_span=span,
    )


def test_monotonicity_is_spearman_of_a_factor_the_path_changes() -> None:
    steps = np.linspace(0.0, 1.0, 9)
    wobble = np.array([0.0, 0.3, -0.2, 0.1, 0.4, -0.1, 0.2, 0.0, 0.3]) * 1e-3
    readings = np.column_stack([np.sin(np.pi * steps), steps**3, steps])
    continuous = frozenset({"var_x", "corr"})
    span = {"var_x": 1.0, "corr": 1.0, "dof": 1.0}
    assert monotonicity_of(_decoding(readings, span), continuous) == (1.0, "corr")
    # A factor read as a tiny wobble is not "changed", however monotone its ranks.
    flat = np.column_stack([1.0 + steps * 1e-4, wobble, steps])
    assert monotonicity_of(
        _decoding(flat, {"var_x": 1e-4, "corr": 1e-3, "dof": 1.0}), continuous
    ) == (0.0, "none")
    # Readings clipped at a factor's floor tie; float noise must not break the ties.
    falling = np.r_[np.linspace(3.0, 0.2, 11), np.full(5, 0.1)]
    noise = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 53, 9, 9]) * 1e-17
    tied = np.column_stack([falling, falling, np.linspace(0, 1, 16)])
    noisy = tied + np.column_stack([noise, -noise, np.zeros(16)])
    span16 = {"var_x": 1.0, "corr": 1.0, "dof": 1.0}
    exact = monotonicity_of(_decoding(tied, span16), continuous)
    assert exact[0] == pytest.approx(abs(spearmanr(np.arange(16), falling).statistic))
    assert monotonicity_of(_decoding(noisy, span16), continuous) == exact
    # (without the tie rule the noise would have decided: |rho| of the noisy readings differs)
    assert abs(spearmanr(np.arange(16), noisy[:, 0]).statistic) != pytest.approx(exact[0])
    # Up then down symmetrically: no rank correlation with the position.
    hump = np.column_stack([np.abs(steps - 0.5), np.abs(steps - 0.5), steps])
    rho, name = monotonicity_of(_decoding(hump, span), continuous)
    assert rho == pytest.approx(0.0, abs=1e-12) and name == "none"


def test_stored_paths_round_trip() -> None:
    decoding = _decoding(np.ones((5, 3)), {"var_x": 0.0, "corr": 0.5, "dof": 0.25})
    arrays = path_arrays("m/paths/p", decoding)
    back = path_from_arrays(arrays, "m/paths/p")
    assert back.to_dict() == decoding.to_dict()


def test_arc_path_stays_on_its_circle_and_has_the_arc_length():
    centre = np.array([1.0, -1.0, 2.0])
    path = arc_path(centre, radius=2.0, axes=(0, 2), angles=(0.0, np.pi / 2), n_points=400)
    np.testing.assert_allclose(np.linalg.norm(path - centre, axis=1), 2.0)
    np.testing.assert_array_equal(path[:, 1], -1.0)  # the other axis is untouched
    np.testing.assert_allclose(path[0], [3.0, -1.0, 2.0])
    np.testing.assert_allclose(path[-1], [1.0, -1.0, 4.0], atol=1e-12)
    assert path_length(path) == pytest.approx(2.0 * np.pi / 2, rel=1e-5)


def test_binned_spline_follows_a_known_curve():
    rng = np.random.default_rng(1)
    t = rng.uniform(-2.0, 2.0, 3000)
    codes = np.column_stack([np.sin(t), 0.5 * t**2, t]) + rng.normal(0, 0.05, (3000, 3))
    path = binned_spline_path(codes, along=2, n_points=30, n_bins=15)
    assert path.shape == (30, 3)
    assert np.all(np.diff(path[:, 2]) > 0)
    np.testing.assert_allclose(path[:, 0], np.sin(path[:, 2]), atol=0.08)
    np.testing.assert_allclose(path[:, 1], 0.5 * path[:, 2] ** 2, atol=0.12)


def test_isovariance_path_runs_along_corr_where_variances_agree():
    rng = np.random.default_rng(2)
    var_x, var_y = rng.choice(np.arange(0.1, 5.0, 0.2), (2, 4000))
    corr = rng.uniform(-0.95, 0.95, 4000)
    # axis 0 encodes var_x - var_y, axis 2 encodes corr, axis 1 is a nuisance
    codes = np.column_stack([var_x - var_y, rng.normal(size=4000), 3.0 * corr])
    factors = np.column_stack([var_x, var_y, corr])
    path = isovariance_path(codes, factors, ("var_x", "var_y", "corr"), n_points=9)
    assert np.all(np.diff(path[:, 2]) > 0)  # along the corr axis
    assert path[-1, 2] - path[0, 2] > 4.0  # sweeps most of corr's range 3 * (-0.95, 0.95)
    np.testing.assert_allclose(path[:, 0], 0.0, atol=0.1)  # the isovariance strip


def test_bounding_planes_follow_the_edges_of_a_box():
    rng = np.random.default_rng(3)
    inside = np.column_stack([rng.normal(size=300), rng.uniform(0, 4, 300), rng.uniform(0, 1, 300)])
    corners = np.array([[5.0, 0.0, 0.0], [6.0, 4.0, 0.0], [7.0, 0.0, 1.0], [8.0, 4.0, 1.0]])
    codes = np.vstack([inside, corners])
    paths = bounding_plane_paths(codes, axes=(1, 2), n_points=6)
    np.testing.assert_allclose(paths["upper"][[0, -1]], corners[[2, 3]])
    np.testing.assert_allclose(paths["lower"][[0, -1]], corners[[0, 1]])
    np.testing.assert_allclose(paths["upper"][:, 2], 1.0)


def test_empty_space_path_crosses_the_gap_between_two_clouds():
    rng = np.random.default_rng(4)
    left = rng.normal(size=(200, 3)) * 0.3
    right = rng.normal(size=(200, 3)) * 0.3 + [10.0, 0.0, 0.0]
    codes = np.vstack([left, right])
    path = empty_space_path(codes, n_points=21)
    assert off_manifold_distance(path[[0, -1]], codes) == pytest.approx([0.0, 0.0])
    assert {path[0, 0] < 5.0, path[-1, 0] < 5.0} == {True, False}  # one end in each cloud
    assert off_manifold_distance(path, codes).max() > 3.5


def test_off_manifold_distance_is_zero_on_codes_and_matches_brute_force():
    rng = np.random.default_rng(5)
    codes, points = rng.normal(size=(300, 3)), rng.normal(size=(40, 3)) * 2
    np.testing.assert_array_equal(off_manifold_distance(codes, codes), 0.0)
    brute = np.linalg.norm(points[:, None] - codes[None], axis=2).min(axis=1)
    np.testing.assert_allclose(off_manifold_distance(points, codes), brute)


def test_a_path_that_rotates_the_ellipse_changes_corr_and_not_the_variances(reader, heatmaps):
    corr = np.linspace(-0.9, 0.8, 10)
    images = render_heatmaps(np.full(10, 1.5), np.full(10, 1.5), corr)
    path = np.column_stack([corr, np.zeros(10)])
    codes = np.random.default_rng(7).normal(size=(50, 2))
    result = describe_path(path, images, codes, reader)
    assert result.factor_span["corr"] > 0.8
    assert result.factor_span["var_x"] < 0.15 and result.factor_span["var_y"] < 0.15
    np.testing.assert_allclose(result.factors[:, 2], corr, atol=0.15)


def test_decode_path_is_on_manifold_at_data_codes_and_round_trips(pca_model, heatmaps, reader):
    codes = encode_array(pca_model, heatmaps.x)
    path = line_path(codes[0], codes[1], n_points=5)
    result = decode_path(pca_model, path, codes, reader)
    assert result.images.shape == (5, 1, 36, 36)
    assert result.offmanifold[0] == pytest.approx(0.0, abs=1e-5)
    assert result.offmanifold[-1] == pytest.approx(0.0, abs=1e-5)
    assert result.max_offmanifold == pytest.approx(result.offmanifold.max())
    assert result.length == pytest.approx(np.linalg.norm(codes[1] - codes[0]), rel=1e-5)
    reconstructed = reconstruct_array(pca_model, heatmaps.x[:2])
    np.testing.assert_allclose(result.images[[0, -1]], reconstructed, atol=1e-5)
    back = PathDecoding.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    np.testing.assert_allclose(back.images, result.images)
    np.testing.assert_allclose(back.factors, result.factors)
    assert back.factor_span == result.factor_span and back.factor_names == result.factor_names


def test_describe_path_without_reader_round_trips():
    path = line_path([0.0, 0.0], [1.0, 0.0], 3)
    result = describe_path(path, np.zeros((3, 1, 2, 2)), path)
    np.testing.assert_array_equal(result.offmanifold, 0.0)
    back = PathDecoding.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.factors is None and back.factor_span == {} and back.factor_names == ()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: line_path([0, 0], [1, 1], n_points=1), "n_points"),
        (lambda: line_path([0, 0], [1, 1, 1]), "end has 3 coordinates"),
        (lambda: axis_path(np.zeros((5, 2)), axis=2), "not a latent axis"),
        (lambda: axis_path(np.ones((5, 2)), axis=0, quantiles=(0.9, 0.1)), "quantiles"),
        (lambda: arc_path([0, 0, 0], 1.0, axes=(1, 1)), "two different"),
        (lambda: arc_path([0, 0, 0], -1.0), "radius"),
        (lambda: binned_spline_path(np.zeros((3, 2)), 0, n_bins=5), "n_bins=5"),
        (lambda: binned_spline_path(np.zeros((30, 2)), 0), "distinct values"),
        (lambda: isovariance_path(np.zeros((4, 2)), np.zeros((4, 2)), ("a", "b")), "lack"),
        (lambda: off_manifold_distance(np.zeros((2, 3)), np.zeros((4, 2))), "points must"),
        (lambda: describe_path(np.zeros((3, 2)), np.zeros((2, 4)), np.zeros((3, 2))), "images"),
    ],
)
def test_bad_inputs_raise_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_reader_and_decode_refuse_mismatched_inputs(reader, pca_model):
    with pytest.raises(InputError, match="values per sample"):
        reader.predict(np.zeros((2, 1, 6, 6)))
    with pytest.raises(InputError, match="kind must be"):
        fit_factor_reader(np.zeros((20, 4)), np.zeros((20, 1)), ("a",), kind="forest")
    with pytest.raises(InputError, match="latent_dim"):
        decode_path(pca_model, np.zeros((3, 2)), np.zeros((5, 2)))


def test_random_direction_monotonicity_is_the_mean_over_seeded_random_lines(
    heatmaps, reader, pca_model
):
    codes = encode_array(pca_model, heatmaps.x).astype(np.float64)
    value = random_direction_monotonicity(pca_model, codes, reader, n_directions=3, n_points=8,
                                          random_state=4)  # fmt: skip
    directions = np.random.default_rng(4).standard_normal((3, 3))
    lines = [decode_path(pca_model, direction_path(codes, d, 8), codes, reader) for d in directions]
    assert value == pytest.approx(np.mean([monotonicity_of(line)[0] for line in lines]))
    assert 0.0 <= value <= 1.0
    assert value == random_direction_monotonicity(pca_model, codes, reader, None, 3, 8, 4)
    with pytest.raises(InputError, match="n_directions"):
        random_direction_monotonicity(pca_model, codes, reader, n_directions=0)
