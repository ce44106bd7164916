"""Procedural RGB sprites: a coloured dSprites-like shape on a coloured background, 64x64.

The five shape factors are those of :mod:`latentatlas.data.sprites` (``shape``, ``scale``,
``orientation``, ``pos_x``, ``pos_y``); two colour factors are added: ``fg_hue`` and
``bg_hue``, each one of ``N_HUES`` = 8 hues ``k / 8`` in [0, 1) on the HSV colour wheel. The
shape is painted bright and saturated (HSV value 0.95, saturation 0.85), the background dark
and muted (value 0.35, saturation 0.6), so a shape stays visible on a background of its own
hue. The product has 737,280 * 8 * 8 = 47,185,920 combinations.

An image is the one-channel sprite mask ``m`` (from :func:`latentatlas.data.sprites.
render_sprites`, vectorised there) blended per pixel as ``m * fg + (1 - m) * bg``; with
``antialias`` the mask's grey edges blend the two colours.
"""

from __future__ import annotations

import colorsys

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.data import sprites
from latentatlas.data._checks import as_bool, as_int
from latentatlas.data.base import Dataset
from latentatlas.data.lazy import LazyArray
from latentatlas.errors import InputError

SIZE = sprites.SIZE
N_HUES = 8
HUES = np.arange(N_HUES) / N_HUES
FOREGROUND_SV = (0.85, 0.95)  # saturation, value of the shape
BACKGROUND_SV = (0.6, 0.35)  # saturation, value of the background: darker, so shapes stand out
FACTOR_NAMES = (*sprites.FACTOR_NAMES, "fg_hue", "bg_hue")
FACTOR_KINDS = (*sprites.FACTOR_KINDS, "continuous", "continuous")
LEVELS = (*sprites.LEVELS, N_HUES, N_HUES)
N_COMBINATIONS = int(np.prod(LEVELS))
SOURCE = "generated: dSprites-like shapes in colour on coloured backgrounds"


def hue_colors(hues: ArrayLike, saturation: float, value: float) -> NDArray[np.float32]:
    """RGB colours (n, 3) in [0, 1] of ``hues`` (n,) in [0, 1) at one saturation and value."""
    rgb = [colorsys.hsv_to_rgb(float(h), saturation, value) for h in np.asarray(hues).ravel()]
    return np.asarray(rgb, dtype=np.float32).reshape(-1, 3)


# The 8 colours of each role, looked up by hue level instead of converting every image's hue.
_FOREGROUNDS = hue_colors(HUES, *FOREGROUND_SV)
_BACKGROUNDS = hue_colors(HUES, *BACKGROUND_SV)


def factor_values(indices: NDArray[np.integer]) -> NDArray[np.float64]:
    """Turn factor level indices of shape (n, 7) into factor values (shape, ..., hues)."""
    idx = np.asarray(indices)
    return np.column_stack([sprites.factor_values(idx[:, :5]), HUES[idx[:, 5]], HUES[idx[:, 6]]])


def render_rgb_sprites(factors: ArrayLike, antialias: bool = False) -> NDArray[np.float32]:
    """Render RGB sprites from factor values.

    Parameters
    ----------
    factors : array_like of shape (n, 7)
        The five :func:`latentatlas.data.sprites.render_sprites` factors, then ``fg_hue`` and
        ``bg_hue``, each one of :data:`HUES`.
    antialias : bool
        Grey mask edges from 4x4 supersampling, which blend the two colours.

    Returns
    -------
    ndarray of shape (n, 3, 64, 64), float32 in [0, 1]
    """
    f = np.asarray(factors, dtype=np.float64).reshape(-1, 7)
    fg, bg = _hue_level(f[:, 5], "fg_hue"), _hue_level(f[:, 6], "bg_hue")
    mask = sprites.render_sprites(f[:, :5], antialias=antialias)  # (n, 1, 64, 64)
    front = _FOREGROUNDS[fg][:, :, None, None]
    back = _BACKGROUNDS[bg][:, :, None, None]
    return (back + mask * (front - back)).astype(np.float32, copy=False)


