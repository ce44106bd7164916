"""The filaments report, drawn only from the study's stored results and arrays.

Nothing here computes a metric, loads data or runs a model: ``latentatlas report DIR`` redraws
the page from ``metrics.json`` and ``cells/<key>/arrays.npz``. Each figure the source shows is
drawn for every model, autoencoder and VAE beside (or above) each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from latentatlas.analysis.decoding import RandomDecodesResult
from latentatlas.analysis.density import AxisDensityResult, FilamentScoreResult, RadiusDensityResult
from latentatlas.analysis.maps import EmbeddingResult
from latentatlas.analysis.pca import PcaSpectrumResult
from latentatlas.analysis.planes import PlaneViewsResult
from latentatlas.plots import image_grid
from latentatlas.plots.density import (
    SOURCE_NAMES,
    axis_density_plot,
    axis_name,
    embedding_plot,
    intrinsic_dimension_plot,
    pca_spectrum_plot,
    plane_views_plot,
    radius_density_plot,
)
from latentatlas.plots.layout import combine_figures
from latentatlas.report import Report, Section, mean_std
from latentatlas.resources import ResourceTable
from latentatlas.studies.arrays import restore_result
from latentatlas.studies.engine import StudyResults
from latentatlas.studies.filaments.config import MODEL_TITLES
from latentatlas.studies.filaments.results import DecodeSeeds, FilamentsResult
from latentatlas.studies.report_parts import Column, model_rows

#: Dominant axes listed in the table (the source lists 12).
AXES_LISTED = 12


def _title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


def title(results: StudyResults) -> str:
    """The report's title."""
    return "Filaments: do autoencoder codes lie on thin filaments around voids?"


def body(report: Report, results: StudyResults) -> None:
    """The study's own sections, between the verdicts and the methods."""
    cell = results.cells[0]
    result: FilamentsResult = results.results[cell.key]
    page = _Page(report, result, results.arrays(cell.key))
    if page.models:
        report.add_summary_table(page.rows(SUMMARY_COLUMNS), caption=SUMMARY_CAPTION)
        for add in (_axes, _radii, _spectrum, _map, _planes, _dimension, _decodes):
            add(page)
    _resources_section(report, result.resources)


def intro(results: StudyResults) -> str:
    """The paragraph under the title: what was trained and how to read the numbers."""
    config, result = results.config, results.results[results.cells[0].key]
    shape = "x".join(str(s) for s in result.image_shape)
    return (
        f"A convolutional autoencoder and a VAE map {result.n_train:,} training images of "
        f"{config.dataset} ({shape}) to a {result.latent_dim}-d latent space, {config.seeds} "
        "seed(s) each. The source found an autoencoder's codes of CelebA on thin, nearly "
        "one-dimensional filaments around large voids, so that random codes decode to "
        "nonsense. Every number below is computed on the training codes, as in the source, "
        "and read against a Gaussian cloud of the same mean and covariance, which has neither "
        "filaments nor voids. Figures show one seed per model (the first that finished; its "
        "number is in each title); tables give every seed."
    )


