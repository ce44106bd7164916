"""Tests for silhouette plots, confusion plots and pair heat maps."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from latentatlas.errors import InputError
from latentatlas.plots import confusion_plot, pair_heatmap, silhouette_grid, silhouette_plot


def _polygons(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _dashed_vertical_x(ax) -> list[float]:
    return [
        float(line.get_xdata()[0])
        for line in ax.get_lines()
        if line.get_linestyle() == "--" and np.ptp(line.get_xdata()) == 0
    ]


def test_silhouette_plot_one_filled_block_per_class_and_the_mean_line():
    samples = np.array([0.9, 0.2, -0.1, 0.5, 0.4, 0.7])
    labels = np.array([3, 3, 3, 5, 5, 8])  # 8 is a singleton class
    fig = silhouette_plot(samples, labels, 0.42, {3: "three", 5: "five", 8: "eight"}, title="s")
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert ax.get_title() == "s"
    assert ax.get_xlabel() == "silhouette coefficient s(i)"
    assert ax.get_ylabel() == "samples, sorted within class"
    assert len(_polygons(ax)) == 3
    assert _dashed_vertical_x(ax) == [0.42]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["three\n(n=3)", "five\n(n=2)", "eight\n(n=1)"]
    assert ax.get_xlim()[1] == 1.0 and ax.get_xlim()[0] <= -0.2


def test_silhouette_blocks_are_sorted_descending_from_the_top():
    samples = np.array([0.1, 0.8, 0.5])
    fig = silhouette_plot(samples, np.zeros(3, dtype=int), 0.47)
    ax = fig.axes[0]
    vertices = _polygons(ax)[0].get_paths()[0].vertices
    tips = np.unique(vertices[vertices[:, 0] != 0.0], axis=0)  # the ends of the bars
    tips = tips[np.argsort(tips[:, 1])]
    assert list(tips[:, 0]) == [0.8, 0.5, 0.1]  # increasing y, shown top-down
    assert ax.yaxis_inverted()


def test_silhouette_plot_extends_left_for_very_negative_values():
    fig = silhouette_plot(np.array([-0.7, 0.3]), np.array([0, 1]), -0.2)
    assert fig.axes[0].get_xlim()[0] <= -0.7


def test_silhouette_grid_side_by_side_with_titles():
    rng = np.random.default_rng(0)
    labels = np.repeat([1, 2], 10)
    samples = [rng.uniform(-0.2, 0.9, 20) for _ in range(2)]
    fig = silhouette_grid(samples, labels, [0.3, 0.4], title="grid", seed_names=["a", "b"])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert fig.get_suptitle() == "grid"
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    assert [_dashed_vertical_x(ax) for ax in axes] == [[0.3], [0.4]]
    assert axes[0].get_xlim() == axes[1].get_xlim()


def test_silhouette_inputs_checked():
    with pytest.raises(InputError, match="samples has 2 values but labels has 3"):
        silhouette_plot(np.zeros(2), np.zeros(3, dtype=int), 0.0)
    with pytest.raises(InputError, match="means has 1 values for 2 seeds"):
        silhouette_grid([np.zeros(2), np.zeros(2)], np.zeros(2, dtype=int), [0.0])


def test_confusion_plot_annotates_counts_and_row_percentages():
    confusion = np.array([[90, 10], [0, 0]])
    fig = confusion_plot(confusion, ["1", "2"], "labels back")
    ax = fig.axes[0]
    assert ax.get_title() == "labels back"
    assert ax.get_ylabel() == "true class (original)"
    assert ax.get_xlabel() == "class given to the reconstruction"
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["90\n(90.0%)", "10\n(10.0%)", "0\n(—)", "0\n(—)"]
    assert fig.axes[1].get_ylabel() == "fraction of the true class"  # colour bar


def test_confusion_plot_counts_scale_and_shape_check():
    fig = confusion_plot(np.array([[3, 1], [2, 4]]), ["a", "b"], "t", normalise=False)
    assert fig.axes[1].get_ylabel() == "count"
    with pytest.raises(InputError, match=r"expected \(3, 3\)"):
        confusion_plot(np.eye(2), ["a", "b", "c"], "t")


def test_pair_heatmap_annotates_finite_cells_and_leaves_nan_blank():
    matrix = np.full((3, 3), np.nan)
    matrix[0, 1] = matrix[1, 0] = 0.456
    matrix[0, 2] = matrix[2, 0] = -0.1
    fig = pair_heatmap(matrix, "pairs", value_label="silhouette", digits=["a", "b", "c"])
    ax = fig.axes[0]
    assert ax.get_title() == "pairs"
    assert ax.get_xlabel() and ax.get_ylabel()
    assert sorted(t.get_text() for t in ax.texts) == sorted(["0.46", "0.46", "-0.10", "-0.10"])
    image = ax.images[0].get_array()
    assert image.mask[0, 0] and not image.mask[0, 1]
    assert fig.axes[1].get_ylabel() == "silhouette"


def test_pair_heatmap_default_digits_and_all_nan():
    fig = pair_heatmap(np.full((10, 10), np.nan), "empty")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list("0123456789")
    assert len(ax.texts) == 0


def test_pair_heatmap_from_a_mapping_of_pairs_fills_both_cells():
    fig = pair_heatmap({(0, 2): 0.25, (1, 2): 0.5}, "pairs", digits=["a", "b", "c"])
    image = fig.axes[0].images[0].get_array()
    assert image[0, 2] == image[2, 0] == 0.25 and image[1, 2] == image[2, 1] == 0.5
    assert image.mask[0, 1] and image.mask[1, 1]
