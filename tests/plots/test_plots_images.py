"""Tests for image grids of originals, noisy inputs and reconstructions."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.plots import image_pairs, reconstructions_by_model


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


def _models(originals: np.ndarray) -> dict[str, np.ndarray]:
    return {"pca": originals * 0.5, "conv-ae": np.full_like(originals, 0.3)}


def test_reconstructions_by_model_grayscale_rows_per_model() -> None:
    originals = np.random.default_rng(0).uniform(size=(12, 1, 8, 8)).astype(np.float32)
    fig = reconstructions_by_model(
        originals, _models(originals), n=6, column_titles=list("abcdef"), title="models"
    )
    assert fig.get_suptitle() == "models"
    assert len(fig.axes) == 18
    assert [fig.axes[i * 6].get_ylabel() for i in range(3)] == ["original", "pca", "conv-ae"]
    assert fig.axes[0].get_title() == "a"
    assert float(fig.axes[12].images[0].get_array().mean()) == pytest.approx(0.3)


def test_reconstructions_by_model_rgb_images() -> None:
    originals = np.random.default_rng(1).uniform(size=(4, 3, 8, 8)).astype(np.float32)
    fig = reconstructions_by_model(originals, _models(originals))
    assert len(fig.axes) == 12
    assert fig.axes[0].images[0].get_array().shape == (8, 8, 3)


def test_reconstructions_by_model_vectors_draw_profiles() -> None:
    originals = np.random.default_rng(2).normal(size=(5, 7))
    fig = reconstructions_by_model(originals, _models(originals), n=3)
    assert len(fig.axes) == 9
    assert not fig.axes[0].images and len(fig.axes[0].lines) == 1
    assert len(fig.axes[3].lines) == 2  # the original in grey behind the model's line
    square = np.random.default_rng(3).uniform(size=(3, 64))
    assert reconstructions_by_model(square, {"m": square}).axes[0].images  # 8 x 8 images
    assert not reconstructions_by_model(square, {"m": square}, kind="profile").axes[0].images


def test_reconstructions_by_model_refuses_mismatched_shapes() -> None:
    originals = np.zeros((3, 1, 4, 4))
    with pytest.raises(ValueError, match="reconstructions of m have shape"):
        reconstructions_by_model(originals, {"m": np.zeros((3, 16))})
    with pytest.raises(ValueError, match="at least one model"):
        reconstructions_by_model(originals, {})
