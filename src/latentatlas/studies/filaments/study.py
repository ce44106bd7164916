"""The filaments study on the engine: conv AE and VAE codes, filaments, voids, random decodes.

Redoes 001_635c37cec36b7c29.txt over seeds, with numbers where the source had pictures: axis
and radius densities, the PCA spectrum, a t-SNE map and zoomed planes, the local intrinsic
dimension and void fractions against a Gaussian of the same covariance, and what the decoder
makes of random codes; plus the source's second part, the parameter and memory table of the
conv VAE with and without its extra Dense layer.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.analysis._result import ResultMixin, from_jsonable
from latentatlas.config import DataConfig, ModelConfig
from latentatlas.studies.claims import Claim, compare, seeds_note
from latentatlas.studies.engine import (
    AnalysisContext,
    Cell,
    CellOutput,
    Study,
    seed_runs,
)
from latentatlas.studies.filaments.config import FilamentsConfig

#: A cloud counts as "nearly one-dimensional filaments" when the median local intrinsic
#: dimension (Levina-Bickel, k neighbours) of every seed is at most this (the source: "thin,
#: basically one-dimensional"; 2 leaves room for the estimator's upward bias on curved,
#: noisy filaments and for crossings).
FILAMENT_MAX_DIMENSION = 2.0
#: Random decodes are "nonsense" when at most this share of them is meaningful ...
MEANINGLESS_MAX = 0.1
#: ... and "meaningful" for a model when at least this share is.
MEANINGFUL_MIN = 0.5
#: The radius peak is "near" the expected one within this relative distance.
RADIUS_TOLERANCE = 0.1
AE, VAE = "conv-ae", "conv-vae"


@dataclass(frozen=True, eq=False)
class AxisSeeds(ResultMixin):
    """``axis_density`` per seed: the dominant axes (0-based) and the typical axis width."""

    dominant_axes: tuple[tuple[int, ...], ...]
    n_dominant: tuple[int, ...]
    median_half_width: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class RadiusSeeds(ResultMixin):
    """``radius_density`` per seed: the peak (bins of 0.5 and 0.05) against the expected one."""

    peak: tuple[float, ...]
    peak_fine: tuple[float, ...]
    expected_peak: tuple[float, ...]
    unit_gaussian_peak: float
    minimum: tuple[float, ...]
    maximum: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class SpectrumSeeds(ResultMixin):
    """``pca_spectrum`` per seed: components above the flat tail, first-to-second ratio."""

    n_leading: tuple[int, ...]
    first_to_second: tuple[float, ...]
    first_ratio: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class FilamentSeeds(ResultMixin):
    """``filament_score`` per seed, each beside the matched Gaussian's value.

    ``void_fraction[s][j]`` is seed ``s``'s share of empty grid cells at ``scales[j]``,
    averaged over ``planes`` (``void_fraction_gaussian`` the same for the matched Gaussian).
    """

    local_dimension_median: tuple[float, ...]
    local_dimension_median_gaussian: tuple[float, ...]
    twonn: tuple[float, ...]
    twonn_gaussian: tuple[float, ...]
    nn_distance_ratio: tuple[float, ...]
    planes: tuple[tuple[int, int], ...]
    scales: tuple[float, ...]
    void_fraction: tuple[tuple[float, ...], ...]
    void_fraction_gaussian: tuple[tuple[float, ...], ...]
    void_excess: tuple[float, ...]
    k: int


@dataclass(frozen=True, eq=False)
class DecodeSeeds(ResultMixin):
    """``random_decodes`` per seed: ``meaningful_fraction`` of N(0, I) codes (the source's
    random points), ``meaningful_fraction_fitted`` of the Gaussian fitted to the codes;
    ``mean_image_meaningful``: whether the criterion would call the mean training image
    meaningful (then a high share is no evidence; empty in results written before)."""

    meaningful_fraction: tuple[float, ...]
    meaningful_fraction_fitted: tuple[float, ...]
    near_codes_fraction: tuple[float, ...]
    near_codes_fraction_fitted: tuple[float, ...]
    pixel_threshold: tuple[float, ...]
    mean_image_distance: tuple[float, ...] = ()
    mean_image_meaningful: tuple[bool, ...] = ()


@dataclass(frozen=True, eq=False)
class ModelFilaments(ResultMixin):
    """Every number of one model, one entry per finished seed (in ``seeds`` order)."""

    seeds: tuple[int, ...]
    figure_seed: int
    axis_density: AxisSeeds
    radius_density: RadiusSeeds
    pca_spectrum: SpectrumSeeds
    filament_score: FilamentSeeds
    random_decodes: DecodeSeeds
    reconstruction_error: tuple[float, ...]
    tsne_preservation: float


@dataclass(frozen=True, eq=False)
class ResourceRow(ResultMixin):
    """One conv-vae variant of the source's second part: parameters, memory, time.

    ``peak_memory_mib`` and ``seconds_per_batch`` hold one value per batch size of the table
    (None where the variant was not measured); ``saved_activations_mib`` is what autograd
    keeps for the backward pass (exact, independent of the device).
    """

    latent_dim: int
    bottleneck: int | None
    encoder_parameters: int
    decoder_parameters: int
    total_parameters: int
    weights_mib: float
    saved_activations_mib: tuple[float, ...] | None
    peak_memory_mib: tuple[float, ...] | None
    seconds_per_batch: tuple[float, ...] | None


@dataclass(frozen=True, eq=False)
class ResourceTable(ResultMixin):
    """The parameter and memory table; ``memory_method`` says how memory was measured."""

    image_shape: tuple[int, ...]
    filters: tuple[int, ...]
    batch_sizes: tuple[int, ...]
    steps: int
    device: str
    torch_threads: int
    memory_method: str
    rows: tuple[ResourceRow, ...]


@dataclass(frozen=True, eq=False)
class FilamentsResult(ResultMixin):
    """Every number of the study (one cell); the metrics.json schema."""

    dataset: str
    image_shape: tuple[int, ...]
    latent_dim: int
    n_train: int
    models: dict[str, ModelFilaments]
    resources: ResourceTable
    failed_runs: dict[str, str]


class FilamentsStudy(Study):
    """Do an autoencoder's codes lie on thin filaments around voids, unlike a VAE's?"""

    name = "filaments"
    title = "Filaments"
    question = (
        "Do an autoencoder's codes lie on thin, nearly 1-d filaments around voids, so that "
        "random codes decode to nonsense, unlike a VAE's?"
    )
    source = "001_635c37cec36b7c29.txt"
    citation = (
        '"Autoencoders, latent space and the curse of high dimensionality – II – a view on '
        'fragments and filaments of the latent space for CelebA images"'
    )
    report_module = "latentatlas.studies.filaments.report"
    config_type = FilamentsConfig
    result_type = FilamentsResult
    cells_key = "cells"

    def cells(self, config: FilamentsConfig) -> list[Cell]:
        """One cell: the data set, with a run per model and seed."""
        options: dict[str, Any] = {"filters": list(config.filters), "bottleneck": config.bottleneck}
        models = {m: ModelConfig(m, config.latent_dim, options) for m in config.models}
        runs = seed_runs(config, data_config(config), models, "runs")
        return [Cell(config.dataset, runs, {"dataset": config.dataset})]

    def analyse(self, config: FilamentsConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
        """Every analysis on the training codes; see :func:`analyse.analyse_cell`."""
        from latentatlas.studies.filaments.analyse import analyse_cell

        return analyse_cell(config, cell, context)

    def claims(
        self, config: FilamentsConfig, results: Mapping[str, FilamentsResult]
    ) -> list[Claim]:
        """The source's five claims, read from the per-seed numbers."""
        result = results[self.cells(config)[0].key]
        return [
            _filaments(result),
            _voids(result),
            _ae_decodes_nonsense(result),
            _vae_decodes_meaningful(result),
            _radius_peak(result),
        ]

    def headline(self, config: FilamentsConfig, results: Mapping[str, Any]) -> dict[str, Any]:
        """metrics.json's top level: the per-model numbers and the resource table."""
        result = results.get(self.cells(config)[0].key)
        if result is None:
            return {}
        document = result.to_dict()
        return {"models": document["models"], "resources": document["resources"]}


