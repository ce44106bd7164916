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
    result = plane_views(codes, axes=(0, 1), basis="original", half_widths=(4.0, 1.0), bins=20)
    expected = np.histogram2d(codes[:, 0], codes[:, 1], bins=20, range=[[-4, 4], [-4, 4]])[0]
    np.testing.assert_array_equal(result.views[0].counts, expected)
    assert result.views[0].n_inside == int(expected.sum())
    assert result.views[1].n_inside < result.views[0].n_inside
    pca_view = plane_views(codes, axes=(1, 0), half_widths=(4.0,), bins=20)
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
    view = plane_views(ring, basis="original", half_widths=(1.0, 0.5), bins=16)
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