SUMMARY_COLUMNS = (
    Column("local dimension (codes)", lambda n: n.filament_score.local_dimension_median, 2),
    Column(
        "local dimension (Gaussian)",
        lambda n: n.filament_score.local_dimension_median_gaussian,
        2,
    ),
    Column("void fraction − Gaussian's", lambda n: n.filament_score.void_excess),
    Column(
        "radius peak / expected",
        lambda n: (
            f"{mean_std(n.radius_density.peak, 2)} / {mean_std(n.radius_density.expected_peak, 2)}"
        ),
    ),
    Column("dominant axes", lambda n: n.axis_density.n_dominant, 1),
    Column("meaningful N(0, I) decodes", lambda n: n.random_decodes.meaningful_fraction),
    Column("reconstruction error", lambda n: n.reconstruction_error, 4),
)
SUMMARY_CAPTION = (
    "Mean ± std over seeds, on the training codes. Local dimension: median Levina-Bickel "
    "estimate (about 1 on a filament). Void fraction: share of empty grid cells on planes of "
    "principal axes, minus the matched Gaussian's. Meaningful decodes: share of N(0, I) codes "
    "whose decode is about as close to a training image as a typical reconstruction is to its "
    "original."
)
RADIUS_COLUMNS = (
    Column("peak (bins 0.5)", lambda n: n.radius_density.peak, 2),
    Column("peak (bins 0.05)", lambda n: n.radius_density.peak_fine, 2),
    Column("expected", lambda n: n.radius_density.expected_peak, 2),
    Column("sqrt(d)", lambda n: n.radius_density.unit_gaussian_peak, 1),
    Column("smallest radius", lambda n: n.radius_density.minimum, 2),
    Column("largest radius", lambda n: n.radius_density.maximum, 2),
    Column(
        "relative distance / tolerance",
        lambda n: (
            f"{mean_std(n.radius_density.relative_distance)} / "
            f"{mean_std(n.radius_density.null_tolerance)}"
            if n.radius_density.null_tolerance
            else "not measured"
        ),
    ),
)
SPECTRUM_COLUMNS = (
    Column("components above the tail", lambda n: n.pca_spectrum.n_leading, 1),
    Column("first component's share", lambda n: n.pca_spectrum.first_ratio),
    Column("first / second", lambda n: n.pca_spectrum.first_to_second, 2),
)
DIMENSION_COLUMNS = (
    Column("median local dimension", lambda n: n.filament_score.local_dimension_median, 2),
    Column("… Gaussian", lambda n: n.filament_score.local_dimension_median_gaussian, 2),
    Column("TwoNN", lambda n: n.filament_score.twonn, 2),
    Column("… Gaussian ", lambda n: n.filament_score.twonn_gaussian, 2),
    Column("nearest-neighbour distance / Gaussian's", lambda n: n.filament_score.nn_distance_ratio),
)
DECODE_COLUMNS = (
    Column("meaningful, N(0, I)", lambda n: n.random_decodes.meaningful_fraction),
    Column("meaningful, fitted Gaussian", lambda n: n.random_decodes.meaningful_fraction_fitted),
    Column("near the codes, N(0, I)", lambda n: n.random_decodes.near_codes_fraction),
    Column("near the codes, fitted", lambda n: n.random_decodes.near_codes_fraction_fitted),
    Column("mean image counts as meaningful", lambda n: _mean_image_cell(n.random_decodes)),
)


@dataclass(frozen=True)
class _Page:
    """The cell a report draws: its result, the models in it and the stored figure arrays."""

    report: Report
    result: FilamentsResult
    arrays: Mapping[str, Any]

    @property
    def models(self) -> list[str]:
        return list(self.result.models)

    def restored(self, name: str, kind: type) -> dict[str, Any]:
        """Each model's stored figure result ``<model>/<name>``."""
        return {m: restore_result(self.arrays, f"{m}/{name}", kind) for m in self.models}

    def rows(self, columns: Sequence[Column]) -> list[dict[str, str]]:
        """One table row per model (:func:`model_rows`): its title, then each column."""
        return model_rows(self.result.models, columns, _title)

    def section(
        self,
        heading: str,
        text: str,
        key: str,
        kind: type,
        draw: Callable[[Any, str], Any],
        **figure: str,
    ) -> tuple[Section, dict[str, Any]]:
        """A section opened by one figure of every model's stored ``<model>/<key>`` result;
        ``draw(result, where)`` draws one model's. Returns the section and the results."""
        section = self.report.add_section(heading, text)
        restored = self.restored(key, kind)
        self.figures(section, lambda m, where: draw(restored[m], where), **figure)
        return section, restored

    def figures(self, section: Section, draw: Callable[[str, str], Any], **figure: str) -> None:
        """``draw(model, where)`` for every model, combined into one figure of the section;
        ``where`` names the model and its figure seed for the figure's title."""
        where = {m: f"{_title(m)}, seed {n.figure_seed}" for m, n in self.result.models.items()}
        section.add_figure(combine_figures([draw(m, where[m]) for m in self.models]), **figure)


