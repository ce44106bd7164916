"""The heatmaps report, drawn only from the study's stored results and arrays.

Nothing here computes a metric, loads a data set or runs a model: ``latentatlas report DIR``
redraws the page in seconds after a change of template or figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from latentatlas.analysis.geometry import factor_columns
from latentatlas.analysis.paths import path_from_arrays
from latentatlas.plots import class_colors, image_grid, metric_strip
from latentatlas.plots.geometry import (
    error_histograms,
    latent_3d_figure,
    latent_pairs_figure,
    offmanifold_figure,
    path_factors_figure,
    path_figure,
    worst_images_figure,
)
from latentatlas.report import Report, mean_std
from latentatlas.studies.engine import StudyResults
from latentatlas.studies.heatmaps.config import HeatmapsConfig
from latentatlas.studies.heatmaps.results import (
    DIRECTION_PATHS,
    MODEL_TITLES,
    PATH_NAMES,
    HeatmapsResult,
    ModelScores,
)

#: One colour per model in every figure of the report.
MODEL_COLORS = dict(zip(MODEL_TITLES.values(), class_colors(len(MODEL_TITLES)), strict=True))
DATASET_TITLES = {
    "heatmaps": "Gaussian heatmaps",
    "heatmaps-t": "Student-t heatmaps (4 factors)",
}
#: The source's headline trajectory, whose factor readings get their own figure.
SOURCE_TRAJECTORIES = ("isovariance",)
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


def _title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


def _data_title(dataset: str) -> str:
    return DATASET_TITLES.get(dataset, dataset)


def title(results: StudyResults) -> str:
    """The report's title."""
    return "Heatmaps: what does a VAE's latent space hold that an autoencoder's does not?"


def intro(results: StudyResults) -> str:
    """The paragraph under the title: what was trained and how to read the numbers."""
    return _intro(results.config)


def body(report: Report, results: StudyResults) -> None:
    """The study's own sections, between the verdicts and the methods."""
    _summary(report, results)
    _seed_spread(report, results.results[results.cells[0].key])
    for number, cell in enumerate(results.cells):
        result: HeatmapsResult = results.results[cell.key]
        arrays = results.arrays(cell.key)
        _reconstruction_section(report, result, arrays)
        for model in result.models:
            if f"{model}/seed" in arrays:
                _model_section(report, result, model, arrays, with_paths=number == 0)
        if any(scores.knn is not None for scores in result.models.values()):
            _knn_section(report, result)
    _notes(report, results)


def methods(report: Report, results: StudyResults) -> None:
    """How every number was computed."""
    _methods(report, results.config, results)


def _intro(config: HeatmapsConfig) -> str:
    return (
        "A convolutional VAE and an autoencoder of the same layout embed 36x36 heatmaps of "
        "bivariate densities in a 3-d latent space. The images vary by three factors (the two "
        "variances and the correlation; the Student-t set adds the degrees of freedom). The "
        "source compared the two latent spaces by eye; here each of its statements is a number "
        f"measured on the validation split over {config.seeds} training seed(s) per model, "
        "and the verdicts below are read from those numbers with their spread over seeds."
    )


def _summary(report: Report, results: StudyResults) -> None:
    rows = []
    for cell in results.cells:
        result: HeatmapsResult = results.results[cell.key]
        for model, scores in result.models.items():
            rows.append(_summary_row(result, model, scores))
    report.add_summary_table(
        rows,
        caption="Validation split only; mean ± std over seeds. R²: held-out fit of each factor "
        "from the codes (k-NN regressor). Errors: Frobenius norm per image. Hull occupied: share "
        "of the convex hull near a code. Off-data decode: distance of decodes of the hull's "
        "empty points to the nearest training heatmap. Monotonicity: 1 when the factors read "
        "off the decodes change monotonically along the direction paths; random directions: "
        "the same along lines through the median code in random directions (the null).",
    )


