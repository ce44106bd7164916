"""The heatmaps report, drawn only from the study's stored results and arrays.

Nothing here computes a metric, loads a data set or runs a model: ``latentatlas report DIR``
redraws the page in seconds after a change of template or figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from latentatlas.analysis.geometry import factor_columns
from latentatlas.analysis.paths import path_from_arrays
from latentatlas.plots import class_colors
from latentatlas.plots.geometry import (
    error_histograms,
    latent_3d_figure,
    latent_pairs_figure,
    off_data_decodes_figure,
    offmanifold_figure,
    path_factors_figure,
    path_figure,
    perturbations_figure,
    worst_images_figure,
)
from latentatlas.report import Report, mean_std
from latentatlas.studies.engine import StudyResults
from latentatlas.studies.heatmaps.results import (
    DIRECTION_PATHS,
    MODEL_TITLES,
    PATH_NAMES,
    HeatmapsResult,
    ModelScores,
)
from latentatlas.studies.report_parts import Column, add_strip, column_row, model_rows

Arrays = Mapping[str, np.ndarray]
#: One colour per model in every figure of the report.
MODEL_COLORS = dict(zip(MODEL_TITLES.values(), class_colors(len(MODEL_TITLES)), strict=True))
DATASET_TITLES = {
    "heatmaps": "Gaussian heatmaps",
    "heatmaps-t": "Student-t heatmaps (4 factors)",
}
#: The source's headline trajectory, whose factor readings get their own figure.
SOURCE_TRAJECTORIES = ("isovariance",)
#: What each path of ``analyse.make_paths`` is.
PATH_CAPTIONS = {
    "axis-z1": "a line along latent axis z1 through the median code",
    "axis-z2": "a line along latent axis z2 through the median code",
    "axis-z3": "a line along latent axis z3 through the median code",
    "isovariance": "the spline through codes with var_x close to var_y, along the axis most "
    "aligned with corr (the source: the correlation sweeps its range)",
    "upper-plane": "the line along the upper plane bounding the cloud in the z2-z3 projection "
    "(the source: one variance shrinks while the correlation holds)",
    "lower-plane": "the line along the lower bounding plane in the z2-z3 projection",
    "arc-z1-z3": "a half circle in the z1-z3 plane around the median code (the source's "
    "angular direction)",
    "empty-space": "the straight path between two hull codes that runs farthest from the data "
    "(the source's 'transversing empty space')",
}


class Number(NamedTuple):
    """A per-seed number of the summary table and, with a ``strip`` label, of its own figure;
    ``baseline``: drawn against a real validation heatmap's distance to the training set."""

    column: str
    strip: str | None
    values: Callable[[ModelScores], tuple[float, ...]]
    digits: int = 3
    baseline: bool = False


#: The numbers the verdicts are read from, in the summary table and one strip each.
NUMBERS = (
    Number("median error", "median Frobenius error", lambda s: s.reconstruction.median),
    Number("p99 error", None, lambda s: s.reconstruction.p99),
    Number("p99 / median", "p99 / median of the error", lambda s: s.reconstruction.tail_ratio, 2),
    Number("hull occupied", "share of the hull near a code", lambda s: s.hull.occupied_fraction),
    Number(
        "off-data decode",
        "off-data decode: distance to a heatmap",
        lambda s: s.decodes.off_data_distance,
        baseline=True,
    ),
    Number(
        "monotonicity", "monotonicity of the direction paths", lambda s: s.directions_monotonicity
    ),
    Number(
        "random directions", "monotonicity of random directions", lambda s: s.random_monotonicity
    ),
)


def _title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


def _data_title(dataset: str) -> str:
    return DATASET_TITLES.get(dataset, dataset)


def title(results: StudyResults) -> str:
    """The report's title."""
    return "Heatmaps: what does a VAE's latent space hold that an autoencoder's does not?"


