"""Procedural dSprites-like images: one white shape on black, 64x64, from five known factors.

The factors follow dSprites (Matthey et al., 2017): ``shape`` (0 square, 1 ellipse, 2 heart),
``scale`` (6 values in [0.5, 1]), ``orientation`` (40 angles in [0, 2 pi), radians,
counter-clockwise), ``pos_x`` (left to right) and ``pos_y`` (top to bottom), 32 values each in
[0, 1]. The product has 3 * 6 * 40 * 32 * 32 = 737,280 combinations. Every shape fits inside a
circle of radius ``sqrt(2) * 10`` pixels at scale 1, and the centre moves over [16.5, 47.5]
pixels (one pixel per position level), so a shape never leaves the frame (as in dSprites).

Pixels are tested against the shape's implicit inside-function after rotating and scaling the
pixel grid into the shape's own frame, for a whole batch at once with NumPy broadcasting. As the
position levels are whole pixels apart, each of the 720 (shape, scale, orientation) templates is
rendered once and shifted, which gives the same images as rendering each one directly.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.data._checks import as_bool, as_int
from latentatlas.data.base import Dataset
from latentatlas.data.lazy import LazyArray
from latentatlas.errors import InputError

SIZE = 64
SHAPES = ("square", "ellipse", "heart")
SCALES = np.linspace(0.5, 1.0, 6)
ORIENTATIONS = 2.0 * np.pi * np.arange(40) / 40
POSITIONS = np.linspace(0.0, 1.0, 32)
FACTOR_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
FACTOR_KINDS = ("discrete", "continuous", "continuous", "continuous", "continuous")
LEVELS = (len(SHAPES), len(SCALES), len(ORIENTATIONS), len(POSITIONS), len(POSITIONS))
N_COMBINATIONS = int(np.prod(LEVELS))
#: The period (radians) within which a sprite's orientation can be told from its image, by shape
#: index: a square rotated by 90 degrees and an ellipse rotated by 180 degrees are the same picture.
ORIENTATION_PERIODS: tuple[float, ...] = (math.pi / 2, math.pi, 2 * math.pi)
UNIT_PIXELS = 10.0  # half-side of the square at scale 1
# Centres run over pixel coordinates [16.5, 47.5], one pixel per position level; the largest
# shape reaches sqrt(2) * UNIT_PIXELS < 14.2 pixels from its centre, so two border pixels on
# every side stay black.
FIRST_CENTRE = 16.5
CENTRE_SPAN = 31.0
ELLIPSE_AXES = (1.2, 0.6)
HEART_SHIFT = 0.118  # centres the heart curve's bounding box on the origin
SOURCE = "generated: dSprites-like shapes"
_SUPERSAMPLE = 4
_BATCH_PIXELS = 2**23  # pixel evaluations per batch: bounds temporary memory to ~100 MB


def factor_values(indices: NDArray[np.integer]) -> NDArray[np.float64]:
    """Turn factor level indices of shape (n, 5) into factor values (shape index, scale, ...)."""
    idx = np.asarray(indices)
    return np.column_stack(
        [
            idx[:, 0].astype(np.float64),
            SCALES[idx[:, 1]],
            ORIENTATIONS[idx[:, 2]],
            POSITIONS[idx[:, 3]],
            POSITIONS[idx[:, 4]],
        ]
    )


def identifiable_factors(factors: ArrayLike) -> NDArray[np.float64]:
    """Factors of shape (n, 5) with each orientation taken modulo its shape's period.

    No code can tell apart the orientations that draw the same image, so scores against the
    factors (DCI, MIG, SAP) should read the orientation that the image shows
    (:data:`ORIENTATION_PERIODS`), not the one the generator drew.
    """
    out = np.array(factors, dtype=np.float64)
    out[:, 2] = np.mod(out[:, 2], np.asarray(ORIENTATION_PERIODS)[out[:, 0].astype(np.int64)])
    return out


def render_sprites(factors: ArrayLike, antialias: bool = False) -> NDArray[np.float32]:
    """Render sprites from factor values.

    Factor values on the data set's grid are drawn by shifting a pre-rendered template by whole
    pixels (the positions are one pixel apart, so this is exact); any other values are
    rendered directly.

    Parameters
    ----------
    factors : array_like of shape (n, 5)
        Columns shape index (0 square, 1 ellipse, 2 heart), scale, orientation in radians,
        pos_x and pos_y in [0, 1].
    antialias : bool
        Average 4x4 sub-pixel samples instead of testing the pixel centre only.

    Returns
    -------
    ndarray of shape (n, 1, 64, 64), float32
        1 inside the shape, 0 outside (fractions at the edge with ``antialias``).
    """
    f = np.asarray(factors, dtype=np.float64).reshape(-1, 5)
    if not np.all(np.isin(f[:, 0], np.arange(len(SHAPES)))):
        raise InputError("sprite shape factor must be 0 (square), 1 (ellipse) or 2 (heart)")
    levels = _grid_levels(f)
    on_grid = np.all(levels >= 0, axis=1)
    out = np.empty((len(f), 1, SIZE, SIZE), dtype=np.float32)
    if on_grid.any():
        out[on_grid, 0] = _shifted_templates(levels[on_grid], antialias)
    if not on_grid.all():
        out[~on_grid] = render_direct(f[~on_grid], antialias)
    return out


def _grid_levels(f: NDArray[np.float64]) -> NDArray[np.int64]:
    """Level index of each factor value, or -1 where a value is not on the data set's grid."""
    grids = (np.arange(len(SHAPES), dtype=np.float64), SCALES, ORIENTATIONS, POSITIONS, POSITIONS)
    levels = np.empty(f.shape, dtype=np.int64)
    for column, grid in enumerate(grids):
        nearest = np.abs(f[:, column, None] - grid[None, :]).argmin(axis=1)
        close = np.isclose(grid[nearest], f[:, column], rtol=0.0, atol=1e-9)
        levels[:, column] = np.where(close, nearest, -1)
    return levels


