"""Figures over seeds, models and options: metric against option, per-seed strips, loss curves."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from latentatlas._stats import mean_and_std
from latentatlas.errors import InputError
from latentatlas.plots.style import MARKERS, series_colors, style_context

#: Horizontal spread of one option's models (categorical axis units), so their dots do not overlap.
DODGE = 0.12


def metric_vs_option(
    option_values: Sequence[Any],
    values_by_model: Mapping[str, Sequence[Sequence[float]]],
    option_label: str,
    metric_label: str,
    title: str,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Plot a metric against an option (latent dimension, activation, ...) for several models.

    Each model gets a line through its mean over seeds with mean ± standard deviation as
    error bars, and every seed's own value as a faint dot, so the spread is visible and
    not only summarised. Numeric options are placed at their values; other options (strings)
    on an evenly spaced categorical axis.

    Parameters
    ----------
    option_values : sequence
        The values of the option, in display order.
    values_by_model : mapping of str to sequence of sequence of float
        Per model, per option value, the metric of each seed (an empty list where not run).
    option_label : str
        Axis label of the option (with units where any).
    metric_label : str
        Axis label of the metric.
    title : str
        Figure title.
    colors : mapping of str to colour, optional
        A fixed colour per model, so a model looks the same in every figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    options = list(option_values)
    for model, per_option in values_by_model.items():
        if len(per_option) != len(options):
            raise InputError(
                f"values_by_model[{model!r}] has {len(per_option)} entries "
                f"for {len(options)} option values"
            )
    numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in options) and len(
        set(options)
    ) == len(options)
    positions = (
        np.asarray(options, dtype=np.float64)
        if numeric
        else np.arange(len(options), dtype=np.float64)
    )
    step = float(np.min(np.diff(np.sort(positions)))) if len(positions) > 1 else 1.0
    with style_context():
        fig = Figure(figsize=(6.0, 4.0), layout="constrained")
        ax = fig.subplots()
        palette = series_colors(list(values_by_model), colors)
        for i, (model, per_option) in enumerate(values_by_model.items()):
            offset = _dodge(i, len(values_by_model)) * step
            style = {"color": palette[i], "marker": MARKERS[i % len(MARKERS)]}
            if not numeric:  # a line between unordered categories would suggest a trend
                style["linestyle"] = ""

            _draw_series(ax, positions + offset, per_option, model, style)
        ax.set_xticks(positions, [str(v) for v in options])
        if not numeric:
            ax.set_xlim(-0.6, len(options) - 0.4)
        ax.set_xlabel(option_label)
        ax.set_ylabel(metric_label)
        ax.set_title(title)
        if values_by_model:
            ax.legend(title="model (mean ± std; dots: seeds)", frameon=False)
    return fig


def _dodge(index: int, count: int) -> float:
    return DODGE * (index - (count - 1) / 2)


def _draw_series(
    ax: Axes,
    positions: NDArray[np.float64],
    per_option: Sequence[Sequence[float]],
    label: str,
    style: Mapping[str, Any],
) -> None:
    stats = np.array([_mean_std_pair(seeds) for seeds in per_option]).reshape(-1, 2)
    ax.errorbar(
        positions,
        stats[:, 0],
        yerr=stats[:, 1],
        capsize=3,
        linewidth=1.5,
        markersize=6,
        label=label,
        **style,
    )
    for x, seeds in zip(positions, per_option, strict=True):
        seeds = np.asarray(seeds, dtype=np.float64)
        ax.scatter(np.full(len(seeds), x), seeds, s=14, alpha=0.35, color=style["color"], lw=0)


def metric_strip(
    values_by_model: Mapping[str, Sequence[float]],
    metric_label: str,
    title: str,
    reference: float | None = None,
    reference_label: str | None = None,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Show each model's per-seed values as dots beside their mean ± standard deviation.

    Parameters
    ----------
    values_by_model : mapping of str to sequence of float
        Per model, the metric of each seed.
    metric_label : str
        Axis label of the metric.
    title : str
        Figure title.
    reference : float, optional
        A value to draw as a dashed horizontal line (e.g. the silhouette of the raw pixels).
    reference_label : str, optional
        Legend text of the reference line.
    colors : mapping of str to colour, optional
        A fixed colour per model, so a model looks the same in every figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    models = list(values_by_model)
    with style_context():
        fig = Figure(figsize=(max(4.0, 1.3 * len(models) + 2.0), 4.0), layout="constrained")
        ax = fig.subplots()
        palette = series_colors(models, colors)
        for i, model in enumerate(models):
            seeds = np.asarray(values_by_model[model], dtype=np.float64)
            # Seeds spread evenly left of the model's slot, the summary to its right.
            spread = np.linspace(-0.22, -0.06, len(seeds)) if len(seeds) > 1 else np.array([-0.14])
            ax.scatter(i + spread, seeds, s=22, color=palette[i], alpha=0.75, lw=0)
            mean, std = _mean_std_pair(seeds)
            ax.errorbar(i + 0.1, mean, yerr=std, color=palette[i], marker="D", capsize=4, ms=6)
            if np.isfinite(mean):
                ax.annotate(
                    f"{mean:.3g}",
                    (i + 0.16, mean),
                    xytext=(2, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7,
                )
        if reference is not None:
            ax.axhline(reference, color="0.3", linestyle="--", linewidth=1.0, label=reference_label)
            if reference_label:
                ax.legend(frameon=False, loc="best")
        ax.set_xticks(range(len(models)), models)
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_xlabel("model (dots: seeds; diamond: mean ± std)")
        ax.set_ylabel(metric_label)
        ax.set_title(title)
    return fig


def history_plot(
    histories: Mapping[str, Sequence[Any]],
    title: str = "Loss during training",
    keys: Sequence[str] = ("validation_loss",),
    loss_label: str = "loss",
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Plot loss curves over epochs for every model and seed, on a log scale.

    One panel per key in ``keys``; a line per seed, coloured by model. A model without a
    history (PCA) draws nothing. A panel whose values are not all positive uses a linear scale
    and says so.

    Parameters
    ----------
    histories : mapping of str to sequence
        Per model, a history per seed. A history is a mapping with a list per key
        (``{"validation_loss": [...]}``), a mapping ``{"epochs": [{"validation_loss": ...}, ...]}``,
        or a list of such per-epoch mappings.
    title : str
        Figure title.
    keys : sequence of str
        Which series to draw, one panel each (e.g. ``("train_loss", "validation_loss")``).
    loss_label : str
        Y-axis label (add the loss's units or name, e.g. ``"MSE per pixel"``).
    colors : mapping of str to colour, optional
        A fixed colour per model, so a model looks the same in every figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    models = list(histories)
    palette = series_colors(models, colors)
    with style_context():
        fig = Figure(figsize=(4.6 * len(keys) + 1.6, 3.8), layout="constrained")
        axes = fig.subplots(1, len(keys), squeeze=False).ravel()
        for ax, key in zip(axes, keys, strict=True):
            curves = [
                (model, loss_series(history, key))
                for model in models
                for history in histories[model]
            ]
            _draw_curves(ax, curves, dict(zip(models, palette, strict=True)))
            ax.set_title(key.replace("_", " "))
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        drawn = [
            m for m in models if any(len(loss_series(h, k)) for h in histories[m] for k in keys)
        ]
        if drawn:
            handles = [Line2D([], [], color=palette[models.index(m)], label=m) for m in drawn]
            fig.legend(
                handles=handles,
                title="model (one line per seed)",
                loc="outside right upper",
                frameon=False,
            )
        _label_loss_axes(axes, loss_label)
        fig.suptitle(title)
    return fig


def _draw_curves(
    ax: Axes, curves: Sequence[tuple[str, NDArray[np.float64]]], colors: Mapping[str, str]
) -> None:
    for model, series in curves:
        if len(series):
            epochs = np.arange(1, len(series) + 1)
            ax.plot(epochs, series, color=colors[model], linewidth=1.2, alpha=0.8)
    if not any(len(series) for _, series in curves):
        ax.text(0.5, 0.5, "no training history", ha="center", va="center", transform=ax.transAxes)


def _label_loss_axes(axes: Sequence[Axes], loss_label: str) -> None:
    for ax in axes:
        values = [np.asarray(line.get_ydata(), dtype=np.float64) for line in ax.get_lines()]
        values = [v for v in values if v.size]
        if values and all(np.all(v[np.isfinite(v)] > 0) for v in values):
            ax.set_yscale("log")
            ax.set_ylabel(f"{loss_label} (log scale)")
        else:
            ax.set_ylabel(f"{loss_label} (linear scale)")


def loss_series(history: Any, key: str) -> NDArray[np.float64]:
    """Extract the per-epoch series ``key`` from a history in any of the accepted layouts.

    Accepts ``{key: [...]}``, ``{"epochs": [{key: value}, ...]}``, a list of per-epoch
    mappings, or an object with a ``to_dict()`` method returning one of these. Epochs without
    the key are NaN; a history without it gives an empty array.
    """
    if hasattr(history, "to_dict"):
        history = history.to_dict()
    if isinstance(history, Mapping):
        if key in history:
            return np.asarray(history[key], dtype=np.float64).ravel()
        history = history.get("epochs", [])
    epochs = [e for e in history if isinstance(e, Mapping)]
    if not any(key in e for e in epochs):
        return np.empty(0)
    return np.array([np.nan if e.get(key) is None else e[key] for e in epochs], dtype=np.float64)


def _mean_std_pair(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation of the finite values, for display."""
    mean, std, _ = mean_and_std(values)
    return mean, std
