"""Figures of the disentanglement analyses: traversal grids, effect heat maps, DCI importances."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from latentatlas.analysis.disentanglement import DCIResult
from latentatlas.analysis.traversal import TraversalEffectsResult, TraversalResult
from latentatlas.plots.images import to_display
from latentatlas.plots.style import CONTINUOUS_CMAP, style_context, text_color_on


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
    digit" comparison): a block of dims x values images per input, same rows in every block."""
    n_inputs = len(result.images)
    for index in input_indices:
        if not 0 <= index < n_inputs:
            raise ValueError(f"input_index {index} is outside 0..{n_inputs - 1}")
    n_dims, n_values = result.images.shape[1:3]
    n_columns = len(input_indices) * (n_values + 1) - 1  # an empty column between blocks
    with style_context():
        fig = Figure(figsize=(cell_inches * n_columns + 0.8, cell_inches * n_dims + 0.9))
        axes = fig.subplots(n_dims, n_columns, squeeze=False)
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        for block, index in enumerate(input_indices):
            first = block * (n_values + 1)
            for k in range(n_dims):
                shown = to_display(result.images[index, k])
                for j in range(n_values):
                    axes[k, first + j].imshow(shown[j], cmap="gray", vmin=0.0, vmax=1.0)
            for j, value in enumerate(result.values):
                axes[0, first + j].set_title(f"{value:.2g}", fontsize=7)
            if len(input_indices) > 1:
                axes[-1, first + n_values // 2].set_xlabel(f"input {index}", fontsize=8)
        for k, dim in enumerate(result.dims):
            axes[k, 0].set_ylabel(f"z[{dim}]", rotation=0, ha="right", va="center", fontsize=8)
        unit = {"absolute": "value", "relative": "offset", "std": "value in stds"}[result.mode]
        names = ", ".join(str(i) for i in input_indices)
        fig.suptitle(title or f"Latent traversal of input {names} (columns: {unit})")
        fig.tight_layout()
    return fig


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