def _shifted_templates(levels: NDArray[np.int64], antialias: bool) -> NDArray[np.float32]:
    """Images for on-grid level indices (n, 5): the template of (shape, scale, orientation)
    drawn at position (0, 0), shifted right by the pos_x level and down by the pos_y level."""
    padded = _templates(antialias)
    shift = len(POSITIONS) - 1
    template = (levels[:, 0] * len(SCALES) + levels[:, 1]) * len(ORIENTATIONS) + levels[:, 2]
    rows = np.arange(SIZE)[None, :, None] + shift - levels[:, 4, None, None]
    cols = np.arange(SIZE)[None, None, :] + shift - levels[:, 3, None, None]
    return padded[template[:, None, None], rows, cols]


@lru_cache(maxsize=2)
def _templates(antialias: bool) -> NDArray[np.float32]:
    """Every (shape, scale, orientation) drawn at position (0, 0), zero-padded by 31 pixels
    above and to the left so a window read at offset 31 - k shows the sprite moved by k."""
    combos = np.column_stack(np.unravel_index(np.arange(int(np.prod(LEVELS[:3]))), LEVELS[:3]))
    at_origin = np.column_stack([combos, np.zeros((len(combos), 2), dtype=np.int64)])
    images = render_direct(factor_values(at_origin), antialias)[:, 0]
    shift = len(POSITIONS) - 1
    padded = np.zeros((len(images), SIZE + shift, SIZE + shift), dtype=np.float32)
    padded[:, shift:, shift:] = images
    padded.flags.writeable = False
    return padded