def data_config(config: FilamentsConfig) -> DataConfig:
    """The loader options of the study's data set: one home for runs and analyses."""
    if config.dataset == "sprites-rgb":
        return DataConfig("sprites-rgb", {"n": config.n, "seed": 0})
    if config.dataset == "mnist":
        options: dict[str, Any] = {"n_per_class": max(1, math.ceil(config.n / 10))}
        if config.data_dir is not None:
            options["data_dir"] = config.data_dir
        return DataConfig("mnist", options)
    return DataConfig("images", {"path": config.path, "size": config.image_size})


# -- arrays of figure results ---------------------------------------------------------------------
def store_result(arrays: dict[str, NDArray[Any]], prefix: str, result: Any) -> None:
    """Flatten an analysis result into ``arrays`` (keys ``prefix/field``), for the report.

    Nested results recurse; a tuple of results stores its length under ``prefix/field/#``;
    None is left out. :func:`restore_result` reverses it.
    """
    for field in dataclasses.fields(result):
        value, key = getattr(result, field.name), f"{prefix}/{field.name}"
        if value is None:
            continue
        if dataclasses.is_dataclass(value):
            store_result(arrays, key, value)
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            arrays[f"{key}/#"] = np.asarray(len(value))
            for index, item in enumerate(value):
                store_result(arrays, f"{key}/{index}", item)
        else:
            arrays[key] = np.asarray(value)


