"""Image grids: examples of a data set, reconstructions beside originals, decoded strips."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from latentatlas.plots.style import OKABE_ITO, style_context

RowKind = Literal["auto", "image", "profile"]
#: Flattened vectors of at least this side (8 x 8) are shown as square images under ``"auto"``.
MIN_IMAGE_SIDE = 8


def to_display(images: NDArray[np.floating]) -> NDArray[np.float32]:
    """Convert images (n, c, h, w), (n, h, w) or (n, d) with d a square to (n, h, w[, 3]).

    Idempotent: RGB images already channel-last, (n, h, w, 3), are returned clipped to [0, 1].
    """
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 2:
        side = int(np.rint(np.sqrt(arr.shape[1])))
        if side * side != arr.shape[1]:
            raise ValueError(f"cannot show vectors of length {arr.shape[1]} as square images")
        return arr.reshape(len(arr), side, side)
    if arr.ndim == 4:
        if arr.shape[-1] == 3 and arr.shape[1] not in (1, 3):  # already (n, h, w, 3)
            return np.clip(arr, 0.0, 1.0)
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
    return image_rows(rows, n=n, title=title, kind="image")


def reconstructions_by_model(
    originals: NDArray[np.floating],
    reconstructions: Mapping[str, NDArray[np.floating]],
    n: int = 10,
    column_titles: Sequence[str] | None = None,
    title: str | None = "Originals and each model's reconstructions",
    kind: RowKind = "auto",
) -> Figure:
    """Originals in the top row, each model's reconstructions of them in a row below.

    Pick the columns with :func:`latentatlas.analysis.stratified_sample` so that they cover the
    classes or factor ranges (the first rows of a data set are usually one class), and pass the
    same rows of every model: column j is input j in every row.

    Parameters
    ----------
    originals : ndarray of shape (n, ...)
        Inputs: (n, c, h, w) grey-scale or RGB images, (n, h, w), or (n, d) vectors.
    reconstructions : mapping of str to ndarray
        Model name (the row title) to its reconstructions of ``originals``, same shape.
    n : int
        Inputs (columns) shown, from the start of the arrays.
    column_titles : sequence of str, optional
        One per column, e.g. the class of each input.
    title : str, optional
        Figure title.
    kind : {"auto", "image", "profile"}
        ``"image"`` draws images; ``"profile"`` draws each vector as a line (value against
        feature index), the models' lines over the original's in grey; ``"auto"`` draws images
        for 3-d and 4-d arrays and for vectors whose length is the square of at least
        :data:`MIN_IMAGE_SIDE`, and profiles otherwise (a thin vector drawn as an image is a
        hairline nobody can read).

    Returns
    -------
    Figure
        ``(1 + len(reconstructions)) x columns`` axes.
    """
    if not reconstructions:
        raise ValueError("reconstructions_by_model needs at least one model")
    shape = np.shape(originals)
    for name, images in reconstructions.items():
        if np.shape(images) != shape:
            raise ValueError(
                f"reconstructions of {name} have shape {np.shape(images)}, not {shape}"
            )
    rows = [("original", originals), *reconstructions.items()]
    return image_rows(rows, n=n, title=title, column_titles=column_titles, kind=kind)


def image_rows(
    rows: Sequence[tuple[str, NDArray[np.floating]]],
    n: int = 10,
    title: str | None = None,
    column_titles: Sequence[str] | None = None,
    kind: RowKind = "auto",
) -> Figure:
    """Named rows of the same samples, aligned by column: images or line profiles.

    Parameters
    ----------
    rows : sequence of (str, ndarray)
        Row title and its samples; the first row is the reference (the originals) that
        profile cells draw in grey behind the other rows.
    n : int
        Columns shown, from the start of every row.
    title : str, optional
    column_titles : sequence of str, optional
    kind : {"auto", "image", "profile"}
        See :func:`reconstructions_by_model`.
    """
    count = min(n, *(len(samples) for _, samples in rows))
    if count < 1:
        raise ValueError("image_rows needs at least one sample in every row")
    names = [name for name, _ in rows]
    arrays = [np.asarray(samples, dtype=np.float32)[:count] for _, samples in rows]
    if _as_profiles(arrays[0], kind):
        return _profile_rows(arrays, names, title, column_titles)
    shown = np.concatenate([to_display(a) for a in arrays])
    return image_grid(
        shown, n_columns=count, row_titles=names, column_titles=column_titles, title=title
    )


def _as_profiles(samples: NDArray[np.float32], kind: RowKind) -> bool:
    if kind != "auto":
        return kind == "profile"
    if samples.ndim != 2:
        return False
    side = int(np.rint(np.sqrt(samples.shape[1])))
    return not (side >= MIN_IMAGE_SIDE and side * side == samples.shape[1])


def _profile_rows(
    arrays: list[NDArray[np.float32]],
    names: list[str],
    title: str | None,
    column_titles: Sequence[str] | None,
) -> Figure:
    """One line plot per cell: value against feature index, on shared axes limits."""
    flat = [a.reshape(len(a), -1) for a in arrays]
    low = min(float(f.min()) for f in flat)
    high = max(float(f.max()) for f in flat)
    pad = 0.05 * (high - low) or 0.5
    count = len(flat[0])
    with style_context():
        fig = Figure(figsize=(1.4 * count + 0.8, 1.0 * len(flat) + (0.6 if title else 0.2)))
        axes = fig.subplots(len(flat), count, squeeze=False, sharex=True, sharey=True)
        index = np.arange(flat[0].shape[1])
        for r, (ax_row, values) in enumerate(zip(axes, flat, strict=True)):
            for c, ax in enumerate(ax_row):
                if r > 0:
                    ax.plot(index, flat[0][c], color="0.75", linewidth=1.0)
                ax.plot(index, values[c], color="black" if r == 0 else OKABE_ITO[0], linewidth=1.0)
                ax.set_ylim(low - pad, high + pad)
                ax.tick_params(labelsize=6)
            ax_row[0].set_ylabel(names[r], fontsize=8)
        for ax in axes[-1]:
            ax.set_xlabel("feature", fontsize=7)
        if column_titles is not None:
            for ax, text in zip(axes[0], column_titles, strict=False):
                ax.set_title(text, fontsize=8)
        if title:
            fig.suptitle(title, fontsize=10)
        fig.tight_layout()
    return fig
