"""Regenerate the README's gallery: run its studies, copy their figures, write its tables and text.

``make gallery`` runs this. Every number and figure of the README's gallery section comes from
here, never from hand-copied values: the section between the ``<!-- gallery:start -->`` and
``<!-- gallery:end -->`` markers is rewritten from the studies' stored results, and the figures
are the studies' own report figures, copied by title into ``docs/gallery/``. Finished studies
are reused (the engine resumes), so a second run only redraws.

    python tools/gallery.py [--atlas atlas/gallery] [--only digit-pairs,sweep,all-pairs]
"""

from __future__ import annotations

import argparse
import base64
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from latentatlas.studies.sections import verdict_label

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIGURES = ROOT / "docs" / "gallery"
START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"

#: name -> (the CLI options of `latentatlas study digit-pairs`, as the README shows them)
RUNS: dict[str, list[str]] = {
    "digit-pairs": ["--digits", "1,2", "--seeds", "5"],
    "sweep": ["--latent-dims", "2,3,5,10", "--activation", "tanh,relu", "--quick", "--seeds", "5"],
    "all-pairs": ["--pairs", "all", "--quick", "--models", "pca,ae", "--seeds", "2"],
}

#: The other studies, with their --quick settings (what `make demo` runs), in atlas/gallery/atlas.
ATLAS_STUDIES = ("heatmaps", "filaments", "disentanglement")
#: Seeds per model wherever the gallery shows a verdict: fewer would read "indicative".
VERDICT_SEEDS = 5

