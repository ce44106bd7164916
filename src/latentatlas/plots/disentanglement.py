"""Figures of the disentanglement analyses: traversal grids, effect heat maps, DCI importances."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from latentatlas.analysis.disentanglement import DCIResult
from latentatlas.analysis.traversal import TraversalEffectsResult, TraversalResult
from latentatlas.plots.images import to_display
from latentatlas.plots.style import CONTINUOUS_CMAP, style_context, text_color_on

#: White pixels between neighbouring images of a traversal mosaic, so that dark images stay apart.
_GUTTER = 1


def traversal_grid(
    result: TraversalResult,
    input_index: int = 0,
    title: str | None = None,
    cell_inches: float = 0.7,
) -> Figure:
    """Decoded traversal of one input: one row per latent dimension, one column per value.

    Parameters
    ----------
    result : TraversalResult
        From :func:`latentatlas.analysis.traversal.traverse`.
    input_index : int
        Which input's traversal to draw.
    title : str, optional
        Figure title; by default names the input and the mode.
    cell_inches : float
        Size of one image in inches.
    """
    return traversal_grids(result, [input_index], title=title, cell_inches=cell_inches)


def traversal_grids(
    result: TraversalResult,
    input_indices: Sequence[int],
    title: str | None = None,
    cell_inches: float = 0.7,
) -> Figure:
    """Traversal grids of several inputs side by side (the source's "same dimension, other
    digit" comparison): a block of dims x values images per input, same rows in every block.

    The blocks are composed into one image (:func:`traversal_mosaic`) drawn by one ``imshow``
    on one Axes, with the values above each block's columns, ``z[dim]`` left of the rows and
    "input N" under each block (an Axes per image took seconds for big grids).
    """
    mosaic = traversal_mosaic(result, input_indices)
    n_dims, n_values = result.images.shape[1:3]
    n_columns = len(input_indices) * (n_values + 1) - 1  # a blank column between blocks
    step_y = (mosaic.shape[0] + _GUTTER) // n_dims  # an image's height and its gutter
    step_x = (mosaic.shape[1] + _GUTTER) // n_columns
    starts = [block * (n_values + 1) * step_x for block in range(len(input_indices))]
    with style_context():
        fig = Figure(figsize=(cell_inches * n_columns + 0.8, cell_inches * n_dims + 0.9))
        ax = fig.subplots()
        grey = {"cmap": "gray", "vmin": 0.0, "vmax": 1.0} if mosaic.ndim == 2 else {}
        ax.imshow(mosaic, interpolation="nearest", **grey)
        ax.xaxis.tick_top()
        middle = (step_x - _GUTTER - 1) / 2  # pixel centres are at whole numbers
        ax.set_xticks(
            [start + j * step_x + middle for start in starts for j in range(n_values)],
            [f"{value:.2g}" for _ in starts for value in result.values],
            fontsize=7,
        )
        ax.set_yticks(
            [k * step_y + (step_y - _GUTTER - 1) / 2 for k in range(n_dims)],
            [f"z[{dim}]" for dim in result.dims],
            fontsize=8,
        )
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if len(input_indices) > 1:
            below = ax.get_xaxis_transform()  # x in mosaic pixels, y in the Axes
            block_middle = (n_values * step_x - _GUTTER - 1) / 2
            for start, index in zip(starts, input_indices, strict=True):
                ax.text(start + block_middle, -0.02, f"input {index}", transform=below,
                        ha="center", va="top", fontsize=8)  # fmt: skip
        unit = {"absolute": "value", "relative": "offset", "std": "value in stds"}[result.mode]
        names = ", ".join(str(i) for i in input_indices)
        fig.suptitle(title or f"Latent traversal of input {names} (columns: {unit})")
        fig.tight_layout()
    return fig


def traversal_mosaic(result: TraversalResult, input_indices: Sequence[int]) -> NDArray[np.float32]:
    """The traversal grids of ``input_indices`` composed into one image (what
    :func:`traversal_grids` draws).

    One block per input, side by side in the given order: row ``k`` of a block holds dimension
    ``result.dims[k]``, column ``j`` value ``result.values[j]``, the same rows in every block.
    Neighbouring images are 1 pixel apart and blocks ``w + 2`` pixels (a blank column); the
    space between is white (1.0).

    Parameters
    ----------
    result : TraversalResult
        From :func:`latentatlas.analysis.traversal.traverse`; images in [0, 1].
    input_indices : sequence of int
        The inputs to show, each in ``0 .. n_inputs - 1``; at least one.

    Returns
    -------
    ndarray of float32
        Shape (H, W) for one-channel images, (H, W, 3) for RGB (each image as
        :func:`latentatlas.plots.images.to_display` gives it, h x w pixels), where
        ``H = n_dims (h + 1) - 1`` and ``W = (m (n_values + 1) - 1) (w + 1) - 1`` for
        ``m = len(input_indices)``.
    """
    n_inputs, n_dims, n_values = result.images.shape[:3]
    if len(input_indices) == 0:
        raise ValueError("input_indices is empty; give at least one input")
    for index in input_indices:
        if not 0 <= index < n_inputs:
            raise ValueError(f"input_index {index} is outside 0..{n_inputs - 1}")
    input_shape = result.images.shape[3:]
    blocks = [
        to_display(result.images[index].reshape(n_dims * n_values, *input_shape))
        for index in input_indices
    ]
    h, w = blocks[0].shape[1:3]
    channels = blocks[0].shape[3:]  # () for grey, (3,) for RGB
    step_y, step_x = h + _GUTTER, w + _GUTTER
    # Each image with its gutter below and right of it; a blank image after each block.
    cells = np.ones((len(blocks), n_dims, n_values + 1, step_y, step_x, *channels), np.float32)
    for block, shown in enumerate(blocks):
        cells[block, :, :n_values, :h, :w] = shown.reshape(n_dims, n_values, h, w, *channels)
    rows_first = (1, 3, 0, 2, 4, *range(5, 5 + len(channels)))  # dims, y, blocks, columns, x
    mosaic = cells.transpose(rows_first).reshape(n_dims * step_y, -1, *channels)
    return mosaic[: n_dims * step_y - _GUTTER, : mosaic.shape[1] - step_x - _GUTTER]


def effect_heatmap(effects: TraversalEffectsResult, title: str | None = None) -> Figure:
    """Heat map of the per-input effect of each dimension, with each dimension's class below.

    Rows are inputs, columns latent dimensions; colour is the mean absolute pixel change per
    unit latent step. A column bright for some rows only is an input-dependent (entangled)
    dimension; the labels under the columns give the classification and the consistency.
    """
    n_inputs, n_dims = effects.effect.shape
    with style_context():
        fig = Figure(
            figsize=(max(4.0, 0.45 * n_dims + 2.0), max(3.0, min(8.0, 0.05 * n_inputs + 2.5)))
        )
        ax = fig.subplots()
        image = ax.imshow(
            effects.effect, aspect="auto", cmap=CONTINUOUS_CMAP, interpolation="nearest"
        )
        ax.set_xticks(
            range(n_dims),
            [
                f"z[{d}]\n{c[:4]}\n{s:.2f}"
                for d, c, s in zip(
                    effects.dims, effects.classification, effects.consistency, strict=True
                )
            ],
        )
        ax.set_xlabel("latent dimension (class, consistency)")
        ax.set_ylabel("input")
        fig.colorbar(image, ax=ax, label="mean |pixel change| per unit step")
        ax.set_title(title or f"Traversal effects: {effects.consistent_dims} consistent dimensions")
        fig.tight_layout()
    return fig


def importance_matrix_plot(
    dci_result: DCIResult,
    factor_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """The DCI importance matrix R (codes x factors) with D, C and I in the title.

    A disentangled and complete code shows one bright cell per row and per column.
    """
    importance = dci_result.importance
    n_codes, n_factors = importance.shape
    names = (
        list(factor_names)
        if factor_names is not None
        else [f"factor {j}" for j in range(n_factors)]
    )
    if len(names) != n_factors:
        raise ValueError(f"factor_names has {len(names)} names but R has {n_factors} factors")
    with style_context():
        fig = Figure(figsize=(0.7 * n_factors + 2.5, 0.35 * n_codes + 1.8))
        ax = fig.subplots()
        image = ax.imshow(
            importance,
            cmap=CONTINUOUS_CMAP,
            vmin=0.0,
            vmax=max(importance.max(), 1e-12),
            aspect="auto",
        )
        if n_codes * n_factors <= 200:  # numbers stay readable only in small matrices
            for (i, j), value in np.ndenumerate(importance):
                color = text_color_on(image.cmap(image.norm(value)))
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color=color)
        ax.set_xticks(range(n_factors), names, rotation=30, ha="right")
        ax.set_yticks(range(n_codes), [f"z[{i}]" for i in range(n_codes)])
        ax.set_xlabel("ground-truth factor")
        ax.set_ylabel("latent dimension")
        fig.colorbar(image, ax=ax, label="importance (column sums to 1)")
        ax.set_title(
            title
            or f"DCI importance ({dci_result.estimator}): D {dci_result.disentanglement:.2f}, "
            f"C {dci_result.completeness:.2f}, I {dci_result.informativeness:.2f}"
        )
        fig.tight_layout()
    return fig
