"""Tests for the latent-geometry figures: projections, 3-d views, paths and error histograms."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.analysis.paths import describe_path, line_path
from latentatlas.analysis.reconstruction import error_distribution
from latentatlas.errors import InputError
from latentatlas.plots.geometry import (
    error_histograms,
    latent_3d_figure,
    latent_pairs_figure,
    off_data_decodes_figure,
    offmanifold_figure,
    path_factors_figure,
    path_figure,
    perturbations_figure,
    worst_reconstructions_figure,
)


class _FixedReader:
    """Stands in for a FactorReader: reads (mean pixel, first pixel) off an image."""

    factor_names = ("mean", "first")
    factor_min, factor_max = (0.0, 0.0), (1.0, 1.0)

    def predict(self, images):
        flat = np.asarray(images).reshape(len(images), -1)
        return np.column_stack([flat.mean(axis=1), flat[:, 0]])


@pytest.fixture
def codes():
    return np.random.default_rng(0).normal(size=(300, 3))


@pytest.fixture
def decoding(codes):
    path = line_path(codes[0], codes[1], n_points=8)
    images = np.linspace(0.0, 1.0, 8)[:, None, None, None] * np.ones((8, 1, 5, 5))
    return describe_path(path, images, codes, _FixedReader())


def test_latent_pairs_has_a_row_per_colouring_and_equal_axes(codes):
    colourings = {"a": codes[:, 0], "b": codes[:, 1] - codes[:, 2]}
    fig = latent_pairs_figure(codes, colourings, title="pairs")
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 6 and len(fig.axes) == 8  # 2 rows x 3 pairs + 2 colour bars
    assert [ax.get_xlabel() for ax in panels[:3]] == ["z1", "z1", "z2"]
    assert [ax.get_ylabel() for ax in panels[:3]] == ["z2", "z3", "z3"]
    assert all(ax.get_aspect() == 1.0 for ax in panels)
    assert fig.get_suptitle() == "pairs"


def test_latent_3d_has_a_menu_entry_per_colouring_and_draws_paths(codes):
    paths = {"line": line_path(codes[0], codes[1], 5)}
    fig = latent_3d_figure(codes, {"a": codes[:, 0], "b": codes[:, 1]}, "3d", paths=paths,
                           show_hull=True, max_points=100)  # fmt: skip
    assert [trace.type for trace in fig.data] == ["scatter3d", "scatter3d", "scatter3d", "mesh3d"]
    assert [trace.visible for trace in fig.data[:2]] == [True, False]
    assert len(fig.data[0].x) == 100 and len(fig.data[2].x) == 5
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["a", "b"]
    assert list(buttons[1].args[0]["visible"]) == [False, True, True, True]
    assert fig.layout.scene.aspectmode == "data"
    assert "plotly" in fig.to_html(include_plotlyjs=False, full_html=False)


def test_path_figure_shows_the_strip_with_distances_and_readings(codes, decoding):
    fig = path_figure(codes, decoding, "a path", axes=(0, 2), colour=codes[:, 1], colour_name="c",
                      n_images=4)  # fmt: skip
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 4
    assert images[0].get_title().startswith("1: d=0")
    assert "mean=0" in images[0].get_title() and "mean=1" in images[-1].get_title()
    latent = fig.axes[0]
    assert (latent.get_xlabel(), latent.get_ylabel()) == ("z1", "z3")
    np.testing.assert_allclose(latent.lines[0].get_xydata(), decoding.points[:, [0, 2]])


def test_path_figure_projects_on_the_two_axes_the_path_moves_along_by_default(codes):
    path = line_path([0.0, 0.0, 0.0], [0.1, 0.0, 2.0], n_points=5)
    decoding = describe_path(path, np.zeros((5, 1, 3, 3)), codes)
    latent = path_figure(codes, decoding, "a path").axes[0]
    assert (latent.get_xlabel(), latent.get_ylabel()) == ("z1", "z3")


def test_hull_image_grids_title_each_column():
    images = np.random.default_rng(0).random((3, 1, 4, 4))
    fig = off_data_decodes_figure(images, np.array([0.5, 1.25, 2.0]), "empty")
    assert [ax.get_title() for ax in fig.axes] == ["0.50", "1.25", "2.00"]
    moved = perturbations_figure(np.stack([images, images]), "moves")
    assert [ax.get_title() for ax in moved.axes[:3]] == ["hull code", "moved 1", "moved 2"]
    assert len(moved.axes) == 6


def test_path_profiles_draw_one_line_per_path_and_panel_per_factor(decoding):
    fig = offmanifold_figure({"one": decoding, "two": decoding}, "distances")
    assert len(fig.axes[0].lines) == 2
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), decoding.offmanifold)
    factors = path_factors_figure(decoding, "readings")
    assert len(factors.axes) == 2
    assert factors.axes[0].get_title() == "mean (sweeps 100% of its range)"


def test_error_histograms_share_bins_and_mark_medians():
    errors = {"AE": np.array([1.0, 2.0, 3.0]), "VAE": np.array([2.0, 4.0, 6.0, 8.0])}
    fig = error_histograms(errors, "errors", bins=10, colors={"AE": "#000000", "VAE": "#0072B2"})
    ax = fig.axes[0]
    assert len(ax.patches) == 2
    assert [line.get_xdata()[0] for line in ax.lines] == [2.0, 5.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "AE (median 2)",
        "VAE (median 5)",
    ]


def test_worst_reconstructions_grid_has_two_rows():
    originals = np.zeros((6, 1, 4, 4), dtype=np.float32)
    result = error_distribution(originals, originals + np.arange(6)[:, None, None, None] / 10, 3)
    fig = worst_reconstructions_figure(result)
    assert len(fig.axes) == 6
    assert fig.axes[0].get_title() == "#5: 2"
    assert [fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()] == ["original", "reconstruction"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c, d: latent_pairs_figure(c[:, :1], {"a": c[:, 0]}, "t"), "at least 2"),
        (lambda c, d: latent_pairs_figure(c, {"a": c[:5, 0]}, "t"), r"expected \(300,\)"),
        (lambda c, d: latent_3d_figure(c[:, :2], {"a": c[:, 0]}, "t"), "d 3"),
        (lambda c, d: latent_3d_figure(c, {}, "t"), "colourings is empty"),
        (lambda c, d: path_figure(c[:, :2], d, "t"), "latent axes"),
        (lambda c, d: offmanifold_figure({}, "t"), "decodings is empty"),
        (lambda c, d: off_data_decodes_figure(np.zeros((2, 4)), np.zeros(3), "t"), "one entry"),
        (lambda c, d: perturbations_figure(np.zeros((2, 4)), "t"), r"shape \(e, 1 \+ p"),
        (lambda c, d: error_histograms({"a": np.array([np.nan])}, "t"), "finite"),
    ],
)
def test_bad_inputs_raise_input_error(codes, decoding, call, message):
    with pytest.raises(InputError, match=message):
        call(codes, decoding)
