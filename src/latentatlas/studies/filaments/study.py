"""The filaments study on the engine: conv AE and VAE codes, filaments, voids, random decodes.

Redoes 001_635c37cec36b7c29.txt over seeds, with numbers where the source had pictures: axis
and radius densities, the PCA spectrum, a t-SNE map and zoomed planes, the local intrinsic
dimension and void fractions against a Gaussian of the same covariance, and what the decoder
makes of random codes; plus the source's second part, the parameter and memory table of the
conv VAE with and without its extra Dense layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from latentatlas.config import ModelConfig
from latentatlas.studies.claims import AllSeeds, Both, ClaimSpec, Evidence, Separated
from latentatlas.studies.engine import Cell, Study, seed_runs
from latentatlas.studies.filaments.config import MODEL_TITLES, FilamentsConfig, data_config
from latentatlas.studies.filaments.results import DecodeSeeds, FilamentsResult, ModelFilaments
from latentatlas.studies.gates import learned
from latentatlas.studies.rules import has_models, rests_on

#: Random decodes are "nonsense" when at most this share of them is meaningful on a seed (the
#: source: none of its random decodes was a face; one in ten is already a decoder that often
#: draws a training-like image).
MEANINGLESS_MAX = 0.1
#: A per-seed yes/no reading is judged as 1 (yes) or 0 (no) against this, so the seed-count
#: statistics of :class:`AllSeeds` apply; an undecided seed reads 0.5 and counts for neither.
HALF = 0.5
AE, VAE = "conv-ae", "conv-vae"
Need = Callable[[Evidence], "str | None"]


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
    analyse_module = "latentatlas.studies.filaments.analyse"
    config_type = FilamentsConfig
    result_type = FilamentsResult
    headline_fields = ("models", "resources")

    def cells(self, config: FilamentsConfig) -> list[Cell]:
        """One cell: the data set, with a run per model and seed."""
        options: dict[str, Any] = {"filters": list(config.filters), "bottleneck": config.bottleneck}
        models = {m: ModelConfig(m, config.latent_dim, options) for m in config.models}
        runs = seed_runs(config, data_config(config), models, "runs")
        return [Cell(config.dataset, runs, {"dataset": config.dataset})]

    def claim_specs(self, config: FilamentsConfig) -> list[ClaimSpec]:
        """The source's claims as data, each on converged models only; see :func:`claim_specs`."""
        return claim_specs()


# -- claims ---------------------------------------------------------------------------------------
def claim_specs() -> list[ClaimSpec]:
    """The source's claims on the study's one cell, restated where the calibration says the
    data can answer them.

    Per-seed readings of :class:`~latentatlas.analysis.density.FilamentScoreResult` are judged
    as 1/0 indicators with :class:`AllSeeds` (a sign test over seeds: supported or contradicted
    need 5 seeds, 2-4 give an indicative verdict); docs/analyses/density.md has the calibration.
    """
    ae_needs = rests_on(AE)
    return [
        ClaimSpec(
            "filaments",
            "The autoencoder's codes have lower-dimensional structure and voids compared with "
            "the matched Gaussian (the source: thin filaments around voids).",
            lambda e: _structure_rule(_ae(e)),
            evidence=lambda e: _structure_context(e.headline),
            needs=(*ae_needs, _has_readings),
        ),
        ClaimSpec(
            "nearly_1d",
            "The autoencoder's codes lie on nearly one-dimensional filaments.",
            lambda e: _indicator_rule(
                _ae(e).filament_score.one_dimensional,
                "nearly 1-d (smallest local dimension at most 1.5 with low dimension, "
                "1 = yes, 0 = no, 0.5 = undecided)",
            ),
            evidence=lambda e: (
                "Smallest local dimension per seed: "
                + _seeds_text(_ae(e).filament_score.smallest_dimension)
                + "."
            ),
            # the data's factors first: a 1-d cloud is not expected of them, trained or not
            needs=(has_models(AE), _has_readings, _single_factor, learned(AE)),
        ),
        ClaimSpec(
            "voids",
            "The cloud of codes has voids larger than a Gaussian's.",
            lambda e: _voids_rule(_ae(e)),
            evidence=lambda e: _voids_context(_ae(e)),
            needs=(*ae_needs, _has_readings),
        ),
        ClaimSpec(
            "ae_random_decodes",
            "Random codes decode to nonsense for the autoencoder.",
            lambda e: AllSeeds(
                _ae(e).random_decodes.meaningful_fraction,
                below=MEANINGLESS_MAX,
                name="autoencoder",
                threshold_name="largest share that is still nonsense",
                measure="meaningful share of N(0, I) decodes",
            ),
            evidence="Meaningful: the decode lies as close to a training image as a typical "
            "reconstruction (twice the 90th percentile of the reconstruction errors).",
            needs=(*ae_needs, _criterion_tells(AE, few_still_count=True)),
        ),
        ClaimSpec(
            "vae_random_decodes",
            "... but random codes decode to meaningful images for the VAE.",
            lambda e: Separated(
                e.headline.models[VAE].random_decodes.meaningful_fraction,
                _ae(e).random_decodes.meaningful_fraction,
                expect="greater",
                names=("VAE", "autoencoder"),
                measure="meaningful share of N(0, I) decodes",
            ),
            needs=(*rests_on(AE, VAE), _criterion_tells(AE, VAE)),
        ),
        ClaimSpec(
            "radius_peak",
            "The density of radii peaks near the radius the per-axis spreads predict.",
            lambda e: _radius_rule(_ae(e)),
            evidence=lambda e: _radius_context(_ae(e)),
            needs=(*ae_needs, _has_null_tolerance),
        ),
    ]


