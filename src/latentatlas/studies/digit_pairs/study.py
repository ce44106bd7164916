"""The digit-pairs study on the engine: the grid, the analyses of one cell and the source's claims.

Redoes 000_2b4a74d5463f301c.txt over many seeds, with numbers where the source had pictures:
silhouette in latent and pixel space, seed-to-seed variability of the layout, k-NN accuracy and
the source's proposed label-reconstruction metric, optionally over all 45 pairs, several latent
dimensions and both activations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from latentatlas.studies.claims import (
    EQUIVALENCE_SDS,
    AllSeeds,
    Both,
    ClaimSpec,
    Equivalent,
    Judgement,
    NoAdvantage,
    NotJudged,
    Rule,
    Separated,
    equivalence_margin,
    missing,
)
from latentatlas.studies.digit_pairs.config import (
    MODEL_TITLES,
    DigitPairsConfig,
    data_config,
    model_config,
    models_for,
)
from latentatlas.studies.digit_pairs.results import PairResult
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput, Study, seed_runs
from latentatlas.studies.gates import learned

#: Between-seed standard deviation of the silhouette, pooled over the compared models
#: (sqrt((sd_a^2 + sd_b^2) / 2)), the largest pair: DAE against AE, 0.023 (AE sd 0.017, DAE
#: 0.029 over 3 seeds at --quick settings; PCA's silhouette is the same for every seed).
SILHOUETTE_SEED_SD = 0.023
#: The margin of the "as well as" and "no advantage" claims, in silhouette (range -1 to 1):
#: ``EQUIVALENCE_SDS`` between-seed sds, the smallest margin TOST resolves at 5 seeds with
#: power 0.8 (docs/analyses/statistics.md, "Margins"; docs/analyses/calibration.md).
SILHOUETTE_MARGIN = equivalence_margin(SILHOUETTE_SEED_SD)
MARGIN_REASON = (
    f"The margin, {SILHOUETTE_MARGIN} in silhouette, is {EQUIVALENCE_SDS} times the "
    f"autoencoders' between-seed standard deviation ({SILHOUETTE_SEED_SD}): the smallest "
    "difference an equivalence test at 5 seeds resolves with power 0.8, so a difference "
    "below it lies within their seed variability, which is how the source reads 'as well as' "
    "and 'no advantage'."
)


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

    def claim_specs(self, config: DigitPairsConfig) -> list[ClaimSpec]:
        """The source's six claims: five on the headline cell, two on the activation sweep."""
        return claim_specs(config, self.cells(config))


# -- claims ---------------------------------------------------------------------------------------
def claim_specs(config: DigitPairsConfig, cells: list[Cell]) -> list[ClaimSpec]:
    """The claims of the source as data, judged on an ``Evidence`` of this study."""
    head = [cells[0].key]
    by_activation = _activation_cells(cells)
    swept = [by_activation[a] for a in ("tanh", "relu") if a in by_activation]
    return [
        ClaimSpec(
            "latent_beats_pixels",
            "The latent spaces separate the digits better than the pixels.",
            _latent_beats_pixels,
            needs=(_has_models(head, *config.models), learned(*config.models, cells=head)),
        ),
        ClaimSpec(
            "pca_within_ae_range",
            "PCA separates the digits as well as the autoencoders, within their seed variability.",
            _pca_as_well_as_autoencoders,
            MARGIN_REASON,
            needs=(_has_models(head, "pca", "ae", "dae"), learned("pca", "ae", "dae", cells=head)),
        ),
        ClaimSpec(
            "dae_no_advantage",
            "The denoising autoencoder brings no advantage beyond the seed variability.",
            _denoising_no_advantage,
            MARGIN_REASON,
            needs=(_has_models(head, "ae", "dae"), learned("ae", "dae", cells=head)),
        ),
        ClaimSpec(
            "tanh_beats_relu",
            "tanh clusters better than ReLU.",
            lambda e: Separated(
                *_by_activation(e, lambda r: r.silhouette["ae"]),
                expect="greater",
                names=("tanh", "ReLU"),
                measure="autoencoder silhouette",
            ),
            needs=(_swept, _has_models(swept, "ae"), learned("ae", cells=swept)),
        ),
        ClaimSpec(
            "relu_gathers_at_origin",
            "With ReLU most of the data gathers around the origin (the source's explanation).",
            lambda e: Separated(
                *_by_activation(e, lambda r: r.code_shape["ae"].column("share_near_origin"))[::-1],
                expect="greater",
                names=("ReLU", "tanh"),
                measure="autoencoder share of validation codes within 10% of the cloud's radius "
                "(95th-percentile norm) of the origin",
            ),
            needs=(_swept, _has_models(swept, "ae"), learned("ae", cells=swept)),
        ),
        ClaimSpec(
            "layout_varies",
            "The layout varies across seeds more than the silhouette does.",
            _layout_varies,
            needs=(_has_models(head, "ae"), learned("ae", cells=head)),
        ),
    ]