def intro(results: StudyResults) -> str:
    """The paragraph under the title: what was trained and how to read the numbers."""
    return (
        "A convolutional VAE and an autoencoder of the same layout embed 36x36 heatmaps of "
        "bivariate densities in a 3-d latent space. The images vary by three factors (the two "
        "variances and the correlation; the Student-t set adds the degrees of freedom). The "
        "source compared the two latent spaces by eye; here each of its statements is a number "
        f"measured on the validation split over {results.config.seeds} training seed(s) per "
        "model, and the verdicts below are read from those numbers with their spread over seeds."
    )


def body(report: Report, results: StudyResults) -> None:
    """The study's own sections, between the verdicts and the methods."""
    cells: list[HeatmapsResult] = [results.results[cell.key] for cell in results.cells]
    report.add_summary_table(
        [
            _summary_row(result, model, scores)
            for result in cells
            for model, scores in result.models.items()
        ],
        caption="Validation split only; mean ± std over seeds. R²: held-out fit of each factor "
        "from the codes (k-NN regressor). Errors: Frobenius norm per image. Hull occupied: share "
        "of the convex hull near a code. Off-data decode: distance of decodes of the hull's "
        "empty points to the nearest training heatmap. Monotonicity: 1 when the factors read "
        "off the decodes change monotonically along the direction paths; random directions: "
        "the same along lines through the median code in random directions (the null).",
    )
    _seed_spread(report, cells[0])
    for number, (cell, result) in enumerate(zip(results.cells, cells, strict=True)):
        arrays = results.arrays(cell.key)
        _reconstruction_section(report, result, arrays)
        for model in result.models:
            if f"{model}/seed" in arrays:
                _model_section(report, result, model, arrays, with_paths=number == 0)
        if any(scores.knn is not None for scores in result.models.values()):
            _knn_section(report, result)
    notes = [
        {"data set": key, "analysis": where, "why it is missing": why}
        for key, result in results.results.items()
        for where, why in result.notes.items()
    ]
    if notes:
        report.add_section(
            "Analyses that could not be computed",
            "Their numbers are left out (NaN) of the means above.",
        ).add_table(notes)


def _summary_row(result: HeatmapsResult, model: str, scores: ModelScores) -> dict[str, Any]:
    columns = [Column(f"R² {n}", lambda s, n=n: s.factor_r2.get(n)) for n in result.factor_names]
    columns += [Column(n.column, n.values, n.digits) for n in NUMBERS]
    columns += [
        Column("k-NN accuracy", lambda s: None if s.knn is None else s.knn.accuracy),
        Column("k-NN F1", lambda s: None if s.knn is None else s.knn.f1),
    ]
    return column_row(columns, scores, **{"data set": result.dataset, "model": _title(model)})


def _seed_spread(report: Report, result: HeatmapsResult) -> None:
    if not result.models:
        return  # every run failed; the failures section says which
    section = report.add_section(
        "The claims seed by seed",
        f"Each number a verdict is read from, on {_data_title(result.dataset)}: one dot per "
        "training seed, the diamond the mean ± std. A verdict weighs the gap between the "
        "models against the spread of their seeds (a permutation test; with fewer than 5 "
        "seeds a model, only an indicative leaning).",
    )
    baseline = (result.baseline_image_distance, "real validation heatmap")
    for number in NUMBERS:
        label = number.strip
        if label is None:
            continue
        add_strip(  # draws nothing for results stored before this number was measured
            section,
            {_title(m): number.values(s) for m, s in result.models.items()},
            label,
            f"{label} ({result.dataset})",
            heading=f"{label[0].upper()}{label[1:]} per seed",
            reference=baseline if number.baseline else None,
            colors=MODEL_COLORS,
        )


