"""The disentanglement study on the engine: its grid of runs and its claims, judged as data.

Redoes 003_685b0f5ef59928c2.txt over seeds, with numbers where the source had pictures: the
source's 16-d autoencoder with a classifier on MNIST, traversed dimension by dimension (does a
dimension do the same thing for every input?) and scored with the source's single-label DCI;
and, where ground-truth factors exist (``sprites``, ``heatmaps``), an autoencoder and VAEs with
several betas scored with Eastwood & Williams' DCI, MIG and SAP, to test the field's expectation
that a larger beta gives more disentangled codes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from latentatlas.studies.claims import AllSeeds, Both, ClaimSpec, Rule, Separated
from latentatlas.studies.disentanglement.config import (
    MNIST_CELL,
    MNIST_MODEL,
    DisentanglementConfig,
    beta_key,
    cell_models,
    data_config,
)
from latentatlas.studies.engine import Cell, Study, seed_runs
from latentatlas.studies.rules import rests_on

#: Single-label D below which the MNIST code counts as "not disentangled": 1 / D is the number of
#: codes the digit's importance is effectively spread over (the inverse Simpson index), so below
#: 0.5 no code carries the digit alone and it is spread over more than two codes. (D is 1 for one
#: code and 1 / d for importance spread evenly over all d codes: 0.0625 for the source's 16.)
SINGLE_FACTOR_D_THRESHOLD = 0.5
#: A dimension "does different things for different inputs" in most of its code when more than
#: this share of the active dimensions is entangled in a seed (inactive ones do nothing at all).
ENTANGLED_SHARE_THRESHOLD = 0.5
#: The beta claim is withheld when a compared VAE reads the factors with a DCI informativeness
#: skill ``(I - chance) / (1 - chance)`` below this in any seed: D and MIG of codes that hold
#: (nearly) nothing about the factors measure noise. The same bar as the learned-model gate's
#: factor readout (``analysis.quality.MIN_READOUT_SKILL``).
MIN_INFORMATIVENESS_SKILL = 0.1


class DisentanglementStudy(Study):
    """Does a latent dimension do one thing, for every input, and does beta help?"""

    name = "disentanglement"
    title = "Disentanglement"
    question = (
        "Does each latent dimension of an autoencoder do one thing for every input, and do "
        "VAEs with a larger beta give more disentangled codes?"
    )
    source = "003_685b0f5ef59928c2.txt"
    citation = '"Understanding AutoEncoder (Part 2): Navigating the Tesseract"'
    report_module = "latentatlas.studies.disentanglement.report"
    analyse_module = "latentatlas.studies.disentanglement.analyse"
    config_type = DisentanglementConfig

    @property
    def result_type(self) -> type:  # type: ignore[override]
        """:class:`DisentanglementResult`, imported on first use (it imports scikit-learn)."""
        from latentatlas.studies.disentanglement.results import DisentanglementResult

        return DisentanglementResult

    def cells(self, config: DisentanglementConfig) -> list[Cell]:
        """MNIST first (the source's model), then one cell per factor data set."""
        cells = []
        for dataset in (MNIST_CELL, *config.factor_datasets):
            models = cell_models(config, dataset)
            runs = seed_runs(config, data_config(config, dataset), models, f"runs/{dataset}")
            cells.append(Cell(dataset, runs, {"dataset": dataset, "models": tuple(models)}))
        return cells

    def claim_specs(self, config: DisentanglementConfig) -> list[ClaimSpec]:
        """The source's two claims on MNIST and the field's beta claim on the factor data."""
        mnist = rests_on(MNIST_MODEL, cells=(MNIST_CELL,))
        return [
            ClaimSpec(
                "dimensions_entangled",
                "A latent dimension does different things for different inputs: the MNIST "
                "autoencoder's dimensions are entangled.",
                _every_mnist_seed(
                    lambda model: model.traversal.entangled_share,
                    above=ENTANGLED_SHARE_THRESHOLD,
                    threshold_name="half of the active dimensions",
                    measure="share of active dimensions entangled",
                ),
                _entangled_context,
                needs=mnist,
            ),
            ClaimSpec(
                "mnist_not_disentangled",
                "The MNIST autoencoder is not disentangled: the source's single-label D is low.",
                _every_mnist_seed(
                    lambda model: model.dci_single_factor.disentanglement,
                    below=SINGLE_FACTOR_D_THRESHOLD,
                    threshold_name="D of two equally important codes",
                    measure="single-label D",
                ),
                _not_disentangled_context,
                needs=mnist,
            ),
            ClaimSpec(
                "higher_beta_more_disentangled",
                "A VAE with a higher beta gives more disentangled codes (DCI D and MIG).",
                _beta_rule,
                _beta_context,
                needs=(
                    _two_betas,
                    *rests_on(*_compared(config), cells=config.factor_datasets),
                    _beta_informative,
                ),
            ),
        ]


# -- claims ---------------------------------------------------------------------------------------
def _mnist(evidence: Any) -> Any:
    return evidence.headline.models[MNIST_MODEL]


def _every_mnist_seed(values: Callable[[Any], Any], **threshold: Any) -> Callable[[Any], Rule]:
    """The rule of the source's two MNIST claims: every seed of its model beyond a threshold.

    The source: "the dimensions now behave differently for different data input" and "our
    disentanglement and completeness are very-very low".
    """
    return lambda evidence: AllSeeds(values(_mnist(evidence)), name=MNIST_MODEL, **threshold)


def _entangled_context(evidence: Any) -> str:
    t = _mnist(evidence).traversal
    return (
        f"Of {len(t.classification[0])} dimensions per seed: entangled "
        f"{_values(t.entangled_dims)}, "
        f"consistent {_values(t.consistent_dims)}, inactive {_values(t.inactive_dims)}; mean "
        f"share of agreeing pairs of the active dimensions {_values(t.mean_consistency)}. "
        f"Traversals of {t.n_inputs} validation images stratified over the digits ({t.mode} "
        f"values -3 to 3); a dimension is consistent when at least "
        f"{t.consistency_threshold:.0%} of pairs of inputs change alike (change-image cosine "
        f">= {t.agreement_cosine:g}, or the cross-dimension null when higher), inactive below "
        f"{t.inactive_fraction:.0%} of the strongest dimension's mean effect; the claim reads "
        f"'entangled' as more than {ENTANGLED_SHARE_THRESHOLD:.0%} of the active dimensions "
        "entangled in a seed."
    )


def _not_disentangled_context(evidence: Any) -> str:
    scores = _mnist(evidence).dci_single_factor
    dim = len(_mnist(evidence).traversal.classification[0])
    return (
        f"The digit is spread over {_values(scores.effective_codes, 1)} codes effectively "
        f"(1 / D); C (largest importance) {_values(scores.completeness)}; I (held-out accuracy) "
        f"{_values(scores.informativeness)}. D is 1 for one code, {1 / dim:.3f} for importance "
        f"spread evenly over all {dim} codes; below {SINGLE_FACTOR_D_THRESHOLD} the digit is "
        "spread over more than two codes. The source prints no number, only 'very-very low'."
    )


def _reference_beta(config: DisentanglementConfig) -> float:
    """The VAE the highest beta is compared with: beta 1 (the plain VAE), else the lowest."""
    return 1.0 if 1.0 in config.betas else min(config.betas)


def _compared(config: DisentanglementConfig) -> tuple[str, str]:
    """The model keys of the beta claim: the reference VAE's, then the highest beta's."""
    return beta_key(_reference_beta(config)), beta_key(max(config.betas))


def _two_betas(evidence: Any) -> str | None:
    """A reason when the claim has no two VAEs to compare on a factor data set."""
    if len(evidence.config.betas) < 2 or not evidence.config.factor_datasets:
        return "needs two betas and a factor data set (--betas 1,4 --factor-datasets sprites)"
    return None


def _beta_informative(evidence: Any) -> str | None:
    """A reason when a compared VAE's codes tell the factors little better than guessing."""
    for cell in evidence.config.factor_datasets:
        for model in _compared(evidence.config):
            dci = evidence.results[cell].models[model].dci
            if dci.chance != dci.chance:  # nan: results written before the chance level
                return "the results do not store the chance level of DCI informativeness"
            skill = min(dci.skill)
            if not skill >= MIN_INFORMATIVENESS_SKILL:
                return (
                    f"{model} on {cell} reads the factors barely better than chance (DCI "
                    f"informativeness {min(dci.informativeness):.3f} against {dci.chance:.3f} "
                    f"by guessing the majority class: skill {skill:.3f}, below "
                    f"{MIN_INFORMATIVENESS_SKILL}), so its D and MIG measure noise"
                )
    return None


def _beta_rule(evidence: Any) -> Rule:
    """The field's expectation (Higgins et al. 2017): beta > 1 disentangles more."""
    config = evidence.config
    low, high = _compared(config)
    names = (f"beta {max(config.betas):g}", f"beta {_reference_beta(config):g}")
    rules = []
    for cell in config.factor_datasets:
        a, b = evidence.results[cell].models[high], evidence.results[cell].models[low]
        for what, values in (("D", lambda m: m.dci.disentanglement), ("MIG", lambda m: m.mig)):
            measure = f"{cell} {what}"
            rules.append(
                Separated(values(a), values(b), expect="greater", names=names, measure=measure)
            )
    return Both(*rules)  # _two_betas made sure of a factor cell


def _beta_context(evidence: Any) -> str:
    folded = {
        cell: evidence.results[cell].folded_factors
        for cell in evidence.config.factor_datasets
        if evidence.results[cell].folded_factors
    }
    note = "; ".join(f"{cell}: {', '.join(names)}" for cell, names in folded.items())
    return "Both D (Eastwood & Williams' DCI) and MIG must lie above on every factor data set. " + (
        f"Factors scored modulo the image's symmetry ({note}): a square's orientation only "
        "modulo 90 degrees, an ellipse's modulo 180, a heart's in full."
        if folded
        else "No factor needed folding."
    )


def _values(values: Any, digits: int = 3) -> str:
    return ", ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in values)


STUDY = DisentanglementStudy()
