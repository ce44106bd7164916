"""Tests for latent scatter grids: titles, labels, equal axes, subsampling, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from latentatlas.errors import InputError
from latentatlas.plots import class_colors, latent_scatter_grid


def _visible_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def test_one_panel_per_seed_with_titles_labels_and_equal_aspect():
    rng = np.random.default_rng(0)
    labels = np.repeat([1, 2], 20)
    codes = [rng.normal(size=(40, 2)) for _ in range(3)]
    fig = latent_scatter_grid(codes, labels, {1: "one", 2: "two"}, "codes", seed_names=list("abc"))
    axes = _visible_axes(fig)
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() == "codes"
    assert [ax.get_title() for ax in axes] == ["a", "b", "c"]
    for ax in axes:
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("z1", "z2")
        assert ax.get_aspect() == 1.0
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts == ["one", "two"]


def test_points_coloured_by_class_with_the_palette():
    labels = np.array([0, 0, 1, 1, 1])
    codes = np.arange(10, dtype=float).reshape(5, 2)
    fig = latent_scatter_grid([codes], labels, None, "t", max_points=100)
    collection = fig.axes[0].collections[0]
    offsets = np.asarray(collection.get_offsets())
    colors = [to_hex(c) for c in collection.get_facecolors()]
    palette = class_colors(2)
    for (x, _), color in zip(offsets, colors, strict=True):
        row = int(x) // 2
        assert color == palette[labels[row]].lower()


def test_subsample_is_seeded_and_same_for_every_seed():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 500)
    code = rng.normal(size=(500, 2))
    first = latent_scatter_grid([code, code], labels, None, "t", max_points=50, random_state=3)
    again = latent_scatter_grid([code], labels, None, "t", max_points=50, random_state=3)
    panels = [np.asarray(ax.collections[0].get_offsets()) for ax in first.axes[:2]]
    assert len(panels[0]) == 50
    np.testing.assert_array_equal(panels[0], panels[1])
    np.testing.assert_array_equal(panels[0], np.asarray(again.axes[0].collections[0].get_offsets()))


def test_wraps_after_five_panels_and_names_higher_dimensions():
    codes = [np.random.default_rng(i).normal(size=(10, 4)) for i in range(7)]
    fig = latent_scatter_grid(codes, np.zeros(10, dtype=int), ["zero"], "t")
    axes = _visible_axes(fig)
    assert len(axes) == 7
    assert axes[5].get_position().y0 < axes[0].get_position().y0  # second row
    assert "of 4" in axes[0].get_xlabel() and axes[0].get_xlabel().startswith("z1")


def test_one_dimensional_codes_and_no_labels():
    fig = latent_scatter_grid([np.linspace(0, 1, 8)], None, None, "1-d")
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("z1") and "jitter" in ax.get_ylabel()
    assert not fig.legends


def test_mismatched_lengths_raise_input_error():
    with pytest.raises(InputError, match="labels has 3 entries"):
        latent_scatter_grid([np.zeros((4, 2))], np.zeros(3, dtype=int), None, "t")
    with pytest.raises(InputError, match=r"codes_by_seed\[1\] has 2 rows"):
        latent_scatter_grid([np.zeros((4, 2)), np.zeros((2, 2))], None, None, "t")


def test_marked_points_get_rings_and_overlay_draws_every_seed():
    from latentatlas.plots import latent_overlay, latent_scatter_grid

    rng = np.random.default_rng(0)
    codes = [rng.normal(size=(30, 2)) for _ in range(2)]
    labels = np.arange(30) % 2
    marked = [np.arange(30) < 3, np.zeros(30, dtype=bool)]
    fig = latent_scatter_grid(codes, labels, None, title="t", marked=marked, marked_label="odd")
    first = fig.axes[0]
    assert len(first.collections) == 2  # the points, then the rings of the 3 marked ones
    assert first.collections[1].get_offsets().shape == (3, 2)
    assert len(fig.axes[1].collections) == 1  # nothing marked: no rings
    overlay = latent_overlay(codes, labels, {0: "a", 1: "b"}, title="o")
    assert len(overlay.axes[0].collections) == 2  # one scatter per seed
    with pytest.raises(InputError, match="marked has 1 masks for 2 panels"):
        latent_scatter_grid(codes, labels, None, title="t", marked=marked[:1])


@pytest.mark.parametrize("n_seeds", [1, 3])
def test_legend_and_a_long_title_neither_overlap_nor_leave_the_figure(n_seeds):
    """The digit-pairs figure printed the legend's title "class" over a long suptitle."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 200)
    title = "Variational autoencoder: validation codes (digits 1/2, 2-d, relu), every seed drawn"
    fig = latent_scatter_grid(
        [rng.normal(size=(200, 2)) for _ in range(n_seeds)],
        labels,
        None,
        title,
        marked=[np.zeros(200, dtype=bool)] * n_seeds,
        marked_label="reconstructed as the other digit",
    )
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    suptitle = fig._suptitle.get_window_extent(renderer)
    assert not legend.overlaps(suptitle)
    assert fig.get_suptitle().replace("\n", " ") == title
    for box in (legend, suptitle):
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    for ax in _visible_axes(fig):
        assert not ax.get_window_extent(renderer).overlaps(legend)
