"""Sprites: factor draws, images reproduced from factors, shapes kept inside the frame."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.data import load, sprites
from latentatlas.errors import InputError


@pytest.fixture(scope="module")
def small():
    return load("sprites", n=600, seed=4)


def test_shapes_factors_and_labels(small) -> None:
    assert small.x.shape == (600, 1, 64, 64) and small.x.dtype == np.float32
    assert set(np.unique(small.x)) == {0.0, 1.0}
    assert small.factor_names == ("shape", "scale", "orientation", "pos_x", "pos_y")
    assert small.factor_kinds[0] == "discrete"
    np.testing.assert_array_equal(small.labels, small.factors[:, 0])
    assert small.label_names == ("square", "ellipse", "heart")
    assert len(np.unique(small.factors, axis=0)) == 600  # distinct combinations
    assert np.all(np.isin(small.factors[:, 1], sprites.SCALES))
    assert np.all((small.factors[:, 2] >= 0) & (small.factors[:, 2] < 2 * np.pi))
    assert len(sprites.ORIENTATIONS) == 40 and sprites.N_COMBINATIONS == 737_280


def test_factors_reproduce_images(small) -> None:
    np.testing.assert_array_equal(sprites.render_sprites(small.factors), small.x)
    # the template-shifting renderer agrees with testing every pixel directly
    np.testing.assert_array_equal(sprites.render_direct(small.factors[:150]), small.x[:150])


def test_geometry_follows_the_factors() -> None:
    base = np.array([[0, 1.0, 0.0, 0.0, 0.0]])
    square = sprites.render_sprites(base)[0, 0]
    # half-side 10 px at scale 1 around the pixel centre (16.5, 16.5): offsets -10..10 inclusive
    assert square.sum() == 21 * 21
    rows, cols = np.nonzero(square)
    assert rows.mean() == pytest.approx(16.0) and cols.mean() == pytest.approx(16.0)
    moved = sprites.render_sprites(base + np.array([0, 0, 0, 1.0, 0.5]))[0, 0]
    rows, cols = np.nonzero(moved)
    assert cols.mean() == pytest.approx(47.0) and rows.mean() == pytest.approx(31.5, abs=0.5)
    half = sprites.render_sprites(base + np.array([0, -0.5, 0, 0, 0]))[0, 0]
    assert half.sum() == 11 * 11


def test_largest_shapes_stay_inside_the_frame() -> None:
    corners = [
        [shape, 5, angle, px, py]
        for shape in range(3)
        for angle in range(40)
        for px in (0, 31)
        for py in (0, 31)
    ]
    images = sprites.render_sprites(sprites.factor_values(np.array(corners)))[:, 0]
    border = np.concatenate(
        [
            images[:, :2].ravel(),
            images[:, -2:].ravel(),
            images[:, :, :2].ravel(),
            images[:, :, -2:].ravel(),
        ]
    )
    assert border.max() == 0.0
    assert images.sum(axis=(1, 2)).min() > 100


def test_off_grid_factors_render_directly() -> None:
    factors = np.array([[2, 0.77, 0.3, 0.41, 0.62]])
    np.testing.assert_array_equal(sprites.render_sprites(factors), sprites.render_direct(factors))


def test_antialias_gives_grey_edges() -> None:
    factors = np.array([[1, 1.0, 0.4, 0.5, 0.5]])
    soft = sprites.render_direct(factors, antialias=True)
    hard = sprites.render_direct(factors)
    assert 0 < np.count_nonzero((soft > 0) & (soft < 1))
    assert abs(soft.sum() - hard.sum()) < 0.05 * hard.sum()


def test_seeded_draws_and_full_product_is_lazy() -> None:
    a = load("sprites", n=50, seed=1)
    np.testing.assert_array_equal(a.factors, load("sprites", n="50", seed=1).factors)
    assert not np.array_equal(a.factors, load("sprites", n=50, seed=2).factors)
    full = load("sprites", full=True)
    assert full.x.shape == (737_280, 1, 64, 64) and len(full) == 737_280
    rows = np.array([0, 1234, 737_279])
    np.testing.assert_array_equal(full.x[rows], sprites.render_sprites(full.factors[rows]))
    sub = full.subset(rows)
    assert isinstance(sub.x, np.ndarray) and sub.x.shape == (3, 1, 64, 64)


def test_bad_options() -> None:
    with pytest.raises(InputError, match="exceeds"):
        load("sprites", n=10**6)
    with pytest.raises(InputError, match="at least 1"):
        load("sprites", n=0)
    with pytest.raises(InputError, match="true or false"):
        load("sprites", full="maybe")


def test_orientations_one_period_apart_draw_the_same_image() -> None:
    periods = sprites.ORIENTATION_PERIODS
    drawn = np.array([[shape, 1.0, 0.3 + p, 0.5, 0.5] for shape, p in enumerate(periods)])
    folded = sprites.identifiable_factors(drawn)
    np.testing.assert_allclose(folded[:, 2], 0.3)
    np.testing.assert_array_equal(np.delete(folded, 2, axis=1), np.delete(drawn, 2, axis=1))
    images = sprites.render_direct(drawn, antialias=True)
    assert np.abs(images - sprites.render_direct(folded, antialias=True)).max() < 0.1
    half = folded.copy()
    half[:, 2] += np.asarray(periods) / 2  # half a period turns every shape visibly
    assert (
        np.abs(images - sprites.render_direct(half, antialias=True)).max(axis=(1, 2, 3)) > 0.5
    ).all()