def _summary_row(result: HeatmapsResult, model: str, scores: ModelScores) -> dict[str, Any]:
    row: dict[str, Any] = {"data set": result.dataset, "model": _title(model)}
    for name in result.factor_names:
        if name in scores.factor_r2:
            row[f"R² {name}"] = mean_std(scores.factor_r2[name])
    row |= {
        "median error": mean_std(scores.reconstruction.median),
        "p99 error": mean_std(scores.reconstruction.p99),
        "p99 / median": mean_std(scores.reconstruction.tail_ratio, digits=2),
        "hull occupied": mean_std(scores.hull.occupied_fraction),
        "off-data decode": mean_std(scores.decodes.off_data_distance),
        "monotonicity": mean_std(scores.directions_monotonicity),
        "random directions": mean_std(scores.random_monotonicity),
    }
    if scores.knn is not None:
        row["k-NN accuracy"] = mean_std(scores.knn.accuracy)
        row["k-NN F1"] = mean_std(scores.knn.f1)
    return row


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
    metrics = (
        ("median Frobenius error", lambda s: s.reconstruction.median, None),
        ("p99 / median of the error", lambda s: s.reconstruction.tail_ratio, None),
        ("share of the hull near a code", lambda s: s.hull.occupied_fraction, None),
        (
            "off-data decode: distance to a heatmap",
            lambda s: s.decodes.off_data_distance,
            ("real validation heatmap", result.baseline_image_distance),
        ),
        ("monotonicity of the direction paths", lambda s: s.directions_monotonicity, None),
        ("monotonicity of random directions", lambda s: s.random_monotonicity, None),
    )
    for label, values, reference in metrics:
        by_model = {_title(m): values(s) for m, s in result.models.items() if len(values(s))}
        if not by_model:
            continue  # results stored before this number was measured lack it
        section.add_figure(
            metric_strip(
                by_model,
                metric_label=label,
                title=f"{label} ({result.dataset})",
                reference=None if reference is None else reference[1],
                reference_label=None if reference is None else reference[0],
                colors=MODEL_COLORS,
            ),
            title=f"{label[0].upper()}{label[1:]} per seed",
            caption="Look at how far the seeds of one model spread against the gap between "
            "the models.",
        )


def _reconstruction_section(
    report: Report, result: HeatmapsResult, arrays: Mapping[str, np.ndarray]
) -> None:
    models = [m for m in result.models if f"{m}/errors" in arrays]
    if not models:
        return
    data = _data_title(result.dataset)
    section = report.add_section(f"{data}: reconstruction errors")
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
        section.add_figure(
            worst_images_figure(
                arrays[f"{model}/worst/originals"],
                arrays[f"{model}/worst/reconstructions"],
                arrays[f"{model}/worst/indices"],
                arrays[f"{model}/errors"][arrays[f"{model}/worst/indices"]],
                title=f"{_title(model)}: worst reconstructions ({result.dataset}, seed "
                f"{int(arrays[f'{model}/seed'][0])})",
            ),
            title=f"Worst reconstructions: {_title(model)}",
            caption="The images with the largest errors, worst first, above their "
            "reconstructions: look for ellipses turned into other shapes.",
        )


