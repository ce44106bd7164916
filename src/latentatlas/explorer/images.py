"""Codes in, images out: checked codes, their decodes, paths through them, and PNG bytes."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.errors import InputError
from latentatlas.explorer.catalogue import Catalogue, NotAvailable, RunView

#: Decoded images are enlarged (nearest neighbour) until their longer side reaches this size.
THUMBNAIL_SIDE = 112
#: Largest number of points a path may be decoded at, and of waypoints it may be given.
MAX_PATH_POINTS = 256
MAX_WAYPOINTS = 128


# -- codes in, images out -------------------------------------------------------------------------
def check_code(run: RunView, z: Sequence[float], name: str = "z") -> NDArray[np.float32]:
    """``z`` as a finite float32 code of the run's latent dimension."""
    array = np.asarray(z, dtype=np.float64)
    if array.ndim != 1 or len(array) != run.latent_dim:
        raise InputError(
            f"{name} has {array.size} numbers but run {run.entry.name} has latent_dim "
            f"{run.latent_dim}"
        )
    if not np.isfinite(array).all():
        raise InputError(f"{name} holds a NaN or infinite number")
    return array.astype(np.float32)


def decode(run: RunView, codes: NDArray[np.float32]) -> NDArray[np.float32]:
    """Decoded images (m, *input_shape) of codes (m, d) by the run's model."""
    from latentatlas.models import decode_array

    return decode_array(decoder_of(run), codes)


def decoder_of(run: RunView) -> Any:
    """The run's model; NotAvailable for inspected codes without a model to reload."""
    if run.model is None or not getattr(run.model, "has_decoder", True):
        raise NotAvailable(f"{run.entry.name} has no decoder to reload; its codes are shown")
    return run.model


def warm_up(run: RunView) -> None:
    """Decode one code and draw it, once per loaded run, when the run is chosen.

    A model's first forward pass is several times slower than the next (memory and kernels
    are set up then: about 140 ms for the 256-d conv models against 3-5 ms warm), and so is
    the first PNG; doing both when the page asks for the run leaves the first slider move
    the time of a warm decode. Runs without a decoder have nothing to warm.
    """
    if run._cache.get("warm") or run.model is None or not getattr(run.model, "has_decoder", True):
        return
    png(decode(run, np.median(run.codes, axis=0, keepdims=True).astype(np.float32))[0])
    run._cache["warm"] = True


def original_image(catalogue: Catalogue, name: str, index: int) -> NDArray[np.float32]:
    """The data set image of row ``index`` (only rows the run holds)."""
    run = catalogue.run(name)
    run.row(index)
    return np.asarray(catalogue.dataset(name).x[index], dtype=np.float32)


def reconstruction(run: RunView, index: int) -> NDArray[np.float32]:
    """The decode of the stored code of data set row ``index``."""
    return decode(run, run.codes[[run.row(index)]])[0]


# -- paths of codes -------------------------------------------------------------------------------
#: How far beyond the cloud a path may reach: waypoints at most this many cloud radii (the
#: largest distance of a code from the codes' median) from the median. Paths through the empty
#: space around the data stay possible; a typo of 1e6 no longer decodes codes six orders of
#: magnitude outside anything the decoder has seen.
MAX_REACH = 3.0


def _check_within_reach(run: RunView, waypoints: NDArray[np.float64]) -> None:
    """Refuse a waypoint farther than :data:`MAX_REACH` cloud radii from the codes' median."""
    codes = np.asarray(run.reference_codes(), dtype=np.float64)
    centre = np.median(codes, axis=0)
    radius = float(np.linalg.norm(codes - centre, axis=1).max())
    distances = np.linalg.norm(waypoints - centre, axis=1)
    far = np.flatnonzero(distances > MAX_REACH * max(radius, 1e-12))
    if far.size:
        raise InputError(
            f"waypoint {int(far[0]) + 1} lies {distances[far[0]]:.3g} from the centre of the "
            f"codes, beyond {MAX_REACH:g} times the cloud's radius ({radius:.3g}); "
            "pick points nearer the data"
        )