def restore_result(arrays: Mapping[str, NDArray[Any]], prefix: str, kind: type) -> Any:
    """The result of type ``kind`` that :func:`store_result` stored under ``prefix``."""
    hints = typing.get_type_hints(kind)
    values = {}
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        hint, key = hints[field.name], f"{prefix}/{field.name}"
        args = typing.get_args(hint)
        if dataclasses.is_dataclass(hint):
            values[field.name] = restore_result(arrays, key, hint)  # type: ignore[arg-type]
        elif f"{key}/#" in arrays:
            count = int(arrays[f"{key}/#"])
            values[field.name] = tuple(
                restore_result(arrays, f"{key}/{i}", args[0]) for i in range(count)
            )
        elif key in arrays:
            stored = arrays[key]
            values[field.name] = (
                stored if hint_is_array(hint) else from_jsonable(hint, stored.tolist())
            )
        else:
            values[field.name] = None
    return kind(**values)


def hint_is_array(hint: Any) -> bool:
    """True for ``NDArray[...]`` annotations (kept as arrays, not converted to lists)."""
    return (
        hint is np.ndarray
        or typing.get_origin(hint) is np.ndarray
        or (getattr(hint, "__origin__", None) is np.ndarray)
    )


# -- claims ---------------------------------------------------------------------------------------
def _not_measured(key: str, statement: str, why: str) -> Claim:
    return Claim(key, statement, "inconclusive", f"Not measured: {why}.", "none")


def _seeds_text(values: tuple[float, ...], digits: int = 2) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


def _filaments(result: FilamentsResult) -> Claim:
    key, statement = "filaments", "The autoencoder's codes lie on thin, nearly 1-d filaments."
    if AE not in result.models:
        return _not_measured(key, statement, f"needs the {AE} model")
    score = result.models[AE].filament_score
    comparison = compare(score.local_dimension_median, score.local_dimension_median_gaussian)
    low = [v <= FILAMENT_MAX_DIMENSION for v in score.local_dimension_median]
    if all(low) and comparison.direction == "less":
        verdict = "supported"
    elif not any(low) or comparison.direction != "less":
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    other = ""
    if VAE in result.models:
        vae = result.models[VAE].filament_score.local_dimension_median
        other = f" The VAE's: {_seeds_text(vae)}."
    return Claim(
        key,
        statement,
        verdict,
        "Median local intrinsic dimension (Levina-Bickel MLE, k = "
        f"{score.k}) per seed: {_seeds_text(score.local_dimension_median)}; "
        + comparison.describe("codes", "matched Gaussian", 2)
        + "."
        + other,
        f"every seed at most {FILAMENT_MAX_DIMENSION:g} and below the Gaussian of the same "
        f"covariance with no overlap (supported); every seed above {FILAMENT_MAX_DIMENSION:g}, "
        "or not below the Gaussian (contradicted); else inconclusive; " + seeds_note(comparison),
    )


def _voids(result: FilamentsResult) -> Claim:
    key, statement = "voids", "The cloud of codes has voids larger than a Gaussian's."
    if AE not in result.models:
        return _not_measured(key, statement, f"needs the {AE} model")
    score = result.models[AE].filament_score
    codes = [float(np.mean(v)) for v in score.void_fraction]
    gaussian = [float(np.mean(v)) for v in score.void_fraction_gaussian]
    comparison = compare(codes, gaussian)
    verdict = {"greater": "supported", "less": "contradicted"}.get(
        comparison.direction, "inconclusive"
    )
    planes = ", ".join(f"PC{a + 1}-PC{b + 1}" for a, b in score.planes)
    return Claim(
        key,
        statement,
        verdict,
        f"Autoencoder, share of empty cells averaged over the planes {planes} and windows of "
        f"{', '.join(f'{s:g}' for s in score.scales)} standard deviations: "
        + comparison.describe("codes", "matched Gaussian")
        + ".",
        "no overlap of per-seed void fractions in either direction; " + seeds_note(comparison),
    )


