"""Figures of the filaments study: densities, spectrum, plane zooms, maps, dimension, decodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from numpy.typing import NDArray

from latentatlas.analysis.decoding import RandomDecodesResult
from latentatlas.analysis.density import AxisDensityResult, FilamentScoreResult, RadiusDensityResult
from latentatlas.analysis.maps import EmbeddingResult
from latentatlas.analysis.pca import PcaSpectrumResult
from latentatlas.analysis.planes import PlaneView, PlaneViewsResult
from latentatlas.errors import InputError
from latentatlas.plots.images import image_grid
from latentatlas.plots.style import OKABE_ITO, class_colors, display_names, style_context

PANEL_INCHES = 3.2
#: Above this many points a map is drawn as a density image instead of markers.
DENSITY_FROM = 20_000
SOURCE_NAMES = {"prior": "N(0, I)", "fitted": "fitted Gaussian"}


def axis_density_plot(result: AxisDensityResult, title: str = "Density along each axis") -> Figure:
    """Densities of all axes overlaid (grey, dominant ones coloured) and of the dominant alone.

    Each axis is drawn on the shared bins merged by the integer ``k`` nearest to its width
    over the typical width (:func:`axis_curve`): the shared bins suit the typical axis, and a
    wide axis on them zig-zags with sampling noise.

    Look for: most axes sharing one narrow curve around 0, and the few dominant axes off
    the origin or wider.
    """
    dominant = list(result.dominant_axes[:8])  # at most the 8 Okabe-Ito colours
    with style_context():
        fig = Figure(figsize=(2 * PANEL_INCHES + 0.6, PANEL_INCHES), layout="constrained")
        every, alone = fig.subplots(1, 2, sharex=True, sharey=True)
        for axis in range(len(result.counts)):
            if axis not in dominant:
                every.plot(*axis_curve(result, axis), color="0.6", linewidth=0.5, alpha=0.5)
        for colour, axis in zip(OKABE_ITO, dominant, strict=False):
            for ax in (every, alone):
                ax.plot(
                    *axis_curve(result, axis), color=colour, linewidth=1.2, label=f"axis {axis}"
                )
        every.set_title(f"all {len(result.counts)} axes")
        alone.set_title("dominant axes" if dominant else "no dominant axes")
        if dominant:
            alone.legend(frameon=False)
        for ax in (every, alone):
            ax.set_xlabel(f"coordinate value (bins of {result.bin_width:g}, wider axes' wider)")
        every.set_ylabel("density")
        fig.suptitle(title)
    return fig


def axis_curve(
    result: AxisDensityResult, axis: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bin centres and density of one axis, its shared bins merged ``k`` at a time, ``k`` the
    nearest integer to its half-width over the typical one (at least 1): every axis then has
    about as many bins across its width as the typical axis has."""
    typical = result.median_half_width
    ratio = result.half_widths[axis] / typical if typical > 0 else 1.0
    k = max(1, round(ratio)) if np.isfinite(ratio) else 1
    counts = result.counts[axis]
    pad = -len(counts) % k
    merged = np.pad(counts, (0, pad)).reshape(-1, k).sum(axis=1)
    edges = result.edges[0] + result.bin_width * k * np.arange(len(merged) + 1)
    total = max(int(counts.sum()), 1)
    return (edges[:-1] + edges[1:]) / 2, merged / total / (k * result.bin_width)


def radius_density_plot(result: RadiusDensityResult, title: str = "Density of radii") -> Figure:
    """One panel per bin width: histogram of L2 norms, the peak the second moments predict
    and ``sqrt(d)``. Look for: how far the observed peak sits from the expected one."""
    with style_context():
        n = len(result.histograms)
        fig = Figure(figsize=(n * PANEL_INCHES + 0.4, PANEL_INCHES), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, n, squeeze=False)[0])
        for ax, histogram in zip(axes, result.histograms, strict=True):
            ax.stairs(histogram.density, histogram.edges, color=OKABE_ITO[0], fill=True, alpha=0.6)
            ax.axvline(
                histogram.peak,
                color=OKABE_ITO[0],
                linestyle="-",
                linewidth=1,
                label=f"peak {histogram.peak:.2f}",
            )
            ax.axvline(
                result.expected_peak,
                color=OKABE_ITO[3],
                linestyle="--",
                label=f"expected {result.expected_peak:.2f}",
            )
            ax.axvline(
                result.unit_gaussian_peak,
                color="0.3",
                linestyle=":",
                label=f"sqrt(d) = {result.unit_gaussian_peak:.1f}",
            )
            ax.set_title(f"bins of {histogram.width:g}")
            ax.set_xlabel("radius ||z|| (L2 norm)")
            ax.legend(frameon=False)
        axes[0].set_ylabel("density")
        fig.suptitle(title)
    return fig