def _colourings(result: HeatmapsResult, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The factors of the shown codes, plus var_x - var_y (the source's colouring)."""
    return factor_columns(arrays["view/factors"], result.factor_names)


def _model_section(
    report: Report,
    result: HeatmapsResult,
    model: str,
    arrays: Mapping[str, np.ndarray],
    with_paths: bool,
) -> None:
    title, seed = _title(model), int(arrays[f"{model}/seed"][0])
    where = f"{title}, {result.dataset}, seed {seed}"
    section = report.add_section(f"{_data_title(result.dataset)}: the {title}'s latent space")
    codes = arrays[f"{model}/codes"]
    colourings = _colourings(result, arrays)
    paths = {
        name: arrays[f"{model}/paths/{name}/points"]
        for name in PATH_NAMES
        if with_paths and f"{model}/paths/{name}/points" in arrays
    }
    section.add_plotly(
        latent_3d_figure(
            codes, colourings, title=f"{where}: validation codes", paths=paths, show_hull=True
        ),
        title=f"{title}: the 3-d latent space ({result.dataset})",
        caption=f"Drag to rotate, pick the colouring in the menu ({len(codes)} validation codes, "
        "seed " + str(seed) + "). Look at whether one direction carries the correlation, "
        "where unequal variances sit, and at the gaps inside the grey hull.",
    )
    section.add_figure(
        latent_pairs_figure(codes, colourings, title=f"{where}: pairs of latent axes"),
        title=f"{title}: projections coloured by each factor",
        caption="One row per factor, one column per pair of latent axes: a smooth colour "
        "gradient means the factor is laid out along that direction.",
    )
    _paths_table(section, result.models[model])
    if with_paths:
        _path_figures(section, result, model, arrays, where)
    _hull_figures(section, model, arrays, where, with_perturbations=with_paths)


def _paths_table(section: Any, scores: ModelScores) -> None:
    rows = []
    for name, path in scores.paths.items():
        factors = [f for f in path.monotone_factor if f]
        rows.append(
            {
                "path": name,
                "direction": "yes" if name in DIRECTION_PATHS else "",
                "max off-manifold (neighbour distances)": mean_std(path.max_offmanifold_scaled, 1),
                "worst decode: distance to a heatmap": mean_std(path.max_image_distance),
                "monotonicity (|Spearman ρ|)": mean_std(path.monotonicity),
                "monotone in": ", ".join(sorted(set(factors))) or "n/a",
            }
        )
    section.add_table(
        rows,
        caption="Per path, mean ± std over seeds. Off-manifold: the farthest path point from any "
        "code, in units of the median distance between neighbouring codes. Monotonicity: the "
        "largest |Spearman ρ| between position and a factor read off the decoded images.",
    )


def _path_figures(
    section: Any, result: HeatmapsResult, model: str, arrays: Mapping[str, np.ndarray], where: str
) -> None:
    codes = arrays[f"{model}/codes"]
    colourings = _colourings(result, arrays)
    decodings = {}
    first = 0  # the stored arrays are those of the model's first finished seed
    for name in PATH_NAMES:
        prefix = f"{model}/paths/{name}"
        if f"{prefix}/points" not in arrays:
            continue
        decoding = decodings[name] = path_from_arrays(arrays, prefix)
        factor = result.models[model].paths[name].monotone_factor[first]
        colour = factor if factor in colourings else "corr"
        section.add_figure(
            path_figure(
                codes,
                decoding,
                title=f"{where}: path '{name}'",
                axes=_moving_axes(decoding.points),
                colour=colourings[colour],
                colour_name=colour,
                n_images=10,
            ),
            title=f"Path '{name}' ({_title(model)})",
            caption=f"{PATH_CAPTIONS.get(name, name)}; codes coloured by {colour}. Below, the "
            "decodes along it with their distance d to the nearest code and the factors read "
            "off each image: look for a steady change of one factor, and for decodes that are "
            "no longer ellipses.",
        )
        if name in SOURCE_TRAJECTORIES and decoding.factors is not None:
            section.add_figure(
                path_factors_figure(decoding, title=f"{where}: factors along '{name}'"),
                title=f"Factors read along '{name}' ({_title(model)})",
                caption="A monotone curve in one panel and flat ones elsewhere is a direction "
                "that changes one trait only.",
            )
    if decodings:
        section.add_figure(
            offmanifold_figure(decodings, title=f"{where}: distance of each path from the data"),
            title=f"Paths against the data ({_title(model)})",
            caption="Distance of each path point to the nearest validation code: paths that "
            "rise far above zero cross empty space, where the source saw the AE's decodes fail.",
        )


def _moving_axes(points: np.ndarray) -> tuple[int, int]:
    """The two latent axes along which a path moves most, in axis order (a drawing choice)."""
    extent = np.ptp(np.asarray(points), axis=0)
    first, second = sorted(int(a) for a in np.argsort(-extent, kind="stable")[:2])
    return first, second


def _hull_figures(
    section: Any,
    model: str,
    arrays: Mapping[str, np.ndarray],
    where: str,
    with_perturbations: bool,
) -> None:
    images = arrays.get(f"{model}/off_data/images")
    if images is not None and len(images):
        distances = arrays[f"{model}/off_data/distances"]
        section.add_figure(
            image_grid(
                images,
                n_columns=len(images),
                column_titles=[f"{d:.2f}" for d in distances],
                title=f"{where}: decodes of empty points in the hull",
            ),
            title="Decoding the hull's empty regions",
            caption="Points drawn uniformly in the convex hull but far from every code, "
            "decoded; above each, its distance to the nearest training heatmap. Look for "
            "images that are no longer clean ellipses.",
        )
    perturbed = arrays.get(f"{model}/perturbations")
    if with_perturbations and perturbed is not None and len(perturbed):
        columns = perturbed.shape[1]
        section.add_figure(
            image_grid(
                perturbed.reshape(-1, *perturbed.shape[2:]),
                n_columns=columns,
                column_titles=["hull code"] + [f"moved {k}" for k in range(1, columns)],
                title=f"{where}: perturbations near the hull",
            ),
            title="Perturbing codes on the hull",
            caption="Each row: the decode of a code on the hull, then of random moves of one "
            "near-data radius. The source found these stay heatmap-like: the space near the "
            "hull is dense.",
        )


def _knn_section(report: Report, result: HeatmapsResult) -> None:
    rows = [
        {
            "model": _title(model),
            "k-NN accuracy": mean_std(scores.knn.accuracy),
            "k-NN macro F1": mean_std(scores.knn.f1),
            "k chosen": ", ".join(str(k) for k in scores.knn.k),
        }
        for model, scores in result.models.items()
        if scores.knn is not None
    ]
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


def _notes(report: Report, results: StudyResults) -> None:
    rows = [
        {"data set": key, "analysis": where, "why it is missing": why}
        for key, result in results.results.items()
        for where, why in result.notes.items()
    ]
    if rows:
        report.add_section(
            "Analyses that could not be computed",
            "Their numbers are left out (NaN) of the means above.",
        ).add_table(rows)


def _methods(report: Report, config: HeatmapsConfig, results: StudyResults) -> None:
    first: HeatmapsResult = results.results[results.cells[0].key]
    reader = ", ".join(f"{n} {v:.3f}" for n, v in first.reader_r2.items())
    subsample = "all 11,875" if config.subsample is None else f"a random {config.subsample:,}"
    report.add_section("Methods").add_key_values(
        {
            "data": f"{subsample} heatmaps per data set; {', '.join(config.datasets)}",
            "images (train / validation)": f"{first.n_train} / {first.n_validation}",
            "models": "conv-vae and conv-ae, 3-d latent space, stride-2 convolutions "
            f"{'-'.join(str(f) for f in config.filters)}, mirrored decoder, sigmoid output",
            "optimiser": f"Adam, lr {config.lr or 'model default (1e-3)'}, no weight decay, "
            f"batch {config.batch_size}, up to {config.epochs} epochs, patience "
            f"{config.patience}, learning rate halved on plateaus",
            "seeds": str(config.seeds),
            "factor reader": f"{config.reader} on pixels, held-out R² {reader}",
            "hull": "Qhull; near data = within 2 median neighbour distances; 20,000 uniform "
            "points; 1,000 decoded",
            "metrics": "every metric on the validation codes and images; figures show the "
            "first finished seed of each model",
        }
    )