def render_direct(factors: ArrayLike, antialias: bool = False) -> NDArray[np.float32]:
    """Render sprites by testing every pixel against the shape (any factor values).

    Same parameters and result as :func:`render_sprites`; slower, used for templates, for
    factor values off the grid, and by the tests as an independent check.
    """
    f = np.asarray(factors, dtype=np.float64).reshape(-1, 5)
    offsets = (np.arange(_SUPERSAMPLE) + 0.5) / _SUPERSAMPLE if antialias else np.array([0.5])
    # Sample coordinates in pixels, y downwards; (k,) per axis with k = 64 * samples per pixel.
    axis = (np.arange(SIZE)[:, None] + offsets[None, :]).ravel()
    out = np.empty((len(f), 1, SIZE, SIZE), dtype=np.float32)
    batch = max(1, _BATCH_PIXELS // axis.size**2)
    samples = len(offsets)
    for shape in range(len(SHAPES)):
        rows = np.flatnonzero(f[:, 0] == shape)
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            inside = _inside(shape, _shape_frame(f[part], axis))
            coverage = inside.reshape(len(part), SIZE, samples, SIZE, samples).mean(axis=(2, 4))
            out[part, 0] = coverage
    return out


def _shape_frame(
    f: NDArray[np.float64], axis: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sample coordinates (u, v) in each shape's own frame (y up, unit = scale * UNIT_PIXELS)."""
    scale, angle = f[:, 1, None, None], f[:, 2, None, None]
    cx = (FIRST_CENTRE + f[:, 3] * CENTRE_SPAN)[:, None, None]
    cy = (FIRST_CENTRE + f[:, 4] * CENTRE_SPAN)[:, None, None]
    dx = axis[None, None, :] - cx
    dy = cy - axis[None, :, None]  # flip: rows grow downwards, the shape frame's y grows upwards
    cos, sin = np.cos(angle), np.sin(angle)
    unit = scale * UNIT_PIXELS
    u = (cos * dx + sin * dy) / unit
    v = (cos * dy - sin * dx) / unit
    return u, v


def _inside(
    shape: int, frame: tuple[NDArray[np.float64], NDArray[np.float64]]
) -> NDArray[np.float64]:
    u, v = frame
    if shape == 0:
        inside = np.maximum(np.abs(u), np.abs(v)) <= 1.0
    elif shape == 1:
        inside = (u / ELLIPSE_AXES[0]) ** 2 + (v / ELLIPSE_AXES[1]) ** 2 <= 1.0
    else:
        # The classic heart curve (x^2 + y^2 - 1)^3 - x^2 y^3 = 0; inside where it is <= 0.
        y = v + HEART_SHIFT
        inside = (u**2 + y**2 - 1.0) ** 3 - u**2 * y**3 <= 0.0
    return inside.astype(np.float64)


class LazySprites(LazyArray):
    """Sprites rendered from their factors when indexed (the full product is 12 GB as float32).

    Parameters
    ----------
    factors : ndarray of shape (n, 5)
        Factor values, as returned by :func:`factor_values`.
    antialias : bool
        Passed to :func:`render_sprites`.
    """

    def __init__(self, factors: NDArray[np.float64], antialias: bool = False) -> None:
        super().__init__((len(factors), 1, SIZE, SIZE))
        self.factors = factors
        self.antialias = antialias

    def _rows(self, indices: NDArray[np.int64]) -> NDArray[np.float32]:
        return render_sprites(self.factors[indices], antialias=self.antialias)


def load(n: int = 10_000, full: bool = False, seed: int = 0, antialias: bool = False) -> Dataset:
    """Load dSprites-like images with their five factors; labels are the shape.

    Parameters
    ----------
    n : int
        Number of distinct factor combinations drawn at random (without replacement) from the
        737,280; ignored when ``full`` is true.
    full : bool
        Every combination, in product order (shape slowest, pos_y fastest). The images are then
        rendered when indexed (a :class:`LazySprites`) instead of held in memory.
    seed : int
        Seed of the draw.
    antialias : bool
        Grey edges from 4x4 supersampling instead of binary pixels.

    Returns
    -------
    Dataset
        ``x`` float32 (n, 1, 64, 64); factors shape, scale, orientation, pos_x, pos_y.
    """
    full = as_bool(full, "full", "sprites")
    antialias = as_bool(antialias, "antialias", "sprites")
    seed = as_int(seed, "seed", "sprites")
    if full:
        flat = np.arange(N_COMBINATIONS)
    else:
        n = as_int(n, "n", "sprites", 1)
        if n > N_COMBINATIONS:
            raise InputError(
                f"option n={n} of data set 'sprites' exceeds its {N_COMBINATIONS} combinations"
            )
        rng = np.random.default_rng(seed)
        flat = np.sort(rng.choice(N_COMBINATIONS, size=n, replace=False))
    factors = factor_values(np.column_stack(np.unravel_index(flat, LEVELS)))
    x = LazySprites(factors, antialias) if full else render_sprites(factors, antialias)
    return Dataset(
        name="sprites",
        x=x,  # type: ignore[arg-type]
        labels=factors[:, 0].astype(np.int64),
        label_names=SHAPES,
        factors=factors,
        factor_names=FACTOR_NAMES,
        factor_kinds=FACTOR_KINDS,  # type: ignore[arg-type]
        source=SOURCE,
        options={"n": None if full else n, "full": full, "seed": seed, "antialias": antialias},
    )


def describe(
    n: int = 10_000, full: bool = False, seed: int = 0, antialias: bool = False
) -> dict[str, object]:
    """Size, shape and source of :func:`load`, without rendering."""
    full = as_bool(full, "full", "sprites")
    return {
        "size": N_COMBINATIONS if full else as_int(n, "n", "sprites", 1),
        "shape": (1, SIZE, SIZE),
        "labels": "3 shapes",
        "factors": list(FACTOR_NAMES),
        "source": SOURCE,
    }
