"""Claims of a source document as data, and the engine that gives each an honest verdict.

A study declares its source's claims as :class:`ClaimSpec` records: a statement and a *rule*
built from the results (:class:`Separated`, :class:`Paired`, :class:`Equivalent`,
:class:`NoAdvantage`, :class:`AllSeeds`, :class:`Both`, :class:`NotJudged`). :func:`judge`
evaluates them into :class:`Claim` records, with the statistics in one place
(:mod:`._significance`):

- ``supported`` / ``contradicted``: a one-sided test at ``alpha = 0.05`` with at least
  :data:`MIN_SEEDS_FOR_TEST` seeds per group;
- ``indicative``: fewer seeds than that (but at least 2), and the seeds point one way
  (``leaning`` says which);
- ``inconclusive``: the numbers do not decide; absence of evidence is never support;
- ``not judged``: the claim could not be judged (a missing model, a model that did not learn,
  fewer than 2 seeds); the evidence says why in one sentence.

Every two-group verdict reports the difference of means with a 95% bootstrap interval and an
exact permutation p-value that is never below its attainable minimum (1/6 for 2 seeds a group;
for :class:`Paired`, whose seeds come in pairs, 1/32 for 5 pairs).

>>> spec = ClaimSpec(
...     "ae_sparser",
...     "The AE's codes are sparser than the VAE's.",
...     lambda r: Separated(r["ae"], r["vae"], expect="greater", names=("AE", "VAE"),
...                         measure="share of zero codes"),
...     needs=(lambda r: missing(r, "ae", "vae"),),
... )
>>> [claim.verdict for claim in judge([spec], {"ae": [0.9, 0.8], "vae": [0.1, 0.2]})]
['indicative']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from latentatlas._stats import mean_and_std
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin
from latentatlas.studies import _significance as sig
from latentatlas.studies._significance import ALPHA, Alternative

Verdict = Literal["supported", "contradicted", "indicative", "inconclusive", "not judged"]
VERDICTS: tuple[str, ...] = (
    "supported",
    "contradicted",
    "indicative",
    "inconclusive",
    "not judged",
)
Leaning = Literal["supported", "contradicted"]
Values = Sequence[float] | NDArray[np.floating]

#: Supported or contradicted need this many seeds per group; fewer give an indicative verdict.
MIN_SEEDS_FOR_TEST = 5
#: Below this many seeds in a group a claim is not judged at all.
MIN_SEEDS_TO_JUDGE = 2
#: An equivalence margin spans this many between-seed standard deviations: the smallest margin
#: at which TOST with 5 seeds a group shows two groups with no true difference equivalent in 80%
#: of draws (``benchmarks/calibration.py``, ``margin_factor``: 1.94 over 200 normal draws,
#: rounded up to 0.1; docs/analyses/calibration.md). A narrower margin could not be resolved.
EQUIVALENCE_SDS = 2.0

__all__ = [
    "ALPHA",
    "EQUIVALENCE_SDS",
    "MIN_SEEDS_FOR_TEST",
    "MIN_SEEDS_TO_JUDGE",
    "VERDICTS",
    "AllSeeds",
    "Both",
    "Claim",
    "ClaimSpec",
    "Equivalent",
    "Judgement",
    "NoAdvantage",
    "NotJudged",
    "Paired",
    "Rule",
    "Separated",
    "equivalence_margin",
    "judge",
    "missing",
]


def equivalence_margin(seed_sd: float, floor: float = 0.0, step: float = 0.01) -> float:
    """The margin of an alike / no-advantage claim from the measure's between-seed spread.

    ``EQUIVALENCE_SDS * seed_sd``, at least ``floor``, rounded up to a multiple of ``step``:
    the smallest margin TOST can resolve at 5 seeds a group with power 0.8 when the two
    groups vary from seed to seed by ``seed_sd`` (docs/analyses/statistics.md, "Margins").

    >>> equivalence_margin(0.012)
    0.03
    """
    raw = max(EQUIVALENCE_SDS * seed_sd, floor)
    return round(float(np.ceil(raw / step - 1e-9)) * step, 10)


# -- records --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Claim(ResultMixin):
    """One claim of a source document and what the study's numbers say of it.

    Attributes
    ----------
    key : str
        A stable identifier, e.g. ``"latent_beats_pixels"``.
    statement : str
        The claim in the source's words (or close to them).
    verdict : {"supported", "contradicted", "indicative", "inconclusive", "not judged"}
    evidence : str
        The numbers behind the verdict, in one or two sentences.
    test : str
        How the verdict was read from the numbers: the test, alpha, seeds and margin.
    leaning : {"supported", "contradicted"} or None
        The way an indicative verdict points; None otherwise.
    seeds : int or None
        Seeds in the smallest group; None in claims written before it was recorded.
    p_value : float or None
        The p-value behind the verdict, never below the attainable minimum.
    effect : float or None
        The effect size, e.g. the difference of means ``a - b``.
    effect_ci : (float, float) or None
        Its 95% percentile bootstrap interval.
    margin : float or None
        The equivalence or non-superiority margin, where the rule has one.
    """

    key: str
    statement: str
    verdict: str
    evidence: str
    test: str
    leaning: str | None = None
    seeds: int | None = None
    p_value: float | None = None
    effect: float | None = None
    effect_ci: tuple[float, float] | None = None
    margin: float | None = None


@dataclass(frozen=True)
class Judgement:
    """What a rule concludes: the verdict with its numbers, before it is tied to a claim."""

    verdict: str
    evidence: str
    test: str
    leaning: str | None = None
    seeds: int | None = None
    p_value: float | None = None
    effect: float | None = None
    effect_ci: tuple[float, float] | None = None
    margin: float | None = None

    def claim(self, key: str, statement: str, context: str = "") -> Claim:
        """The claim ``key`` with this judgement, ``context`` added after the evidence."""
        evidence = f"{self.evidence} {context}".strip()
        return Claim(
            key,
            statement,
            self.verdict,
            evidence,
            self.test,
            self.leaning,
            self.seeds,
            self.p_value,
            self.effect,
            self.effect_ci,
            self.margin,
        )


class Rule(Protocol):
    """A rule judges one claim from numbers it holds."""

    def judge(self) -> Judgement:
        """The verdict with its evidence and test."""
        ...


# -- rules ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotJudged:
    """A claim that cannot be judged, with the reason (a missing model, a failed gate, ...).

    Parameters
    ----------
    reason : str
        Why, as the end of a sentence: ``"needs the dae model, which did not run"``.
    """

    reason: str

    def judge(self) -> Judgement:
        """Always ``not judged``, the reason as the evidence."""
        reason = self.reason.strip().rstrip(".")
        return Judgement("not judged", f"Not judged: {reason}.", "not judged")


@dataclass(frozen=True)
class _Directional:
    """The fields of a rule that says which way group ``a`` lies from group ``b``."""

    a: Values
    b: Values
    expect: Alternative = "greater"
    names: tuple[str, str] = ("a", "b")
    measure: str = ""
    digits: int = 3

    def __post_init__(self) -> None:
        _check_direction("expect", self.expect)

    def _decide(
        self, tested: bool, p_expected: float, p_opposite: float, side: str | None
    ) -> tuple[str, str | None, float]:
        """Verdict, leaning and p: tested from the p-values, else from the ``side`` seeds lie."""
        if tested:
            verdict, leaning = _tested(p_expected, p_opposite)
        else:
            verdict, leaning = _indicative(side == self.expect, side == sig.opposite(self.expect))
        p_value = p_opposite if "contradicted" in (verdict, leaning) else p_expected
        return verdict, leaning, p_value


@dataclass(frozen=True)
class Separated(_Directional):
    """Group ``a`` lies above (``expect="greater"``) or below (``"less"``) group ``b``.

    With at least :data:`MIN_SEEDS_FOR_TEST` seeds per group: supported when the one-sided
    permutation test in the expected direction gives ``p < alpha``, contradicted when the test
    in the opposite direction does, else inconclusive. With 2 to 4 seeds: indicative, leaning
    the way the seeds lie when they do not overlap, else inconclusive.

    Parameters
    ----------
    a, b : sequence of float
        Per-seed values (non-finite ones are left out).
    expect : {"greater", "less"}
        The direction the claim states for ``a`` against ``b``.
    names : (str, str)
        How the evidence names the groups.
    measure : str
        What the values are, e.g. ``"silhouette"``.
    digits : int
        Decimals in the evidence.
    """

    def judge(self) -> Judgement:
        """The verdict, the difference of means with its interval and the permutation p."""
        groups = _Groups.of(self.a, self.b, self.names, self.measure, self.digits)
        if isinstance(groups, NotJudged):
            return groups.judge()
        p_expected = sig.permutation_p(groups.a, groups.b, self.expect)
        p_opposite = sig.permutation_p(groups.a, groups.b, sig.opposite(self.expect))
        verdict, leaning, p_value = self._decide(
            groups.tested, p_expected, p_opposite, groups.side()
        )
        test = (
            f"one-sided {groups.kind} permutation test of the difference of means "
            f"({groups.names[0]} {_WORDS[self.expect]} {groups.names[1]}), "
            f"{_alpha_and_seeds(groups)}; with fewer, indicative when the seeds do not overlap"
        )
        return groups.judgement(verdict, leaning, p_value, "one-sided permutation", test)


@dataclass(frozen=True)
class Paired(_Directional):
    """Group ``a`` lies above (``expect="greater"``) or below (``"less"``) ``b``, seed by seed.

    For groups whose ``i``-th values share something (one seed's model, the same random
    directions): the test is on the per-seed differences ``a_i - b_i``, an exact one-sided
    sign-flip permutation test of their mean (:func:`._significance.paired_p`; at least 1/32 for
    5 pairs). With at least :data:`MIN_SEEDS_FOR_TEST` pairs: supported when the test in the
    expected direction gives ``p < alpha``, contradicted when the test in the opposite direction
    does, else inconclusive. With 2 to 4 pairs: indicative, leaning the way the differences lie
    when every one lies on one side of 0, else inconclusive. A pair with a non-finite value on
    either side is left out; groups of unequal lengths do not pair up and are not judged.

    Parameters
    ----------
    a, b : sequence of float
        Per-seed values, the same seeds in the same order.
    expect, names, measure, digits
        As for :class:`Separated`.
    """

    def judge(self) -> Judgement:
        """The verdict, the mean paired difference with its interval and the sign-flip p."""
        groups = _Groups.paired(self.a, self.b, self.names, self.measure, self.digits)
        if isinstance(groups, NotJudged):
            return groups.judge()
        differences = groups.a - groups.b
        p_expected = sig.paired_p(differences, self.expect)
        p_opposite = sig.paired_p(differences, sig.opposite(self.expect))
        side = "greater" if np.all(differences > 0) else "less" if np.all(differences < 0) else None
        verdict, leaning, p_value = self._decide(groups.tested, p_expected, p_opposite, side)
        test = (
            f"one-sided {groups.kind} sign-flip permutation test of the mean paired difference "
            f"({groups.names[0]} {_WORDS[self.expect]} {groups.names[1]}, seed by seed), "
            f"alpha {ALPHA}, {groups.seeds} pairs (supported or contradicted need at least "
            f"{MIN_SEEDS_FOR_TEST}); with fewer, indicative when every difference lies on one side"
        )
        return groups.judgement(verdict, leaning, p_value, "one-sided paired sign-flip", test)


@dataclass(frozen=True)
class Equivalent:
    """Groups ``a`` and ``b`` are alike: their means differ by less than ``margin``.

    Judged by two one-sided tests (TOST) against ``±margin``: supported when both reject
    (``p = max`` of the two below alpha), contradicted when the difference lies significantly
    beyond the margin on one side (Bonferroni over the two sides), else inconclusive. With 2 to
    4 seeds: indicative, leaning supported when the 95% bootstrap interval lies inside the
    margin and contradicted when it lies wholly outside, else inconclusive. Overlapping ranges
    are never support.

    Parameters
    ----------
    a, b : sequence of float
        Per-seed values.
    margin : float
        The largest difference of means that still counts as alike (> 0, in the values' units).
    names, measure, digits
        As for :class:`Separated`.
    """

    a: Values
    b: Values
    margin: float
    names: tuple[str, str] = ("a", "b")
    measure: str = ""
    digits: int = 3

    def __post_init__(self) -> None:
        _check_margin(self.margin, positive=True)

    def judge(self) -> Judgement:
        """The verdict, the difference of means with its interval and the TOST p."""
        groups = _Groups.of(self.a, self.b, self.names, self.measure, self.digits)
        if isinstance(groups, NotJudged):
            return groups.judge()
        m = self.margin
        p_tost = sig.tost_p(groups.a, groups.b, m)
        p_beyond = sig.beyond_margin_p(groups.a, groups.b, m)
        low, high = groups.ci
        if groups.tested:
            verdict, leaning = _tested(p_tost, p_beyond)
        else:
            inside, outside = -m < low and high < m, low > m or high < -m
            verdict, leaning = _indicative(inside, outside)
        contradicts = "contradicted" in (verdict, leaning)
        p_value = p_beyond if contradicts else p_tost
        label = "two-sided beyond-margin permutation" if contradicts else "TOST permutation"
        test = (
            f"equivalence by two one-sided {groups.kind} permutation tests (TOST) against a "
            f"margin of ±{_number(m, self.digits)}, {_alpha_and_seeds(groups)}; with fewer, "
            "indicative from whether the 95% bootstrap interval lies inside the margin"
        )
        return groups.judgement(verdict, leaning, p_value, label, test, m, symmetric=True)


@dataclass(frozen=True)
class NoAdvantage:
    """Group ``a`` brings no advantage over group ``b`` beyond ``margin``.

    A non-superiority test: supported when ``a - b < margin`` significantly (``p < alpha``),
    contradicted when ``a - b > margin`` significantly, else inconclusive. With 2 to 4 seeds:
    indicative, leaning supported when the 95% bootstrap interval lies below the margin and
    contradicted when it lies above it. ``better="less"`` reads a lower value as the advantage
    (an error, a loss): then the tests are on ``b - a``.

    Parameters
    ----------
    a, b : sequence of float
        Per-seed values.
    margin : float
        The advantage that still counts as none (>= 0, in the values' units), e.g. the spread
        of the values over seeds.
    better : {"greater", "less"}
        Which way an advantage lies.
    names, measure, digits
        As for :class:`Separated`.
    """

    a: Values
    b: Values
    margin: float
    better: Alternative = "greater"
    names: tuple[str, str] = ("a", "b")
    measure: str = ""
    digits: int = 3

    def __post_init__(self) -> None:
        _check_margin(self.margin, positive=False)
        _check_direction("better", self.better)

    def judge(self) -> Judgement:
        """The verdict, the difference of means with its interval and the non-superiority p."""
        groups = _Groups.of(self.a, self.b, self.names, self.measure, self.digits)
        if isinstance(groups, NotJudged):
            return groups.judge()
        sign = 1.0 if self.better == "greater" else -1.0
        p_supported = sig.non_superiority_p(groups.a, groups.b, self.margin, self.better)
        p_contradicted = sig.non_superiority_p(
            groups.a, groups.b, self.margin, self.better, superior=True
        )
        low, high = (sign * end for end in groups.ci)
        if groups.tested:
            verdict, leaning = _tested(p_supported, p_contradicted)
        else:
            verdict, leaning = _indicative(
                max(low, high) < self.margin, min(low, high) > self.margin
            )
        contradicts = "contradicted" in (verdict, leaning)
        p_value = p_contradicted if contradicts else p_supported
        advantage = f"{groups.names[0]} {_WORDS[self.better]} {groups.names[1]}"
        test = (
            f"one-sided {groups.kind} permutation test of no advantage ({advantage} by less than "
            f"{_number(self.margin, self.digits)}), {_alpha_and_seeds(groups)}; with fewer, "
            "indicative from whether the 95% bootstrap interval lies below the margin"
        )
        label = "one-sided advantage" if contradicts else "one-sided non-superiority"
        label += " permutation"
        return groups.judgement(verdict, leaning, p_value, label, test, margin=self.margin)


@dataclass(frozen=True)
class AllSeeds:
    """Every seed lies above (``above=``) or below (``below=``) a threshold.

    An exact one-sided sign test over the seeds: supported when significantly many lie beyond the
    threshold (with 5 seeds, all 5), contradicted when significantly many lie on the other side,
    else inconclusive. With 2 to 4 seeds: indicative, leaning the way all seeds lie when they lie
    on one side, else inconclusive.

    Parameters
    ----------
    values : sequence of float
        One value per seed.
    above, below : float
        The threshold; give exactly one.
    name : str
        What the values belong to, e.g. ``"AE"``.
    threshold_name : str
        What the threshold is, e.g. ``"pixel-space silhouette"``.
    measure, digits
        As for :class:`Separated`.
    """

    values: Values
    above: float | None = None
    below: float | None = None
    name: str = "values"
    threshold_name: str = "threshold"
    measure: str = ""
    digits: int = 3

    def __post_init__(self) -> None:
        if (self.above is None) == (self.below is None):
            raise InputError("AllSeeds takes exactly one of above= or below=")

    def judge(self) -> Judgement:
        """The verdict, how many seeds lie beyond the threshold and the sign test's p."""
        values = sig.finite(self.values)
        if values.size < MIN_SEEDS_TO_JUDGE:
            return NotJudged(_too_few_reason(self.name, values.size)).judge()
        expect, threshold = self._threshold()
        p_expected = sig.sign_test_p(values, threshold, expect)
        p_opposite = sig.sign_test_p(values, threshold, sig.opposite(expect))
        signs = np.sign(values - threshold) * (1 if expect == "greater" else -1)
        if values.size >= MIN_SEEDS_FOR_TEST:
            verdict, leaning = _tested(p_expected, p_opposite)
        else:
            verdict, leaning = _indicative(bool(np.all(signs > 0)), bool(np.all(signs < 0)))
        p_value = p_opposite if "contradicted" in (verdict, leaning) else p_expected
        low, high = sig.mean_ci(values)
        word = _WORDS[expect]
        test = (
            f"exact one-sided sign test that the seeds lie {word} the {self.threshold_name}, "
            f"alpha {ALPHA}, {values.size} seeds (supported or contradicted need at least "
            f"{MIN_SEEDS_FOR_TEST}); with fewer, indicative when every seed lies on one side"
        )
        evidence = self._evidence(values, int(np.sum(signs > 0)), (low, high), p_value)
        effect = float(values.mean()) - threshold
        ci = (low - threshold, high - threshold)
        return Judgement(verdict, evidence, test, leaning, int(values.size), p_value, effect, ci)

    def _threshold(self) -> tuple[Alternative, float]:
        if self.above is not None:
            return "greater", float(self.above)
        return "less", float(cast(float, self.below))

    def _evidence(
        self, values: NDArray[np.float64], beyond: int, ci: tuple[float, float], p: float
    ) -> str:
        d = self.digits
        expect, threshold = self._threshold()
        return (
            f"{_prefixed(self.measure, self.name)} per seed "
            f"{', '.join(_number(v, d) for v in values)} (n={values.size}) against the "
            f"{self.threshold_name} {_number(threshold, d)}: {beyond} of {values.size} "
            f"{_WORDS[expect]}; mean {_number(float(values.mean()), d)} (95% CI "
            f"{_number(ci[0], d)} to {_number(ci[1], d)}); exact one-sided sign test p = {p:.3g}."
        )


@dataclass(frozen=True)
class Both:
    """Every rule holds: supported only when every part is supported.

    An intersection-union test, so the p-value is the largest part's. Any part not judged makes
    the claim not judged; any part contradicted makes it contradicted; then an indicative part
    leaning contradicted, an inconclusive part, an indicative part leaning supported, in that order.
    """

    rules: tuple[Rule, ...]

    def __init__(self, *rules: Rule) -> None:
        if not rules:
            raise InputError("Both needs at least one rule")
        object.__setattr__(self, "rules", tuple(rules))

    def judge(self) -> Judgement:
        """The weakest part's verdict, every part's evidence."""
        parts = [rule.judge() for rule in self.rules]
        worst = min(parts, key=_strength)
        if worst.verdict == "not judged":
            return worst
        ps = [p.p_value for p in parts if p.p_value is not None]
        seeds = [p.seeds for p in parts if p.seeds is not None]
        tests = list(dict.fromkeys(p.test for p in parts))
        return Judgement(
            worst.verdict,
            " ".join(p.evidence for p in parts),
            "every part must hold (the p-value is the largest part's): " + "; ".join(tests),
            worst.leaning,
            min(seeds) if seeds else None,
            max(ps) if ps else None,
        )


# -- claims as data -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimSpec:
    """One claim of a source as data: what it says and the rule that judges it from the results.

    Parameters
    ----------
    key : str
        A stable identifier.
    statement : str
        The claim in the source's words.
    rule : callable
        ``results -> Rule``; may return :class:`NotJudged`.
    evidence : str or callable
        Context added after the rule's evidence (``results -> str`` or a fixed text), only when
        the claim is judged.
    needs : sequence of callables
        Each ``results -> str | None``: a reason the claim cannot be judged (e.g.
        ``lambda r: missing(r.silhouette, "ae", "dae")``), checked before the rule, first wins.
    """

    key: str
    statement: str
    rule: Callable[[Any], Rule]
    evidence: str | Callable[[Any], str] = ""
    needs: Sequence[Callable[[Any], str | None]] = ()

    def judge(self, results: Any) -> Claim:
        """This claim's verdict from ``results``."""
        for need in self.needs:
            reason = need(results)
            if reason:
                return NotJudged(reason).judge().claim(self.key, self.statement)
        try:
            rule = self.rule(results)  # a lookup of a model the results lack raises here
        except LookupError as error:
            warnings.warn(
                f"claim {self.key!r} looked up {error!r}, which is missing; declare it in needs",
                RuntimeWarning,
                stacklevel=2,
            )
            reason = f"the number it needs ({error}) is missing"
            return NotJudged(reason).judge().claim(self.key, self.statement)
        judgement = rule.judge()
        if judgement.verdict == "not judged":
            return judgement.claim(self.key, self.statement)
        context = self.evidence(results) if callable(self.evidence) else self.evidence
        return judgement.claim(self.key, self.statement, context)


@dataclass(frozen=True)
class Evidence:
    """What a study's claims are judged on: its settings, its cells' results and its gates.

    Attributes
    ----------
    config : the study's Config
    cells : sequence of Cell
        The grid, the headline cell first.
    results : mapping of str to the study's result
        Each cell's typed result by cell key.
    gates : mapping of str to CellGates
        The learned-model gate of each cell's runs (see :mod:`latentatlas.studies.gates`).
    """

    config: Any
    cells: Sequence[Any]
    results: Mapping[str, Any]
    gates: Mapping[str, Any]

    @property
    def headline(self) -> Any:
        """The first cell's result (None when it has none)."""
        return self.results.get(self.cells[0].key) if self.cells else None


def judge(specs: Sequence[ClaimSpec], results: Any) -> list[Claim]:
    """Judge every claim of ``specs`` from ``results`` (whatever the study's rules read)."""
    return [spec.judge(results) for spec in specs]


def missing(mapping: Mapping[str, Any], *keys: str, what: str = "model") -> str | None:
    """A ``needs`` reason when any of ``keys`` is absent from ``mapping``, else None.

    >>> missing({"ae": 1}, "ae", "dae")
    'needs the dae model, which this run does not have'
    """
    absent = [key for key in keys if key not in mapping]
    if not absent:
        return None
    plural = "s" if len(absent) > 1 else ""
    return f"needs the {', '.join(absent)} {what}{plural}, which this run does not have"


# -- the shared machinery of two-group rules ------------------------------------------------------
_WORDS = {"greater": "above", "less": "below"}


@dataclass(frozen=True)
class _Groups:
    """Two groups' finite per-seed values and the numbers every two-group rule reports."""

    a: NDArray[np.float64]
    b: NDArray[np.float64]
    names: tuple[str, str]
    measure: str
    digits: int
    ci: tuple[float, float]
    is_paired: bool = False

    @classmethod
    def of(
        cls, a: Values, b: Values, names: tuple[str, str], measure: str, digits: int
    ) -> _Groups | NotJudged:
        first, second = sig.finite(a), sig.finite(b)
        for name, values in zip(names, (first, second), strict=True):
            if values.size < MIN_SEEDS_TO_JUDGE:
                return NotJudged(_too_few_reason(name, values.size))
        return cls(first, second, names, measure, digits, sig.bootstrap_ci(first, second))

    @classmethod
    def paired(
        cls, a: Values, b: Values, names: tuple[str, str], measure: str, digits: int
    ) -> _Groups | NotJudged:
        """The pairs with a finite value on both sides; the interval is of their mean difference."""
        first = np.asarray(a, dtype=np.float64).ravel()
        second = np.asarray(b, dtype=np.float64).ravel()
        if first.size != second.size:
            return NotJudged(
                f"{names[0]} and {names[1]} do not pair up seed by seed ({first.size} and "
                f"{second.size} values)"
            )
        both = np.isfinite(first) & np.isfinite(second)
        first, second = first[both], second[both]
        if first.size < MIN_SEEDS_TO_JUDGE:
            return NotJudged(_too_few_reason(f"{names[0]} and {names[1]}", first.size, "pair"))
        ci = sig.mean_ci(first - second)
        return cls(first, second, names, measure, digits, ci, is_paired=True)

    @property
    def seeds(self) -> int:
        return int(min(self.a.size, self.b.size))

    @property
    def tested(self) -> bool:
        return self.seeds >= MIN_SEEDS_FOR_TEST

    @property
    def kind(self) -> str:
        if self.is_paired:
            return "exact" if sig.is_exact_paired(self.a.size) else "Monte Carlo"
        return "exact" if sig.is_exact(self.a.size, self.b.size) else "Monte Carlo"

    @property
    def effect(self) -> float:
        return float(self.a.mean() - self.b.mean())

    def side(self) -> str | None:
        """``"greater"`` or ``"less"`` when the seeds do not overlap, else None."""
        if self.a.min() > self.b.max():
            return "greater"
        if self.a.max() < self.b.min():
            return "less"
        return None

    def judgement(
        self,
        verdict: str,
        leaning: str | None,
        p_value: float,
        p_name: str,
        test: str,
        margin: float | None = None,
        symmetric: bool = False,
    ) -> Judgement:
        """The judgement with the evidence sentence every two-group rule writes."""
        d = self.digits
        low, high = self.ci
        groups = f"{self._group(0)} against {self._group(1)}"
        difference = "mean paired difference" if self.is_paired else "difference"
        margin_text = ""
        if margin is not None:
            margin_text = f"; margin {'±' if symmetric else ''}{_number(margin, d)}"
        evidence = (
            f"{_prefixed(self.measure, groups)}; {difference} {_number(self.effect, d)} "
            f"(95% CI {_number(low, d)} to {_number(high, d)}{margin_text}); {self.kind} "
            f"{p_name} p = {p_value:.3g}."
        )
        return Judgement(
            verdict, evidence, test, leaning, self.seeds, p_value, self.effect, self.ci, margin
        )

    def _group(self, index: int) -> str:
        values = (self.a, self.b)[index]
        mean, std, n = mean_and_std(values)
        d = self.digits
        return f"{self.names[index]} {_number(mean, d)} ± {_number(std, d)} (n={n})"


def _tested(p_supported: float, p_contradicted: float) -> tuple[str, None]:
    if p_supported < ALPHA:
        return "supported", None
    if p_contradicted < ALPHA:
        return "contradicted", None
    return "inconclusive", None


def _indicative(supports: bool, contradicts: bool) -> tuple[str, str | None]:
    if supports:
        return "indicative", "supported"
    if contradicts:
        return "indicative", "contradicted"
    return "inconclusive", None


_ORDER = [
    ("not judged", None),
    ("contradicted", None),
    ("indicative", "contradicted"),
    ("inconclusive", None),
    ("indicative", "supported"),
    ("supported", None),
]


def _strength(judgement: Judgement) -> int:
    return _ORDER.index((judgement.verdict, judgement.leaning))


def _alpha_and_seeds(groups: _Groups) -> str:
    return (
        f"alpha {ALPHA}, {groups.a.size} and {groups.b.size} seeds (supported or contradicted "
        f"need at least {MIN_SEEDS_FOR_TEST} per group)"
    )


def _too_few_reason(name: str, n: int, unit: str = "seed") -> str:
    verb = "have" if unit == "pair" else "has"
    return (
        f"{name} {verb} {n} {unit}{'s' if n != 1 else ''} with a finite value and a verdict "
        f"needs at least {MIN_SEEDS_TO_JUDGE}"
    )


def _check_direction(name: str, value: str) -> None:
    if value not in _WORDS:
        raise InputError(f"{name} must be 'greater' or 'less', got {value!r}")


def _check_margin(margin: float, positive: bool) -> None:
    finite = isinstance(margin, int | float) and np.isfinite(margin)
    if not finite or margin < 0 or (positive and margin == 0):
        bound = "positive" if positive else "non-negative"
        raise InputError(f"margin must be a {bound} finite number, got {margin!r}")


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def _prefixed(measure: str, text: str) -> str:
    """``"Silhouette: text"`` when a measure is named, else ``text``."""
    return f"{measure[0].upper()}{measure[1:]}: {text}" if measure else text
