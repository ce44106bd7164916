"""Figures of latent geometry: factor-coloured projections, 3-d views, paths and error tails."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from latentatlas.analysis.paths import PathDecoding
from latentatlas.analysis.reconstruction import ReconstructionErrors
from latentatlas.errors import InputError
from latentatlas.plots.images import image_grid, to_display
from latentatlas.plots.style import (
    CONTINUOUS_CMAP,
    MARKERS,
    OKABE_ITO,
    series_colors,
    style_context,
)

if TYPE_CHECKING:  # plotly is imported where a 3-d figure is drawn
    import plotly.graph_objects as go

PANEL_INCHES = 3.0
PATH_COLOR = OKABE_ITO[3]  # vermillion stands out on cividis


def latent_pairs_figure(
    codes: NDArray[np.floating],
    colourings: Mapping[str, NDArray[np.floating]],
    title: str,
    axis_pairs: Sequence[tuple[int, int]] | None = None,
    max_points: int = 5000,
    random_state: int = 0,
) -> Figure:
    """Scatter the codes on each pair of latent axes, one row per colouring (a factor).

    Every panel has equal axes; each row shares one colour scale (cividis) with its bar.

    Parameters
    ----------
    codes : ndarray of shape (n, d), d >= 2
    colourings : mapping of str to ndarray of shape (n,)
        Values that colour the points, e.g. from ``analysis.geometry.factor_columns``.
    title : str
    axis_pairs : sequence of (int, int), optional
        Projections to draw (columns); default every pair.
    max_points : int
        At most this many points (a seeded random subset, shuffled so no value paints last).
    random_state : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    z = _codes(codes, min_dim=2)
    pairs = list(axis_pairs) if axis_pairs is not None else list(combinations(range(z.shape[1]), 2))
    columns = _colourings(colourings, len(z))
    shown = np.random.default_rng(random_state).permutation(len(z))[: max(1, max_points)]
    with style_context():
        fig = Figure(
            figsize=(PANEL_INCHES * len(pairs) + 1.0, PANEL_INCHES * len(columns) + 0.5),
            layout="constrained",
        )
        axes = fig.subplots(len(columns), len(pairs), squeeze=False)
        for row, (name, values) in zip(axes, columns.items(), strict=True):
            for ax, (i, j) in zip(row, pairs, strict=True):
                points = ax.scatter(
                    z[shown, i], z[shown, j], c=values[shown], cmap=CONTINUOUS_CMAP,
                    s=6.0, linewidths=0, rasterized=True,
                )  # fmt: skip
                _latent_axes(ax, i, j)
            fig.colorbar(points, ax=list(row), label=name, shrink=0.9)
        fig.suptitle(title)
    return fig


