"""Cluster figures: Rousseeuw silhouette plots, label-reconstruction confusion, pair heat maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from latentatlas.errors import InputError
from latentatlas.plots.style import (
    CONTINUOUS_CMAP,
    class_colors,
    display_names,
    panel_grid,
    style_context,
    text_color_on,
)

SILHOUETTE_XLABEL = "silhouette coefficient s(i)"
SILHOUETTE_YLABEL = "samples, sorted within class"


def silhouette_plot(
    samples: NDArray[np.floating],
    labels: NDArray[np.integer],
    mean: float,
    label_names: Mapping[int, str] | Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Draw a silhouette plot: per class, its samples' s(i) sorted as horizontal bars.

    Rousseeuw's graphical aid (1987): each class is a block of horizontal bars, one per
    sample, sorted from the largest s(i) at the top of the block to the smallest; blocks are
    stacked with a gap, the class name at the left. A wide block means a well separated
    class; bars reaching left of zero are samples nearer the other class. The average
    ``mean`` is marked by a dashed vertical line with its value.

    Parameters
    ----------
    samples : ndarray of shape (n,)
        Silhouette coefficient of each sample, in [-1, 1].
    labels : ndarray of shape (n,)
        Class of each sample.
    mean : float
        The average silhouette to mark (computed by the analysis, not here).
    label_names : mapping or sequence of str, optional
        Display names of the classes.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
        Axes title; defaults to ``"silhouette plot"``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes.

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and
    validation of cluster analysis. J. Comput. Appl. Math. 20, 53-65.
    """
    values, labels = _check_silhouette_inputs(samples, labels)
    with style_context():
        if ax is None:
            fig = Figure(figsize=(5.0, 4.2), layout="constrained")
            ax = fig.subplots()
        _draw_silhouette(ax, values, labels, float(mean), label_names)
        ax.set_xlim(_silhouette_xmin(values), 1.0)
        ax.set_title(title if title else "silhouette plot")
    return ax.figure  # type: ignore[return-value]


