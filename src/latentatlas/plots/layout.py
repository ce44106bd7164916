"""Several finished figures as one image: side by side where they fit a report's width."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Figures go side by side up to this total width (inches; a report is 10 inches wide at
#: 110 dpi) and are stacked above each other beyond it.
ROW_INCHES = 10.5
#: White pixels between two figures.
GAP_PIXELS = 12


def combine_figures(figures: Sequence[Any], row_inches: float = ROW_INCHES) -> Any:
    """One PNG of several matplotlib figures, each keeping its own title.

    Parameters
    ----------
    figures : sequence of matplotlib.figure.Figure
        Drawn in order, left to right when their widths add up to at most ``row_inches``,
        else top to bottom; each is padded with white to the widest (or tallest) one.
    row_inches : float
        The widest row of figures side by side.

    Returns
    -------
    Figure or bytes
        A single figure as it is; otherwise the PNG bytes of the combined image.
    """
    if len(figures) == 1:
        return figures[0]
    import matplotlib.image

    side_by_side = sum(f.get_size_inches()[0] for f in figures) <= row_inches
    axis = 1 if side_by_side else 0
    images = [_rendered(figure) for figure in figures]
    size = max(image.shape[1 - axis] for image in images)
    padded = []
    for image in images:
        pad = [(0, 0), (0, 0), (0, 0)]
        pad[1 - axis] = (0, size - image.shape[1 - axis])
        pad[axis] = (0, GAP_PIXELS)
        padded.append(np.pad(image, pad, constant_values=1.0))
    buffer = io.BytesIO()
    matplotlib.image.imsave(buffer, np.concatenate(padded, axis=axis), format="png")
    return buffer.getvalue()


def _rendered(figure: Any) -> Any:
    """The figure as an RGB array, drawn as the report draws it."""
    import matplotlib.image

    from latentatlas.plots.style import REPORT_DPI

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=REPORT_DPI, bbox_inches="tight", facecolor="white")
    buffer.seek(0)
    return matplotlib.image.imread(buffer, format="png")[..., :3]
