"""RGB sprites: colour factors, images reproduced from factors, the mask shared with sprites."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.data import describe, load, sprites, sprites_rgb
from latentatlas.data.lazy import LazyArray
from latentatlas.errors import InputError


@pytest.fixture(scope="module")
def small():
    return load("sprites-rgb", n=300, seed=4)


def test_shapes_factors_and_labels(small) -> None:
    assert small.x.shape == (300, 3, 64, 64) and small.x.dtype == np.float32
    assert 0.0 <= small.x.min() and small.x.max() <= 1.0
    assert small.factor_names[-2:] == ("fg_hue", "bg_hue") and len(small.factor_kinds) == 7
    np.testing.assert_array_equal(small.labels, small.factors[:, 0])
    assert len(np.unique(small.factors, axis=0)) == 300  # distinct combinations
    assert np.all(np.isin(small.factors[:, 5:], sprites_rgb.HUES))
    assert len(np.unique(small.factors[:, 5])) == sprites_rgb.N_HUES  # all hues drawn
    assert sprites_rgb.N_COMBINATIONS == 737_280 * 64


def test_image_is_the_sprite_mask_blended_between_the_two_colours(small) -> None:
    mask = sprites.render_sprites(small.factors[:, :5])  # (n, 1, 64, 64) of 0/1
    fg = sprites_rgb.hue_colors(small.factors[:, 5], *sprites_rgb.FOREGROUND_SV)
    bg = sprites_rgb.hue_colors(small.factors[:, 6], *sprites_rgb.BACKGROUND_SV)
    expected = np.where(mask > 0, fg[:, :, None, None], bg[:, :, None, None])
    np.testing.assert_allclose(small.x, expected, atol=1e-6)
    np.testing.assert_array_equal(sprites_rgb.render_rgb_sprites(small.factors), small.x)
    # the shape is brighter than its background, whatever the hues
    brightness = small.x.mean(axis=1)
    inside = (brightness * mask[:, 0]).sum(axis=(1, 2)) / mask[:, 0].sum(axis=(1, 2))
    outside = (brightness * (1 - mask[:, 0])).sum(axis=(1, 2)) / (1 - mask[:, 0]).sum(axis=(1, 2))
    assert np.all(inside > outside + 0.1)


def test_known_colours() -> None:
    red_on_red = np.array([[0, 1.0, 0.0, 0.5, 0.5, 0.0, 0.0]])
    image = sprites_rgb.render_rgb_sprites(red_on_red)[0]
    np.testing.assert_allclose(image[:, 0, 0], [0.35, 0.35 * 0.4, 0.35 * 0.4], atol=1e-6)
    np.testing.assert_allclose(image[:, 32, 32], [0.95, 0.95 * 0.15, 0.95 * 0.15], atol=1e-6)


def test_antialias_blends_edges() -> None:
    factors = np.array([[1, 1.0, 0.4, 0.5, 0.5, 0.25, 0.75]])
    soft = sprites_rgb.render_rgb_sprites(factors, antialias=True)[0, 0]
    fg, bg = (
        sprites_rgb.hue_colors([0.25], *sprites_rgb.FOREGROUND_SV)[0, 0],
        sprites_rgb.hue_colors([0.75], *sprites_rgb.BACKGROUND_SV)[0, 0],
    )
    low, high = min(fg, bg), max(fg, bg)
    between = (soft > low + 1e-6) & (soft < high - 1e-6)
    assert between.sum() > 0 and soft.min() >= low - 1e-6 and soft.max() <= high + 1e-6


def test_seeded_draws_lazy_and_describe() -> None:
    a = load("sprites-rgb", n=40, seed=1)
    np.testing.assert_array_equal(a.factors, load("sprites-rgb", n="40", seed=1).factors)
    assert not np.array_equal(a.factors, load("sprites-rgb", n=40, seed=2).factors)
    lazy = load("sprites-rgb", n=40, seed=1, lazy=True)
    assert isinstance(lazy.x, LazyArray) and lazy.x.shape == (40, 3, 64, 64)
    np.testing.assert_array_equal(lazy.x[np.array([0, 39])], a.x[[0, 39]])
    info = describe("sprites-rgb", n=40)
    assert info["size"] == 40 and info["shape"] == [3, 64, 64] and "fg_hue" in info["factors"]


def test_bad_options_and_factors() -> None:
    with pytest.raises(InputError, match="exceeds"):
        load("sprites-rgb", n=10**9)
    with pytest.raises(InputError, match="at least 1"):
        load("sprites-rgb", n=0)
    with pytest.raises(InputError, match="true or false"):
        load("sprites-rgb", lazy="maybe")
    with pytest.raises(InputError, match="unknown option 'full'"):
        load("sprites-rgb", full=True)
    with pytest.raises(InputError, match="fg_hue must be one of"):
        sprites_rgb.render_rgb_sprites(np.array([[0, 1.0, 0.0, 0.5, 0.5, 0.1, 0.0]]))
    with pytest.raises(InputError, match="bg_hue must be one of"):
        sprites_rgb.render_rgb_sprites(np.array([[0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0]]))