def _ae(evidence: Evidence) -> ModelFilaments:
    return evidence.headline.models[AE]


def _indicators(flags: Sequence[bool | None]) -> list[float]:
    """Yes = 1, no = 0, undecided = 0.5 (on the threshold: no sign either way)."""
    return [HALF if flag is None else float(flag) for flag in flags]


def _indicator_rule(flags: Sequence[bool | None], measure: str, name: str = "AE") -> AllSeeds:
    """Every seed's reading is yes: a sign test of the 1/0 indicators against 0.5."""
    return AllSeeds(
        _indicators(flags),
        above=HALF,
        name=name,
        threshold_name="half-way mark",
        measure=measure,
        digits=1,
    )


def _structure_rule(model: ModelFilaments) -> Both:
    """Every seed is lower-dimensional than its matched Gaussian, and every seed has voids."""
    score = model.filament_score
    return Both(
        _indicator_rule(
            score.is_low_dimensional,
            "lower-dimensional than the matched Gaussian (smallest ratio of median local "
            "dimensions over k below 0.85; 1 = yes, 0 = no)",
        ),
        _indicator_rule(
            score.has_voids,
            "voids (void excess above the Gaussian null's threshold; 1 = yes, 0 = no)",
        ),
    )


def _structure_context(result: FilamentsResult) -> str:
    score = result.models[AE].filament_score
    text = (
        f"Autoencoder per seed: low-dimension ratio {_seeds_text(score.low_dimension_ratio)}, "
        f"void excess {_seeds_text(score.void_excess, 3)} (threshold "
        f"{_seeds_text(score.void_threshold, 3)}), smallest local dimension "
        f"{_seeds_text(score.smallest_dimension)}."
    )
    if VAE in result.models and result.models[VAE].filament_score.low_dimension_ratio:
        vae = result.models[VAE].filament_score
        text += (
            f" The VAE's: ratio {_seeds_text(vae.low_dimension_ratio)}, void excess "
            f"{_seeds_text(vae.void_excess, 3)}."
        )
    return text


def _voids_rule(model: ModelFilaments) -> AllSeeds:
    """Every seed's void excess lies above the Gaussian null's threshold (shared planes)."""
    score = model.filament_score
    return AllSeeds(
        score.void_excess,
        above=score.void_threshold[0],
        name="AE",
        threshold_name="Gaussian null's threshold 0.04 / sqrt(planes)",
        measure="void excess over the matched Gaussian",
    )


