"""Tests for metric-vs-option plots, per-seed strips and loss histories."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from latentatlas.errors import InputError
from latentatlas.plots import history_plot, loss_series, metric_strip, metric_vs_option


def _offsets(ax) -> np.ndarray:
    """Positions of the scatter dots (error bars are line collections, left out)."""
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    return np.concatenate([np.asarray(c.get_offsets()) for c in dots])


def test_metric_vs_option_numeric_axis_with_every_seed_drawn():
    values = {"ae": [[0.4, 0.5, 0.6], [0.2, 0.3]], "pca": [[0.45], []]}
    fig = metric_vs_option([2, 10], values, "latent dimension", "silhouette", "sweep")
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "sweep",
        "latent dimension",
        "silhouette",
    )
    assert sorted(_offsets(ax)[:, 1]) == sorted([0.4, 0.5, 0.6, 0.2, 0.3, 0.45])
    mean_line = ax.get_lines()[0]
    np.testing.assert_allclose(mean_line.get_ydata(), [0.5, 0.25])
    assert abs(mean_line.get_xdata()[1] - mean_line.get_xdata()[0] - 8) < 1e-9  # numeric spacing
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "10"]


def test_metric_vs_option_categorical_axis():
    fig = metric_vs_option(
        ["tanh", "relu"], {"ae": [[0.5, 0.6], [0.3, 0.2]]}, "activation", "s", "t"
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["tanh", "relu"]
    assert ax.get_lines()[0].get_linestyle() == "None"  # no trend line between categories


def test_metric_vs_option_length_check():
    with pytest.raises(InputError, match="has 1 entries for 2 option values"):
        metric_vs_option([2, 3], {"ae": [[0.1]]}, "d", "s", "t")


def test_metric_strip_dots_per_seed_and_reference_line():
    values = {"pca": [0.47], "ae": [0.3, 0.5, 0.4]}
    fig = metric_strip(values, "silhouette", "by model", reference=0.11, reference_label="pixels")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_ylabel()) == ("by model", "silhouette")
    assert ax.get_xlabel()
    assert sorted(_offsets(ax)[:, 1]) == [0.3, 0.4, 0.47, 0.5]
    references = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [tuple(line.get_ydata()) for line in references] == [(0.11, 0.11)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["pixels"]


def test_history_plot_accepts_every_layout_and_uses_log_scale():
    per_epoch = {"epochs": [{"epoch": i, "validation_loss": 1.0 / (i + 1)} for i in range(4)]}
    lists = {"train_loss": [3.0, 2.0], "validation_loss": [2.5, 1.5, 1.0]}
    fig = history_plot({"pca": [], "ae": [per_epoch, lists]}, title="losses")
    ax = fig.axes[0]
    assert fig.get_suptitle() == "losses"
    assert ax.get_xlabel() == "epoch" and "log scale" in ax.get_ylabel()
    assert ax.get_yscale() == "log"
    assert sorted(len(line.get_ydata()) for line in ax.get_lines()) == [3, 4]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["ae"]


def test_history_plot_without_any_history_and_with_non_positive_losses():
    fig = history_plot({"pca": []})
    assert "no training history" in [t.get_text() for t in fig.axes[0].texts]
    fig = history_plot({"vae": [{"validation_loss": [1.0, -0.5]}]})
    assert fig.axes[0].get_yscale() == "linear"


def test_loss_series_layouts():
    assert list(loss_series({"validation_loss": [1, 2]}, "validation_loss")) == [1.0, 2.0]
    epochs = [{"validation_loss": 1.0}, {"train_loss": 2.0}]
    np.testing.assert_array_equal(loss_series(epochs, "validation_loss"), [1.0, np.nan])
    assert loss_series({"epochs": epochs}, "missing").size == 0
