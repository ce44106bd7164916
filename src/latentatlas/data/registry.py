"""The data set registry: names, loaders, option checking, and cheap descriptions for the table."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from latentatlas.data import arrays, digits, heatmaps, images, mnist, sprites, sprites_rgb
from latentatlas.data.base import Dataset
from latentatlas.errors import InputError


@dataclass(frozen=True)
class Entry:
    """One registered data set.

    Parameters
    ----------
    name : str
        The registry name.
    loader : callable
        ``loader(**options) -> Dataset``; its keyword parameters are the allowed options.
    describer : callable
        ``describer(**options) -> dict`` with size, shape, labels, factors, source, computed
        without loading the data where possible.
    summary : str
        One line saying what the data set is.
    """

    name: str
    loader: Callable[..., Dataset]
    describer: Callable[..., dict[str, object]]
    summary: str

    @property
    def options(self) -> tuple[str, ...]:
        """The option names the loader accepts."""
        return tuple(inspect.signature(self.loader).parameters)

    @property
    def required(self) -> tuple[str, ...]:
        """Options without a default."""
        parameters = inspect.signature(self.loader).parameters.values()
        return tuple(p.name for p in parameters if p.default is inspect.Parameter.empty)


REGISTRY: dict[str, Entry] = {
    entry.name: entry
    for entry in (
        Entry(
            "mnist",
            mnist.load,
            mnist.describe,
            "handwritten digits 0-9, 28x28 grey (the real MNIST images)",
        ),
        Entry(
            "digits",
            digits.load,
            digits.describe,
            "handwritten digits 0-9, 8x8 grey (UCI optical digits, in scikit-learn)",
        ),
        Entry(
            "heatmaps",
            heatmaps.load,
            heatmaps.describe,
            "images of 2-d Gaussian densities, 36x36, over a grid of two variances and a "
            "correlation",
        ),
        Entry(
            "heatmaps-t",
            heatmaps.load_t,
            heatmaps.describe_t,
            "the same grid drawn as heavy- or light-tailed Student-t densities (2 or 200 dof)",
        ),
        Entry(
            "sprites",
            sprites.load,
            sprites.describe,
            "white squares, ellipses and hearts on black, 64x64, with known shape, scale, "
            "rotation and position",
        ),
        Entry(
            "sprites-rgb",
            sprites_rgb.load,
            sprites_rgb.describe,
            "coloured shapes on coloured backgrounds, 64x64 RGB, with the colours as two more "
            "known factors",
        ),
        Entry(
            "images",
            images.load,
            images.describe,
            "your folder of images (e.g. CelebA), resized to RGB squares",
        ),
        Entry("arrays", arrays.load, arrays.describe, "your own arrays in an .npz or .npy file"),
    )
}


def names() -> list[str]:
    """Names of all data sets, in the order the table lists them."""
    return list(REGISTRY)


def entry(name: str) -> Entry:
    """The registry entry for ``name``; InputError listing the known names if there is none."""
    if name not in REGISTRY:
        raise InputError(f"unknown data set {name!r}; known data sets: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def check_options(name: str, options: dict[str, object], for_loading: bool = True) -> Entry:
    """Check option names against the loader's parameters; return the entry."""
    found = entry(name)
    allowed = found.options
    for option in options:
        if option not in allowed:
            listed = ", ".join(allowed) if allowed else "none"
            raise InputError(
                f"unknown option {option!r} for data set {name!r}; allowed options: {listed}"
            )
    missing = [option for option in found.required if option not in options]
    if for_loading and missing:
        raise InputError(f"data set {name!r} needs the option {missing[0]}= (for example a path)")
    return found


def load(name: str, **options: object) -> Dataset:
    """Load the data set ``name`` with ``options`` (see each data module for its options).

    Parameters
    ----------
    name : str
        One of :func:`names`.
    **options
        Keyword options of that data set's loader, e.g. ``digits=(1, 2)`` for ``"mnist"``.

    Returns
    -------
    Dataset
    """
    return check_options(name, options).loader(**options)


def describe(name: str, **options: object) -> dict[str, object]:
    """Describe ``name`` for the ``datasets`` table without loading it where possible.

    Returns
    -------
    dict
        ``name``, ``size`` (int or None when it depends on a path not given), ``shape`` (one
        input, e.g. ``[1, 28, 28]``, or None), ``labels``, ``factors`` (list of names),
        ``source``, ``summary`` and ``options`` (the option names).
    """
    found = check_options(name, options, for_loading=False)
    info = found.describer(**options)
    shape = info.get("shape")
    return {
        "name": name,
        "size": info.get("size"),
        "shape": None if shape is None else [int(s) for s in shape],  # type: ignore[union-attr]
        "labels": info.get("labels"),
        "factors": list(info.get("factors") or []),  # type: ignore[call-overload]
        "source": info.get("source"),
        "summary": found.summary,
        "options": list(found.options),
    }
