"""The digit-pairs study on the engine: the grid, the analyses of one cell and the source's claims.

Redoes 000_2b4a74d5463f301c.txt over many seeds, with numbers where the source had pictures:
silhouette in latent and pixel space, seed-to-seed variability of the layout, k-NN accuracy and
the source's proposed label-reconstruction metric, optionally over all 45 pairs, several latent
dimensions and both activations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.analysis._result import ResultMixin
from latentatlas.config import DataConfig, ModelConfig
from latentatlas.studies.claims import Claim, compare, seeds_note
from latentatlas.studies.digit_pairs.config import ACTIVATED_MODELS, DigitPairsConfig
from latentatlas.studies.engine import (
    AnalysisContext,
    Cell,
    CellOutput,
    Study,
    seed_runs,
)

#: Example images per digit kept for the reconstruction figures.
N_EXAMPLES = 5


@dataclass(frozen=True, eq=False)
class SeedSpread(ResultMixin):
    """How much one model's results move between seeds (see ``analysis.seed_variability``).

    ``procrustes_pairs`` and ``cka_pairs`` hold the value of every pair of seeds, so their
    spread is reported beside their mean.
    """

    silhouette_std: float
    silhouette_relative_spread: float | None
    procrustes_mean: float | None
    cka_mean: float | None
    procrustes_pairs: tuple[float, ...]
    cka_pairs: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class CodeShapeSeeds(ResultMixin):
    """Per seed, how much of the cloud sits at the origin and how flat it is (``code_shape``)."""

    share_near_origin: tuple[float, ...]
    flatness: tuple[float, ...]
    collapsed: tuple[bool, ...]


@dataclass(frozen=True, eq=False)
class LabelReconstruction(ResultMixin):
    """The source's label-reconstruction metric of one model, per seed."""

    error_rate: tuple[float, ...]
    confusion: NDArray[np.int64]
    classifier_accuracy: float


@dataclass(frozen=True, eq=False)
class KnnScores(ResultMixin):
    """k-NN accuracy and macro F1 on the validation codes, per seed."""

    accuracy: tuple[float, ...]
    macro_f1: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class PairResult(ResultMixin):
    """Every number of one cell (pair, latent dimension, activation); the metrics.json schema.

    ``to_dict`` keeps the published layout: ``silhouette`` holds ``original`` (the pixel-space
    silhouette) beside one list per model, every other metric is keyed by model.
    """

    original_silhouette: float
    silhouette: dict[str, tuple[float, ...]]
    seed_variability: dict[str, SeedSpread]
    label_reconstruction: dict[str, LabelReconstruction]
    knn: dict[str, KnnScores]
    validation_loss: dict[str, tuple[float, ...]]
    code_shape: dict[str, CodeShapeSeeds]
    n_train: int
    n_validation: int
    failed_runs: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """The published layout, with ``silhouette.original`` beside the models."""
        document = super().to_dict()
        original = document.pop("original_silhouette")
        document["silhouette"] = {"original": original, **document["silhouette"]}
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PairResult:
        """Inverse of :meth:`to_dict`."""
        document = dict(data)
        silhouette = dict(document.get("silhouette", {}))
        document["original_silhouette"] = silhouette.pop("original", None)
        document["silhouette"] = silhouette
        document.setdefault("failed_runs", {})
        return super().from_dict(document)

    @property
    def models(self) -> list[str]:
        """The models with at least one finished seed."""
        return list(self.silhouette)