def pca_spectrum_plot(
    result: PcaSpectrumResult, max_components: int = 50, title: str = "PCA spectrum"
) -> Figure:
    """Explained variance ratio per component (bars) and cumulative (line, right axis).
    Look for: one dominant component and a flat tail."""
    ratio = result.explained_variance_ratio[:max_components]
    index = np.arange(1, len(ratio) + 1)
    with style_context():
        fig = Figure(figsize=(2 * PANEL_INCHES, PANEL_INCHES), layout="constrained")
        ax = fig.subplots()
        ax.bar(index, ratio, color=OKABE_ITO[0], width=0.8)
        ax.axhline(result.floor, color="0.4", linestyle=":", label="median (flat tail)")
        ax.set_xlabel("principal component")
        ax.set_ylabel("explained variance ratio")
        ax.legend(frameon=False, loc="upper center")
        cumulative = ax.twinx()
        cumulative.plot(index, result.cumulative[: len(ratio)], color=OKABE_ITO[1], marker=".")
        cumulative.set_ylabel("cumulative", color=OKABE_ITO[1])
        cumulative.set_ylim(0, 1.02)
        ax.set_title(f"{title}: {result.n_leading} component(s) above the tail")
    return fig


def plane_views_plot(result: PlaneViewsResult, title: str | None = None) -> Figure:
    """A row of density images, one per zoom window (log colour scale, empty cells white),
    each outlining the next window with a dashed square.
    Look for: lines and voids that persist as the window shrinks."""
    a, b = (axis_name(result.basis, axis) for axis in result.axes)
    with style_context():
        n = len(result.views)
        fig = Figure(figsize=(n * 2.6 + 0.8, 2.9), layout="constrained")
        axes = fig.subplots(1, n, squeeze=False)[0]
        for index, (ax, view) in enumerate(zip(axes, result.views, strict=True)):
            image = ax.imshow(
                np.ma.masked_equal(view.counts.T, 0),  # rows of counts are the first axis
                origin="lower",
                extent=_window(view),
                norm=_log_norm(view.counts),
                interpolation="nearest",
                cmap="cividis",
            )
            if index + 1 < n:
                _outline(ax, result.views[index + 1])
            ax.set_title(f"half-width {view.half_width:.3g}\n{view.n_inside:,} points")
            ax.set_xlabel(a)
            ax.set_aspect("equal")
        axes[0].set_ylabel(b)
        fig.colorbar(image, ax=list(axes), label="points per cell", shrink=0.8)
        fig.suptitle(title or f"Projection onto the plane of {a} and {b}")
    return fig


def axis_name(basis: str, axis: int) -> str:
    """``PC1`` for principal axis 0 (numbered from 1, as PCs are), ``axis 60`` for original
    axis 60 (numbered as the codes' columns and the dominant-axes table)."""
    return f"PC{axis + 1}" if basis == "pca" else f"axis {axis}"


def _window(view: PlaneView) -> tuple[float, float, float, float]:
    """``(left, right, bottom, top)`` of a zoom window (results written before windows
    followed the data are centred on the plane's origin)."""
    cu, cv = view.centre or (0.0, 0.0)
    h = view.half_width
    return (cu - h, cu + h, cv - h, cv + h)


def _outline(ax: Axes, view: PlaneView) -> None:
    """A dashed square where the next, smaller window lies."""
    from matplotlib.patches import Rectangle

    left, right, bottom, top = _window(view)
    ax.add_patch(
        Rectangle(
            (left, bottom),
            right - left,
            top - bottom,
            fill=False,
            edgecolor=OKABE_ITO[3],
            linestyle="--",
            linewidth=1.0,
        )
    )


def _log_norm(counts: NDArray[np.int64]) -> LogNorm | None:
    top = int(counts.max()) if counts.size else 0
    return LogNorm(vmin=1, vmax=max(top, 2)) if top > 0 else None