def path_points(
    run: RunView, waypoints: NDArray[np.float64], kind: str, n_points: int
) -> NDArray[np.float64]:
    """The latent path through ``waypoints``: straight segments, or a spline that follows data.

    ``line``: :func:`~latentatlas.analysis.paths.line_path` between consecutive waypoints, the
    ``n_points`` shared in proportion to the segments' lengths. ``spline`` (two waypoints):
    :func:`~latentatlas.analysis.paths.binned_spline_path` through the codes in a tube around
    the segment, along the latent axis on which the two ends differ most: a path that follows
    the data from one end to the other where the line crosses empty space.
    """
    from latentatlas.analysis.paths import line_path

    _check_within_reach(run, waypoints)
    if kind == "spline":
        if len(waypoints) != 2:
            raise InputError(f"a spline path takes 2 waypoints (two points), got {len(waypoints)}")
        return _data_spline(run, waypoints[0], waypoints[1], n_points)
    lengths = np.linalg.norm(np.diff(waypoints, axis=0), axis=1)
    if not lengths.sum() > 0:
        raise InputError("the waypoints of the path all coincide; pick two different points")
    steps = _shares(lengths, max(n_points, len(lengths) + 1) - 1)
    pieces = [
        line_path(waypoints[k], waypoints[k + 1], int(steps[k]) + 1) for k in range(len(steps))
    ]
    return np.concatenate([pieces[0], *(piece[1:] for piece in pieces[1:])])


def _shares(lengths: NDArray[np.float64], total: int) -> NDArray[np.int64]:
    """``total`` steps shared among segments in proportion to their lengths, at least 1 each.

    Largest remainders (Hamilton's method), so the steps add up to ``total`` exactly.
    """
    extra = total - len(lengths)
    exact = lengths / lengths.sum() * extra
    steps = np.floor(exact).astype(np.int64)
    steps[np.argsort(steps - exact)[: extra - int(steps.sum())]] += 1
    return steps + 1


def _data_spline(
    run: RunView, start: NDArray[np.float64], end: NDArray[np.float64], n_points: int
) -> NDArray[np.float64]:
    from latentatlas.analysis.paths import binned_spline_path

    codes = run.codes.astype(np.float64)
    direction = end - start
    span = float(np.linalg.norm(direction))
    if span == 0:
        raise InputError("the two ends of the spline path coincide; pick two different points")
    t = (codes - start) @ direction / span**2
    off = np.linalg.norm(codes - start - t[:, None] * direction, axis=1)
    inside = (t >= 0) & (t <= 1)
    n_bins = 12
    for width in (0.1, 0.2, 0.4, 0.8, 1.6):  # widen the tube until it holds enough codes
        select = inside & (off <= width * span)
        if select.sum() >= 4 * n_bins:
            break
    else:
        raise InputError("too few codes lie between the two points for a spline; draw a line")
    along = int(np.argmax(np.abs(direction)))
    path = binned_spline_path(codes, along, n_points, n_bins, select=select)
    return path if direction[along] > 0 else path[::-1].copy()


