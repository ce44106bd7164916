"""Claims of a source document and the verdicts the numbers give them, with their seed spread.

A study declares its source's claims; each becomes a :class:`Claim` whose verdict is
``supported``, ``contradicted`` or ``inconclusive``, with the figures behind it and the test used.
The tests here compare per-seed values: whether two groups of seeds overlap at all, and a
one-sided Mann-Whitney U test where there are enough seeds for it to mean something.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from latentatlas._stats import mean_and_std
from latentatlas.analysis._result import ResultMixin

Verdict = Literal["supported", "contradicted", "inconclusive"]
VERDICTS: tuple[str, ...] = ("supported", "contradicted", "inconclusive")

#: Below this many seeds per group a comparison is reported as indicative only.
MIN_SEEDS_FOR_TEST = 5


@dataclass(frozen=True, eq=False)
class Claim(ResultMixin):
    """One claim of a source document and what the study's numbers say of it.

    Attributes
    ----------
    key : str
        A stable identifier, e.g. ``"latent_beats_pixels"``.
    statement : str
        The claim in the source's words (or close to them).
    verdict : {"supported", "contradicted", "inconclusive"}
    evidence : str
        The numbers behind the verdict, in one or two sentences.
    test : str
        How the verdict was read from the numbers, including the number of seeds.
    """

    key: str
    statement: str
    verdict: str
    evidence: str
    test: str


@dataclass(frozen=True, eq=False)
class Comparison(ResultMixin):
    """Per-seed values of group ``a`` against group ``b``.

    Attributes
    ----------
    mean_a, std_a, mean_b, std_b : float
        Mean and sample standard deviation of each group.
    n_a, n_b : int
        Seeds in each group.
    separated : bool
        No overlap: every value of one group lies above every value of the other.
    direction : {"greater", "less", "overlap"}
        ``a`` above ``b``, below it, or overlapping.
    p_value : float or None
        One-sided Mann-Whitney U p-value in the direction of the difference of means; None
        when either group has fewer than 2 seeds.
    """

    mean_a: float
    std_a: float
    n_a: int
    mean_b: float
    std_b: float
    n_b: int
    separated: bool
    direction: str
    p_value: float | None

    @property
    def indicative_only(self) -> bool:
        """True when a group has fewer than :data:`MIN_SEEDS_FOR_TEST` seeds."""
        return min(self.n_a, self.n_b) < MIN_SEEDS_FOR_TEST

    def describe(self, name_a: str, name_b: str, digits: int = 3) -> str:
        """One sentence: both groups' mean ± std (n) and how they relate."""
        relation = {
            "greater": "above, with no overlap between seeds",
            "less": "below, with no overlap between seeds",
            "overlap": "overlapping",
        }[self.direction]
        p = "" if self.p_value is None else f"; one-sided Mann-Whitney p = {self.p_value:.3g}"
        return (
            f"{name_a} {self.mean_a:.{digits}f} ± {self.std_a:.{digits}f} (n={self.n_a}) against "
            f"{name_b} {self.mean_b:.{digits}f} ± {self.std_b:.{digits}f} (n={self.n_b}): "
            f"{relation}{p}"
        )


def compare(a: Sequence[float], b: Sequence[float]) -> Comparison:
    """Compare the per-seed values ``a`` with ``b``.

    Parameters
    ----------
    a, b : sequence of float
        One value per seed (non-finite values are left out).

    Returns
    -------
    Comparison
    """
    from scipy.stats import mannwhitneyu

    first = _finite(a)
    second = _finite(b)
    mean_a, std_a, n_a = mean_and_std(first)
    mean_b, std_b, n_b = mean_and_std(second)
    direction = "overlap"
    if n_a and n_b and first.min() > second.max():
        direction = "greater"
    elif n_a and n_b and first.max() < second.min():
        direction = "less"
    p_value = None
    if n_a >= 2 and n_b >= 2 and not (np.ptp(np.r_[first, second]) == 0):
        alternative = "greater" if mean_a >= mean_b else "less"
        p_value = float(mannwhitneyu(first, second, alternative=alternative).pvalue)
    return Comparison(
        mean_a, std_a, n_a, mean_b, std_b, n_b, direction != "overlap", direction, p_value
    )


def seeds_note(comparison: Comparison) -> str:
    """The caveat every seed comparison carries: how many seeds, and whether that is few."""
    n = min(comparison.n_a, comparison.n_b)
    if comparison.indicative_only:
        return (
            f"{n} seed(s) per group: indicative only (a test needs at least {MIN_SEEDS_FOR_TEST})"
        )
    return f"{n} seeds per group"


def _finite(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]
