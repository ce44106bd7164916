"""Tests for image grids of originals, noisy inputs and reconstructions."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.plots import image_pairs


def test_image_pairs_rows_in_order_and_columns_aligned():
    originals = np.zeros((12, 1, 4, 4), dtype=np.float32)
    fig = image_pairs(originals, originals + 0.5, noisy=originals + 0.25, n=5, title="pairs")
    assert fig.get_suptitle() == "pairs"
    assert len(fig.axes) == 15
    rows = [fig.axes[i * 5].get_ylabel() for i in range(3)]
    assert rows == ["original", "noisy input", "reconstruction"]
    means = [float(fig.axes[i * 5].images[0].get_array().mean()) for i in range(3)]
    assert means == pytest.approx([0.0, 0.25, 0.5])


def test_image_pairs_without_noise_and_fewer_images_than_n():
    flat = np.ones((3, 16), dtype=np.float32)
    fig = image_pairs(flat, flat, n=10)
    assert len(fig.axes) == 6
    assert [fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()] == ["original", "reconstruction"]