def latent_3d_figure(
    codes: NDArray[np.floating],
    colourings: Mapping[str, NDArray[np.floating]],
    title: str,
    paths: Mapping[str, NDArray[np.floating]] | None = None,
    show_hull: bool = False,
    max_points: int = 5000,
    random_state: int = 0,
) -> go.Figure:
    """An interactive, rotatable 3-d scatter of the codes with a menu to pick the colouring.

    Axes keep the data's proportions (``aspectmode="data"``). Paths are drawn as lines with
    markers; ``show_hull`` adds the codes' convex hull as a translucent mesh (computed by
    plotly.js in the browser, ``alphahull=0``). Embed with ``fig.to_html(include_plotlyjs=...)``.

    Parameters
    ----------
    codes : ndarray of shape (n, 3)
    colourings : mapping of str to ndarray of shape (n,)
        One entry of the drop-down menu each; the first is shown.
    title : str
    paths : mapping of str to ndarray of shape (m, 3), optional
    show_hull : bool
    max_points : int
        At most this many points (a seeded random subset keeps the file small).
    random_state : int

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    z = _codes(codes, min_dim=3, max_dim=3)
    columns = _colourings(colourings, len(z))
    shown = np.sort(np.random.default_rng(random_state).permutation(len(z))[: max(1, max_points)])
    fig = go.Figure()
    for k, (name, values) in enumerate(columns.items()):
        fig.add_trace(
            go.Scatter3d(
                x=z[shown, 0], y=z[shown, 1], z=z[shown, 2], mode="markers", name=name,
                visible=k == 0, hovertemplate=f"{name}: %{{marker.color:.3g}}<extra></extra>",
                marker={"size": 2, "color": values[shown], "colorscale": "Cividis",
                        "colorbar": {"title": {"text": name}}},
            )
        )  # fmt: skip
    extras = _path_traces(go, paths or {}) + (_hull_trace(go, z) if show_hull else [])
    fig.add_traces(extras)
    menu = [
        {"label": name, "method": "update",
         "args": [{"visible": [i == k for i in range(len(columns))] + [True] * len(extras)}]}
        for k, name in enumerate(columns)
    ]  # fmt: skip
    fig.update_layout(
        title={"text": title},
        scene={"aspectmode": "data", "xaxis_title": "z1", "yaxis_title": "z2",
               "zaxis_title": "z3"},
        updatemenus=[{"buttons": menu, "x": 0.0, "y": 1.0, "xanchor": "left"}],
        legend={"x": 0.0, "y": 0.0},
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
    )  # fmt: skip
    return fig


def _path_traces(go: Any, paths: Mapping[str, NDArray[np.floating]]) -> list[Any]:
    traces = []
    for k, (name, path) in enumerate(paths.items()):
        points = _codes(path, min_dim=3, max_dim=3, name=f"paths[{name!r}]")
        color = OKABE_ITO[(3 + k) % len(OKABE_ITO)]
        traces.append(
            go.Scatter3d(
                x=points[:, 0], y=points[:, 1], z=points[:, 2], mode="lines+markers", name=name,
                line={"color": color, "width": 6}, marker={"size": 3, "color": color},
            )
        )  # fmt: skip
    return traces


def _hull_trace(go: Any, z: NDArray[np.float64]) -> list[Any]:
    return [
        go.Mesh3d(
            x=z[:, 0], y=z[:, 1], z=z[:, 2], alphahull=0, opacity=0.12, color="grey",
            name="convex hull", hoverinfo="skip", showlegend=True,
        )
    ]  # fmt: skip


def path_figure(
    codes: NDArray[np.floating],
    decoding: PathDecoding,
    title: str,
    axes: tuple[int, int] | None = None,
    colour: NDArray[np.floating] | None = None,
    colour_name: str | None = None,
    n_images: int = 10,
    max_points: int = 5000,
    random_state: int = 0,
) -> Figure:
    """A path drawn on a latent projection, with its decoded image strip below.

    The top panel scatters the codes on ``axes`` (grey, or coloured by ``colour``) and draws
    the path from its start (circle) to its end (arrow head). Below, ``n_images`` evenly
    spaced decodes of the path; each is titled with its off-manifold distance and, where
    the decoding has them, the factors read off the image.

    Parameters
    ----------
    codes : ndarray of shape (n, d)
    decoding : PathDecoding
        From ``analysis.paths.decode_path``.
    title : str
    axes : (int, int), optional
        The latent axes of the projection; by default the two along which the path moves
        most, in axis order.
    colour : ndarray of shape (n,), optional
    colour_name : str, optional
        Colour bar label.
    n_images : int
        Images in the strip (all points if the path has fewer).
    max_points, random_state : int
        Scatter subset, as in :func:`latent_pairs_figure`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    z = _codes(codes, min_dim=2)
    path = np.asarray(decoding.points, dtype=np.float64)
    axes = _moving_axes(path) if axes is None else axes
    if path.shape[1] != z.shape[1] or any(not 0 <= a < z.shape[1] for a in axes):
        raise InputError(f"path and codes must share latent axes {axes}; got {path.shape[1]}-d")
    strip = np.unique(np.linspace(0, len(path) - 1, min(n_images, len(path))).round().astype(int))
    shown = np.random.default_rng(random_state).permutation(len(z))[: max(1, max_points)]
    with style_context():
        fig = Figure(figsize=(max(6.0, 1.0 * len(strip)), 6.2), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[3.0, 1.4])
        ax = top.subplots()
        if colour is None:
            ax.scatter(z[shown, axes[0]], z[shown, axes[1]], s=5, c="0.7", linewidths=0)
        else:
            values = _colourings({colour_name or "colour": colour}, len(z))
            points = ax.scatter(
                z[shown, axes[0]], z[shown, axes[1]], c=next(iter(values.values()))[shown],
                cmap=CONTINUOUS_CMAP, s=5, linewidths=0, rasterized=True,
            )  # fmt: skip
            top.colorbar(points, ax=ax, label=colour_name or "")
        _draw_path(ax, path[:, list(axes)], strip)
        _latent_axes(ax, *axes)
        top.suptitle(title)
        _image_strip(bottom, decoding, strip)
    return fig


def _moving_axes(path: NDArray[np.float64]) -> tuple[int, int]:
    """The two latent axes along which ``path`` moves most, in axis order."""
    extent = np.ptp(path, axis=0)
    first, second = sorted(int(a) for a in np.argsort(-extent, kind="stable")[:2])
    return first, second


def _draw_path(ax: Axes, xy: NDArray[np.float64], strip: NDArray[np.intp]) -> None:
    ax.plot(xy[:, 0], xy[:, 1], color=PATH_COLOR, linewidth=2.0)
    ax.plot(*xy[0], marker="o", color=PATH_COLOR, markersize=7)
    ax.annotate(
        "", xy=xy[-1], xytext=xy[-2],
        arrowprops={"arrowstyle": "-|>", "color": PATH_COLOR, "linewidth": 2.0},
    )  # fmt: skip
    for number, index in enumerate(strip, start=1):
        ax.annotate(str(number), xy[index], fontsize=7, xytext=(3, 3), textcoords="offset points")