#: file in docs/gallery -> (study, section title or None for the summary, figure title as a
#: regular expression that must match the whole title: some titles carry a count or a seed)
FIGURE_SOURCES: dict[str, tuple[str, str | None, str]] = {
    "silhouette-by-seed.png": ("digit-pairs", None, "Silhouette per model and seed"),
    "models-side-by-side.png": (
        "digit-pairs",
        "All models side by side",
        "Latent codes of every model",
    ),
    "pixel-and-latent-silhouettes.png": (
        "digit-pairs",
        "All models side by side",
        "Silhouette plots against the pixel space",
    ),
    "ae-seeds-overlaid.png": (
        "digit-pairs",
        "Autoencoder",
        "Seeds overlaid after Procrustes alignment",
    ),
    "dae-latents-by-seed.png": ("digit-pairs", "Denoising autoencoder", "Latent codes by seed"),
    "dae-reconstructions.png": (
        "digit-pairs",
        "Denoising autoencoder",
        r"Reconstructions \(seed 0\)",
    ),
    "silhouette-vs-latent-dim.png": (
        "sweep",
        "Against the latent dimension",
        "average silhouette against the latent dimension",
    ),
    "ae-silhouette-by-pair.png": ("all-pairs", "All pairs", "Silhouette by pair: autoencoder"),
    "heatmaps-vae-isovariance-path.png": (
        "heatmaps",
        "Gaussian heatmaps: the VAE's latent space",
        r"Path 'isovariance' \(VAE\)",
    ),
    "heatmaps-error-histograms.png": (
        "heatmaps",
        "Gaussian heatmaps: reconstruction errors",
        "Error histograms, AE and VAE overlaid",
    ),
    "filaments-planes.png": (
        "filaments",
        "Projections onto planes at shrinking zooms",
        "Plane of principal axes: PC1 and PC2",
    ),
    "filaments-local-dimension.png": (
        "filaments",
        "Local intrinsic dimension and voids",
        "Local dimension and void fractions against the matched Gaussian",
    ),
    "disentanglement-traversals.png": (
        "disentanglement",
        "Different input, different behaviour",
        r"Traversal grids of \d+ digits side by side \(seed \d+\)",
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atlas", type=Path, default=ROOT / "atlas" / "gallery")
    parser.add_argument(
        "--only", default=",".join([*RUNS, "atlas"]), help="Which studies to (re)run."
    )
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    from latentatlas.studies import engine
    from latentatlas.studies.digit_pairs import DigitPairsConfig

    jobs = args.jobs or __import__("os").cpu_count() or 1
    for name in args.only.split(","):
        started = time.perf_counter()
        if name == "atlas":
            _run_atlas(args.atlas / "atlas", jobs)
        else:
            config = DigitPairsConfig.from_cli(_texts(RUNS[name]), quick="--quick" in RUNS[name])
            engine.run("digit-pairs", config, args.atlas / name, jobs=jobs, progress=True)
        print(f"{name}: {time.perf_counter() - started:.0f} s")
    results = {name: engine.load(args.atlas / name) for name in RUNS}
    results |= {name: engine.load(args.atlas / "atlas" / name) for name in ATLAS_STUDIES}
    _copy_figures(results)
    _write_readme(_gallery_markdown(results))
    print(f"wrote {README} and {len(FIGURE_SOURCES)} figures in {FIGURES}")


def _run_atlas(folder: Path, jobs: int) -> None:
    """The atlas studies: --quick settings but :data:`VERDICT_SEEDS` seeds; then the index."""
    from latentatlas.studies import engine
    from latentatlas.studies.atlas import write_index

    for name in ATLAS_STUDIES:
        study = engine.get(name)
        config = study.config_type.quick(seeds=VERDICT_SEEDS)
        engine.run(study, config, folder / name, jobs=jobs, progress=True)
    write_index(folder, ATLAS_STUDIES, quick=True)


def _texts(options: list[str]) -> dict[str, str]:
    """``["--digits", "1,2", "--quick"]`` -> ``{"digits": "1,2"}`` (flags are handled apart)."""
    from latentatlas.studies.digit_pairs import DigitPairsConfig

    by_flag = {option.flag: option.field for option in DigitPairsConfig.cli_options()}
    texts, index = {}, 0
    while index < len(options):
        if options[index] == "--quick":
            index += 1
            continue
        texts[by_flag[options[index]]] = options[index + 1]
        index += 2
    return texts


def _copy_figures(results: dict[str, Any]) -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    reports = {name: result.study.report(result) for name, result in results.items()}
    for file, (study, section_title, figure_title) in FIGURE_SOURCES.items():
        report = reports[study]
        section = report.summary if section_title is None else _section(report, section_title)
        figures = [b for b in section.blocks if b["kind"] == "figure"]
        block = next((b for b in figures if re.fullmatch(figure_title, b["title"])), None)
        if block is None:
            titles = "; ".join(repr(b["title"]) for b in figures) or "none"
            raise SystemExit(
                f"no figure {figure_title!r} in {study}'s section {section_title!r}; its "
                f"figures are {titles}"
            )
        (FIGURES / file).write_bytes(base64.b64decode(block["src"].split(",", 1)[1]))


def _section(report: Any, title: str) -> Any:
    for section in report.sections:
        if section.title == title:
            return section
    titles = "; ".join(repr(section.title) for section in report.sections)
    raise SystemExit(f"no section {title!r} in the report; its sections are {titles}")


def _command(name: str) -> str:
    return f"latentatlas study digit-pairs {' '.join(RUNS[name])} --out atlas/{name}"


def _gallery_markdown(results: dict[str, Any]) -> str:
    from latentatlas.report import mean_std

    main = results["digit-pairs"]
    headline = main.results[main.cells[0].key]
    lines = [
        "## Gallery",
        "",
        "Everything in this section is written by `make gallery` (`tools/gallery.py`) from the "
        "studies' stored results; no number is copied by hand.",
        "",
        f"What the digit-pairs study (after {main.study.citation}) shows for digits 1 and 2 with "
        f"the default settings on the embedded MNIST subset (`{_command('digit-pairs')}`; "
        f"{headline.n_train} training and {headline.n_validation} validation images; every number "
        "on the validation images, mean ± std over seeds):",
        "",
        "| model | silhouette | k-NN accuracy | label-reconstruction error | Procrustes disparity "
        "between seeds | linear CKA between seeds |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| pixels (784-d) | {headline.original_silhouette:.3f} | | | | |",
    ]
    titles = {
        "pca": "PCA",
        "linear-ae": "linear autoencoder",
        "ae": "autoencoder (tanh)",
        "dae": "denoising autoencoder",
    }
    for model in headline.models:
        spread = headline.seed_variability[model]
        lines.append(
            f"| {titles.get(model, model)} | {mean_std(headline.silhouette[model])} | "
            f"{mean_std(headline.knn[model].column('accuracy'))} | "
            f"{mean_std(headline.label_reconstruction[model].error_rate)} | "
            f"{mean_std(spread.procrustes_pairs)} | {mean_std(spread.cka_pairs)} |"
        )
    floor = 1 - next(iter(headline.label_reconstruction.values())).classifier_accuracy
    lines += [
        "",
        f"The pixel classifier behind the label-reconstruction error mislabels {floor:.1%} of the "
        "original validation images itself: that is the floor of the metric.",
        "",
        "The source's claims, judged by the study from these numbers (the report opens with them):",
        "",
        *[f"- **{verdict_label(c)}**: {c.statement} {c.evidence}" for c in main.claims],
        "",
        "![Silhouette of every model and seed against the pixel-space baseline]"
        "(docs/gallery/silhouette-by-seed.png)",
        "",
        "![The validation codes of every model for its first seed; ringed points are "
        "reconstructed as the other digit](docs/gallery/models-side-by-side.png)",
        "",
        "![Silhouette plots of the pixel space and of each model](docs/gallery/"
        "pixel-and-latent-silhouettes.png)",
        "",
        "![The autoencoder's seeds overlaid after Procrustes alignment]"
        "(docs/gallery/ae-seeds-overlaid.png)",
        "",
        *_sweep_markdown(results["sweep"]),
        "",
        *_pairs_markdown(results["all-pairs"]),
        "",
        "![The denoising autoencoder's validation codes for every seed]"
        "(docs/gallery/dae-latents-by-seed.png)",
        "",
        "![Originals, the noisy inputs and the reconstructions of the denoising autoencoder]"
        "(docs/gallery/dae-reconstructions.png)",
        "",
        *_other_studies_markdown(results),
    ]
    return "\n".join(lines)


def _other_studies_markdown(results: dict[str, Any]) -> list[str]:
    """The other three studies with `make demo`'s --quick trainings but 5 seeds a model."""
    lines = [
        "The other three studies, with the short trainings of `--quick` (what `make demo` "
        f"runs) but {VERDICT_SEEDS} seeds a model, so that their verdicts are tested (every "
        "model passed its learned-model gate or the claims on it read *not judged*; "
        "`latentatlas atlas --out atlas` runs the sources' settings):",
        "",
    ]
    figures = {
        "heatmaps": {
            "heatmaps-vae-isovariance-path.png": "the VAE's isovariance path",
            "heatmaps-error-histograms.png": "error histograms of the AE and the VAE",
        },
        "filaments": {
            "filaments-planes.png": "the codes on the plane of PC1 and PC2 at shrinking zooms",
            "filaments-local-dimension.png": "local dimension and voids against the matched "
            "Gaussian",
        },
        "disentanglement": {
            "disentanglement-traversals.png": "traversal grids of several digits side by side"
        },
    }
    for name in ATLAS_STUDIES:
        result = results[name]
        study = result.study
        lines += [f"**{study.title}** ({study.citation}): {study.question}", ""]
        lines += [f"- **{verdict_label(c)}**: {c.statement} {c.evidence}" for c in result.claims]
        lines.append("")
        for file, alt in figures[name].items():
            lines += [f"![{result.study.title}: {alt}](docs/gallery/{file})", ""]
    return lines[:-1]


def _sweep_markdown(results: Any) -> list[str]:
    config = results.config
    by_dim: dict[str, list[str]] = {}
    for cell in results.cells:
        if cell.params["activation"] != config.activations[0]:
            continue
        for model, values in results.results[cell.key].silhouette.items():
            by_dim.setdefault(model, []).append(f"{np.mean(values):.2f}")
    dims = "/".join(str(d) for d in config.latent_dims)
    parts = [f"{model} {' → '.join(v)}" for model, v in by_dim.items()]
    verdicts = [c for c in results.claims if c.key in ("tanh_beats_relu", "relu_gathers_at_origin")]
    return [
        f"The dimension and activation sweep the source asked for (`{_command('sweep')}`, "
        f"{config.seeds} seeds, {config.n_per_class} images per digit). Mean silhouette at "
        f"{dims} dimensions ({config.activations[0]}): " + "; ".join(parts) + ".",
        "",
        *[f"- **{verdict_label(c)}**: {c.statement} {c.evidence}" for c in verdicts],
        "",
        "![Silhouette against the latent dimension, mean ± std over seeds with each seed as a "
        "dot](docs/gallery/silhouette-vs-latent-dim.png)",
    ]


def _pairs_markdown(results: Any) -> list[str]:
    rows = []
    for cell in results.cells:
        result = results.results[cell.key]
        if "ae" not in result.silhouette or "pca" not in result.silhouette:
            continue
        error = float(np.mean(result.label_reconstruction["ae"].error_rate))
        rows.append(
            (
                cell.params["pair"],
                float(np.mean(result.silhouette["ae"])),
                float(np.mean(result.silhouette["pca"])),
                result.original_silhouette,
                error,
            )
        )
    wins = sum(ae > pca for _, ae, pca, _, _ in rows)
    worst = sorted(rows, key=lambda row: row[1])[:5]
    named = ", ".join(
        f"{a}/{b} ({ae:.2f}, {error:.0%} reconstructed as the other digit)"
        for (a, b), ae, _, _, error in worst
    )
    return [
        f"Over all {len(rows)} pairs (`{_command('all-pairs')}`; {results.config.seeds} seeds, "
        "a survey with no verdict), the autoencoder's mean silhouette is above PCA's in "
        f"{wins} of {len(rows)} pairs (mean {np.mean([r[1] for r in rows]):.2f} "
        f"against {np.mean([r[2] for r in rows]):.2f}; pixels "
        f"{np.mean([r[3] for r in rows]):.2f}). The five pairs it separates worst: {named}.",
        "",
        "![Silhouette of the autoencoder for every pair of digits]"
        "(docs/gallery/ae-silhouette-by-pair.png)",
    ]


def _write_readme(section: str) -> None:
    text = README.read_text()
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), flags=re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {START} ... {END} markers")
    replacement: Callable[[re.Match[str]], str] = lambda _: f"{START}\n{section}\n{END}"  # noqa: E731
    README.write_text(pattern.sub(replacement, text))


if __name__ == "__main__":
    main()