class DigitPairsStudy(Study):
    """Do autoencoders keep two MNIST digits apart in a 2-d latent space?"""

    name = "digit-pairs"
    title = "Digit pairs"
    question = "Do autoencoders keep two MNIST digits apart in a low-dimensional latent space?"
    source = "000_2b4a74d5463f301c.txt"
    citation = 'J. Lancione, "Investigation of latent space structure" (Università di Torino)'
    report_module = "latentatlas.studies.digit_pairs.report"
    config_type = DigitPairsConfig
    result_type = PairResult
    cells_key = "conditions"

    def cells(self, config: DigitPairsConfig) -> list[Cell]:
        """Pair x latent dimension x activation; linear models only under the first activation."""
        cells = []
        for pair in config.pairs:
            for dim in config.latent_dims:
                for activation in config.activations:
                    key = f"pair-{pair[0]}-{pair[1]}/dim-{dim}/{activation}"
                    params = {"pair": pair, "latent_dim": dim, "activation": activation}
                    models = {
                        model: model_config(dim, activation, model)
                        for model in models_for(config, activation)
                    }
                    runs = seed_runs(config, data_config(config, pair), models, f"runs/{key}")
                    cells.append(Cell(key, runs, params))
        return cells

    def analyse(self, config: DigitPairsConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
        """Every analysis of one cell on its validation split; see :func:`analyse_cell`."""
        from latentatlas.studies.digit_pairs.analyse import analyse_cell

        return analyse_cell(config, cell, context)

    def claims(self, config: DigitPairsConfig, results: Mapping[str, PairResult]) -> list[Claim]:
        """The source's five claims, judged on the headline cell (and the activation sweep)."""
        cells = self.cells(config)
        headline = results[cells[0].key]
        return [
            _latent_beats_pixels(headline),
            _pca_within_autoencoder_range(headline),
            _denoising_no_advantage(headline),
            _tanh_beats_relu(config, cells, results),
            _relu_gathers_at_origin(config, cells, results),
            _layout_varies_more_than_silhouette(headline),
        ]


def models_for(config: DigitPairsConfig, activation: str) -> list[str]:
    """Models trained under ``activation``: activation-free models only under the first one."""
    first_activation = activation == config.activations[0]
    return [m for m in config.models if m in ACTIVATED_MODELS or first_activation]


def data_config(config: DigitPairsConfig, pair: tuple[int, int]) -> DataConfig:
    """The ``mnist`` loader options of one pair: one home for the runs and the analyses."""
    options: dict[str, Any] = {"digits": list(pair)}
    if config.data_dir is not None:
        options["data_dir"] = config.data_dir
    if config.n_per_class is not None:
        options["n_per_class"] = config.n_per_class
    return DataConfig(name="mnist", options=options)


def model_config(latent_dim: int, activation: str, model: str) -> ModelConfig:
    """The model of one run: the activation applies to the dense autoencoders only."""
    options = {"activation": activation} if model in ACTIVATED_MODELS else {}
    return ModelConfig(name=model, latent_dim=latent_dim, options=options)


# -- claims ---------------------------------------------------------------------------------------
MODEL_TITLES = {
    "pca": "PCA",
    "linear-ae": "linear autoencoder",
    "ae": "autoencoder",
    "dae": "denoising autoencoder",
}


def _title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


def _latent_beats_pixels(result: PairResult) -> Claim:
    statement = "The latent spaces separate the digits better than the pixels."
    pixels = result.original_silhouette
    above = [m for m in result.models if min(result.silhouette[m]) > pixels]
    below = [m for m in result.models if max(result.silhouette[m]) < pixels]
    if len(above) == len(result.models):
        verdict = "supported"
    elif len(below) == len(result.models):
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    parts = ", ".join(
        f"{_title(m)} {min(result.silhouette[m]):.3f} to {max(result.silhouette[m]):.3f}"
        for m in result.models
    )
    return Claim(
        "latent_beats_pixels",
        statement,
        verdict,
        f"Pixel-space silhouette {pixels:.3f}; latent silhouettes (lowest to highest seed): "
        f"{parts}.",
        "every seed of every model above the pixel-space value (supported), every seed below "
        "(contradicted), else inconclusive",
    )


def _pca_within_autoencoder_range(result: PairResult) -> Claim:
    statement = "PCA lies within the autoencoders' seed range."
    if "pca" not in result.silhouette or "ae" not in result.silhouette:
        return _not_measured("pca_within_ae_range", statement, "needs the pca and ae models")
    pca = float(np.mean(result.silhouette["pca"]))
    seeds = result.silhouette["ae"]
    inside = min(seeds) <= pca <= max(seeds)
    return Claim(
        "pca_within_ae_range",
        statement,
        "supported" if inside else "contradicted",
        f"PCA {pca:.3f}; autoencoder seeds {min(seeds):.3f} to {max(seeds):.3f} (n={len(seeds)}).",
        "PCA's silhouette between the lowest and highest autoencoder seed",
    )


def _denoising_no_advantage(result: PairResult) -> Claim:
    statement = "The denoising autoencoder brings no advantage beyond the seed variability."
    if "dae" not in result.silhouette or "ae" not in result.silhouette:
        return _not_measured("dae_no_advantage", statement, "needs the ae and dae models")
    comparison = compare(result.silhouette["dae"], result.silhouette["ae"])
    better = comparison.direction == "greater"
    significant = comparison.p_value is not None and comparison.p_value < 0.05
    if better and (significant or comparison.indicative_only):
        verdict = "contradicted"
    elif comparison.direction == "overlap" or comparison.direction == "less":
        verdict = "supported"
    else:
        verdict = "inconclusive"
    return Claim(
        "dae_no_advantage",
        statement,
        verdict,
        "Silhouette: " + comparison.describe("denoising", "plain autoencoder") + ".",
        "overlap of per-seed silhouettes, one-sided Mann-Whitney U where both have 2+ seeds; "
        + seeds_note(comparison),
    )


def _by_activation(
    cells: Sequence[Cell], results: Mapping[str, PairResult]
) -> dict[str, PairResult]:
    """The headline pair and dimension's result under each activation."""
    first = cells[0].params
    return {
        cell.params["activation"]: results[cell.key]
        for cell in cells
        if cell.params["pair"] == first["pair"] and cell.params["latent_dim"] == first["latent_dim"]
    }


def _tanh_beats_relu(
    config: DigitPairsConfig, cells: Sequence[Cell], results: Mapping[str, PairResult]
) -> Claim:
    statement = "tanh clusters better than ReLU."
    if not {"tanh", "relu"} <= set(config.activations) or "ae" not in config.models:
        return _not_measured(
            "tanh_beats_relu", statement, "run with --activation tanh,relu to measure it"
        )
    by_activation = _by_activation(cells, results)
    comparison = compare(
        by_activation["tanh"].silhouette.get("ae", ()),
        by_activation["relu"].silhouette.get("ae", ()),
    )
    verdict = {"greater": "supported", "less": "contradicted"}.get(
        comparison.direction, "inconclusive"
    )
    return Claim(
        "tanh_beats_relu",
        statement,
        verdict,
        "Autoencoder silhouette: " + comparison.describe("tanh", "ReLU") + ".",
        "no overlap of per-seed silhouettes in either direction; " + seeds_note(comparison),
    )


def _relu_gathers_at_origin(
    config: DigitPairsConfig, cells: Sequence[Cell], results: Mapping[str, PairResult]
) -> Claim:
    statement = "With ReLU most of the data gathers around the origin (the source's explanation)."
    if not {"tanh", "relu"} <= set(config.activations) or "ae" not in config.models:
        return _not_measured(
            "relu_gathers_at_origin", statement, "run with --activation tanh,relu to measure it"
        )
    by_activation = _by_activation(cells, results)
    shares = {
        a: r.code_shape["ae"].share_near_origin
        for a, r in by_activation.items()
        if "ae" in r.code_shape
    }
    comparison = compare(shares.get("relu", ()), shares.get("tanh", ()))
    verdict = {"greater": "supported", "less": "contradicted"}.get(
        comparison.direction, "inconclusive"
    )
    return Claim(
        "relu_gathers_at_origin",
        statement,
        verdict,
        "Autoencoder, share of validation codes within 10% of the cloud's radius (95th-percentile "
        "norm) of the origin: " + comparison.describe("ReLU", "tanh") + ".",
        "no overlap of per-seed shares in either direction; " + seeds_note(comparison),
    )


def _layout_varies_more_than_silhouette(result: PairResult) -> Claim:
    statement = "The layout varies across seeds more than the silhouette does."
    spread = result.seed_variability.get("ae")
    if (
        spread is None
        or spread.procrustes_mean is None
        or spread.silhouette_relative_spread is None
    ):
        return _not_measured("layout_varies", statement, "needs the ae model with 2+ seeds")
    layout, score = spread.procrustes_mean, spread.silhouette_relative_spread
    return Claim(
        "layout_varies",
        statement,
        "supported" if layout > score else "contradicted",
        f"Autoencoder: Procrustes disparity between seeds {layout:.3f} against the silhouette's "
        f"relative spread (std / mean) {score:.3f}.",
        "mean Procrustes disparity over seed pairs against std / mean of the silhouette",
    )


def _not_measured(key: str, statement: str, why: str) -> Claim:
    return Claim(key, statement, "inconclusive", f"Not measured: {why}.", "none")


STUDY = DigitPairsStudy()