def _latent_beats_pixels(evidence: Any) -> Rule:
    result: PairResult = evidence.headline
    return Both(
        *(
            AllSeeds(
                result.silhouette[model],
                above=result.original_silhouette,
                name=_title(model),
                threshold_name="pixel-space silhouette",
                measure="silhouette",
            )
            for model in result.models
        )
    )


def _pca_as_well_as_autoencoders(evidence: Any) -> Rule:
    result: PairResult = evidence.headline
    return Both(
        *(
            Equivalent(
                result.silhouette["pca"],
                result.silhouette[model],
                SILHOUETTE_MARGIN,
                names=("PCA", _title(model)),
                measure="silhouette",
            )
            for model in ("ae", "dae")
        )
    )


def _denoising_no_advantage(evidence: Any) -> Rule:
    result: PairResult = evidence.headline
    return NoAdvantage(
        result.silhouette["dae"],
        result.silhouette["ae"],
        SILHOUETTE_MARGIN,
        better="greater",
        names=("denoising autoencoder", "autoencoder"),
        measure="silhouette",
    )


def _layout_varies(evidence: Any) -> Rule:
    spread = evidence.headline.seed_variability["ae"]
    if spread.silhouette_relative_spread is None or len(spread.procrustes_pairs) < 2:
        return NotJudged("needs the autoencoder with at least 3 seeds (3 pairs of seeds)")
    return AtMostIndicative(
        AllSeeds(
            spread.procrustes_pairs,
            above=spread.silhouette_relative_spread,
            name="autoencoder seed pairs",
            threshold_name="silhouette's relative spread over seeds (std / mean)",
            measure="Procrustes disparity",
        ),
        "the values are seed pairs, which share seeds and so are not independent: the sign "
        "test's p is optimistic and the verdict stays indicative at most",
        seeds=len(evidence.headline.silhouette["ae"]),
    )


@dataclass(frozen=True)
class AtMostIndicative:
    """A rule whose test overstates its evidence: supported or contradicted become indicative.

    For values that are not independent replicates (every pair of seeds), where no honest test
    exists; ``why`` is added to the test sentence and ``seeds`` (the seeds behind the values)
    replaces the inner rule's count of values.
    """

    rule: Rule
    why: str
    seeds: int | None = None

    def judge(self) -> Judgement:
        """The inner verdict, capped at indicative (its leaning kept)."""
        inner = self.rule.judge()
        if inner.verdict == "not judged":
            return inner
        decided = inner.verdict in ("supported", "contradicted")
        return Judgement(
            "indicative" if decided else inner.verdict,
            inner.evidence,
            f"{inner.test}; {self.why}",
            inner.verdict if decided else inner.leaning,
            inner.seeds if self.seeds is None else self.seeds,
            inner.p_value,
            inner.effect,
            inner.effect_ci,
            inner.margin,
        )


# -- what the claims rest on ----------------------------------------------------------------------
def _activation_cells(cells: list[Cell]) -> dict[str, str]:
    """The headline pair and dimension's cell key under each activation."""
    first = cells[0].params
    return {
        cell.params["activation"]: cell.key
        for cell in cells
        if cell.params["pair"] == first["pair"] and cell.params["latent_dim"] == first["latent_dim"]
    }


def _by_activation(
    evidence: Any, values: Callable[[PairResult], Any]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``values`` of the headline pair and dimension under tanh, then under ReLU."""
    keys = _activation_cells(list(evidence.cells))
    return values(evidence.results[keys["tanh"]]), values(evidence.results[keys["relu"]])


def _swept(evidence: Any) -> str | None:
    if {"tanh", "relu"} <= set(evidence.config.activations):
        return None
    return "needs runs under tanh and ReLU: run with --activation tanh,relu to measure it"


def _has_models(cells: list[str], *models: str) -> Callable[[Any], str | None]:
    """A ``needs`` entry: every cell of ``cells`` has a finished seed of every model."""

    def need(evidence: Any) -> str | None:
        for key in cells:
            result = evidence.results.get(key)
            if result is None:
                return f"needs the cell {key}, which has no result"
            reason = missing(result.silhouette, *models)
            if reason:
                return reason
        return None

    return need


def _title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


STUDY = DigitPairsStudy()