def _axes(page: _Page) -> None:
    section, axes = page.section(
        "Density along each coordinate axis",
        "The source: most axes are Gaussians at 0 with a half-width (FWHM) of about 2, and a "
        "few dominant axes sit off the origin or are wider (it lists 12, e.g. axis 52 with "
        "centre 5 and width 8). Dominant here: median more than 0.25 typical widths from 0, "
        "or width above 1.5 times the typical one.",
        "axis",
        AxisDensityResult,
        lambda result, where: axis_density_plot(result, title=f"{where}: axis densities"),
        title="Axis densities, all and dominant",
        caption="Left of each pair: every axis (grey) with the dominant ones coloured; right: "
        "the dominant axes alone. Look for one shared narrow curve and a few wide or shifted "
        "ones, as in the source. Bins are chosen from the codes (Freedman-Diaconis on the "
        "typical axis; the width is in the axis label), merged for a wider axis in "
        "proportion to its width: the source's 0.25 would draw a VAE's codes, within about "
        "±0.4, as triangles of three bins.",
    )
    counts = [
        f"{_title(m)} {mean_std(n.axis_density.n_dominant, 1)}"
        for m, n in page.result.models.items()
    ]
    section.add_text(f"Dominant axes per seed (mean ± std): {'; '.join(counts)}.")
    rows = [
        {
            "model": _title(m),
            "axis": axis,
            "centre": f"{axes[m].centres[axis]:.2f}",
            "half-width": f"{axes[m].half_widths[axis]:.2f}",
            "typical half-width": f"{axes[m].median_half_width:.2f}",
        }
        for m in page.models
        for axis in axes[m].dominant_axes[:AXES_LISTED]
    ]
    if rows:
        section.add_table(rows, caption="The dominant axes of the figure seed, largest first.")


def _radii(page: _Page) -> None:
    section, _ = page.section(
        "Density of radii",
        "The source: a pronounced peak at R = 16.5 in 256 dimensions, near sqrt(256) = 16, "
        "which unit Gaussians on every axis predict; no codes near the origin or beyond 32. "
        "The expected radius here is sqrt(sum of the per-axis second moments), which is "
        "sqrt(d) only for unit-variance axes.",
        "radius",
        RadiusDensityResult,
        lambda result, where: radius_density_plot(result, title=f"{where}: radii"),
        title="Radius histograms at two bin widths",
        caption="Bins of 0.5 (left) and 0.05 (right), as in the source. Look at the peak "
        "(solid) against the expected radius (dashed) and sqrt(d) (dotted).",
    )
    section.add_table(page.rows(RADIUS_COLUMNS), caption="Mean ± std over seeds.")


def _spectrum(page: _Page) -> None:
    section, _ = page.section(
        "PCA spectrum",
        "The source: one dominant component, and an almost constant importance after about ten.",
        "spectrum",
        PcaSpectrumResult,
        lambda result, where: pca_spectrum_plot(result, title=where),
        title="Explained variance per principal component",
        caption="Bars: share of the variance of each of the first 50 components; line: "
        "cumulative. Look for a first bar far above the rest and a flat tail.",
    )
    section.add_table(
        page.rows(SPECTRUM_COLUMNS),
        caption="Above the tail: components whose share exceeds 1.5 times the median share.",
    )


def _map(page: _Page) -> None:
    names = page.arrays.get("label_names")
    label_names = None if names is None else [str(n) for n in names.tolist()]
    maps = page.restored("tsne", EmbeddingResult)
    first = maps[page.models[0]]
    section = page.report.add_section(
        "t-SNE map",
        f"t-SNE (openTSNE) of {len(first.embedding):,} training codes drawn at random, with "
        f"the source's perplexity {first.perplexity:g} and early exaggeration "
        f"{first.early_exaggeration:g}. A t-SNE map's distances are not the latent space's: "
        "it shows fragments and gaps, not their size.",
    )
    page.figures(
        section,
        lambda m, where: embedding_plot(
            maps[m],
            labels=page.arrays.get(f"{m}/tsne_labels"),
            label_names=label_names,
            title=f"{where}\n{maps[m].preservation:.0%} of {maps[m].preservation_k}-NN kept",
        ),
        title="t-SNE of the training codes",
        caption="Look for gaps between dense, curved structures (the source) or one evenly "
        "filled blob; the title gives the share of 10 nearest neighbours the map keeps.",
    )


def _planes(page: _Page) -> None:
    section = page.report.add_section(
        "Projections onto planes at shrinking zooms",
        "The source projected the codes onto planes of principal axes (1-2, 1-18, 8-35) and of "
        "two dominant original axes (52 and 221), zooming in until lines and voids appeared. "
        "Each row shows three windows, each a quarter of the previous width; white cells are "
        "empty. The first window is centred on the codes' median, each smaller one on the "
        "densest square of its size inside the one before (dashed), so the zooms show the "
        "codes wherever they sit, not the plane's origin.",
    )
    count = min(int(page.arrays[f"{m}/planes/#"]) for m in page.models)
    for index in range(count):
        views = page.restored(f"planes/{index}", PlaneViewsResult)
        first = views[page.models[0]]
        what = "principal axes" if first.basis == "pca" else "dominant original axes"
        page.figures(
            section,
            lambda m, where, views=views: plane_views_plot(
                views[m], title=f"{where}: {_plane_name(views[m])}"
            ),
            title=f"Plane of {what}: {_plane_name(first)}",
            caption="Look for lines and empty regions that persist as the window shrinks; a "
            "Gaussian cloud would fill the small windows evenly."
            + (
                " Original axes are each model's own two most dominant axes."
                if first.basis == "original"
                else ""
            ),
        )