def _image_strip(fig: Any, decoding: PathDecoding, strip: NDArray[np.intp]) -> None:
    shown = to_display(np.asarray(decoding.images)[strip])
    axes = fig.subplots(1, len(strip), squeeze=False)[0]
    names = decoding.factor_names
    for number, (ax, index, image) in enumerate(zip(axes, strip, shown, strict=True), start=1):
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        lines = [f"{number}: d={decoding.offmanifold[index]:.2g}"]
        if decoding.factors is not None:
            lines += [f"{n}={v:.2g}" for n, v in zip(names, decoding.factors[index], strict=True)]
        ax.set_title("\n".join(lines), fontsize=6)
    fig.supxlabel("decoded along the path (d = distance to the nearest data code)", fontsize=8)


def offmanifold_figure(decodings: Mapping[str, PathDecoding], title: str) -> Figure:
    """Distance to the nearest data code along each path, against the share of its length.

    Parameters
    ----------
    decodings : mapping of str to PathDecoding
        One line per named path.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not decodings:
        raise InputError("decodings is empty, expected at least one path")
    with style_context():
        fig = Figure(figsize=(6.0, 3.8), layout="constrained")
        ax = fig.subplots()
        colors = series_colors(list(decodings))
        for k, (name, decoding) in enumerate(decodings.items()):
            ax.plot(
                _length_share(decoding.points), decoding.offmanifold, label=name,
                color=colors[k], marker=MARKERS[k % len(MARKERS)], markersize=4,
            )  # fmt: skip
        ax.set_xlabel("position along the path (share of its length)")
        ax.set_ylabel("distance to the nearest data code (latent units)")
        ax.set_ylim(bottom=0.0)
        ax.legend(frameon=False)
        ax.set_title(title)
    return fig


def path_factors_figure(decoding: PathDecoding, title: str) -> Figure:
    """The factors a reader sees in the decoded images, along the path, one panel per factor.

    A path "that rotates the ellipse" shows a sweeping ``corr`` panel and flat variances.

    Parameters
    ----------
    decoding : PathDecoding
        Decoded with a factor reader (``decoding.factors`` set).
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    if decoding.factors is None:
        raise InputError("decoding has no factor readings; decode the path with a reader")
    share = _length_share(decoding.points)
    names = decoding.factor_names
    with style_context():
        fig = Figure(figsize=(2.6 * len(names) + 0.4, 2.8), layout="constrained")
        axes = fig.subplots(1, len(names), squeeze=False)[0]
        for k, (ax, name) in enumerate(zip(axes, names, strict=True)):
            ax.plot(share, decoding.factors[:, k], color=OKABE_ITO[0], marker="o", markersize=3)
            span = decoding.factor_span.get(name, float("nan"))
            ax.set_title(f"{name} (sweeps {span:.0%} of its range)")
            ax.set_xlabel("position along the path")
            ax.set_ylabel(f"{name} read off the image")
        fig.suptitle(title)
    return fig


def off_data_decodes_figure(
    images: NDArray[np.floating], distances: NDArray[np.floating], title: str
) -> Figure:
    """Decodes of points in the empty regions of a latent hull, each titled with its distance
    to the nearest training image (``analysis.hull_decodes``' examples)."""
    if len(images) == 0 or len(images) != len(distances):
        raise InputError(
            f"images and distances must hold one entry per decode; got {len(images)} and "
            f"{len(distances)}"
        )
    column_titles = [f"{d:.2f}" for d in distances]
    return image_grid(images, n_columns=len(images), column_titles=column_titles, title=title)


def perturbations_figure(images: NDArray[np.floating], title: str) -> Figure:
    """One row per perturbed code: its decode, then the decodes of its random moves.

    Parameters
    ----------
    images : ndarray of shape (e, 1 + p, ...)
        ``HullPerturbationResult.example_images``.
    title : str
    """
    if np.ndim(images) < 3 or len(images) == 0:
        raise InputError(f"images must have shape (e, 1 + p, ...), got {np.shape(images)}")
    columns = images.shape[1]
    return image_grid(
        images.reshape(-1, *images.shape[2:]),
        n_columns=columns,
        column_titles=["hull code"] + [f"moved {k}" for k in range(1, columns)],
        title=title,
    )


