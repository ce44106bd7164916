"""House style for figures: colour-blind-safe palettes, font sizes and shared rcParams."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision
#: deficiencies. Ordered so that the first two (the digit-pairs study) contrast strongly.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Paul Tol's "muted" scheme (https://personal.sron.nl/~pault/), colour-blind safe with 10 colours,
#: used when there are more classes than Okabe-Ito has colours (all ten digits).
TOL_MUTED: tuple[str, ...] = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#555555",
)

#: Colour map for continuous values: perceptually uniform, readable in grey and when colour-blind.
CONTINUOUS_CMAP = "cividis"

#: Marker shapes paired with series colours, so series differ by more than hue.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")

#: Dots per inch used when a figure is rendered for the report.
REPORT_DPI = 110

RC_PARAMS: dict[str, Any] = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "figure.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "savefig.dpi": REPORT_DPI,
    "image.cmap": CONTINUOUS_CMAP,
}


def apply_style() -> None:
    """Make the house style the global matplotlib default (for notebooks and scripts).

    The plot functions of :mod:`latentatlas.plots` do not need this: they apply the style
    locally with :func:`style_context`, leaving the caller's global settings untouched.
    """
    plt.rcParams.update(RC_PARAMS)


@contextmanager
def style_context() -> Iterator[None]:
    """Apply the house style inside a ``with`` block only."""
    with plt.rc_context(RC_PARAMS):
        yield


def class_colors(n: int) -> list[str]:
    """Return ``n`` distinguishable, colour-blind-safe colours as hex strings.

    Okabe-Ito for up to 8 classes, Paul Tol's muted scheme for 9 or 10, and evenly spaced
    samples of ``cividis`` beyond that (where no categorical palette stays distinguishable).
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if n <= len(OKABE_ITO):
        return list(OKABE_ITO[:n])
    if n <= len(TOL_MUTED):
        return list(TOL_MUTED[:n])
    cmap = matplotlib.colormaps[CONTINUOUS_CMAP]
    return [matplotlib.colors.to_hex(cmap(v)) for v in np.linspace(0.0, 1.0, n)]


def series_colors(names: Sequence[str], colors: Mapping[str, str] | None = None) -> list[str]:
    """One colour per named series, fixed by ``colors`` where given, else the class palette.

    A fixed mapping keeps a model's colour the same across the figures of one report.
    """
    if colors is None:
        return class_colors(len(names))
    missing = [name for name in names if name not in colors]
    if missing:
        raise ValueError(f"colors has no entry for {', '.join(missing)}")
    return [colors[name] for name in names]


def display_names(
    classes: ArrayLike, label_names: Mapping[int, str] | Sequence[str] | None
) -> list[str]:
    """Return a display name for each class value, looked up in ``label_names`` when given.

    ``label_names`` may map class values to names or list names indexed by class value;
    a class it does not name is shown as its number.
    """
    names = []
    for value in np.asarray(classes).tolist():
        name = None
        if isinstance(label_names, Mapping):
            name = label_names.get(value)
        elif label_names is not None and isinstance(value, int) and 0 <= value < len(label_names):
            name = label_names[value]
        names.append(str(value) if name is None else str(name))
    return names


def text_color_on(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba`` (relative luminance)."""
    r, g, b = rgba[:3]
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.5 else "white"


def fitted_title(text: str, width_inches: float, font_points: float | None = None) -> str:
    """``text`` wrapped into lines that fit a figure ``width_inches`` wide.

    A suptitle wider than its figure is cut at both edges and runs over a legend beside the
    panels; matplotlib does not wrap it. The width of a character is taken as 0.6 em, a
    little above DejaVu Sans' average, so a wrapped line fits with a small margin.
    """
    import textwrap

    points = font_points or float(RC_PARAMS["figure.titlesize"])
    per_line = max(12, int(width_inches * 72 / (0.6 * points)))
    return "\n".join(textwrap.wrap(text, per_line)) or text


def panel_grid(n_panels: int, per_row: int = 3) -> tuple[int, int]:
    """Rows and columns for ``n_panels`` panels side by side, wrapping after ``per_row``.

    Three per row keeps a figure's text at about the report's body size once the page scales
    the figure to its 1,050-pixel column (five 3-inch panels shrank labels to about 5 pixels).
    """
    n_columns = max(1, min(n_panels, per_row))
    return int(np.ceil(max(n_panels, 1) / n_columns)), n_columns
