"""The significance tests behind every claim: exact permutation, shifted, sign and bootstrap.

All tests are one-sided and work on per-seed values. The paired test flips the signs of the
per-seed differences ``a_i - b_i`` (``2**n`` sign patterns, exact; 1/32 at five pairs). The
independent two-sample tests compare the difference
of means, ``mean(a) - mean(b)``, against a shift ``delta`` (0 for a plain difference, ``±margin``
for equivalence and non-superiority): under the shift model the values ``a - delta`` and ``b`` are
exchangeable, so the permutation distribution of the difference of means gives an exact p-value
[1]_. With ties a p-value is never below the attainable minimum ``1 / C(n_a + n_b, n_a)`` (1/6 for
two seeds per group, 1/252 for five). Equivalence is two one-sided tests [2]_; effect sizes carry
a percentile bootstrap interval [3]_. docs/analyses/statistics.md has the formulas.

References
----------
.. [1] Good, P. (2005). *Permutation, Parametric and Bootstrap Tests of Hypotheses*, 3rd ed.
   Springer.
.. [2] Schuirmann, D. J. (1987). A comparison of the two one-sided tests procedure and the power
   approach for assessing the equivalence of average bioavailability. *Journal of
   Pharmacokinetics and Biopharmaceutics* 15(6), 657-680.
.. [3] Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Alternative = Literal["greater", "less"]

#: Significance level of every one-sided test.
ALPHA = 0.05
#: Enumerate every split of the seeds up to this many; above it, a seeded Monte Carlo test.
EXACT_LIMIT = 20_000
#: Random splits (permutation) or resamples (bootstrap) above the exact limit.
N_RESAMPLES = 9_999
#: The seed of every random step here, so that a verdict is the same on every run.
RANDOM_STATE = 0


def finite(values: Sequence[float] | NDArray[np.floating]) -> NDArray[np.float64]:
    """The finite values of ``values`` as a flat float array (a failed seed's NaN is left out)."""
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


def splits(n_a: int, n_b: int) -> int:
    """The number of distinct ways to split ``n_a + n_b`` seeds into groups of ``n_a``, ``n_b``."""
    return math.comb(n_a + n_b, n_a)


def is_exact(n_a: int, n_b: int) -> bool:
    """True when :func:`permutation_p` enumerates every split rather than sampling them."""
    return splits(n_a, n_b) <= EXACT_LIMIT


def min_p(n_a: int, n_b: int) -> float:
    """The smallest one-sided p-value a permutation test of ``n_a`` against ``n_b`` can give."""
    return 1.0 / splits(n_a, n_b)


def permutation_p(
    a: Sequence[float] | NDArray[np.floating],
    b: Sequence[float] | NDArray[np.floating],
    alternative: Alternative = "greater",
    delta: float = 0.0,
    random_state: int = RANDOM_STATE,
) -> float:
    """One-sided permutation p-value for ``mean(a) - mean(b) > delta`` (or ``< delta``).

    The null hypothesis is the shift model: ``a - delta`` and ``b`` come from one distribution.
    Up to :data:`EXACT_LIMIT` splits every split is enumerated (exact); above it,
    :data:`N_RESAMPLES` seeded random splits give ``p = (k + 1) / (m + 1)``. Ties count as at
    least as extreme, so the p-value is never below :func:`min_p`.

    Parameters
    ----------
    a, b : sequence of float
        Per-seed values of each group, at least one finite value each.
    alternative : {"greater", "less"}
        The direction of the alternative hypothesis.
    delta : float
        The difference of means under the null hypothesis.
    random_state : int
        Seed of the Monte Carlo test (unused when exact).

    Returns
    -------
    float
        The p-value, in ``[min_p(n_a, n_b), 1]``.
    """
    from scipy.stats import permutation_test

    first, second = finite(a) - delta, finite(b)
    exact = is_exact(first.size, second.size)
    result = permutation_test(
        (first, second),
        _difference_of_means,
        permutation_type="independent",
        vectorized=True,
        n_resamples=np.inf if exact else N_RESAMPLES,
        alternative=alternative,
        rng=np.random.default_rng(random_state),
    )
    return float(min(1.0, max(result.pvalue, min_p(first.size, second.size))))


def sign_flips(n: int) -> int:
    """The number of sign patterns of ``n`` paired differences (the paired test's ``2**n``)."""
    return 2**n


def is_exact_paired(n: int) -> bool:
    """True when :func:`paired_p` enumerates every sign pattern rather than sampling them."""
    return sign_flips(n) <= EXACT_LIMIT


def paired_p(
    differences: Sequence[float] | NDArray[np.floating],
    alternative: Alternative = "greater",
    random_state: int = RANDOM_STATE,
) -> float:
    """One-sided sign-flip permutation p-value for ``mean(differences) > 0`` (or ``< 0``).

    The paired test [1]_: under the null hypothesis each per-seed difference ``a_i - b_i`` is
    symmetric about 0, so its sign is a fair coin. Up to :data:`EXACT_LIMIT` patterns every one
    of the ``2**n`` sign patterns is enumerated (exact; ``n <= 14``); above it,
    :data:`N_RESAMPLES` seeded random ones. Ties count as at least as extreme, so the p-value is
    never below ``1 / 2**n`` (1/32 for five pairs). On signed ranks it is the exact Wilcoxon
    signed-rank test; on signs alone (``±1``) the exact sign test.

    Parameters
    ----------
    differences : sequence of float
        Per-seed differences ``a_i - b_i``, at least one finite value.
    alternative : {"greater", "less"}
        The direction of the alternative hypothesis.
    random_state : int
        Seed of the Monte Carlo test (unused when exact).

    Returns
    -------
    float
        The p-value, in ``[1 / 2**n, 1]``.
    """
    from scipy.stats import permutation_test

    values = finite(differences)
    exact = is_exact_paired(values.size)
    result = permutation_test(
        (values,),
        np.mean,
        permutation_type="samples",  # one sample: flips the signs
        vectorized=True,
        n_resamples=np.inf if exact else N_RESAMPLES,
        alternative=alternative,
        rng=np.random.default_rng(random_state),
    )
    return float(min(1.0, max(result.pvalue, 1.0 / sign_flips(values.size))))


def tost_p(
    a: Sequence[float] | NDArray[np.floating],
    b: Sequence[float] | NDArray[np.floating],
    margin: float,
) -> float:
    """Two one-sided tests (TOST) p-value that ``|mean(a) - mean(b)| < margin``.

    ``p = max(p(T > -margin), p(T < margin))`` with ``T = mean(a) - mean(b)``: equivalence is
    shown at level alpha when both shifted one-sided tests reject at alpha [2]_.
    """
    return max(
        permutation_p(a, b, "greater", -margin),
        permutation_p(a, b, "less", margin),
    )


def beyond_margin_p(
    a: Sequence[float] | NDArray[np.floating],
    b: Sequence[float] | NDArray[np.floating],
    margin: float,
) -> float:
    """p-value that ``mean(a) - mean(b)`` lies beyond ``±margin`` (on either side).

    The smaller of the one-sided shifted tests ``T > margin`` and ``T < -margin``, doubled
    (Bonferroni over the two sides) and capped at 1.
    """
    smaller = min(
        permutation_p(a, b, "greater", margin),
        permutation_p(a, b, "less", -margin),
    )
    return min(1.0, 2 * smaller)


def non_superiority_p(
    a: Sequence[float] | NDArray[np.floating],
    b: Sequence[float] | NDArray[np.floating],
    margin: float,
    better: Alternative = "greater",
    superior: bool = False,
) -> float:
    """p-value that ``a``'s advantage over ``b`` is below ``margin`` (or above it: ``superior``).

    The advantage is ``mean(a) - mean(b)`` when ``better="greater"`` and ``mean(b) - mean(a)``
    when ``better="less"``. Non-superiority tests ``H0: advantage >= margin`` against
    ``advantage < margin``; ``superior=True`` tests ``advantage > margin`` instead.
    """
    shift = margin if better == "greater" else -margin
    towards_a = better if superior else opposite(better)
    return permutation_p(a, b, towards_a, shift)


def opposite(direction: Alternative) -> Alternative:
    """``"less"`` for ``"greater"`` and the other way round."""
    return "less" if direction == "greater" else "greater"


def sign_test_p(
    values: Sequence[float] | NDArray[np.floating],
    threshold: float,
    alternative: Alternative = "greater",
) -> float:
    """Exact one-sided sign test p-value that the seeds lie above (or below) ``threshold``.

    Seeds equal to the threshold carry no sign and are left out; with none left, p is 1.
    ``p = P(K >= k)`` for ``K ~ Binomial(n, 1/2)`` and ``k`` seeds on the alternative's side.
    """
    from scipy.stats import binomtest

    array = finite(values)
    above, below = int(np.sum(array > threshold)), int(np.sum(array < threshold))
    if above + below == 0:
        return 1.0
    successes = above if alternative == "greater" else below
    return float(binomtest(successes, above + below, 0.5, alternative="greater").pvalue)


def bootstrap_ci(
    a: Sequence[float] | NDArray[np.floating],
    b: Sequence[float] | NDArray[np.floating],
    confidence: float = 0.95,
    random_state: int = RANDOM_STATE,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``mean(a) - mean(b)``, each group resampled on its own.

    Parameters
    ----------
    a, b : sequence of float
        Per-seed values, at least two finite values each.
    confidence : float
        Coverage of the interval.
    random_state : int
        Seed of the :data:`N_RESAMPLES` resamples.

    Returns
    -------
    (float, float)
        Lower and upper ends.
    """
    return _percentile_interval(
        (finite(a), finite(b)), _difference_of_means, confidence, random_state
    )


def mean_ci(
    values: Sequence[float] | NDArray[np.floating],
    confidence: float = 0.95,
    random_state: int = RANDOM_STATE,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``mean(values)`` (at least two finite values)."""
    return _percentile_interval((finite(values),), np.mean, confidence, random_state)


def _percentile_interval(
    samples: tuple[NDArray[np.float64], ...],
    statistic: Any,
    confidence: float,
    random_state: int,
) -> tuple[float, float]:
    """SciPy's seeded percentile bootstrap of ``statistic`` over ``samples``."""
    from scipy.stats import bootstrap

    result = bootstrap(
        samples,
        statistic,
        n_resamples=N_RESAMPLES,
        vectorized=True,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(random_state),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _difference_of_means(
    first: NDArray[np.float64], second: NDArray[np.float64], axis: int = -1
) -> NDArray[np.float64]:
    return np.mean(first, axis=axis) - np.mean(second, axis=axis)