def _ae_decodes_nonsense(result: FilamentsResult) -> Claim:
    key, statement = "ae_random_decodes", "Random codes decode to nonsense for the autoencoder."
    if AE not in result.models:
        return _not_measured(key, statement, f"needs the {AE} model")
    decodes = result.models[AE].random_decodes
    fractions = decodes.meaningful_fraction
    if max(fractions) <= MEANINGLESS_MAX:
        verdict = "supported"  # a lenient criterion only makes few meaningful decodes rarer
    elif min(fractions) >= MEANINGFUL_MIN and not any(decodes.mean_image_meaningful):
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    return Claim(
        key,
        statement,
        verdict,
        f"Share of N(0, I) codes whose decode is as close to a training image as a typical "
        f"reconstruction (per seed): {_seeds_text(fractions)}."
        + _mean_image_note({"autoencoder": decodes}),
        f"every seed at most {MEANINGLESS_MAX:g} (supported), every seed at least "
        f"{MEANINGFUL_MIN:g} while the criterion would not call the mean training image "
        f"meaningful (contradicted), else inconclusive; {len(fractions)} seed(s)",
    )


def _vae_decodes_meaningful(result: FilamentsResult) -> Claim:
    key = "vae_random_decodes"
    statement = "... but random codes decode to meaningful images for the VAE."
    if AE not in result.models or VAE not in result.models:
        return _not_measured(key, statement, f"needs both {AE} and {VAE}")
    decodes = {
        "VAE": result.models[VAE].random_decodes,
        "autoencoder": result.models[AE].random_decodes,
    }
    comparison = compare(
        decodes["VAE"].meaningful_fraction, decodes["autoencoder"].meaningful_fraction
    )
    verdict = {"greater": "supported", "less": "contradicted"}.get(
        comparison.direction, "inconclusive"
    )
    if any(any(d.mean_image_meaningful) for d in decodes.values()):
        verdict = "inconclusive"
    return Claim(
        key,
        statement,
        verdict,
        "Meaningful share of N(0, I) decodes: "
        + comparison.describe("VAE", "autoencoder")
        + "."
        + _mean_image_note(decodes),
        "VAE above the autoencoder with no overlap between seeds (supported), below "
        "(contradicted), else inconclusive, and inconclusive wherever the criterion would "
        "call the mean training image meaningful; " + seeds_note(comparison),
    )


def _mean_image_note(decodes: Mapping[str, DecodeSeeds]) -> str:
    """A sentence naming the models whose criterion would call the mean image meaningful."""
    lenient = [
        f"the {name}'s in {sum(d.mean_image_meaningful)} of {len(d.mean_image_meaningful)} "
        f"seeds (mean image {_seeds_text(d.mean_image_distance, 3)} from its nearest training "
        f"image; thresholds {_seeds_text(d.pixel_threshold, 3)})"
        for name, d in decodes.items()
        if any(d.mean_image_meaningful)
    ]
    if not lenient:
        return ""
    return (
        " The criterion would call the mean training image meaningful: "
        + "; ".join(lenient)
        + ". A decoder putting out that blur would score as high, so the share is no "
        "evidence of decodes like training images."
    )


def _radius_peak(result: FilamentsResult) -> Claim:
    key = "radius_peak"
    statement = "The density of radii peaks near the radius the per-axis spreads predict."
    if AE not in result.models:
        return _not_measured(key, statement, f"needs the {AE} model")
    radius = result.models[AE].radius_density
    relative = [
        abs(p - e) / e if e > 0 else math.inf
        for p, e in zip(radius.peak, radius.expected_peak, strict=True)
    ]
    near = [r <= RADIUS_TOLERANCE for r in relative]
    verdict = "supported" if all(near) else "contradicted" if not any(near) else "inconclusive"
    return Claim(
        key,
        statement,
        verdict,
        f"Autoencoder, radius peak (bins of 0.5) per seed {_seeds_text(radius.peak)} against "
        f"sqrt(sum E[z_i^2]) {_seeds_text(radius.expected_peak)} (relative distance "
        f"{_seeds_text(tuple(relative))}); sqrt(d) = {radius.unit_gaussian_peak:.1f}, which "
        "the source's unit-width axes gave.",
        f"every seed's peak within {RADIUS_TOLERANCE:.0%} of the expected radius (supported), "
        f"none (contradicted), else inconclusive; {len(relative)} seed(s)",
    )


STUDY = FilamentsStudy()
