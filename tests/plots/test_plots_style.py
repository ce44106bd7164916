"""Tests for the palette and style helpers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from latentatlas.plots import OKABE_ITO, apply_style, class_colors, style_context
from latentatlas.plots.style import RC_PARAMS, display_names


def test_class_colors_distinct_for_small_and_large_counts():
    assert class_colors(2) == list(OKABE_ITO[:2])
    for n in (8, 10, 14):
        colors = class_colors(n)
        assert len(colors) == n == len(set(colors))
    with pytest.raises(ValueError):
        class_colors(-1)


def test_display_names_from_mapping_sequence_or_numbers():
    assert display_names([1, 2], {1: "one"}) == ["one", "2"]
    assert display_names([0, 1], ("zero", "one")) == ["zero", "one"]
    assert display_names([4], None) == ["4"]


def test_style_context_is_local_and_apply_style_global():
    before = plt.rcParams["axes.titlesize"]
    with style_context():
        assert plt.rcParams["axes.titlesize"] == RC_PARAMS["axes.titlesize"]
    assert plt.rcParams["axes.titlesize"] == before
    with plt.rc_context():
        apply_style()
        assert plt.rcParams["image.cmap"] == "cividis"


def test_series_colors_keep_a_model_colour_across_figures() -> None:
    from latentatlas.plots.style import series_colors

    fixed = {"pca": "#000000", "ae": "#ff0000", "dae": "#00ff00"}
    assert series_colors(["dae", "ae"], fixed) == ["#00ff00", "#ff0000"]
    assert series_colors(["a", "b"]) == class_colors(2)
    with pytest.raises(ValueError, match="no entry for vae"):
        series_colors(["vae"], fixed)
