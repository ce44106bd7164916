"""Tests for the disentanglement figures: traversal grids, effect heat map, importance matrix."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from latentatlas.analysis.disentanglement import dci
from latentatlas.analysis.traversal import TraversalEffectsResult, TraversalResult
from latentatlas.plots.disentanglement import (
    effect_heatmap,
    importance_matrix_plot,
    traversal_grid,
    traversal_grids,
    traversal_mosaic,
)


def _traversal(n_inputs=2, n_dims=3, n_values=4):
    images = np.zeros((n_inputs, n_dims, n_values, 1, 4, 4), dtype=np.float32)
    images[1] += 0.5
    return TraversalResult(
        images=images,
        codes=np.zeros((n_inputs, n_dims)),
        dims=tuple(range(n_dims)),
        values=np.linspace(-1, 1, n_values),
        scale=np.ones(n_dims),
        mode="absolute",
    )


def _labels(ticks):
    return [t.get_text() for t in ticks]


def test_traversal_grid_has_one_row_per_dim_and_one_column_per_value():
    fig = traversal_grid(_traversal(), input_index=1)
    [ax] = fig.axes
    assert _labels(ax.get_yticklabels()) == ["z[0]", "z[1]", "z[2]"]
    assert _labels(ax.get_xticklabels()) == ["-1", "-0.33", "0.33", "1"]
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (3 * 5 - 1, 4 * 5 - 1)  # 4 x 4 images, 1-pixel gutters
    assert float(mosaic[:4, :4].mean()) == pytest.approx(0.5)  # input 1, z[0], first value
    assert not ax.texts  # "input N" only under side-by-side blocks
    assert "input 1" in fig.get_suptitle()
    with pytest.raises(ValueError, match="outside"):
        traversal_grid(_traversal(), input_index=5)


def test_traversal_grids_put_inputs_side_by_side():
    fig = traversal_grids(_traversal(), [0, 1])
    [ax] = fig.axes
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (14, (2 * 5 - 1) * 5 - 1)
    assert float(mosaic[:4, :4].mean()) == pytest.approx(0.0)  # input 0
    assert float(mosaic[:4, 25:29].mean()) == pytest.approx(0.5)  # input 1, after a blank column
    assert np.all(mosaic[:, 19:25] == 1.0)  # the spacer
    assert _labels(ax.get_xticklabels()) == 2 * ["-1", "-0.33", "0.33", "1"]
    assert ax.get_xticks()[4] == pytest.approx(26.5)  # over the centre of its column
    assert [t.get_text() for t in ax.texts] == ["input 0", "input 1"]
    with pytest.raises(ValueError, match="empty"):
        traversal_grids(_traversal(), [])


def _numbered(n_inputs, n_dims, n_values, channels, side=3):
    """Images whose every pixel says where it belongs: input, dim, value (and channel)."""
    i, k, j, c = np.meshgrid(
        np.arange(n_inputs), np.arange(n_dims), np.arange(n_values), np.arange(channels),
        indexing="ij",
    )  # fmt: skip
    code = (100 * i + 10 * k + j) / 1000 + c / 10_000
    images = np.broadcast_to(code[..., None, None], (*code.shape, side, side))
    return TraversalResult(
        images=images.astype(np.float32),
        codes=np.zeros((n_inputs, n_dims)),
        dims=tuple(range(n_dims)),
        values=np.linspace(-1, 1, n_values),
        scale=np.ones(n_dims),
        mode="absolute",
    )


@pytest.mark.parametrize("channels", [1, 3])
def test_the_mosaic_puts_each_image_in_its_block_row_and_column(channels):
    result = _numbered(n_inputs=3, n_dims=2, n_values=4, channels=channels)
    mosaic = traversal_mosaic(result, [2, 0])  # in the given order, any subset
    assert mosaic.dtype == np.float32
    assert mosaic.shape == (2 * 4 - 1, (2 * 5 - 1) * 4 - 1, *((3,) if channels == 3 else ()))
    for block, index in enumerate([2, 0]):
        for k in range(2):
            for j in range(4):
                top, left = 4 * k, block * 5 * 4 + 4 * j
                cell = mosaic[top : top + 3, left : left + 3]
                expected = (100 * index + 10 * k + j) / 1000 + np.arange(channels) / 10_000
                np.testing.assert_allclose(cell, np.broadcast_to(expected.squeeze(), cell.shape))
    assert np.all(mosaic[3] == 1.0) and np.all(mosaic[:, 3] == 1.0)  # gutters
    assert np.all(mosaic[:, 15:20] == 1.0)  # the blank column between the blocks
    assert np.all(mosaic[:, 19] == 1.0) and not np.any(mosaic[:3, 20] == 1.0)


def test_the_mosaic_clips_rgb_and_refuses_bad_indices():
    result = _numbered(n_inputs=1, n_dims=1, n_values=2, channels=3)
    bright = dataclasses.replace(result, images=result.images + 2.0)
    assert traversal_mosaic(bright, [0]).max() == 1.0  # as to_display shows RGB
    with pytest.raises(ValueError, match=r"outside 0\.\.0"):
        traversal_mosaic(result, [0, 1])


def test_a_big_grid_is_one_image_on_one_axes():
    result = _numbered(n_inputs=3, n_dims=10, n_values=11, channels=3, side=8)
    fig = traversal_grids(result, [0, 1, 2])
    [ax] = fig.axes
    assert len(ax.images) == 1
    np.testing.assert_array_equal(ax.images[0].get_array(), traversal_mosaic(result, [0, 1, 2]))
    assert len(ax.get_xticks()) == 33 and len(ax.get_yticks()) == 10
    assert [t.get_text() for t in ax.texts] == ["input 0", "input 1", "input 2"]


def test_effect_heatmap_labels_dims_with_their_class():
    effects = TraversalEffectsResult(
        effect=np.array([[1.0, 0.0], [0.8, 0.0]]),
        mean_effect=np.array([0.9, 0.0]),
        consistency=np.array([1.0, 0.0]),
        mean_change=np.zeros((2, 1, 2, 2)),
        classification=("consistent", "inactive"),
        consistent_dims=1,
        dims=(0, 1),
        values=np.linspace(-3, 3, 10),
        mode="absolute",
        inactive_fraction=0.1,
        consistency_threshold=0.5,
        min_effect=1e-6,
    )
    fig = effect_heatmap(effects)
    ax = fig.axes[0]
    assert "1 consistent" in ax.get_title()
    assert [t.get_text().split("\n")[1] for t in ax.get_xticklabels()] == ["cons", "inac"]
    assert ax.get_ylabel() == "input"
    np.testing.assert_allclose(ax.images[0].get_array(), effects.effect)


def test_importance_matrix_plot_shows_r_and_scores():
    rng = np.random.default_rng(0)
    factors = rng.integers(0, 3, size=(200, 2)).astype(float)
    result = dci(factors + 0.01 * rng.normal(size=factors.shape), factors, n_train=120, n_test=80)
    fig = importance_matrix_plot(result, ["shape", "size"])
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), result.importance)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["shape", "size"]
    assert "D " in ax.get_title() and "I " in ax.get_title()
    with pytest.raises(ValueError, match="factor_names has 1"):
        importance_matrix_plot(result, ["shape"])