def _reconstruction_section(report: Report, result: HeatmapsResult, arrays: Arrays) -> None:
    models = [m for m in result.models if f"{m}/errors" in arrays]
    if not models:
        return
    section = report.add_section(f"{_data_title(result.dataset)}: reconstruction errors")
    seeds = ", ".join(f"{_title(m)} seed {int(arrays[f'{m}/seed'][0])}" for m in models)
    section.add_figure(
        error_histograms(
            {_title(m): arrays[f"{m}/errors"] for m in models},
            title=f"Reconstruction error per validation image, AE and VAE ({result.dataset})",
            measure="Frobenius norm of the error",
            colors=MODEL_COLORS,
        ),
        title="Error histograms, AE and VAE overlaid",
        caption=f"One seed per model ({seeds}). Compare the medians (dashed) and how far each "
        "model's right tail reaches: the source's AE is better on average but heavy tailed.",
    )
    for model in models:
        worst = arrays[f"{model}/worst/indices"]
        section.add_figure(
            worst_images_figure(
                arrays[f"{model}/worst/originals"],
                arrays[f"{model}/worst/reconstructions"],
                worst,
                arrays[f"{model}/errors"][worst],
                title=f"{_title(model)}: worst reconstructions ({result.dataset}, seed "
                f"{int(arrays[f'{model}/seed'][0])})",
            ),
            title=f"Worst reconstructions: {_title(model)}",
            caption="The images with the largest errors, worst first, above their "
            "reconstructions: look for ellipses turned into other shapes.",
        )


def _model_section(
    report: Report, result: HeatmapsResult, model: str, arrays: Arrays, with_paths: bool
) -> None:
    """The model's latent space (its first seed), its paths and what it decodes near its hull;
    the paths' and the perturbations' figures on the headline data set only."""
    title, seed = _title(model), int(arrays[f"{model}/seed"][0])
    where = f"{title}, {result.dataset}, seed {seed}"
    section = report.add_section(f"{_data_title(result.dataset)}: the {title}'s latent space")
    codes = arrays[f"{model}/codes"]
    colourings = factor_columns(arrays["view/factors"], result.factor_names)
    decodings = {
        name: path_from_arrays(arrays, f"{model}/paths/{name}")
        for name in PATH_NAMES
        if with_paths and f"{model}/paths/{name}/points" in arrays
    }
    section.add_plotly(
        latent_3d_figure(
            codes,
            colourings,
            title=f"{where}: validation codes",
            paths={name: decoding.points for name, decoding in decodings.items()},
            show_hull=True,
        ),
        title=f"{title}: the 3-d latent space ({result.dataset})",
        caption=f"Drag to rotate, pick the colouring in the menu ({len(codes)} validation codes, "
        f"seed {seed}). Look at whether one direction carries the correlation, "
        "where unequal variances sit, and at the gaps inside the grey hull.",
    )
    section.add_figure(
        latent_pairs_figure(codes, colourings, title=f"{where}: pairs of latent axes"),
        title=f"{title}: projections coloured by each factor",
        caption="One row per factor, one column per pair of latent axes: a smooth colour "
        "gradient means the factor is laid out along that direction.",
    )
    _paths_table(section, result.models[model])
    for name, decoding in decodings.items():
        factor = result.models[model].paths[name].monotone_factor[0]  # the stored seed's
        colour = factor if factor in colourings else "corr"
        section.add_figure(
            path_figure(
                codes,
                decoding,
                title=f"{where}: path '{name}'",
                colour=colourings[colour],
                colour_name=colour,
                n_images=10,
            ),
            title=f"Path '{name}' ({title})",
            caption=f"{PATH_CAPTIONS.get(name, name)}; codes coloured by {colour}. Below, the "
            "decodes along it with their distance d to the nearest code and the factors read "
            "off each image: look for a steady change of one factor, and for decodes that are "
            "no longer ellipses.",
        )
        if name in SOURCE_TRAJECTORIES and decoding.factors is not None:
            section.add_figure(
                path_factors_figure(decoding, title=f"{where}: factors along '{name}'"),
                title=f"Factors read along '{name}' ({title})",
                caption="A monotone curve in one panel and flat ones elsewhere is a direction "
                "that changes one trait only.",
            )
    if decodings:
        section.add_figure(
            offmanifold_figure(decodings, title=f"{where}: distance of each path from the data"),
            title=f"Paths against the data ({title})",
            caption="Distance of each path point to the nearest validation code: paths that "
            "rise far above zero cross empty space, where the source saw the AE's decodes fail.",
        )
    _hull_figures(section, model, arrays, where, with_perturbations=with_paths)