def silhouette_grid(
    samples_by_seed: Sequence[NDArray[np.floating]],
    labels: NDArray[np.integer],
    means: Sequence[float],
    label_names: Mapping[int, str] | Sequence[str] | None = None,
    title: str = "Silhouette plots, one per training seed",
    seed_names: Sequence[str] | None = None,
) -> Figure:
    """Silhouette plots of several seeds side by side (wrapping after five), on one x range.

    Parameters
    ----------
    samples_by_seed : sequence of ndarray of shape (n,)
        Per-sample silhouette values of each seed, for the same samples.
    labels : ndarray of shape (n,)
        Class of each sample.
    means : sequence of float
        Average silhouette of each seed.
    label_names : mapping or sequence of str, optional
        Display names of the classes.
    title : str
        Figure title.
    seed_names : sequence of str, optional
        Panel titles; defaults to ``"seed 0"``, ...

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not samples_by_seed:
        raise InputError("samples_by_seed is empty, expected the silhouettes of at least one seed")
    if len(means) != len(samples_by_seed):
        raise InputError(f"means has {len(means)} values for {len(samples_by_seed)} seeds")
    if seed_names is not None and len(seed_names) != len(samples_by_seed):
        raise InputError(f"seed_names has {len(seed_names)} names for {len(samples_by_seed)} seeds")
    names = seed_names if seed_names is not None else [f"seed {i}" for i in range(len(means))]
    checked = [_check_silhouette_inputs(s, labels)[0] for s in samples_by_seed]
    xmin = min(_silhouette_xmin(v) for v in checked)
    with style_context():
        n_rows, n_columns = panel_grid(len(checked))
        fig = Figure(figsize=(3.4 * n_columns, 3.6 * n_rows + 0.5), layout="constrained")
        axes = fig.subplots(n_rows, n_columns, squeeze=False).ravel()
        for ax, values, mean, name in zip(axes, checked, means, names, strict=False):
            silhouette_plot(values, labels, mean, label_names, ax=ax, title=name)
            ax.set_xlim(xmin, 1.0)
        for ax in axes[len(checked) :]:
            ax.set_visible(False)
        fig.suptitle(title)
    return fig


def _check_silhouette_inputs(
    samples: NDArray[np.floating], labels: NDArray[np.integer]
) -> tuple[NDArray[np.float64], NDArray[np.integer]]:
    values = np.asarray(samples, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if len(values) != len(labels):
        raise InputError(f"samples has {len(values)} values but labels has {len(labels)} entries")
    if len(values) == 0:
        raise InputError("samples is empty, expected at least one silhouette value")
    return values, labels


def _silhouette_xmin(values: NDArray[np.float64]) -> float:
    lowest = float(np.nanmin(values)) if np.isfinite(values).any() else 0.0
    return max(-1.0, min(-0.2, np.floor((lowest - 0.05) * 10.0) / 10.0))


def _draw_silhouette(
    ax: Axes,
    values: NDArray[np.float64],
    labels: NDArray[np.integer],
    mean: float,
    label_names: Mapping[int, str] | Sequence[str] | None,
) -> None:
    classes = np.unique(labels)
    colors = class_colors(len(classes))
    gap = max(1, round(0.04 * len(values)))
    top, centres = 0, []
    for cls, color in zip(classes, colors, strict=True):
        # Sorting for display only; the values themselves come from the analysis.
        block = np.sort(values[labels == cls])[::-1]
        rows = top + np.arange(len(block)) + 0.5
        ax.fill_betweenx(rows, 0.0, block, facecolor=color, edgecolor=color, linewidth=0.3)
        centres.append(top + len(block) / 2)
        top += len(block) + gap
    names = display_names(classes, label_names)
    counts = [int(np.sum(labels == cls)) for cls in classes]
    ax.set_yticks(centres, [f"{name}\n(n={c})" for name, c in zip(names, counts, strict=True)])
    ax.tick_params(axis="y", length=0)
    # First class on top, largest s(i) at the top of its block; headroom for the mean's label.
    ax.set_ylim(top - gap + 0.5, -0.5 - 0.09 * (top - gap))
    ax.axvline(0.0, color="0.5", linewidth=0.8)
    ax.axvline(mean, color="black", linestyle="--", linewidth=1.2)
    ax.annotate(
        f"mean s = {mean:.3f}",
        xy=(mean, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -2),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
    )
    ax.set_xlabel(SILHOUETTE_XLABEL)
    ax.set_ylabel(SILHOUETTE_YLABEL)


def confusion_plot(
    confusion: NDArray[np.integer],
    class_names: Sequence[str],
    title: str,
    normalise: bool = True,
) -> Figure:
    """Draw a confusion matrix of label reconstruction, counts and row percentages in each cell.

    Rows are the true class of the original image, columns the class a classifier gives to
    its reconstruction; off-diagonal cells are reconstructions that changed class.

    Parameters
    ----------
    confusion : ndarray of shape (k, k)
        Counts; ``confusion[i, j]`` originals of class i whose reconstruction was called j.
    class_names : sequence of str
        Names of the k classes, in row order.
    title : str
        Figure title.
    normalise : bool
        Colour cells by the fraction of their row (True) or by the raw count (False).

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = np.asarray(confusion, dtype=np.float64)
    k = len(class_names)
    if counts.shape != (k, k):
        raise InputError(f"confusion has shape {counts.shape}, expected ({k}, {k}) for {k} classes")
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fractions = np.where(totals > 0, counts / totals, np.nan)
    shown = fractions if normalise else counts
    with style_context():
        side = 1.2 + 0.75 * k
        fig = Figure(figsize=(side + 1.4, side + 0.4), layout="constrained")
        ax = fig.subplots()
        cmap = matplotlib.colormaps[CONTINUOUS_CMAP].with_extremes(bad="0.85")
        vmax = 1.0 if normalise else max(float(np.nanmax(counts)), 1.0)
        image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, vmin=0.0, vmax=vmax)
        for i in range(k):
            for j in range(k):
                percent = "—" if np.isnan(fractions[i, j]) else f"{100 * fractions[i, j]:.1f}%"
                value = shown[i, j]
                rgba = cmap(0.0) if np.isnan(value) else cmap(value / vmax)
                text = f"{int(counts[i, j])}\n({percent})"
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color=text_color_on(rgba))
        ax.set_xticks(range(k), class_names)
        ax.set_yticks(range(k), class_names)
        ax.set_xlabel("class given to the reconstruction")
        ax.set_ylabel("true class (original)")
        ax.set_title(title)
        label = "fraction of the true class" if normalise else "count"
        fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    return fig


def pair_heatmap(
    matrix: NDArray[np.floating] | Mapping[tuple[int, int], float],
    title: str,
    value_label: str = "silhouette",
    digits: Sequence[str] = tuple("0123456789"),
) -> Figure:
    """Heat map of a metric over pairs of classes, each cell annotated with two decimals.

    Cells that are NaN (the diagonal, pairs not run) are left blank in light grey.

    Parameters
    ----------
    matrix : ndarray of shape (k, k), or mapping of (int, int) to float
        ``matrix[i, j]`` is the metric for the pair (digits[i], digits[j]); NaN where undefined.
        A mapping gives the value of each pair ``(i, j)`` it holds, drawn in both of its cells.
    title : str
        Figure title.
    value_label : str
        What the values are (colour bar label).
    digits : sequence of str
        Names of the k classes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    k = len(digits)
    if isinstance(matrix, Mapping):
        pairs, matrix = matrix, np.full((k, k), np.nan)
        for (i, j), value in pairs.items():
            matrix[i, j] = matrix[j, i] = value
    values = np.asarray(matrix, dtype=np.float64)
    if values.shape != (k, k):
        raise InputError(f"matrix has shape {values.shape}, expected ({k}, {k}) for {k} classes")
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmax <= vmin:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    with style_context():
        side = 1.0 + 0.55 * k
        fig = Figure(figsize=(side + 1.5, side + 0.3), layout="constrained")
        ax = fig.subplots()
        cmap = matplotlib.colormaps[CONTINUOUS_CMAP].with_extremes(bad="0.9")
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax)
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                color = text_color_on(cmap((value - vmin) / (vmax - vmin)))
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color=color)
        ax.set_xticks(range(k), list(digits))
        ax.set_yticks(range(k), list(digits))
        ax.set_xlabel("second class of the pair")
        ax.set_ylabel("first class of the pair")
        ax.set_title(title)
        fig.colorbar(image, ax=ax, label=value_label, shrink=0.8)
    return fig
