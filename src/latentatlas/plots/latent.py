"""Latent scatter plots: the codes of every training seed side by side, coloured by class."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import NDArray

from latentatlas.errors import InputError
from latentatlas.plots.style import (
    RC_PARAMS,
    class_colors,
    display_names,
    fitted_title,
    panel_grid,
    style_context,
)

PANEL_INCHES = 3.0
#: A single panel's figure is widened to this, so that its title and legend have room.
MIN_WIDTH_INCHES = 5.0


def latent_scatter_grid(
    codes_by_seed: Sequence[NDArray[np.floating]],
    labels: NDArray[np.integer] | None,
    label_names: Mapping[int, str] | Sequence[str] | None,
    title: str,
    seed_names: Sequence[str] | None = None,
    max_points: int = 5000,
    random_state: int = 0,
    marked: Sequence[NDArray[np.bool_]] | None = None,
    marked_label: str = "marked",
) -> Figure:
    """Scatter the latent codes of each seed in its own panel, coloured by class.

    Panels sit side by side and wrap after three per row; each has equal axes so distances
    read the same in both directions. Codes with more than two dimensions are shown by their
    first two coordinates (z1, z2), which the axis labels say; a 1-d code is drawn against a
    small random jitter. The same random subset of points is drawn in every panel, in a
    shuffled order so that no class is systematically painted over another.

    Parameters
    ----------
    codes_by_seed : sequence of ndarray of shape (n, d)
        Latent codes of the same n samples, one array per training seed.
    labels : ndarray of shape (n,) or None
        Class of each sample; ``None`` draws every point in one colour.
    label_names : mapping or sequence of str, optional
        Display names of the classes (by class value).
    title : str
        Figure title.
    seed_names : sequence of str, optional
        Panel titles; defaults to ``"seed 0"``, ``"seed 1"``, ...
    max_points : int
        At most this many points are drawn per panel (a seeded random subset).
    random_state : int
        Seed of the subset and of the drawing order.
    marked : sequence of bool ndarray of shape (n,), optional
        One mask per panel: these points get a black ring (e.g. misreconstructed images).
    marked_label : str
        Legend entry of the ringed points.

    Returns
    -------
    matplotlib.figure.Figure
    """
    codes = [_as_codes(c, i) for i, c in enumerate(codes_by_seed)]
    if marked is not None and len(marked) != len(codes):
        raise InputError(f"marked has {len(marked)} masks for {len(codes)} panels")
    n = _check_lengths(codes, labels, seed_names)
    rng = np.random.default_rng(random_state)
    shown = rng.permutation(n)[: max(1, max_points)]
    jitter = rng.uniform(-0.5, 0.5, size=n)
    classes = np.unique(labels) if labels is not None else np.array([], dtype=np.int64)
    palette = class_colors(len(classes))
    colors = _point_colors(labels, classes, palette)
    names = seed_names if seed_names is not None else [f"seed {i}" for i in range(len(codes))]
    with style_context():
        n_rows, n_columns = panel_grid(len(codes))
        width = max(PANEL_INCHES * n_columns + 0.6, MIN_WIDTH_INCHES)
        fig = Figure(figsize=(width, PANEL_INCHES * n_rows + 1.0), layout="constrained")
        axes = fig.subplots(n_rows, n_columns, squeeze=False).ravel()
        for index, (ax, code, name) in enumerate(zip(axes, codes, names, strict=False)):
            _scatter_panel(ax, code, shown, colors, jitter, name)
            if marked is not None:
                _ring(ax, code, np.asarray(marked[index], dtype=bool), jitter)
        for ax in axes[len(codes) :]:
            ax.set_visible(False)
        handles = [
            Line2D([], [], linestyle="", marker="o", markersize=6, color=color, label=name)
            for color, name in zip(palette, display_names(classes, label_names), strict=True)
        ]
        if marked is not None:
            handles.append(_ring_handle(marked_label))
        if handles:
            _legend_below(fig, handles, title="class")
        fig.suptitle(fitted_title(title, width))
    return fig


def _legend_below(fig: Figure, handles: list[Line2D], title: str) -> None:
    """The legend in rows under the panels: beside them, its title shared the suptitle's
    line and ran into it wherever the title was wider than the panels."""
    fig.legend(
        handles=handles,
        title=title,
        loc="outside lower center",
        ncols=_legend_columns([str(h.get_label()) for h in handles], fig.get_figwidth()),
        frameon=False,
        alignment="left",
    )


def _legend_columns(labels: Sequence[str], width_inches: float) -> int:
    """The most columns whose entries fit ``width_inches`` (matplotlib fills a legend column by
    column; a character is taken as 0.6 em, its marker, padding and the gap to the next as 5 em)."""
    points = float(RC_PARAMS["legend.fontsize"])
    for columns in range(len(labels), 1, -1):
        rows = -(-len(labels) // columns)
        chunks = [labels[i : i + rows] for i in range(0, len(labels), rows)]
        needed = sum(max(map(len, c)) * 0.6 * points + 5 * points for c in chunks)
        if needed <= 0.95 * width_inches * 72:
            return columns
    return 1


def _as_codes(code: NDArray[np.floating], index: int) -> NDArray[np.float64]:
    arr = np.asarray(code, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise InputError(
            f"codes_by_seed[{index}] has shape {arr.shape}, expected (n, d) with d >= 1"
        )
    return arr


def _check_lengths(
    codes: Sequence[NDArray[np.float64]],
    labels: NDArray[np.integer] | None,
    seed_names: Sequence[str] | None,
) -> int:
    if not codes:
        raise InputError("codes_by_seed is empty, expected the codes of at least one seed")
    n = len(codes[0])
    for i, code in enumerate(codes):
        if len(code) != n:
            raise InputError(
                f"codes_by_seed[{i}] has {len(code)} rows but codes_by_seed[0] has {n}"
            )
    if labels is not None and len(labels) != n:
        raise InputError(f"labels has {len(labels)} entries but the codes have {n} rows")
    if seed_names is not None and len(seed_names) != len(codes):
        raise InputError(f"seed_names has {len(seed_names)} names for {len(codes)} seeds")
    return n


def _point_colors(
    labels: NDArray[np.integer] | None, classes: NDArray[np.integer], palette: Sequence[str]
) -> NDArray[np.str_]:
    if labels is None:
        return np.array([class_colors(1)[0]])
    return np.asarray(palette)[np.searchsorted(classes, labels)]


def _scatter_panel(
    ax: Axes,
    code: NDArray[np.float64],
    shown: NDArray[np.intp],
    colors: NDArray[np.str_],
    jitter: NDArray[np.float64],
    name: str,
) -> None:
    dim = code.shape[1]
    x = code[shown, 0]
    y = code[shown, 1] if dim > 1 else jitter[shown]
    point_colors = colors if len(colors) == 1 else colors[shown]
    # Small, slightly transparent dots keep dense regions readable at thousands of points.
    size = 10.0 if len(shown) <= 1000 else 4.0
    ax.scatter(x, y, c=point_colors, s=size, alpha=0.7, linewidths=0, rasterized=True)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(name)
    if dim == 1:
        ax.set_xlabel("z1 (the code is 1-d)")
        ax.set_ylabel("random jitter (no meaning)")
    elif dim == 2:
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
    else:
        ax.set_xlabel(f"z1 (dims 1-2 of {dim} shown)")
        ax.set_ylabel(f"z2 (dims 1-2 of {dim} shown)")


def _ring(ax: Axes, code: NDArray[np.float64], mask: NDArray[np.bool_], jitter: NDArray) -> None:
    """Black rings around the points of ``mask`` (all of them, not only the drawn subset)."""
    if not mask.any():
        return
    y = code[mask, 1] if code.shape[1] > 1 else jitter[mask]
    ax.scatter(code[mask, 0], y, s=40, facecolors="none", edgecolors="black", linewidths=0.9)


def _ring_handle(label: str) -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="",
        marker="o",
        markersize=7,
        markerfacecolor="none",
        markeredgecolor="black",
        label=label,
    )


def latent_overlay(
    aligned_by_seed: Sequence[NDArray[np.floating]],
    labels: NDArray[np.integer],
    label_names: Mapping[int, str] | Sequence[str] | None,
    title: str,
    seed_names: Sequence[str] | None = None,
) -> Figure:
    """All seeds' codes on one set of axes, each seed with its own marker, coloured by class.

    Meant for codes already aligned to one seed (``analysis.procrustes_align``): points that
    land together across seeds show what the layouts share; a spread of markers shows how much
    the layout moves from seed to seed beyond a rotation, reflection and scale.
    """
    codes = [_as_codes(c, i) for i, c in enumerate(aligned_by_seed)]
    _check_lengths(codes, labels, seed_names)
    names = seed_names if seed_names is not None else [f"seed {i}" for i in range(len(codes))]
    classes = np.unique(labels)
    palette = class_colors(len(classes))
    colors = _point_colors(labels, classes, palette)
    markers = ("o", "s", "^", "D", "v", "P", "X", "*")
    with style_context():
        fig = Figure(figsize=(PANEL_INCHES * 1.6 + 1.6, PANEL_INCHES * 1.6), layout="constrained")
        ax = fig.subplots()
        for index, code in enumerate(codes):
            y = code[:, 1] if code.shape[1] > 1 else np.zeros(len(code))
            ax.scatter(
                code[:, 0],
                y,
                c=colors,
                s=9,
                alpha=0.45,
                linewidths=0,
                marker=markers[index % len(markers)],
                rasterized=True,
            )
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("z1 (aligned to the first seed)")
        ax.set_ylabel("z2 (aligned to the first seed)")
        handles = [
            Line2D([], [], linestyle="", marker="o", markersize=6, color=color, label=name)
            for color, name in zip(palette, display_names(classes, label_names), strict=True)
        ] + [
            Line2D(
                [],
                [],
                linestyle="",
                marker=markers[i % len(markers)],
                markersize=6,
                color="0.3",
                label=name,
            )
            for i, name in enumerate(names)
        ]
        fig.legend(handles=handles, loc="outside right center", frameon=False)
        fig.suptitle(fitted_title(title, fig.get_figwidth()))
    return fig
