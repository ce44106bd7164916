"""The inspect report, drawn only from the stored result and arrays: what ran and what was
skipped (and why) first, then the cloud, classes, factors, decoder and seeds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from latentatlas.report import Report, mean_std
from latentatlas.studies import sections
from latentatlas.studies.arrays import restore_result
from latentatlas.studies.engine import StudyResults
from latentatlas.studies.inspect.results import InspectResult
from latentatlas.studies.report_parts import (
    SEED_SPREAD_COLUMNS,
    SEED_SPREAD_EXPLAINED,
    add_reconstructions,
    column_row,
)


def build_report(results: StudyResults) -> Report:
    """The report of a finished inspect study."""
    cell = results.cells[0]
    result: InspectResult = results.results[cell.key]
    arrays = results.arrays(cell.key)
    report = Report(
        title=f"Inspect: {result.location}",
        subtitle="latentatlas inspect",
        intro=_intro(result),
    )
    report.add_summary_table(
        [{"analysis": s.name, "ran": "yes" if s.ran else "no", "why": s.why} for s in result.steps],
        caption="What ran, and what was skipped and why: each group runs when the model and "
        "the data have what it needs (labels, factors, a decoder, several seeds).",
    )
    sections.add_gates(report, results)
    _source(report, result)
    if result.density is not None:
        _density(report, result, arrays)
    if result.labels is not None:
        _labels(report, result)
    if result.factors is not None:
        _factors(report, result)
    if result.decoder is not None:
        _decoder(report, result, arrays)
    if result.seed_spread is not None:
        _seeds(report, result)
    sections.add_environment(report, results.environment)
    return report


def _intro(result: InspectResult) -> str:
    data = f"data set {result.dataset}" if result.dataset else "the rows of the codes file"
    shape = "" if result.input_shape is None else f" ({'x'.join(map(str, result.input_shape))})"
    return (
        f"A {result.kind} model source, {result.seeds} seed(s), mapped on {result.n:,} rows of "
        f"{data}{shape} to a {result.latent_dim}-d latent space. Nothing was trained: every "
        "number is computed by the same analysis functions the studies call. Tables give the "
        "mean ± std over seeds; figures show the first seed."
    )


def _source(report: Report, result: InspectResult) -> None:
    section = report.add_section(
        "How to load this model again",
        "The folder records the source and the SHA-256 of each file it read; "
        "`latentatlas explore` refuses a file that has changed since.",
    )
    section.add_key_values(
        {"kind": result.kind, "location": result.location, **result.files},
        caption="Files by path, with their SHA-256.",
    )


def _density(report: Report, result: InspectResult, arrays: Mapping[str, Any]) -> None:
    from latentatlas.analysis.density import (
        AxisDensityResult,
        FilamentScoreResult,
        RadiusDensityResult,
    )
    from latentatlas.analysis.maps import EmbeddingResult
    from latentatlas.analysis.pca import PcaSpectrumResult
    from latentatlas.plots.density import (
        axis_density_plot,
        embedding_plot,
        intrinsic_dimension_plot,
        pca_spectrum_plot,
        radius_density_plot,
    )

    d = result.density
    assert d is not None
    section = report.add_section(
        "Shape of the cloud",
        "Densities along each axis and of the radii, the PCA spectrum, the local intrinsic "
        "dimension and voids against a Gaussian of the same covariance, and a t-SNE map.",
    )
    section.add_table(
        [
            {
                "dominant axes": mean_std(d.n_dominant_axes, 1),
                "radius peak / expected": f"{mean_std(d.radius_peak, 2)} / "
                f"{mean_std(d.expected_radius, 2)}",
                "leading components": mean_std(d.n_leading_components, 1),
                "first component share": mean_std(d.first_component_ratio),
                "local dimension (codes / Gaussian)": f"{mean_std(d.local_dimension, 2)} / "
                f"{mean_std(d.local_dimension_gaussian, 2)}",
                "void fraction − Gaussian's": mean_std(d.void_excess),
                "t-SNE neighbour preservation": mean_std(d.tsne_preservation),
            }
        ],
        caption="Mean ± std over seeds.",
    )
    figures = [
        (axis_density_plot(restore_result(arrays, "density/axis", AxisDensityResult)),
         "Axis densities",
         "Every axis (grey) with the dominant ones coloured: look for axes off 0 or wider."),
        (radius_density_plot(restore_result(arrays, "density/radius", RadiusDensityResult)),
         "Radii", "The peak (solid) against the radius the per-axis spreads predict (dashed)."),
        (pca_spectrum_plot(restore_result(arrays, "density/spectrum", PcaSpectrumResult)),
         "PCA spectrum", "Explained variance per component: how many stand above a flat tail."),
        (intrinsic_dimension_plot(restore_result(arrays, "density/score", FilamentScoreResult)),
         "Local dimension and voids", "Codes against the matched Gaussian: a lower local "
         "dimension and more empty cells mean filaments and voids."),
    ]  # fmt: skip
    for figure, title, caption in figures:
        section.add_figure(figure, title=title, caption=caption)
    embedding = restore_result(arrays, "tsne", EmbeddingResult)
    labels = arrays["labels"][arrays["tsne_rows"]] if "labels" in arrays else None
    names = [str(n) for n in arrays["label_names"]] if "label_names" in arrays else None
    section.add_figure(
        embedding_plot(embedding, labels, names, title="t-SNE of the codes"),
        title="t-SNE map",
        caption=f"Coloured by label where there are labels; {embedding.preservation:.2f} of "
        f"each point's {embedding.preservation_k} nearest neighbours are kept by the map.",
    )


def _labels(report: Report, result: InspectResult) -> None:
    labels = result.labels
    assert labels is not None
    row = {
        "silhouette of pixels": "—" if labels.pixel_silhouette is None else labels.pixel_silhouette,
        "silhouette of codes": mean_std(labels.silhouette),
        "k-NN accuracy": mean_std(labels.knn_accuracy),
        "k-NN macro F1": mean_std(labels.knn_macro_f1),
    }
    if labels.label_error_rate is not None:
        row["reconstructions labelled wrongly"] = mean_std(labels.label_error_rate)
        row["classifier accuracy on originals"] = labels.classifier_accuracy
    report.add_section(
        "Classes",
        "How well the codes keep the classes apart: silhouette of all rows, k-NN trained and "
        "scored on a stratified hold-out, and the share of held-out reconstructions that a "
        "classifier of the original images gives another label.",
    ).add_table([row], caption="Mean ± std over seeds.")


def _factors(report: Report, result: InspectResult) -> None:
    f = result.factors
    assert f is not None
    report.add_section(
        "Disentanglement", f"Against the factors {', '.join(f.factor_names)}."
    ).add_table(
        [
            {
                "DCI disentanglement": mean_std(f.dci_disentanglement),
                "DCI completeness": mean_std(f.dci_completeness),
                "DCI informativeness": mean_std(f.dci_informativeness),
                "MIG": mean_std(f.mig),
                "SAP": mean_std(f.sap),
            }
        ],
        caption="Mean ± std over seeds.",
    )


def _decoder(report: Report, result: InspectResult, arrays: Mapping[str, Any]) -> None:
    from latentatlas.analysis.decoding import RandomDecodesResult
    from latentatlas.plots import image_grid
    from latentatlas.plots.density import decode_grid

    d = result.decoder
    assert d is not None
    section = report.add_section(
        "Decoder",
        "Reconstruction error against the mean image put out for every input (a model that "
        "learnt nothing scores the baseline), what random codes decode to, and how much each "
        "of the highest-variance dimensions changes the decoded image, and how consistently.",
    )
    section.add_table(
        [
            {
                "reconstruction error (median MSE)": mean_std(d.reconstruction_error, 4),
                "mean-image baseline": f"{d.mean_image_error:.4f}",
                "meaningful N(0, I) decodes": mean_std(d.meaningful_fraction),
                "meaningful decodes of the fitted Gaussian": mean_std(d.meaningful_fraction_fitted),
                "consistent dimensions": f"{mean_std(d.consistent_dims, 1)} of "
                f"{d.traversed_dims[0]}",
            }
        ],
        caption="Mean ± std over seeds.",
    )
    add_reconstructions(
        section,
        arrays["examples/original"],
        arrays["examples/reconstruction"],
        "Reconstructions",
        "lost detail",
    )
    section.add_figure(
        decode_grid(restore_result(arrays, "decodes", RandomDecodesResult)),
        title="Decodes of random codes",
        caption="Codes drawn from N(0, I) and from the Gaussian fitted to the codes; the row "
        "title gives the share as close to a training image as a typical reconstruction.",
    )
    images = arrays["traversal/images"]
    dims = [int(v) for v in arrays["traversal/dims"]]
    first = images[0]  # (n_dims, n_values, *shape) of the first input
    section.add_figure(
        image_grid(first.reshape(-1, *first.shape[2:]), n_columns=first.shape[1],
                   row_titles=[f"z{d}" for d in dims]),
        title="Traversals",
        caption="One input's code with each dimension (highest variance first) set from -3 to "
        "3 standard deviations of the codes, the rest kept. Look for one change per row.",
    )  # fmt: skip


def _seeds(report: Report, result: InspectResult) -> None:
    report.add_section("Seeds", SEED_SPREAD_EXPLAINED).add_table(
        [column_row(SEED_SPREAD_COLUMNS, result.seed_spread)],
        columns=[column.header for column in SEED_SPREAD_COLUMNS],
    )
