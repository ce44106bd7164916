"""Tests for plane views: counts like numpy.histogram2d, zoom windows, empty centres."""

from __future__ import annotations

import numpy as np
import pytest
from _results import round_trip

from latentatlas.analysis.pca import principal_axes
from latentatlas.analysis.planes import PlaneViewsResult, plane_views
from latentatlas.errors import InputError


def test_plane_views_count_like_histogram2d_and_zoom() -> None:
    rng = np.random.default_rng(4)
    codes = rng.normal(size=(5000, 4)) * np.array([3.0, 1.0, 0.5, 0.1])
    result = plane_views(
        codes, axes=(0, 1), basis="original", half_widths=(4.0, 1.0), bins=20, centre="origin"
    )
    expected = np.histogram2d(codes[:, 0], codes[:, 1], bins=20, range=[[-4, 4], [-4, 4]])[0]
    np.testing.assert_array_equal(result.views[0].counts, expected)
    assert result.views[0].n_inside == int(expected.sum())
    assert result.views[1].n_inside < result.views[0].n_inside
    pca_view = plane_views(codes, axes=(1, 0), half_widths=(4.0,), bins=20, centre="origin")
    uv = principal_axes(codes).transform(codes, 2)
    on_pcs = np.histogram2d(uv[:, 1], uv[:, 0], bins=20, range=[[-4, 4], [-4, 4]])[0]
    np.testing.assert_array_equal(pca_view.views[0].counts, on_pcs)
    default = plane_views(codes)
    assert len(default.views) == 5 and default.views[0].n_inside >= 0.99 * 5000
    again = round_trip(default)
    assert isinstance(again, PlaneViewsResult) and again.axes == (0, 1)
    np.testing.assert_array_equal(again.views[2].counts, default.views[2].counts)


def test_points_on_a_circle_leave_the_centre_empty() -> None:
    angle = np.random.default_rng(5).uniform(0, 2 * np.pi, 3000)
    ring = np.column_stack([np.cos(angle), np.sin(angle), np.zeros(3000)])
    view = plane_views(ring, basis="original", half_widths=(1.0, 0.5), bins=16, centre="origin")
    assert view.views[1].n_inside == 0 and view.views[1].empty_fraction == 1.0
    assert 0.3 < view.views[0].empty_fraction < 0.9


def test_bad_plane_options() -> None:
    codes = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(InputError, match="axis 3 is out of range"):
        plane_views(codes, axes=(0, 3))
    with pytest.raises(InputError, match="two distinct"):
        plane_views(codes, axes=(1, 1))
    with pytest.raises(InputError, match="basis must be"):
        plane_views(codes, basis="tsne")
    with pytest.raises(InputError, match="positive numbers"):
        plane_views(codes, half_widths=(1.0, -1.0))
    with pytest.raises(InputError, match="centre must be"):
        plane_views(codes, centre="mean")


def test_windows_follow_codes_far_from_the_origin() -> None:
    """The filaments report zoomed on 0 while a model's codes sat near (-2, -2): "0 points"."""
    rng = np.random.default_rng(6)
    blob = rng.normal(size=(4000, 3)) * 0.05 + np.array([-2.0, -2.0, 0.0])
    halo = rng.normal(size=(1000, 3)) * 0.6 + np.array([-2.0, -1.2, 0.0])
    codes = np.concatenate([blob, halo])
    result = plane_views(codes, basis="original", bins=32)
    for view in result.views:
        assert view.n_inside > 0.5 * len(blob), view.half_width
        assert (
            abs(view.centre[0] + 2) < view.half_width and abs(view.centre[1] + 2) < view.half_width
        )
        window = [[c - view.half_width, c + view.half_width] for c in view.centre]
        expected = np.histogram2d(codes[:, 0], codes[:, 1], bins=32, range=window)[0]
        assert np.abs(view.counts - expected).sum() <= 0.001 * len(codes)  # edges round alike
    for outer, inner in zip(result.views[:-1], result.views[1:], strict=True):
        offset = np.abs(np.subtract(inner.centre, outer.centre))
        assert np.all(offset + inner.half_width <= outer.half_width * (1 + 1e-9))  # nested
    assert result.views[0].centre == pytest.approx(tuple(np.median(codes[:, :2], axis=0)))
    on_origin = plane_views(codes, basis="original", bins=32, centre="origin")
    assert on_origin.views[-1].n_inside == 0  # what the report showed before


def test_zooms_on_a_thin_line_are_centred_on_it() -> None:
    """Many squares hold all of a thin line; the zoom must sit on it, not with it on an edge."""
    rng = np.random.default_rng(7)
    line = np.column_stack([rng.uniform(-2, 2, 3000), rng.normal(size=3000) * 0.002])
    result = plane_views(np.column_stack([line, np.zeros(3000)]), basis="original", bins=32)
    for view in result.views:
        assert abs(view.centre[1]) < 0.1 * view.half_width, view.half_width