def _paths_table(section: Any, scores: ModelScores) -> None:
    rows = [
        {
            "path": name,
            "direction": "yes" if name in DIRECTION_PATHS else "",
            "max off-manifold (neighbour distances)": mean_std(path.max_offmanifold_scaled, 1),
            "worst decode: distance to a heatmap": mean_std(path.max_image_distance),
            "monotonicity (|Spearman ρ|)": mean_std(path.monotonicity),
            "monotone in": ", ".join(sorted({f for f in path.monotone_factor if f})) or "n/a",
        }
        for name, path in scores.paths.items()
    ]
    section.add_table(
        rows,
        caption="Per path, mean ± std over seeds. Off-manifold: the farthest path point from any "
        "code, in units of the median distance between neighbouring codes. Monotonicity: the "
        "largest |Spearman ρ| between position and a factor read off the decoded images.",
    )


def _hull_figures(
    section: Any, model: str, arrays: Arrays, where: str, with_perturbations: bool
) -> None:
    images = arrays.get(f"{model}/off_data/images")
    if images is not None and len(images):
        section.add_figure(
            off_data_decodes_figure(
                images,
                arrays[f"{model}/off_data/distances"],
                title=f"{where}: decodes of empty points in the hull",
            ),
            title="Decoding the hull's empty regions",
            caption="Points drawn uniformly in the convex hull but far from every code, "
            "decoded; above each, its distance to the nearest training heatmap. Look for "
            "images that are no longer clean ellipses.",
        )
    perturbed = arrays.get(f"{model}/perturbations")
    if with_perturbations and perturbed is not None and len(perturbed):
        section.add_figure(
            perturbations_figure(perturbed, title=f"{where}: perturbations near the hull"),
            title="Perturbing codes on the hull",
            caption="Each row: the decode of a code on the hull, then of random moves of one "
            "near-data radius. The source found these stay heatmap-like: the space near the "
            "hull is dense.",
        )


def _knn_section(report: Report, result: HeatmapsResult) -> None:
    columns = (
        Column("k-NN accuracy", lambda knn: knn.accuracy),
        Column("k-NN macro F1", lambda knn: knn.f1),
        Column("k chosen", lambda knn: ", ".join(str(k) for k in knn.k)),
    )
    knn = {model: scores.knn for model, scores in result.models.items() if scores.knn is not None}
    rows = model_rows(knn, columns, _title)
    report.add_section(
        f"{_data_title(result.dataset)}: classifying the degrees of freedom",
        "A k-NN classifier, k chosen by 5-fold cross-validation on the training codes, "
        "predicts from the validation codes whether an image is a t density with 2 or 200 "
        "degrees of freedom.",
    ).add_table(
        rows,
        caption=f"Mean ± std over seeds. Always guessing the most common class scores "
        f"{result.knn_chance:.3f}.",
    )


def methods(report: Report, results: StudyResults) -> None:
    """How every number was computed."""
    config = results.config
    first: HeatmapsResult = results.results[results.cells[0].key]
    reader = ", ".join(f"{n} {v:.3f}" for n, v in first.reader_r2.items())
    subsample = "all 11,875" if config.subsample is None else f"a random {config.subsample:,}"
    report.add_section("Methods").add_key_values(
        {
            "data": f"{subsample} heatmaps per data set; {', '.join(config.datasets)}",
            "images (train / validation)": f"{first.n_train} / {first.n_validation}",
            "models": "conv-vae and conv-ae, 3-d latent space, stride-2 convolutions "
            f"{'-'.join(str(f) for f in config.filters)}, mirrored decoder, sigmoid output",
            "training": config.training_text(),
            "seeds": str(config.seeds),
            "factor reader": f"{config.reader} on pixels, held-out R² {reader}",
            "hull": "Qhull; near data = within 2 median neighbour distances; 20,000 uniform "
            "points; 1,000 decoded",
            "metrics": "every metric on the validation codes and images; figures show the "
            "first finished seed of each model",
        }
    )
