"""The heatmaps study on the engine: the grid and the source's claims as data.

Redoes 002_da2b51c41f09188e.txt over seeds, with numbers where the source had pictures: a
convolutional VAE and autoencoder embed 36x36 Gaussian (and Student-t) density heatmaps in a
3-d latent space; how well each factor can be read off the codes, the reconstruction errors
and their tail, how full the latent cloud's convex hull is, what the decoder draws in its empty
parts and along the source's paths, and (on ``heatmaps-t``) whether the degrees of freedom can
be classified from the codes. The typed results are in :mod:`.results`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from latentatlas._stats import mean_and_std
from latentatlas.config import ModelConfig
from latentatlas.studies.claims import (
    EQUIVALENCE_SDS,
    AllSeeds,
    Both,
    ClaimSpec,
    Equivalent,
    Evidence,
    Paired,
    Separated,
    equivalence_margin,
)
from latentatlas.studies.engine import Cell, Study, seed_runs
from latentatlas.studies.heatmaps.config import LATENT_DIM, HeatmapsConfig, data_config
from latentatlas.studies.heatmaps.results import (
    DIRECTION_PATHS,
    N_RANDOM_DIRECTIONS,
    HeatmapsResult,
    ModelScores,
)
from latentatlas.studies.rules import rests_on

#: The data set with the fourth trait (dof), where the k-NN claims are judged.
FOUR_FACTORS = "heatmaps-t"
#: Between-seed standard deviation of the k-NN accuracy, pooled over AE and VAE
#: (sqrt((sd_AE^2 + sd_VAE^2) / 2)): 0.011 over 5 seeds at --quick settings on heatmaps-t (AE
#: 0.955-0.990, sd 0.015; VAE 0.985-0.998, sd 0.005; macro F1 the same to 1e-4).
KNN_SEED_SD = 0.011
#: The smallest accuracy gap one validation split can resolve: two binomial standard errors of
#: an accuracy on the full data's 2,375 validation images (at most 0.010 each).
KNN_SPLIT_FLOOR = 0.02
#: k-NN accuracies (and macro F1) whose means differ by less than this are "alike" (the source
#: gives no numbers): ``EQUIVALENCE_SDS`` between-seed sds (what TOST resolves at 5 seeds with
#: power 0.8), but not below what one split resolves; docs/analyses/statistics.md, "Margins".
KNN_MARGIN = equivalence_margin(KNN_SEED_SD, floor=KNN_SPLIT_FLOOR)
AE, VAE = "conv-ae", "conv-vae"


class HeatmapsStudy(Study):
    """Does a VAE organise a latent space of heatmaps better than an autoencoder does?"""

    name = "heatmaps"
    title = "Heatmaps"
    question = (
        "Is a VAE's 3-d latent space of Gaussian heatmaps denser, better to decode from and "
        "more meaningful in its directions than an autoencoder's?"
    )
    source = "002_da2b51c41f09188e.txt"
    citation = '"Exploring the latent space of variational autoencoders using Gaussian Heatmaps"'
    report_module = "latentatlas.studies.heatmaps.report"
    analyse_module = "latentatlas.studies.heatmaps.analyse"
    config_type = HeatmapsConfig
    result_type = HeatmapsResult
    cells_key = "datasets"

    def cells(self, config: HeatmapsConfig) -> list[Cell]:
        """One cell per data set, each training every model over every seed."""
        models = {
            model: ModelConfig(model, LATENT_DIM, {"filters": list(config.filters)})
            for model in config.models
        }
        return [
            Cell(
                dataset,
                seed_runs(config, data_config(config, dataset), models, f"runs/{dataset}"),
                {"dataset": dataset},
            )
            for dataset in config.datasets
        ]

    def claim_specs(self, config: HeatmapsConfig) -> list[ClaimSpec]:
        """The source's seven claims as data, each resting on both models of its cell: the
        AE/VAE comparison on the headline cell, k-NN on heatmaps-t."""
        return _claim_specs(config.datasets[0])


# -- claims ---------------------------------------------------------------------------------------
Pair = tuple[ModelScores, ModelScores]


def _claim_specs(headline: str) -> list[ClaimSpec]:
    pair_needs = rests_on(AE, VAE, cells=(headline,), what="data set")
    four_needs = (*rests_on(AE, VAE, cells=(FOUR_FACTORS,), what="data set"), _has_knn)

    def on(cell: str, rule: Callable[[HeatmapsResult, Pair], Any]) -> Callable[[Evidence], Any]:
        def build(evidence: Evidence) -> Any:
            result = evidence.results[cell]
            return rule(result, (result.models[AE], result.models[VAE]))

        return build

    def ae_vae(values: Callable[[ModelScores], Any], expect: str, measure: str) -> Any:
        return on(
            headline,
            lambda result, pair: Separated(
                values(pair[0]),
                values(pair[1]),
                expect=expect,  # type: ignore[arg-type]
                names=("AE", "VAE"),
                measure=f"{measure} ({result.dataset})",
            ),
        )

    return [
        ClaimSpec(
            "ae_better_on_average",
            "The AE reconstructs better on average than the VAE.",
            ae_vae(lambda s: s.reconstruction.median, "less", "median Frobenius error"),
            needs=pair_needs,
        ),
        ClaimSpec(
            "ae_heavier_tail",
            "The AE's reconstruction error has a heavier tail than the VAE's.",
            ae_vae(lambda s: s.reconstruction.tail_ratio, "greater", "p99 / median error"),
            evidence=lambda e: _skewness(e.results[headline]),
            needs=pair_needs,
        ),
        ClaimSpec(
            "ae_sparser",
            "The AE's latent cloud is sparser than the VAE's.",
            ae_vae(
                lambda s: s.hull.occupied_fraction,
                "less",
                "share of the hull within 2 median neighbour distances of a code",
            ),
            needs=pair_needs,
        ),
        ClaimSpec(
            "ae_decodes_empty_worse",
            "The AE decodes empty regions of its latent space worse than the VAE.",
            ae_vae(
                lambda s: s.decodes.off_data_distance,
                "greater",
                "median distance of an off-data decode in the hull to the nearest training heatmap",
            ),
            evidence=lambda e: _empty_space(e.results[headline]),
            needs=pair_needs,
        ),
        ClaimSpec(
            "vae_directions_monotone",
            "The VAE's directions are meaningful (monotone in the factors), unlike the AE's.",
            on(headline, _directions_rule),
            evidence=f"Monotonicity: mean over the {len(DIRECTION_PATHS)} direction paths of "
            "the largest |Spearman rho| between position and a factor read off the decodes "
            "that sweeps at least 20% of its range; the null is the same statistic on "
            f"{N_RANDOM_DIRECTIONS} lines through the median code in random directions drawn "
            "afresh for each seed (seeded by the run's seed), made by the axis paths' rule. A "
            "smooth decoder is monotone along almost any line, so the source's directions must "
            "beat random ones (a paired test, seed by seed: both share the seed's decoder) and "
            "the AE's (two independent groups).",
            needs=pair_needs,
        ),
        ClaimSpec(
            "dof_kept",
            "Both models keep the degrees of freedom (the fourth trait) in the latent space.",
            on(FOUR_FACTORS, _dof_rule),
            needs=four_needs,
        ),
        ClaimSpec(
            "knn_similar",
            "A k-NN classifier of the degrees of freedom scores alike on AE and VAE codes.",
            on(FOUR_FACTORS, _knn_rule),
            evidence=f"Margin ±{KNN_MARGIN} for accuracy and macro F1: the larger of "
            f"{EQUIVALENCE_SDS} between-seed sds ({KNN_SEED_SD}), the smallest gap TOST resolves "
            "at 5 seeds with power 0.8, and two binomial standard errors of an accuracy on one "
            "validation split of the full data (2,375 images), the smallest gap one split "
            "resolves (docs/analyses/calibration.md).",
            needs=four_needs,
        ),
    ]


def _has_knn(evidence: Evidence) -> str | None:
    models = evidence.results[FOUR_FACTORS].models
    if any(models[m].knn is None for m in (AE, VAE)):
        return "no k-NN scores were computed"
    return None


def _directions_rule(result: HeatmapsResult, pair: Pair) -> Both:
    """The VAE's direction paths beat random directions through its codes, and the AE's."""
    ae, vae = pair
    measure = f"direction monotonicity ({result.dataset})"
    return Both(
        Paired(  # one seed's directions and random lines share its decoder
            vae.directions_monotonicity,
            vae.random_monotonicity,
            expect="greater",
            names=("VAE directions", "VAE random directions"),
            measure=measure,
        ),
        Separated(
            vae.directions_monotonicity,
            ae.directions_monotonicity,
            expect="greater",
            names=("VAE", "AE"),
            measure=measure,
        ),
    )


def _dof_rule(result: HeatmapsResult, pair: Pair) -> Both:
    """Every seed of both models classifies dof above the majority-class rate."""
    chance = float(result.knn_chance if result.knn_chance is not None else float("nan"))
    return Both(
        *(
            AllSeeds(
                scores.knn.accuracy,  # type: ignore[union-attr]
                above=chance,
                name=name,
                threshold_name="majority-class rate",
                measure=f"k-NN accuracy of dof ({result.dataset})",
            )
            for name, scores in zip(("AE", "VAE"), pair, strict=True)
        )
    )


def _knn_rule(result: HeatmapsResult, pair: Pair) -> Both:
    """Accuracy and macro F1 of both models within :data:`KNN_MARGIN` of each other."""
    ae, vae = (scores.knn for scores in pair)
    return Both(
        *(
            Equivalent(
                getattr(ae, field),
                getattr(vae, field),
                margin=KNN_MARGIN,
                names=("AE", "VAE"),
                measure=f"k-NN {label} of dof ({result.dataset})",
            )
            for field, label in (("accuracy", "accuracy"), ("f1", "macro F1"))
        )
    )


def _skewness(result: HeatmapsResult) -> str:
    ae, vae = (result.models[m].reconstruction.skewness for m in (AE, VAE))
    return f"Skewness of the error: AE {_mean(ae):.2f}, VAE {_mean(vae):.2f} (means over seeds)."


def _empty_space(result: HeatmapsResult) -> str:
    text = (
        f"A real validation heatmap lies {result.baseline_image_distance:.3f} from the nearest "
        "training heatmap."
    )
    paths = [result.models[m].paths.get("empty-space") for m in (AE, VAE)]
    if paths[0] is not None and paths[1] is not None:
        text += (
            " Along the empty-space path the worst decode lies "
            f"{_mean(paths[0].max_image_distance):.3f} (AE) and "
            f"{_mean(paths[1].max_image_distance):.3f} (VAE) from any training heatmap."
        )
    return text


def _mean(values: Sequence[float]) -> float:
    """Mean of the finite values (NaN when there is none)."""
    return mean_and_std(values)[0]


STUDY = HeatmapsStudy()
