"""The tests behind every claim, on cases whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latentatlas.studies import _significance as sig


def test_complete_separation_gives_the_smallest_attainable_p() -> None:
    assert sig.permutation_p([2.0, 3.0], [0.0, 1.0]) == pytest.approx(1 / 6)
    assert sig.permutation_p(range(5, 10), range(5)) == pytest.approx(1 / 252)
    assert sig.permutation_p([0.0, 1.0], [2.0, 3.0], "less") == pytest.approx(1 / 6)
    assert sig.min_p(2, 2) == pytest.approx(1 / 6) and sig.min_p(5, 5) == pytest.approx(1 / 252)


def test_the_wrong_direction_gives_p_one() -> None:
    assert sig.permutation_p([0.0, 1.0], [2.0, 3.0], "greater") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("a", "b"),
    [([1.0, 1.0], [1.0, 1.0]), ([1.0, 1.0, 2.0], [1.0, 1.0, 1.0]), ([3.0, 3.0], [1.0, 1.0])],
)
def test_ties_never_give_p_below_the_minimum(a: list[float], b: list[float]) -> None:
    p = sig.permutation_p(a, b)
    assert sig.min_p(len(a), len(b)) <= p <= 1.0


def test_ties_count_as_extreme() -> None:
    # a = (1, 1, 2) against (1, 1, 1): the 2 lands in the first group in 10 of 20 splits.
    assert sig.permutation_p([1.0, 1.0, 2.0], [1.0, 1.0, 1.0]) == pytest.approx(0.5)


def test_the_exact_test_matches_a_brute_force_count() -> None:
    from itertools import combinations

    a, b = np.array([0.3, 0.9, 0.5, 0.7]), np.array([0.1, 0.6, 0.2])
    pooled, observed = np.r_[a, b], a.mean() - b.mean()
    diffs = [
        pooled[list(i)].mean() - np.delete(pooled, list(i)).mean()
        for i in combinations(range(7), 4)
    ]
    expected = np.mean(np.array(diffs) >= observed - 1e-12)
    assert sig.permutation_p(a, b) == pytest.approx(expected)


def test_a_shift_moves_the_null() -> None:
    a, b = [1.0, 1.1, 1.2, 1.3, 1.4], [0.0, 0.1, 0.2, 0.3, 0.4]
    assert sig.permutation_p(a, b, "greater", delta=0.5) == pytest.approx(1 / 252)
    assert sig.permutation_p(a, b, "greater", delta=2.0) == pytest.approx(1.0)
    assert sig.permutation_p(a, b, "less", delta=2.0) == pytest.approx(1 / 252)


def test_large_groups_use_a_seeded_monte_carlo_test() -> None:
    a, b = np.arange(10, 20.0), np.arange(10.0)
    assert not sig.is_exact(10, 10)
    p = sig.permutation_p(a, b)
    assert p == pytest.approx(1 / (sig.N_RESAMPLES + 1))  # (k + 1) / (m + 1) with k = 0
    assert p >= sig.min_p(10, 10)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=12), rng.normal(size=12)
    assert sig.permutation_p(x, y) == sig.permutation_p(x, y)


def test_non_finite_values_are_left_out() -> None:
    assert sig.permutation_p([2.0, 3.0, math.nan], [0.0, 1.0]) == pytest.approx(1 / 6)


def test_sign_test() -> None:
    assert sig.sign_test_p([1, 2, 3, 4, 5], 0.0) == pytest.approx(1 / 32)
    assert sig.sign_test_p([1, 2, 3, 4], 0.0) == pytest.approx(1 / 16)
    assert sig.sign_test_p([1, 2, 3, 4, -5], 0.0) == pytest.approx(6 / 32)
    assert sig.sign_test_p([-1, -2, -3, -4, -5], 0.0, "less") == pytest.approx(1 / 32)
    assert sig.sign_test_p([0.0, 1.0], 0.0) == pytest.approx(1 / 2)  # the tie carries no sign
    assert sig.sign_test_p([0.0, 0.0], 0.0) == 1.0


def test_the_bootstrap_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(0)
    covered = 0
    for seed in range(40):
        a, b = rng.normal(1.0, 1.0, 20), rng.normal(0.0, 1.0, 20)
        low, high = sig.bootstrap_ci(a, b, random_state=seed)
        assert low < a.mean() - b.mean() < high
        covered += low < 1.0 < high
    assert covered >= 34  # nominal 95%: 38 of 40 expected, percentile intervals run a bit short


def test_the_bootstrap_is_seeded_and_degenerate_groups_give_a_point() -> None:
    a, b = [0.1, 0.4, 0.2], [0.0, 0.3, 0.1]
    assert sig.bootstrap_ci(a, b) == sig.bootstrap_ci(a, b)
    assert sig.bootstrap_ci([1.0, 1.0], [1.0, 1.0]) == (0.0, 0.0)
    low, high = sig.mean_ci([1.0, 2.0, 3.0, 4.0])
    assert 1.0 <= low < 2.5 < high <= 4.0


def test_tost_is_the_larger_of_two_shifted_one_sided_tests() -> None:
    a, b = [0.50, 0.51, 0.49, 0.50, 0.52], [0.50, 0.49, 0.51, 0.50, 0.48]
    assert sig.tost_p(a, b, margin=0.1) == pytest.approx(1 / 252)
    assert sig.tost_p(a, b, margin=0.001) > 0.05
    assert sig.tost_p(a[:2], b[:2], margin=10.0) == pytest.approx(1 / 6)  # never below 1/6
    expected = max(sig.permutation_p(a, b, "greater", -0.01), sig.permutation_p(a, b, "less", 0.01))
    assert sig.tost_p(a, b, margin=0.01) == expected


def test_beyond_margin_is_two_sided_and_bonferroni_corrected() -> None:
    low, high = [0.0, 0.1, 0.2, 0.3, 0.4], [1.0, 1.1, 1.2, 1.3, 1.4]
    assert sig.beyond_margin_p(low, high, 0.5) == pytest.approx(2 / 252)
    assert sig.beyond_margin_p(high, low, 0.5) == pytest.approx(2 / 252)
    assert sig.beyond_margin_p(high, low, 2.0) == 1.0


def test_non_superiority_reads_the_direction_of_the_advantage() -> None:
    low, high = [0.0, 0.1, 0.2, 0.3, 0.4], [1.0, 1.1, 1.2, 1.3, 1.4]
    assert sig.non_superiority_p(low, high, 0.1) == pytest.approx(1 / 252)
    assert sig.non_superiority_p(high, low, 0.1) == pytest.approx(1.0)
    assert sig.non_superiority_p(high, low, 0.1, superior=True) == pytest.approx(1 / 252)
    assert sig.non_superiority_p(high, low, 0.1, better="less") == pytest.approx(1 / 252)
    assert sig.non_superiority_p(low, high, 0.1, better="less", superior=True) == pytest.approx(
        1 / 252
    )


def test_calibration_false_positives_stay_at_alpha() -> None:
    """Under the null the tests reject in at most about 5% of draws (the truth is known)."""
    rng = np.random.default_rng(7)
    draws = 300
    plain = tost = 0
    for _ in range(draws):
        a, b = rng.normal(0.0, 1.0, 5), rng.normal(0.0, 1.0, 5)
        plain += sig.permutation_p(a, b) < sig.ALPHA
        tost += sig.tost_p(a + 1.0, b, margin=1.0) < sig.ALPHA  # true difference on the margin
    # binomial(300, 0.05) exceeds 25 with probability < 1%
    assert plain <= 25 and tost <= 25


# -- the paired sign-flip test --------------------------------------------------------------------
def test_paired_all_positive_differences_give_one_in_two_to_the_n() -> None:
    differences = [0.1, 0.4, 0.2, 0.3, 0.05]
    assert sig.paired_p(differences) == pytest.approx(1 / 32)
    assert sig.paired_p(differences, "less") == pytest.approx(1.0)
    assert sig.paired_p(differences[:2]) == pytest.approx(1 / 4)  # never below 1 / 2**n
    assert sig.is_exact_paired(14) and not sig.is_exact_paired(15)


def test_paired_p_matches_a_brute_force_count_of_sign_flips() -> None:
    from itertools import product

    d = np.array([0.3, -0.1, 0.5, 0.2, -0.4, 0.7])
    means = [np.mean(d * np.array(signs)) for signs in product((1, -1), repeat=d.size)]
    expected = np.mean(np.array(means) >= d.mean() - 1e-12)
    assert sig.paired_p(d) == pytest.approx(expected)
    assert sig.paired_p([0.0] * 5) == pytest.approx(1.0)  # no sign at all: every flip ties
    assert sig.paired_p([2.0, 3.0, math.nan, 1.0]) == pytest.approx(1 / 8)


def test_paired_p_is_wilcoxon_on_signed_ranks_and_the_sign_test_on_signs() -> None:
    from scipy.stats import binomtest, rankdata, wilcoxon

    rng = np.random.default_rng(5)
    for _ in range(5):
        d = rng.normal(0.3, 1.0, 7)
        signed_ranks = np.sign(d) * rankdata(np.abs(d))
        for side in ("greater", "less"):
            exact = wilcoxon(d, alternative=side, method="exact").pvalue
            assert sig.paired_p(signed_ranks, side) == pytest.approx(exact)
        above = int(np.sum(d > 0))
        sign_p = binomtest(above, d.size, 0.5, alternative="greater").pvalue
        assert sig.paired_p(np.sign(d)) == pytest.approx(sign_p)


def test_paired_false_positives_stay_at_alpha_with_a_shared_seed_effect() -> None:
    """Pairs that share a large per-seed effect but no difference: at most about 5% rejected."""
    rng = np.random.default_rng(9)
    draws, rejected = 300, 0
    for _ in range(draws):
        shared = rng.normal(0.0, 3.0, 5)  # one seed's decoder, common to both members
        a, b = shared + rng.normal(0.0, 1.0, 5), shared + rng.normal(0.0, 1.0, 5)
        rejected += sig.paired_p(a - b) < sig.ALPHA
    # at 5 pairs only p = 1/32 rejects; binomial(300, 1/32) exceeds 20 with probability < 1%
    assert rejected <= 20
