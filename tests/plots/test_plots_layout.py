"""Figures combined into one image: side by side where they fit, stacked where they do not."""

from __future__ import annotations

import io

import matplotlib.image
import matplotlib.pyplot as plt
import pytest

from latentatlas.plots.layout import GAP_PIXELS, combine_figures
from latentatlas.plots.style import REPORT_DPI


def _figure(width: float, height: float = 2.0):
    figure = plt.figure(figsize=(width, height))
    figure.add_subplot().plot([0, 1], [0, 1])
    return figure


def _shape(png: bytes) -> tuple[int, int]:
    return matplotlib.image.imread(io.BytesIO(png), format="png").shape[:2]


def test_one_figure_comes_back_as_it_is():
    figure = _figure(4.0)
    assert combine_figures([figure]) is figure
    plt.close(figure)


@pytest.mark.parametrize(("width", "side_by_side"), [(4.0, True), (6.0, False)])
def test_figures_sit_side_by_side_only_within_the_row(width, side_by_side):
    figures = [_figure(width), _figure(width, 3.0)]
    height, wide = _shape(combine_figures(figures))
    one = width * REPORT_DPI  # each figure's width in pixels, give or take the tight box
    if side_by_side:
        assert wide > 1.8 * one and height < 3.2 * REPORT_DPI  # the taller one sets the height
    else:
        assert wide < 1.2 * one and height > 4.8 * REPORT_DPI + GAP_PIXELS
    for figure in figures:
        plt.close(figure)
