"""The digit-pairs study on the engine: the grid of cells and the source's claims as data."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from latentatlas.studies.claims import (
    EQUIVALENCE_SDS,
    AllSeeds,
    Both,
    ClaimSpec,
    Equivalent,
    NoAdvantage,
    NotJudged,
    Rule,
    Separated,
    equivalence_margin,
)
from latentatlas.studies.digit_pairs.config import (
    DigitPairsConfig,
    cell_models,
    data_config,
    model_title,
)
from latentatlas.studies.digit_pairs.results import PairResult
from latentatlas.studies.engine import Cell, Study, seed_runs
from latentatlas.studies.rules import AtMostIndicative, rests_on

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
    analyse_module = "latentatlas.studies.digit_pairs.analyse"
    config_type = DigitPairsConfig
    result_type = PairResult
    cells_key = "conditions"

    def cells(self, config: DigitPairsConfig) -> list[Cell]:
        """Pair x latent dimension x activation; linear models only under the first activation."""
        cells = []
        grid = itertools.product(config.pairs, config.latent_dims, config.activations)
        for pair, dim, activation in grid:
            key = f"pair-{pair[0]}-{pair[1]}/dim-{dim}/{activation}"
            models = cell_models(config, dim, activation)
            runs = seed_runs(config, data_config(config, pair), models, f"runs/{key}")
            cells.append(
                Cell(key, runs, {"pair": pair, "latent_dim": dim, "activation": activation})
            )
        return cells

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
            lambda e: Both(
                *(
                    AllSeeds(
                        e.headline.silhouette[model],
                        above=e.headline.original_silhouette,
                        name=model_title(model),
                        threshold_name="pixel-space silhouette",
                        measure="silhouette",
                    )
                    for model in e.headline.models
                )
            ),
            needs=rests_on(*config.models, cells=head),
        ),
        ClaimSpec(
            "pca_within_ae_range",
            "PCA separates the digits as well as the autoencoders, within their seed variability.",
            lambda e: Both(
                *(
                    Equivalent(
                        e.headline.silhouette["pca"],
                        e.headline.silhouette[model],
                        SILHOUETTE_MARGIN,
                        names=("PCA", model_title(model)),
                        measure="silhouette",
                    )
                    for model in ("ae", "dae")
                )
            ),
            MARGIN_REASON,
            needs=rests_on("pca", "ae", "dae", cells=head),
        ),
        ClaimSpec(
            "dae_no_advantage",
            "The denoising autoencoder brings no advantage beyond the seed variability.",
            lambda e: NoAdvantage(
                e.headline.silhouette["dae"],
                e.headline.silhouette["ae"],
                SILHOUETTE_MARGIN,
                better="greater",
                names=("denoising autoencoder", "autoencoder"),
                measure="silhouette",
            ),
            MARGIN_REASON,
            needs=rests_on("ae", "dae", cells=head),
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
            needs=(_swept, *rests_on("ae", cells=swept)),
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
            needs=(_swept, *rests_on("ae", cells=swept)),
        ),
        ClaimSpec(
            "layout_varies",
            "The layout varies across seeds more than the silhouette does.",
            _layout_varies,
            needs=rests_on("ae", cells=head),
        ),
    ]


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


STUDY = DigitPairsStudy()