def embedding_plot(
    result: EmbeddingResult,
    labels: NDArray[np.integer] | None = None,
    label_names: Mapping[int, str] | Sequence[str] | None = None,
    title: str | None = None,
    max_points: int = DENSITY_FROM,
    random_state: int = 0,
) -> Figure:
    """The 2-d map: coloured markers by label for up to ``max_points`` points, else (or
    without labels above that) a density image. Look for: gaps between dense curves."""
    points = np.asarray(result.embedding)
    if labels is not None and len(labels) != len(points):
        raise InputError(f"labels has {len(labels)} entries but the map has {len(points)} points")
    source = "codes" if result.n_components is None else f"first {result.n_components} PCs"
    with style_context():
        fig = Figure(figsize=(PANEL_INCHES + 1.4, PANEL_INCHES + 0.4), layout="constrained")
        ax = fig.subplots()
        if labels is None and len(points) > max_points:
            counts, x_edges, y_edges = np.histogram2d(points[:, 0], points[:, 1], bins=300)
            ax.imshow(
                np.ma.masked_equal(counts.T, 0),
                origin="lower",
                norm=_log_norm(counts),
                extent=(x_edges[0], x_edges[-1], y_edges[0], y_edges[-1]),
                cmap="cividis",
            )
        else:
            _labelled_scatter(ax, points, labels, label_names, max_points, random_state)
        ax.set_aspect("equal")
        ax.set_xlabel(f"{result.method} 1")
        ax.set_ylabel(f"{result.method} 2")
        ax.set_title(
            title
            or f"{result.method} of the {source}: "
            f"{result.preservation:.0%} of {result.preservation_k}-NN kept"
        )
    return fig


def _labelled_scatter(ax, points, labels, label_names, max_points, random_state) -> None:
    rng = np.random.default_rng(random_state)
    shown = rng.permutation(len(points))[:max_points]
    size = max(0.5, min(8.0, 4000 / len(shown)))
    if labels is None:
        ax.scatter(points[shown, 0], points[shown, 1], s=size, color=OKABE_ITO[0], linewidths=0)
        return
    classes = np.unique(labels)
    palette = class_colors(len(classes))
    colour_of = {value: palette[i] for i, value in enumerate(classes.tolist())}
    colours = [colour_of[value] for value in np.asarray(labels)[shown].tolist()]
    ax.scatter(points[shown, 0], points[shown, 1], s=size, c=colours, linewidths=0)
    for value, name in zip(classes.tolist(), display_names(classes, label_names), strict=True):
        ax.scatter([], [], color=colour_of[value], label=name, s=12)
    ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))


def intrinsic_dimension_plot(
    result: FilamentScoreResult, title: str = "Local intrinsic dimension and voids"
) -> Figure:
    """Left: histograms of the local MLE dimension, codes against the matched Gaussian.
    Right: void fraction against window size per plane, solid codes, dashed Gaussian.
    Look for: codes near 1 where the Gaussian is high; more empty cells than the Gaussian."""
    with style_context():
        fig = Figure(figsize=(2 * PANEL_INCHES + 0.6, PANEL_INCHES), layout="constrained")
        hist, voids = fig.subplots(1, 2)
        both = np.concatenate([result.data.local_mle, result.gaussian.local_mle])
        edges = np.linspace(0.0, float(np.quantile(both, 0.995)) * 1.05, 50)
        for estimate, name, colour in ((result.data, "codes", 0), (result.gaussian, "Gaussian", 1)):
            hist.hist(
                estimate.local_mle,
                bins=edges,
                color=OKABE_ITO[colour],
                alpha=0.6,
                label=f"{name} (median {estimate.median_local_mle:.1f})",
            )
        hist.set_xlabel(f"local MLE dimension (k = {result.k})")
        hist.set_ylabel("query points")
        hist.legend(frameon=False)
        for p, plane in enumerate(result.planes):
            colour = OKABE_ITO[p % len(OKABE_ITO)]
            name = f"PC{plane[0] + 1}-PC{plane[1] + 1}"
            voids.plot(result.scales, result.void_fraction[p], color=colour, marker="o", label=name)
            voids.plot(
                result.scales, result.void_fraction_gaussian[p], color=colour, linestyle="--"
            )
        voids.set_xscale("log")
        voids.set_xlabel("window half-width (standard deviations)")
        voids.set_ylabel(f"empty cells ({result.grid} x {result.grid} grid)")
        voids.set_ylim(0, 1)
        voids.legend(frameon=False, title="codes; dashed: Gaussian")
        fig.suptitle(title)
    return fig


def decode_grid(
    result: RandomDecodesResult, n_columns: int = 8, title: str = "Decodes of random codes"
) -> Figure:
    """Rows of decodes per source of random codes, with the meaningful fraction in the row
    title (reuses :func:`latentatlas.plots.images.image_grid`)."""
    rows, titles = [], []
    for sample in result.samples:
        shown = sample.shown[:n_columns].astype(np.float32) / 255.0
        if len(shown) == 0:
            continue
        rows.append(shown)
        titles.append(
            f"{SOURCE_NAMES.get(sample.source, sample.source)}\n"
            f"{sample.meaningful_fraction:.0%} meaningful"
        )
    if not rows:
        raise InputError("the random decodes result holds no decodes to show")
    width = min(len(r) for r in rows)
    return image_grid(
        np.concatenate([r[:width] for r in rows]),
        n_columns=width,
        row_titles=titles,
        title=title,
        cell_inches=1.0,
    )