# -- PNG ------------------------------------------------------------------------------------------
def as_picture(image: NDArray[Any]) -> NDArray[np.uint8]:
    """An input-shaped array in [0, 1] as 8-bit grey (h, w) or RGB (h, w, 3) pixels.

    (1, h, w) and (h, w) are grey; (3, h, w) is colour; other channel counts show their
    channels side by side; a flat vector of a square length is a square, any other a row.
    """
    array = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0)
    if array.ndim == 1:
        side = math.isqrt(array.size)
        array = array.reshape(side, side) if side * side == array.size else array[None, :]
    elif array.ndim == 3 and array.shape[0] == 3:
        array = np.moveaxis(array, 0, -1)
    elif array.ndim == 3:
        array = np.concatenate(list(array), axis=1)
    elif array.ndim != 2:
        array = array.reshape(array.shape[0], -1)
    return (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def png(
    image: NDArray[Any], side: int = THUMBNAIL_SIDE, reference: NDArray[Any] | None = None
) -> bytes:
    """PNG bytes of one image, enlarged by an integer factor to about ``side`` pixels.

    A flat vector (a data set of features, not pixels) is drawn as its profile instead
    (:func:`profile_png`, ``2 * side`` wide), with ``reference`` (e.g. the original of a
    reconstruction) marked on it: a 50-d vector as a picture was a 112 x 2 pixel hairline.
    """
    from PIL import Image

    if np.ndim(image) == 1:
        return profile_png(image, reference, width=2 * side, height=side)
    pixels = as_picture(image)
    scale = max(1, side // max(pixels.shape[:2]))
    picture = Image.fromarray(pixels)
    if scale > 1:
        picture = picture.resize(
            (pixels.shape[1] * scale, pixels.shape[0] * scale), Image.Resampling.NEAREST
        )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


#: Colours of a profile: the values' bars (Okabe-Ito blue), the reference's marks, the guides.
PROFILE_BAR, PROFILE_REFERENCE, PROFILE_GUIDE = (0, 114, 178), (213, 94, 0), (200, 200, 200)


def profile_png(
    values: NDArray[Any],
    reference: NDArray[Any] | None = None,
    width: int = 2 * THUMBNAIL_SIDE,
    height: int = THUMBNAIL_SIDE,
) -> bytes:
    """PNG bytes of a vector's profile: one bar per entry on the inputs' scale [0, 1].

    The scale is fixed (the data sets' inputs lie in [0, 1]) so that a slider's decodes are
    drawn alike; values outside are clipped, as pixels are. Guides at 0, 0.5 and 1. Each
    entry of ``reference`` is a short vermillion mark across its bar. Above one entry per
    3 pixels the bars become a line.
    """
    from PIL import Image, ImageDraw

    vector = np.clip(np.nan_to_num(np.asarray(values, np.float64).ravel()), 0.0, 1.0)
    picture = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(picture)
    pad, top = 2, 3
    span = height - 1 - 2 * top  # pixel rows from value 0 to value 1

    def y(value: float) -> float:
        return height - 1 - top - value * span

    for guide in (0.0, 0.5, 1.0):
        draw.line([(0, y(guide)), (width - 1, y(guide))], fill=PROFILE_GUIDE)
    step = (width - 2 * pad) / max(len(vector), 1)
    lefts = pad + step * np.arange(len(vector))
    if step >= 3:
        for left, value in zip(lefts, vector, strict=True):
            draw.rectangle([left + 0.5, y(value), left + step - 1.5, y(0.0)], fill=PROFILE_BAR)
    else:
        draw.line(
            [(x + step / 2, y(v)) for x, v in zip(lefts, vector, strict=True)], fill=PROFILE_BAR
        )
    if reference is not None:
        marks = np.clip(np.nan_to_num(np.asarray(reference, np.float64).ravel()), 0.0, 1.0)
        for left, value in zip(lefts, marks, strict=False):
            draw.line(
                [(left, y(value)), (left + max(step - 1, 1), y(value))],
                fill=PROFILE_REFERENCE,
                width=2,
            )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def png_strip(images: NDArray[Any], side: int = 64, gap: int = 2) -> bytes:
    """PNG bytes of images side by side (a path's strip), separated by white gaps."""
    from PIL import Image

    tiles = [Image.open(io.BytesIO(png(image, side))).convert("RGB") for image in images]
    height = max(t.height for t in tiles)
    strip = Image.new(
        "RGB", (sum(t.width for t in tiles) + gap * (len(tiles) - 1), height), "white"
    )
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + gap
    buffer = io.BytesIO()
    strip.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png_bytes: bytes) -> str:
    """A ``data:image/png;base64`` URL (for JSON answers and self-contained pages)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")
