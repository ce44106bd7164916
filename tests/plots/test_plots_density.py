"""Tests for the filaments figures: panels, titles, reference lines, density images, grids."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from latentatlas.analysis.decoding import DecodeSample, RandomDecodesResult
from latentatlas.analysis.density import axis_density, filament_score, radius_density
from latentatlas.analysis.maps import EmbeddingResult
from latentatlas.analysis.pca import pca_spectrum
from latentatlas.analysis.planes import plane_views
from latentatlas.errors import InputError
from latentatlas.plots.density import (
    axis_density_plot,
    decode_grid,
    embedding_plot,
    intrinsic_dimension_plot,
    pca_spectrum_plot,
    plane_views_plot,
    radius_density_plot,
)


@pytest.fixture(scope="module")
def codes():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3000, 40))
    z[:, 5] += 4.0
    return z


def _embedding(n: int) -> EmbeddingResult:
    points = np.random.default_rng(1).normal(size=(n, 2)).astype(np.float32)
    return EmbeddingResult(points, "tsne", None, None, 30.0, 12.0, 400, None, 0, 0.8, 10, n)


def test_axis_density_plot_colours_the_dominant_axes(codes) -> None:
    result = axis_density(codes)
    fig = axis_density_plot(result)
    every, alone = fig.axes
    assert isinstance(fig, Figure) and alone.get_title() == "dominant axes"
    assert len(every.lines) == 40 and [line.get_label() for line in alone.lines] == ["axis 5"]
    assert f"bins of {result.bin_width:g}" in every.get_xlabel()
    assert "bins of 0.25" in axis_density_plot(axis_density(codes, 0.25)).axes[0].get_xlabel()


def test_radius_plot_draws_the_expected_peak(codes) -> None:
    result = radius_density(codes)
    fig = radius_density_plot(result)
    assert len(fig.axes) == 2
    lines = [line.get_xdata()[0] for line in fig.axes[0].lines]
    assert result.expected_peak in lines and result.unit_gaussian_peak in lines


def test_spectrum_and_plane_views_plots(codes) -> None:
    fig = pca_spectrum_plot(pca_spectrum(codes), max_components=20)
    assert len(fig.axes[0].patches) == 20
    views = plane_views(codes, half_widths=(4.0, 1.0, 0.25), bins=32)
    fig = plane_views_plot(views)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 3 and images[2].get_title().startswith("half-width 0.25")
    assert images[0].get_xlabel() == "PC1" and images[0].get_aspect() == 1.0


def test_embedding_plot_scatter_by_label_and_density_for_many_points() -> None:
    small = _embedding(500)
    labels = np.repeat([0, 1], 250)
    fig = embedding_plot(small, labels, ["a", "b"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    assert "80% of 10-NN kept" in ax.get_title() and ax.get_aspect() == 1.0
    big = embedding_plot(_embedding(30_000))
    assert len(big.axes[0].images) == 1 and not big.axes[0].collections
    with pytest.raises(InputError, match="labels has 3 entries"):
        embedding_plot(small, np.zeros(3))


def test_intrinsic_dimension_plot(codes) -> None:
    result = filament_score(codes[:, :6], n_queries=300, planes=((0, 1), (2, 3)))
    fig = intrinsic_dimension_plot(result)
    hist, voids = fig.axes
    assert len(hist.get_legend().get_texts()) == 2
    assert len(voids.lines) == 4  # codes and Gaussian for each of two planes


def test_decode_grid_has_a_row_per_source() -> None:
    def sample(source: str) -> DecodeSample:
        shown = np.full((5, 1, 8, 8), 128, dtype=np.uint8)
        flags = np.array([True, False, True, True])
        return DecodeSample(
            source, np.zeros(4), np.zeros(4, np.int64), np.zeros(4), flags, 0.75, 1.0, shown
        )

    result = RandomDecodesResult((sample("prior"), sample("fitted")), 0.1, 0.01, 1.0, 2.0)
    fig = decode_grid(result, n_columns=4)
    assert len(fig.axes) == 8
    assert fig.axes[0].get_ylabel() == "N(0, I)\n75% meaningful"
    assert fig.axes[4].get_ylabel().startswith("fitted Gaussian")


def test_a_wide_axis_is_drawn_on_proportionally_wider_bins() -> None:
    """On the typical axis's bins a four times wider axis zig-zagged with sampling noise."""
    from latentatlas.plots.density import axis_curve

    rng = np.random.default_rng(3)
    codes = rng.normal(size=(3000, 16)) * 0.1
    codes[:, 2] *= 4.0
    result = axis_density(codes)
    x_typical, typical = axis_curve(result, 0)
    x_wide, wide = axis_curve(result, 2)
    assert len(x_typical) == len(result.counts[0])  # the shared bins themselves
    assert len(x_wide) == -(-len(result.counts[2]) // 4)  # merged four at a time
    for x, density in ((x_typical, typical), (x_wide, wide)):
        np.testing.assert_allclose(density.sum() * (x[1] - x[0]), 1.0)
    # smoother: the wide curve's steps are small against its peak, as a Gaussian's are
    assert np.abs(np.diff(wide)).max() < 0.35 * wide.max()
    fig = axis_density_plot(result)
    assert len(fig.axes[1].lines[0].get_xdata()) == len(x_wide)  # axis 2, the dominant one