def _hue_level(values: NDArray[np.float64], name: str) -> NDArray[np.int64]:
    level = np.rint(values * N_HUES).astype(np.int64)
    if not np.allclose(level / N_HUES, values, rtol=0.0, atol=1e-9) or level.min(initial=0) < 0:
        raise InputError(f"sprite factor {name} must be one of k / {N_HUES} for k = 0..7")
    if level.max(initial=0) >= N_HUES:
        raise InputError(f"sprite factor {name} must be one of k / {N_HUES} for k = 0..7")
    return level


class LazyRgbSprites(LazyArray):
    """RGB sprites rendered from their factors when indexed (165,000 take 8.1 GB as float32).

    Parameters
    ----------
    factors : ndarray of shape (n, 7)
        Factor values, as returned by :func:`factor_values`.
    antialias : bool
        Passed to :func:`render_rgb_sprites`.
    """

    def __init__(self, factors: NDArray[np.float64], antialias: bool = False) -> None:
        super().__init__((len(factors), 3, SIZE, SIZE))
        self.factors = factors
        self.antialias = antialias

    def _rows(self, indices: NDArray[np.int64]) -> NDArray[np.float32]:
        return render_rgb_sprites(self.factors[indices], antialias=self.antialias)


def load(n: int = 10_000, lazy: bool = False, seed: int = 0, antialias: bool = False) -> Dataset:
    """Load RGB dSprites-like images with their seven factors; labels are the shape.

    Parameters
    ----------
    n : int
        Number of distinct factor combinations drawn at random (without replacement) from the
        47,185,920 (there is no ``full`` option: the product would take 2.3 TB as float32).
    lazy : bool
        Render images when indexed (a :class:`LazyRgbSprites`) instead of holding them in
        memory: 10,000 images take 490 MB as float32, the source's 165,000 take 8.1 GB.
    seed : int
        Seed of the draw.
    antialias : bool
        Blended edges from 4x4 supersampling instead of hard ones.

    Returns
    -------
    Dataset
        ``x`` float32 (n, 3, 64, 64); factors shape, scale, orientation, pos_x, pos_y,
        fg_hue, bg_hue.
    """
    lazy = as_bool(lazy, "lazy", "sprites-rgb")
    antialias = as_bool(antialias, "antialias", "sprites-rgb")
    seed = as_int(seed, "seed", "sprites-rgb")
    n = as_int(n, "n", "sprites-rgb", 1)
    if n > N_COMBINATIONS:
        raise InputError(
            f"option n={n} of data set 'sprites-rgb' exceeds its {N_COMBINATIONS} combinations"
        )
    flat = _distinct_draw(n, seed)
    factors = factor_values(np.column_stack(np.unravel_index(flat, LEVELS)))
    x = LazyRgbSprites(factors, antialias) if lazy else render_rgb_sprites(factors, antialias)
    return Dataset(
        name="sprites-rgb",
        x=x,  # type: ignore[arg-type]
        labels=factors[:, 0].astype(np.int64),
        label_names=sprites.SHAPES,
        factors=factors,
        factor_names=FACTOR_NAMES,
        factor_kinds=FACTOR_KINDS,  # type: ignore[arg-type]
        source=SOURCE,
        options={"n": n, "lazy": lazy, "seed": seed, "antialias": antialias},
    )


def _distinct_draw(n: int, seed: int) -> NDArray[np.int64]:
    """``n`` distinct sorted flat indices into the product, drawn with ``seed``.

    ``Generator.choice(replace=False)`` on 47M would shuffle a 47M-entry array (380 MB);
    drawing with replacement and topping up the duplicates costs memory of order ``n``.
    """
    rng = np.random.default_rng(seed)
    drawn = np.unique(rng.integers(0, N_COMBINATIONS, size=n))
    while len(drawn) < n:
        extra = rng.integers(0, N_COMBINATIONS, size=n - len(drawn))
        drawn = np.unique(np.concatenate([drawn, extra]))
    return drawn.astype(np.int64)


def describe(
    n: int = 10_000, lazy: bool = False, seed: int = 0, antialias: bool = False
) -> dict[str, object]:
    """Size, shape and source of :func:`load`, without rendering."""
    return {
        "size": as_int(n, "n", "sprites-rgb", 1),
        "shape": (3, SIZE, SIZE),
        "labels": "3 shapes",
        "factors": list(FACTOR_NAMES),
        "source": SOURCE,
    }