def _plane_name(views: PlaneViewsResult) -> str:
    a, b = (axis_name(views.basis, axis) for axis in views.axes)
    return f"{a} and {b}"


def _dimension(page: _Page) -> None:
    section, _ = page.section(
        "Local intrinsic dimension and voids",
        "Numbers for the source's pictures. The local intrinsic dimension (Levina-Bickel MLE "
        "from each point's nearest neighbours) is about 1 on a filament and about m on an "
        "m-dimensional patch; the void fraction is the share of empty cells of a 32 x 32 grid "
        "on planes of principal axes, for windows of 2, 1, 0.5 and 0.25 standard deviations. "
        "Each is read against a Gaussian of the codes' mean and covariance. Under noise the "
        "median at one small k reads the noise's dimension, so it is taken at every k and read "
        "with the calibrated thresholds of docs/analyses/density.md: lower-dimensional when the "
        "smallest ratio to the Gaussian's is below 0.85, voids when the void excess is above "
        "0.04 / sqrt(planes), nearly 1-d when the smallest dimension is at most 1.5 (asked only "
        "of data with one generative factor).",
        "score",
        FilamentScoreResult,
        lambda result, where: intrinsic_dimension_plot(
            result,
            title=f"{where}: dimension and voids",
        ),
        title="Local dimension and void fractions against the matched Gaussian",
        caption="Left: codes' local dimensions near 1 where the Gaussian's are high mean thin "
        "filaments. Right: solid lines (codes) above dashed ones (Gaussian) mean more empty "
        "space than a Gaussian leaves.",
    )
    section.add_table(page.rows(DIMENSION_COLUMNS), caption="Mean ± std over seeds.")
    voids = [
        {
            "model": _title(m),
            "window (std)": f"{scale:g}",
            "void fraction": mean_std([v[j] for v in score.void_fraction]),
            "Gaussian's": mean_std([v[j] for v in score.void_fraction_gaussian]),
        }
        for m in page.models
        for score in [page.result.models[m].filament_score]
        for j, scale in enumerate(score.scales)
    ]
    section.add_table(
        voids, caption="Void fraction per window, averaged over the planes; mean ± std over seeds."
    )
    readings = _readings_rows(page)
    if readings:
        section.add_table(
            readings,
            caption="The calibrated readings per seed. Generative factors: those the data set "
            "declares; a cloud of codes of data with several factors is not expected to be 1-d. "
            "Nearly 1-d: yes, no or undecided (a noisy filament still falling at the largest k, "
            "or voids without low dimension).",
        )


def _readings_rows(page: _Page) -> list[dict[str, Any]]:
    factors = "not declared" if page.result.n_factors is None else str(page.result.n_factors)
    words = {True: "yes", False: "no", None: "undecided"}
    return [
        {
            "model": _title(m),
            "seed": seed,
            "generative factors": factors,
            "smallest local dimension": f"{score.smallest_dimension[i]:.2f}",
            "ratio to the Gaussian's": f"{score.low_dimension_ratio[i]:.2f}",
            "void excess / threshold": f"{score.void_excess[i]:.3f} / "
            f"{score.void_threshold[i]:.3f}",
            "nearly 1-d": words[score.one_dimensional[i]],
        }
        for m in page.models
        for score in [page.result.models[m].filament_score]
        for i, seed in enumerate(page.result.models[m].seeds[: len(score.smallest_dimension)])
    ]


