"""Tests for the disentanglement figures: traversal grids, effect heat map, importance matrix."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.analysis.disentanglement import dci
from latentatlas.analysis.traversal import TraversalEffectsResult, TraversalResult
from latentatlas.plots.disentanglement import (
    effect_heatmap,
    importance_matrix_plot,
    traversal_grid,
    traversal_grids,
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


def test_traversal_grid_has_one_row_per_dim_and_one_column_per_value():
    fig = traversal_grid(_traversal(), input_index=1)
    assert len(fig.axes) == 3 * 4
    assert fig.axes[0].get_ylabel() == "z[0]"
    assert fig.axes[4].get_ylabel() == "z[1]"
    assert float(fig.axes[0].images[0].get_array().mean()) == pytest.approx(0.5)
    assert "input 1" in fig.get_suptitle()
    with pytest.raises(ValueError, match="outside"):
        traversal_grid(_traversal(), input_index=5)


def test_traversal_grids_put_inputs_side_by_side():
    fig = traversal_grids(_traversal(), [0, 1])
    assert len(fig.axes) == 3 * (4 + 1 + 4)
    assert float(fig.axes[0].images[0].get_array().mean()) == pytest.approx(0.0)
    assert float(fig.axes[5].images[0].get_array().mean()) == pytest.approx(0.5)
    assert not fig.axes[4].images  # the spacer column


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
