"""Image grids: examples of a data set, reconstructions beside originals, decoded strips."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray


def to_display(images: NDArray[np.floating]) -> NDArray[np.float32]:
    """Convert images (n, c, h, w), (n, h, w) or (n, d) with d a square to (n, h, w[, 3])."""
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 2:
        side = int(np.rint(np.sqrt(arr.shape[1])))
        if side * side != arr.shape[1]:
            raise ValueError(f"cannot show vectors of length {arr.shape[1]} as square images")
        return arr.reshape(len(arr), side, side)
    if arr.ndim == 4:
        if arr.shape[1] == 1:
            return arr[:, 0]
        return np.clip(arr.transpose(0, 2, 3, 1), 0.0, 1.0)
    return arr


def image_grid(
    images: NDArray[np.floating],
    n_columns: int = 10,
    row_titles: Sequence[str] | None = None,
    column_titles: Sequence[str] | None = None,
    title: str | None = None,
    cell_inches: float = 0.9,
) -> Figure:
    """Draw images in a grid, row by row, grey-scale for one channel.

    Parameters
    ----------
    images : ndarray
        Shape (n, c, h, w), (n, h, w) or (n, d) with d a perfect square; values in [0, 1].
    n_columns : int
        Images per row.
    row_titles, column_titles : sequence of str, optional
        Labels at the left of each row and above each column.
    title : str, optional
        Figure title.
    cell_inches : float
        Size of one cell in inches.
    """
    shown = to_display(images)
    n = len(shown)
    n_columns = max(1, min(n_columns, n))
    n_rows = int(np.ceil(n / n_columns))
    fig = Figure(
        figsize=(cell_inches * n_columns + 0.6, cell_inches * n_rows + (0.5 if title else 0.1))
    )
    axes = fig.subplots(n_rows, n_columns, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if i < n:
            ax.imshow(shown[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    if row_titles is not None:
        for row, text in zip(axes[:, 0], row_titles, strict=False):
            row.set_ylabel(text, rotation=0, ha="right", va="center", fontsize=8)
    if column_titles is not None:
        for col, text in zip(axes[0], column_titles, strict=False):
            col.set_title(text, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def image_pairs(
    originals: NDArray[np.floating],
    reconstructions: NDArray[np.floating],
    noisy: NDArray[np.floating] | None = None,
    n: int = 10,
    title: str | None = "Reconstructions beside their originals",
) -> Figure:
    """Show originals, optionally the noisy inputs, and reconstructions in aligned rows.

    Column j shows sample j in every row: "original", "noisy input" (when ``noisy`` is
    given, e.g. for a denoising autoencoder), then "reconstruction".

    Parameters
    ----------
    originals, reconstructions : ndarray
        Images of the same samples, any shape :func:`to_display` accepts; values in [0, 1].
    noisy : ndarray, optional
        The corrupted inputs the model actually saw.
    n : int
        Number of samples (columns) shown, from the start of the arrays.
    title : str, optional
        Figure title.
    """
    rows = [("original", originals)]
    if noisy is not None:
        rows.append(("noisy input", noisy))
    rows.append(("reconstruction", reconstructions))
    count = min(n, *(len(images) for _, images in rows))
    if count < 1:
        raise ValueError("image_pairs needs at least one image in every row")
    shown = np.concatenate([to_display(np.asarray(images)[:count]) for _, images in rows])
    return image_grid(shown, n_columns=count, row_titles=[name for name, _ in rows], title=title)