def _decodes(page: _Page) -> None:
    section = page.report.add_section(
        "Decodes of random codes",
        "The source could not decode recognisable faces from random codes of its autoencoder; "
        "a VAE's prior promises that N(0, I) codes decode to images like the training ones. "
        "Codes are drawn from N(0, I) and from a Gaussian fitted to the codes; a decode counts "
        "as meaningful when its mean squared distance to the nearest training image is at most "
        "twice the 90th percentile of the reconstruction errors. The criterion is lenient "
        "where a flat image is already close to a training image (a sprite's shape covers a "
        "few per cent of its pixels) or where reconstructions are still poor, so it is "
        "checked on the mean training image: where that blur would count as meaningful, the "
        "table says so and the claims on these shares are not judged. Read the fraction "
        "with the grids.",
    )
    page.figures(
        section,
        lambda m, where: _decode_grid(m, where, page.arrays),
        title="Random decodes and their nearest training images",
        caption="Each decode above the training image nearest to it. Look for decodes that "
        "look like training images (a VAE) or like blurred mixtures (an autoencoder's voids).",
    )
    section.add_table(
        page.rows(DECODE_COLUMNS),
        caption="Near the codes: share of random codes within two typical code spacings of a "
        "training code (the rest fell into empty space). Mean image: seeds whose criterion "
        "would call the mean training image meaningful (there the shares say little). "
        "Mean ± std over seeds.",
    )


def _decode_grid(model: str, where: str, arrays: Mapping[str, Any]) -> Any:
    """Each source's first 8 shown decodes, each row above the nearest training images."""
    decodes = restore_result(arrays, f"{model}/decodes", RandomDecodesResult)
    rows, titles = [], []
    for sample in decodes.samples:
        name = SOURCE_NAMES.get(sample.source, sample.source)
        rows += [sample.shown[:8], arrays[f"{model}/nearest/{sample.source}"][:8]]
        titles += [
            f"{name}\n{sample.meaningful_fraction:.0%} meaningful",
            "nearest training\nimage",
        ]
    width = min(len(r) for r in rows)
    return image_grid(
        np.concatenate([r[:width] for r in rows]).astype(np.float32) / 255.0,
        n_columns=width,
        row_titles=titles,
        title=f"{where}: decodes of random codes",
        cell_inches=0.95,
    )


def _mean_image_cell(decodes: DecodeSeeds) -> str:
    """'k of n seeds' whose criterion would call the mean image meaningful, or 'not measured'."""
    flags = decodes.mean_image_meaningful
    return f"{sum(flags)} of {len(flags)} seeds" if flags else "not measured"


def _resources_section(report: Report, table: ResourceTable) -> None:
    shape = "x".join(str(s) for s in table.image_shape)
    section = report.add_section(
        "Parameters and training memory of the conv VAE",
        f"The source's second part: conv-vae on {shape} images with "
        f"{'-'.join(str(f) for f in table.filters)} filters, with and without an extra Dense "
        "layer of size z between the convolutions and mu / logvar. It reports 4.9 million "
        "encoder parameters at z = 256 (5.11 million with the Flatten-to-mu and logvar layers "
        "counted exactly), 2.88 million with the extra layer, 9.83 million at z = 512, and no "
        "time saved per batch.",
    )
    section.add_table(
        table.shown(),
        caption=f"Measured on {table.device} with {table.torch_threads} torch thread(s), "
        f"median of {table.steps} timed step(s) after one warm-up. Memory: "
        f"{table.memory_method}; it includes weights, gradients, Adam's moments, the batch and "
        "the activations. Dashes: not measured (see memory_latent_dims). Parameter counts are "
        "exact.",
    )
    activations = table.activations_shown()
    if activations:
        section.add_table(
            activations,
            caption="Activations autograd keeps for the backward pass (MiB, exact and the "
            "same on any device): they, not the weights, grow with the batch.",
        )


def methods(report: Report, results: StudyResults) -> None:
    """How every number was computed."""
    config, result = results.config, results.results[results.cells[0].key]
    report.add_section("Methods").add_key_values(
        {
            "data": f"{config.dataset}"
            + (f" from {config.path}" if config.path else "")
            + f", {result.n_train:,} training images of "
            + "x".join(str(s) for s in result.image_shape),
            "models": ", ".join(config.models)
            + f"; z = {config.latent_dim}, filters {'-'.join(map(str, config.filters))}"
            + (f", extra Dense layer {config.bottleneck}" if config.bottleneck else ""),
            "training": config.training_text(),
            "seeds": str(config.seeds),
            "codes analysed": "training codes (a VAE's means)",
            "intrinsic dimension": f"k = {config.id_neighbours}, {config.id_queries:,} query "
            "points per cloud",
            "t-SNE": f"{config.tsne_points:,} codes, perplexity {config.perplexity:g}, early "
            f"exaggeration {config.early_exaggeration:g}",
            "random decodes": f"{config.decodes} codes per source",
        }
    )