def error_histograms(
    errors_by_model: Mapping[str, NDArray[np.floating]],
    title: str,
    measure: str = "Frobenius norm of the error",
    bins: int = 40,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Overlaid histograms of per-image reconstruction errors, one per model, shared bins.

    Step outlines (not filled bars) keep every model visible; a dashed line marks each
    model's median. Counts are shown as densities, so models scored on different numbers of
    images compare.

    Parameters
    ----------
    errors_by_model : mapping of str to ndarray of shape (n_model,)
        E.g. ``ReconstructionErrors.frobenius`` of each model.
    title : str
    measure : str
        Axis label of the error.
    bins : int
    colors : mapping of str to colour, optional
        A fixed colour per model.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not errors_by_model:
        raise InputError("errors_by_model is empty, expected the errors of at least one model")
    values = {name: np.asarray(v, dtype=np.float64).ravel() for name, v in errors_by_model.items()}
    for name, v in values.items():
        if len(v) == 0 or not np.isfinite(v).all():
            raise InputError(f"errors_by_model[{name!r}] must be non-empty and finite")
    edges = np.histogram_bin_edges(np.concatenate(list(values.values())), bins=bins)
    with style_context():
        fig = Figure(figsize=(6.0, 3.8), layout="constrained")
        ax = fig.subplots()
        palette = series_colors(list(values), colors)
        for color, (name, v) in zip(palette, values.items(), strict=True):
            ax.hist(v, bins=edges, density=True, histtype="step", linewidth=1.8, color=color,
                    label=f"{name} (median {np.median(v):.3g})")  # fmt: skip
            ax.axvline(float(np.median(v)), color=color, linestyle="--", linewidth=1.0)
        ax.set_xlabel(measure)
        ax.set_ylabel("density (share of images per unit error)")
        ax.legend(frameon=False)
        ax.set_title(title)
    return fig


def worst_reconstructions_figure(
    errors: ReconstructionErrors, title: str = "Worst reconstructions"
) -> Figure:
    """The worst-reconstructed images (top row) above their reconstructions, worst first.

    Parameters
    ----------
    errors : ReconstructionErrors
        From ``analysis.reconstruction.reconstruction_errors``.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    indices = np.asarray(errors.worst_indices)
    return worst_images_figure(
        errors.worst_originals,
        errors.worst_reconstructions,
        indices,
        np.asarray(errors.frobenius)[indices],
        title,
    )


def worst_images_figure(
    originals: NDArray[np.floating],
    reconstructions: NDArray[np.floating],
    indices: NDArray[np.integer],
    errors: NDArray[np.floating],
    title: str = "Worst reconstructions",
) -> Figure:
    """Originals (top row) above their reconstructions, each column titled with its error.

    The stored-arrays form of :func:`worst_reconstructions_figure`, for reports that keep
    the worst images rather than the whole result.

    Parameters
    ----------
    originals, reconstructions : ndarray of shape (w, ...)
    indices : ndarray of int, shape (w,)
        Row of each image in the set it was drawn from.
    errors : ndarray of shape (w,)
        Error of each image.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    shown = np.asarray(originals)
    if len(shown) == 0:
        raise InputError("errors holds no worst images to draw")
    if not len(reconstructions) == len(indices) == len(errors) == len(shown):
        raise InputError(
            f"originals, reconstructions, indices and errors must have one entry per image; got "
            f"{len(shown)}, {len(reconstructions)}, {len(indices)} and {len(errors)}"
        )
    images = np.concatenate([to_display(shown), to_display(reconstructions)])
    return image_grid(
        images,
        n_columns=len(shown),
        row_titles=["original", "reconstruction"],
        column_titles=[f"#{i}: {e:.3g}" for i, e in zip(indices, errors, strict=True)],
        title=title,
    )


def _codes(
    codes: Any, min_dim: int, max_dim: int | None = None, name: str = "codes"
) -> NDArray[np.float64]:
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < min_dim or (max_dim is not None and z.shape[1] > max_dim):
        wanted = f"{min_dim}" if max_dim == min_dim else f"at least {min_dim}"
        raise InputError(f"{name} must be (n, d) with d {wanted}, got shape {z.shape}")
    return z


def _colourings(
    colourings: Mapping[str, NDArray[np.floating]], n: int
) -> dict[str, NDArray[np.float64]]:
    if not colourings:
        raise InputError("colourings is empty, expected at least one named value per code")
    columns = {}
    for name, values in colourings.items():
        column = np.asarray(values, dtype=np.float64)
        if column.shape != (n,):
            raise InputError(f"colourings[{name!r}] has shape {column.shape}, expected ({n},)")
        columns[str(name)] = column
    return columns


def _latent_axes(ax: Axes, i: int, j: int) -> None:
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(f"z{i + 1}")
    ax.set_ylabel(f"z{j + 1}")


def _length_share(points: NDArray[np.floating]) -> NDArray[np.float64]:
    steps = np.linalg.norm(np.diff(np.asarray(points, dtype=np.float64), axis=0), axis=1)
    travelled = np.concatenate([[0.0], np.cumsum(steps)])
    return travelled / travelled[-1] if travelled[-1] > 0 else travelled