def _voids_context(model: ModelFilaments) -> str:
    score = model.filament_score
    planes = ", ".join(f"PC{a + 1}-PC{b + 1}" for a, b in score.planes)
    scales = ", ".join(f"{s:g}" for s in score.scales)
    return (
        f"Void excess: share of empty grid cells minus the matched Gaussian's, averaged over "
        f"the planes {planes} and windows of {scales} standard deviations."
    )


def _radius_rule(model: ModelFilaments) -> AllSeeds:
    """Every seed's relative peak distance lies within its own matched-Gaussian tolerance."""
    radius = model.radius_density
    excess = [r - t for r, t in zip(radius.relative_distance, radius.null_tolerance, strict=True)]
    return AllSeeds(
        excess,
        below=0.0,
        name="AE",
        threshold_name="seed's own tolerance (difference 0)",
        measure="relative distance of the radius peak minus the largest of 19 matched Gaussians'",
    )


def _radius_context(model: ModelFilaments) -> str:
    radius = model.radius_density
    return (
        f"Radius peak (bins of 0.5) per seed {_seeds_text(radius.peak)} against sqrt(sum "
        f"E[z_i^2]) {_seeds_text(radius.expected_peak)}: relative distance "
        f"{_seeds_text(radius.relative_distance, 3)}, tolerance "
        f"{_seeds_text(radius.null_tolerance, 3)}; sqrt(d) = {radius.unit_gaussian_peak:.1f}, "
        "which the source's unit-width axes gave."
    )


# -- what a claim needs ---------------------------------------------------------------------------
def _has_readings(evidence: Evidence) -> str | None:
    if _ae(evidence).filament_score.low_dimension_ratio:
        return None
    return "the results predate the calibrated dimension and void readings; run the study again"


def _has_null_tolerance(evidence: Evidence) -> str | None:
    if _ae(evidence).radius_density.null_tolerance:
        return None
    return "the results predate the matched-Gaussian radius tolerance; run the study again"


def _single_factor(evidence: Evidence) -> str | None:
    """ "Nearly 1-d" is only expected of data with one generative factor."""
    result = evidence.headline
    smallest = _seeds_text(result.models[AE].filament_score.smallest_dimension)
    if result.n_factors == 1:
        return None
    if result.n_factors is None:
        why = f"the {result.dataset} data declares no generative factors"
    else:
        why = f"the data has {result.n_factors} generative factors"
    return f"{why}, so a 1-d cloud is not expected (smallest local dimension per seed: {smallest})"


def _criterion_tells(*models: str, few_still_count: bool = False) -> Need:
    """Not judged where the criterion would call the mean training image meaningful: a decoder
    putting out that blur would score as high. With ``few_still_count``, every seed at most
    :data:`MEANINGLESS_MAX` is still judged (a lenient criterion only makes few rarer)."""

    def need(evidence: Evidence) -> str | None:
        decodes = {m: evidence.headline.models[m].random_decodes for m in models}
        lenient = {m: d for m, d in decodes.items() if any(d.mean_image_meaningful)}
        if not lenient:
            return None
        if few_still_count and all(
            max(d.meaningful_fraction) <= MEANINGLESS_MAX for d in decodes.values()
        ):
            return None
        return _mean_image_reason(lenient)

    return need


def _mean_image_reason(decodes: Mapping[str, DecodeSeeds]) -> str:
    """The sentence naming the models whose criterion would call the mean image meaningful."""
    lenient = "; ".join(
        f"the {MODEL_TITLES.get(name, name)}'s in {sum(d.mean_image_meaningful)} of "
        f"{len(d.mean_image_meaningful)} seeds (mean image {_seeds_text(d.mean_image_distance, 3)} "
        f"from its nearest training image; thresholds {_seeds_text(d.pixel_threshold, 3)})"
        for name, d in decodes.items()
    )
    return (
        f"the criterion would call the mean training image meaningful ({lenient}), so a decoder "
        "putting out that blur would score as high and the share is no evidence"
    )


def _seeds_text(values: Sequence[float], digits: int = 2) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


STUDY = FilamentsStudy()
