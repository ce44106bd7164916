"""Claims as data: each rule's verdict table, the engine, the records and the old comparison."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from latentatlas.errors import InputError
from latentatlas.studies.claims import (
    VERDICTS,
    AllSeeds,
    Both,
    Claim,
    ClaimSpec,
    Equivalent,
    NoAdvantage,
    NotJudged,
    Paired,
    Separated,
    judge,
    missing,
)

LOW5 = [0.43, 0.45, 0.47, 0.42, 0.44]
HIGH5 = [0.58, 0.55, 0.62, 0.60, 0.57]
MIXED5 = [0.50, 0.44, 0.58, 0.46, 0.56]


def _verdict(rule: object) -> tuple[str, str | None]:
    judgement = rule.judge()  # type: ignore[attr-defined]
    assert judgement.verdict in VERDICTS
    return judgement.verdict, judgement.leaning


# -- Separated ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "expect", "verdict"),
    [
        (HIGH5, LOW5, "greater", ("supported", None)),
        (LOW5, HIGH5, "greater", ("contradicted", None)),
        (LOW5, HIGH5, "less", ("supported", None)),
        (MIXED5, HIGH5[:2] + LOW5[:3], "greater", ("inconclusive", None)),
        (HIGH5[:2], LOW5[:2], "greater", ("indicative", "supported")),
        (LOW5[:3], HIGH5[:4], "greater", ("indicative", "contradicted")),
        ([0.5, 0.6], [0.55, 0.65], "greater", ("inconclusive", None)),
        (HIGH5[:1], LOW5, "greater", ("not judged", None)),
        (HIGH5, [math.nan, 0.4], "greater", ("not judged", None)),
    ],
)
def test_separated_verdicts(
    a: list[float], b: list[float], expect: str, verdict: tuple[str, str | None]
) -> None:
    assert _verdict(Separated(a, b, expect=expect)) == verdict


def test_separated_reports_the_effect_its_interval_and_an_honest_p() -> None:
    judgement = Separated(
        LOW5, HIGH5, expect="less", names=("AE", "DAE"), measure="silhouette"
    ).judge()
    assert judgement.p_value == pytest.approx(1 / 252)
    assert judgement.effect == pytest.approx(np.mean(LOW5) - np.mean(HIGH5))
    low, high = judgement.effect_ci
    assert low < judgement.effect < high < 0
    assert judgement.seeds == 5
    assert judgement.evidence.startswith("Silhouette: AE 0.442 ± 0.019 (n=5) against DAE 0.584")
    assert "95% CI" in judgement.evidence and "exact one-sided permutation p = 0.00397" in (
        judgement.evidence
    )
    assert "alpha 0.05" in judgement.test and "5 and 5 seeds" in judgement.test
    two = Separated(HIGH5[:2], LOW5[:2]).judge()
    assert two.p_value == pytest.approx(1 / 6)  # never below the attainable minimum


def test_a_rule_refuses_a_bad_direction_or_margin() -> None:
    with pytest.raises(InputError, match="expect must be 'greater' or 'less'"):
        Separated(LOW5, HIGH5, expect="above")
    with pytest.raises(InputError, match="margin must be a positive finite number"):
        Equivalent(LOW5, HIGH5, margin=0.0)
    with pytest.raises(InputError, match="margin must be a non-negative finite number"):
        NoAdvantage(LOW5, HIGH5, margin=math.nan)
    with pytest.raises(InputError, match="exactly one of above= or below="):
        AllSeeds(LOW5)


# -- Paired ---------------------------------------------------------------------------------------
SHARED5 = [0.20, 0.90, 0.40, 0.70, 0.55]  # a large per-seed effect both members of a pair share
LIFTED5 = [v + d for v, d in zip(SHARED5, [0.03, 0.05, 0.02, 0.04, 0.06], strict=True)]


@pytest.mark.parametrize(
    ("a", "b", "expect", "verdict"),
    [
        (LIFTED5, SHARED5, "greater", ("supported", None)),
        (SHARED5, LIFTED5, "greater", ("contradicted", None)),
        (SHARED5, LIFTED5, "less", ("supported", None)),
        (MIXED5, HIGH5[:2] + LOW5[:3], "greater", ("inconclusive", None)),
        (LIFTED5[:3], SHARED5[:3], "greater", ("indicative", "supported")),
        (SHARED5[:4], LIFTED5[:4], "greater", ("indicative", "contradicted")),
        ([0.5, 0.6], [0.55, 0.55], "greater", ("inconclusive", None)),
        ([0.5, math.nan, 0.7], [0.4, 0.3, math.nan], "greater", ("not judged", None)),
        (LIFTED5, [], "greater", ("not judged", None)),
    ],
)
def test_paired_verdicts(
    a: list[float], b: list[float], expect: str, verdict: tuple[str, str | None]
) -> None:
    assert _verdict(Paired(a, b, expect=expect)) == verdict


def test_paired_sees_what_independent_groups_hide() -> None:
    # Every seed's a lies above its own b, but the seeds' spread swamps the difference of means.
    assert _verdict(Separated(LIFTED5, SHARED5)) == ("inconclusive", None)
    judgement = Paired(LIFTED5, SHARED5, names=("axes", "random lines"), measure="rho").judge()
    assert judgement.verdict == "supported"
    assert judgement.p_value == pytest.approx(1 / 32)  # the attainable minimum at 5 pairs
    assert judgement.effect == pytest.approx(0.04)
    low, high = judgement.effect_ci
    assert 0.02 <= low < 0.04 < high <= 0.06  # an interval of the mean paired difference
    assert judgement.seeds == 5
    assert "mean paired difference 0.040" in judgement.evidence
    assert "exact one-sided paired sign-flip p = 0.0312" in judgement.evidence
    assert "sign-flip permutation test" in judgement.test and "5 pairs" in judgement.test


def test_paired_leaves_out_a_pair_with_a_missing_member_and_says_why_it_cannot_judge() -> None:
    judgement = Paired([*LIFTED5, math.nan], [*SHARED5, 0.3]).judge()
    assert judgement.seeds == 5 and judgement.verdict == "supported"
    unequal = Paired(LIFTED5, SHARED5[:4], names=("axes", "random lines")).judge()
    assert unequal.verdict == "not judged"
    assert "do not pair up seed by seed (5 and 4 values)" in unequal.evidence
    with pytest.raises(InputError, match="expect must be 'greater' or 'less'"):
        Paired(LIFTED5, SHARED5, expect="above")


def test_paired_false_positives_stay_at_alpha() -> None:
    """Paired groups with no difference: supported in at most about alpha of the draws."""
    rng = np.random.default_rng(21)
    draws, supported = 200, 0
    for _ in range(draws):
        shared = rng.normal(0.0, 2.0, 5)
        a, b = shared + rng.normal(size=5), shared + rng.normal(size=5)
        supported += Paired(a, b).judge().verdict == "supported"
    # only p = 1/32 rejects at 5 pairs; binomial(200, 1/32) exceeds 15 with probability < 1%
    assert supported <= 15


# -- Equivalent -----------------------------------------------------------------------------------
def test_tost_supports_alike_groups_with_enough_seeds_and_a_generous_margin() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.5, 0.02, 10), rng.normal(0.5, 0.02, 10)
    judgement = Equivalent(a, b, margin=0.05).judge()
    assert judgement.verdict == "supported" and judgement.p_value < 0.05
    assert judgement.margin == 0.05 and "margin ±0.050" in judgement.evidence
    assert _verdict(Equivalent(a[:2], b[:2], margin=0.05)) == ("indicative", "supported")
    assert Equivalent(a[:2], b[:2], margin=0.05).judge().p_value >= 1 / 6


def test_equivalence_is_never_supported_from_overlapping_ranges() -> None:
    wide_a, wide_b = [0.2, 0.8], [0.3, 0.7]  # overlapping, but the interval spans the margin
    assert _verdict(Equivalent(wide_a, wide_b, margin=0.05)) == ("inconclusive", None)
    rng = np.random.default_rng(1)
    noisy_a, noisy_b = rng.normal(0.5, 0.3, 5), rng.normal(0.5, 0.3, 5)
    assert _verdict(Equivalent(noisy_a, noisy_b, margin=0.05))[0] == "inconclusive"


def test_equivalence_is_contradicted_beyond_the_margin() -> None:
    assert _verdict(Equivalent(LOW5, HIGH5, margin=0.05)) == ("contradicted", None)
    assert _verdict(Equivalent(LOW5[:2], HIGH5[:2], margin=0.05)) == (
        "indicative",
        "contradicted",
    )
    assert _verdict(Equivalent(LOW5, HIGH5, margin=0.5)) == ("supported", None)


# -- NoAdvantage ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "margin", "better", "verdict"),
    [
        (HIGH5, LOW5, 0.02, "greater", ("contradicted", None)),
        (LOW5, HIGH5, 0.02, "greater", ("supported", None)),
        (MIXED5, MIXED5[::-1], 0.2, "greater", ("supported", None)),
        (MIXED5, MIXED5[::-1], 0.0, "greater", ("inconclusive", None)),
        (HIGH5, LOW5, 0.02, "less", ("supported", None)),
        (LOW5, HIGH5, 0.02, "less", ("contradicted", None)),
        (HIGH5[:3], LOW5[:3], 0.02, "greater", ("indicative", "contradicted")),
        (LOW5[:3], HIGH5[:3], 0.02, "greater", ("indicative", "supported")),
        ([0.2, 0.8], [0.3, 0.7], 0.02, "greater", ("inconclusive", None)),
        (LOW5, [], 0.02, "greater", ("not judged", None)),
    ],
)
def test_no_advantage_verdicts(
    a: list[float], b: list[float], margin: float, better: str, verdict: tuple
) -> None:
    assert _verdict(NoAdvantage(a, b, margin=margin, better=better)) == verdict


# -- AllSeeds -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "verdict"),
    [
        (AllSeeds(LOW5, above=0.3), ("supported", None)),
        (AllSeeds(LOW5, below=0.3), ("contradicted", None)),
        (AllSeeds(LOW5, above=0.44), ("inconclusive", None)),
        (AllSeeds(LOW5[:4], above=0.3), ("indicative", "supported")),
        (AllSeeds(LOW5[:2], below=0.3), ("indicative", "contradicted")),
        (AllSeeds([0.2, 0.4], above=0.3), ("inconclusive", None)),
        (AllSeeds([0.4], above=0.3), ("not judged", None)),
    ],
)
def test_all_seeds_verdicts(rule: AllSeeds, verdict: tuple[str, str | None]) -> None:
    assert _verdict(rule) == verdict


def test_all_seeds_evidence_names_the_seeds_and_the_sign_test() -> None:
    judgement = AllSeeds(
        LOW5, above=0.3, name="AE", threshold_name="pixel-space silhouette", measure="silhouette"
    ).judge()
    assert judgement.p_value == pytest.approx(1 / 32)
    assert judgement.evidence.startswith("Silhouette: AE per seed 0.430, 0.450")
    assert "5 of 5 above" in judgement.evidence and "sign test p = 0.0312" in judgement.evidence
    assert judgement.effect == pytest.approx(np.mean(LOW5) - 0.3)


# -- Both and NotJudged ---------------------------------------------------------------------------
def test_both_needs_every_part() -> None:
    yes, no = AllSeeds(LOW5, above=0.3), AllSeeds(LOW5, below=0.3)
    leans, unsure = AllSeeds(LOW5[:3], above=0.3), AllSeeds(LOW5, above=0.44)
    assert _verdict(Both(yes, yes)) == ("supported", None)
    assert _verdict(Both(yes, no)) == ("contradicted", None)
    assert _verdict(Both(yes, leans)) == ("indicative", "supported")
    assert _verdict(Both(leans, unsure)) == ("inconclusive", None)
    assert _verdict(Both(no, NotJudged("needs the dae model"))) == ("not judged", None)
    judgement = Both(yes, leans).judge()
    assert judgement.p_value == pytest.approx(1 / 8) and judgement.seeds == 3
    with pytest.raises(InputError):
        Both()


def test_not_judged_says_why_in_one_sentence() -> None:
    judgement = NotJudged("needs the dae model.").judge()
    assert judgement.verdict == "not judged"
    assert judgement.evidence == "Not judged: needs the dae model."


# -- the engine -----------------------------------------------------------------------------------
def _specs() -> list[ClaimSpec]:
    return [
        ClaimSpec(
            "dae_no_advantage",
            "The denoising autoencoder brings no advantage beyond the seed variability.",
            lambda r: NoAdvantage(r["dae"], r["ae"], margin=0.02, names=("DAE", "AE")),
            evidence="Validation codes.",
            needs=(lambda r: missing(r, "ae", "dae"),),
        ),
        ClaimSpec(
            "ae_below",
            "The AE separates less than the DAE.",
            lambda r: Separated(r["ae"], r["dae"], expect="less"),
            evidence=lambda r: f"{len(r)} models.",
        ),
    ]


def test_judge_evaluates_specs_with_their_context() -> None:
    claims = judge(_specs(), {"ae": HIGH5, "dae": LOW5})
    assert [c.verdict for c in claims] == ["supported", "contradicted"]
    assert claims[0].evidence.endswith("Validation codes.") and claims[0].margin == 0.02
    assert claims[1].evidence.endswith("2 models.")
    assert claims[0].key == "dae_no_advantage" and claims[0].seeds == 5


def test_needs_come_first_and_the_first_reason_wins() -> None:
    spec = ClaimSpec(
        "k",
        "s",
        lambda r: Separated(r["ae"], r["dae"]),
        evidence=lambda r: r["missing"],
        needs=(lambda r: None, lambda r: "the ae model did not learn", lambda r: "other"),
    )
    claim = spec.judge({"ae": HIGH5, "dae": LOW5})
    assert claim.verdict == "not judged"
    assert claim.evidence == "Not judged: the ae model did not learn."
    claims = judge(_specs()[:1], {"ae": HIGH5})
    assert claims[0].evidence == "Not judged: needs the dae model, which this run does not have."


def test_a_rule_missing_its_numbers_is_not_judged_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="declare it in needs"):
        claims = judge(_specs()[1:], {"ae": HIGH5})
    assert claims[0].verdict == "not judged" and "'dae'" in claims[0].evidence


def test_any_other_error_of_a_rule_is_raised() -> None:
    spec = ClaimSpec("k", "s", lambda r: Separated(r["ae"], r["dae"], expect="sideways"))
    with pytest.raises(InputError, match="expect must be"):
        judge([spec], {"ae": HIGH5, "dae": LOW5})
    broken = ClaimSpec("k", "s", lambda r: 1 / 0)  # type: ignore[arg-type, return-value]
    with pytest.raises(ZeroDivisionError):
        judge([broken], {})


# -- records --------------------------------------------------------------------------------------
def test_a_claim_round_trips_through_json() -> None:
    claim = judge(_specs(), {"ae": HIGH5, "dae": LOW5})[0]
    again = Claim.from_dict(json.loads(json.dumps(claim.to_dict(), allow_nan=False)))
    assert again.to_dict() == claim.to_dict()
    assert isinstance(again.effect_ci, tuple) and again.leaning is None
    leaning = judge(_specs(), {"ae": HIGH5[:2], "dae": LOW5[:2]})[1]
    assert Claim.from_dict(json.loads(json.dumps(leaning.to_dict()))).leaning == "contradicted"


def test_a_claim_of_the_old_format_still_loads() -> None:
    old = {
        "key": "dae_no_advantage",
        "statement": "The denoising autoencoder brings no advantage.",
        "verdict": "inconclusive",
        "evidence": "Not measured: needs the ae and dae models.",
        "test": "none",
    }
    claim = Claim.from_dict(old)
    assert claim.verdict == "inconclusive" and claim.seeds is None and claim.effect_ci is None
