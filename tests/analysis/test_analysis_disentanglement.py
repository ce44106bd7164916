"""Tests for DCI, MIG and SAP on synthetic codes with known disentanglement."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import ortho_group

from latentatlas.analysis.disentanglement import (
    ESTIMATORS,
    DCIResult,
    MIGResult,
    SAPResult,
    SingleFactorDCIResult,
    _histogram_discretize,
    _share_among_equivalent_codes,
    _weighted_entropy_scores,
    dci,
    dci_chance,
    dci_single_factor,
    mig,
    sap,
)
from latentatlas.errors import InputError

N, N_TRAIN, N_TEST = 500, 300, 200


def _factors(n: int = N, k: int = 4, seed: int = 0) -> np.ndarray:
    """k independent discrete factors with 4 values each."""
    return np.random.default_rng(seed).integers(0, 4, size=(n, k)).astype(np.float64)


def _noise(shape, scale, seed=1):
    return scale * np.random.default_rng(seed).normal(size=shape)


@pytest.fixture(scope="module")
def factors():
    return _factors()


@pytest.fixture(scope="module")
def aligned(factors):
    return dci(factors + _noise(factors.shape, 0.01), factors, n_train=N_TRAIN, n_test=N_TEST)


@pytest.fixture(scope="module")
def rotated(factors):
    codes = factors @ ortho_group.rvs(factors.shape[1], random_state=3)
    return dci(codes, factors, n_train=N_TRAIN, n_test=N_TEST)


def test_aligned_codes_have_disentanglement_and_completeness_near_one(aligned):
    assert aligned.disentanglement > 0.9
    assert aligned.completeness > 0.9
    assert aligned.informativeness > 0.9
    assert aligned.importance.shape == (4, 4)
    np.testing.assert_allclose(aligned.importance.sum(axis=0), 1.0)
    assert np.all(np.argmax(aligned.importance, axis=0) == np.arange(4))


def test_rotation_lowers_disentanglement_and_completeness(aligned, rotated):
    assert rotated.disentanglement < aligned.disentanglement - 0.3
    assert rotated.completeness < aligned.completeness - 0.3
    assert rotated.informativeness > 0.5  # the information is still there, only mixed


def test_pure_noise_codes_are_at_chance(factors):
    result = dci(_noise(factors.shape, 1.0), factors, n_train=N_TRAIN, n_test=N_TEST)
    assert result.informativeness == pytest.approx(0.25, abs=0.08)  # 4 equally likely values
    assert result.informativeness_train > result.informativeness  # trees fit the noise


def test_chance_is_the_majority_share_per_factor_after_binning():
    discrete = np.array([[0, 0], [0, 1], [0, 2], [1, 3]], dtype=np.float64)  # shares 3/4, 1/4
    assert dci_chance(discrete, ("discrete", "discrete")) == pytest.approx(0.5)
    skewed = np.array([0.0, 0.1, 0.2, 0.9, 1.0])  # two bins: [0, 0.5) holds 3 of 5
    assert dci_chance(skewed[:, None], ("continuous",), n_bins=2) == pytest.approx(0.6)


def test_noise_codes_score_the_chance_level(factors):
    noise = dci(_noise(factors.shape, 1.0), factors, n_train=N_TRAIN, n_test=N_TEST)
    chance = dci_chance(factors, noise.factor_kinds)
    assert noise.informativeness == pytest.approx(chance, abs=0.08)


def test_duplicated_codes_lower_completeness_not_disentanglement(factors):
    codes = np.repeat(factors, 2, axis=1) + _noise((N, 8), 0.3)
    single = dci(factors + _noise(factors.shape, 0.3), factors, n_train=N_TRAIN, n_test=N_TEST)
    double = dci(codes, factors, n_train=N_TRAIN, n_test=N_TEST)
    assert double.completeness < single.completeness - 0.1  # ideal: 1 vs 1 - log 2 / log 8
    assert double.disentanglement > single.disentanglement - 0.1
    assert double.importance.shape == (8, 4)


def test_scores_follow_the_entropy_formula(aligned):
    r = aligned.importance
    p = (r + 1e-11) / (r + 1e-11).sum(axis=1, keepdims=True)  # disentanglement_lib's epsilon
    per_code = 1 + np.sum(p * np.log(p), axis=1) / np.log(r.shape[1])
    np.testing.assert_allclose(aligned.disentanglement_per_code, per_code, atol=1e-6)
    expected = np.sum(per_code * r.sum(axis=1) / r.sum())
    assert aligned.disentanglement == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("estimator", ["random-forest", "lasso"])
def test_other_estimators_rank_aligned_above_rotated(factors, estimator):
    kwargs = {"n_train": N_TRAIN, "n_test": N_TEST, "estimator": estimator}
    good = dci(factors + _noise(factors.shape, 0.01), factors, **kwargs)
    bad = dci(factors @ ortho_group.rvs(4, random_state=3), factors, **kwargs)
    assert good.disentanglement > bad.disentanglement + 0.2
    assert good.estimator == estimator


def test_continuous_factors_are_binned_like_disentanglement_lib():
    values = np.array([0.0, 0.1, 0.5, 0.99, 1.0])
    np.testing.assert_array_equal(_histogram_discretize(values, 2), [1, 1, 2, 2, 2])
    rng = np.random.default_rng(0)
    factors = rng.uniform(size=(N, 2))
    result = dci(factors, factors, n_bins=5, n_train=N_TRAIN, n_test=N_TEST)
    assert result.factor_kinds == ("continuous", "continuous")
    assert result.n_classes == (5, 5)


def test_single_factor_shortcut_on_a_known_case():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=N)
    codes = np.column_stack([labels + _noise(N, 0.01), rng.normal(size=(N, 3))])
    result = dci_single_factor(codes, labels, n_train=N_TRAIN, n_test=N_TEST)
    assert result.informativeness > 0.95
    assert result.completeness == pytest.approx(np.max(result.importance))
    assert result.disentanglement == pytest.approx(np.sum(result.importance**2))
    assert np.argmax(result.importance) == 0 and result.completeness > 0.9
    assert result.effective_codes == pytest.approx(1 / result.disentanglement)
    assert 1.0 <= result.effective_codes < 1.25  # one code carries the label


def test_mig_near_one_for_aligned_and_low_for_rotated(factors):
    good = mig(factors + _noise(factors.shape, 0.01), factors)
    bad = mig(factors @ ortho_group.rvs(4, random_state=3), factors)
    assert good.mig > 0.9
    assert bad.mig < good.mig - 0.4
    np.testing.assert_allclose(good.factor_entropy, np.log(4), atol=0.05)


def test_sap_high_for_aligned_and_lower_for_rotated(factors):
    good = sap(factors + _noise(factors.shape, 0.01), factors)
    bad = sap(factors @ ortho_group.rvs(4, random_state=3), factors)
    assert good.sap > 0.4  # LinearSVC on one code, 4 ordered classes: about 0.5 vs chance 0.25
    assert bad.sap < good.sap - 0.2
    continuous = np.random.default_rng(0).uniform(size=(N, 2))
    exact = sap(continuous + _noise(continuous.shape, 0.001), continuous)
    assert exact.factor_kinds == ("continuous", "continuous")
    assert exact.sap == pytest.approx(1.0, abs=0.01)  # R^2 1 for the own code, ~0 for the other


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: dci(f[:, :2], f[:10]), "factors has 10 rows"),
        (lambda f: dci(f, f, n_train=400, n_test=400), "n_train \\+ n_test"),
        (lambda f: dci(f, f, estimator="xgboost", n_train=10, n_test=10), "estimator 'xgboost'"),
        (lambda f: dci(f, f, factor_kinds=("discrete",)), "factor_kinds has 1"),
        (lambda f: dci(f, f, factor_kinds=("a", "b", "c", "d")), "'a' is not"),
        (lambda f: dci(np.full((N, 2), np.nan), f), "NaN"),
        (lambda f: mig(f[:, :1], f), "at least 2 code"),
        (lambda f: sap(f[:, :1], f), "at least 2 code"),
        (lambda f: mig(f, f, n_bins=1), "n_bins"),
    ],
)
def test_bad_inputs_raise_input_error(factors, call, message):
    with pytest.raises(InputError, match=message):
        call(factors)


def test_results_round_trip_through_json(factors, aligned):
    results = [
        aligned,
        dci_single_factor(factors, factors[:, 0], n_train=N_TRAIN, n_test=N_TEST),
        mig(factors, factors),
        sap(factors + _noise(factors.shape, 0.1), factors),
    ]
    for result, kind in zip(
        results, [DCIResult, SingleFactorDCIResult, MIGResult, SAPResult], strict=True
    ):
        back = kind.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
        for name, value in vars(result).items():
            if isinstance(value, np.ndarray):
                np.testing.assert_allclose(getattr(back, name), value)
            else:
                assert getattr(back, name) == value


@pytest.mark.slow
@pytest.mark.parametrize("case", ["aligned", "rotated", "noise", "duplicated"])
def test_default_estimator_agrees_with_gradient_boosting(case):
    n, rng = 1500, np.random.default_rng(0)
    factors = _factors(n)
    codes = {
        "aligned": factors + _noise(factors.shape, 0.01),
        "rotated": factors @ ortho_group.rvs(4, random_state=3),
        "noise": rng.normal(size=factors.shape),
        "duplicated": np.repeat(factors, 2, axis=1) + _noise((n, 8), 0.3),
    }[case]
    fast = dci(codes, factors, n_train=1000, n_test=500)
    slow = dci(codes, factors, n_train=1000, n_test=500, estimator="gradient-boosting")
    for score in ("disentanglement", "completeness", "informativeness"):
        assert getattr(fast, score) == pytest.approx(getattr(slow, score), abs=0.03), score


# -- disentanglement_lib's own metric tests, ported ------------------------------------------------
# google-research/disentanglement_lib, evaluation/metrics/{dci,mig,sap_score}_test.py: the data
# (dummy_data.IdentityObservationsData: 10 factors, each uniform on the integers 1..10, and the
# observations are the factors) and the expected ranges are theirs; the code is ours.
def _identity_data(n: int, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randint(1, 11, size=(n, 10)).astype(np.float64)


def _row_permuted(factors: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each row's values shuffled among the codes: every code carries every factor a little."""
    rng = np.random.RandomState(seed)
    return np.array([rng.permutation(row) for row in factors])


_DUPLICATED_C = 1 - np.log(2) / np.log(10)  # the reference test's target (+-0.1), 20 codes
_DCI_CASES = {  # codes from factors, D range, C range
    "identity": (lambda f: f, (0.9, 1.0), (0.9, 1.0)),
    "permuted": (_row_permuted, (0.0, 0.2), (0.0, 0.2)),
    "duplicated": (
        lambda f: np.hstack([f, f]),
        (0.9, 1.0),
        (_DUPLICATED_C - 0.1, _DUPLICATED_C + 0.1),
    ),
}
_SLOW_ESTIMATORS = {"gradient-boosting", "hist-gradient-boosting", "random-forest"}


@pytest.mark.parametrize(
    "estimator",
    [pytest.param(e, marks=pytest.mark.slow) if e in _SLOW_ESTIMATORS else e for e in ESTIMATORS],
)
@pytest.mark.parametrize("case", list(_DCI_CASES))
def test_dci_passes_disentanglement_libs_tests(case, estimator):
    factors = _identity_data(2000)  # the reference trains on 1,000 rows and tests on 1,000
    make_codes, (d_low, d_high), (c_low, c_high) = _DCI_CASES[case]
    result = dci(make_codes(factors), factors, estimator=estimator, n_train=1000, n_test=1000)
    assert d_low <= result.disentanglement <= d_high + 1e-9
    assert c_low <= result.completeness <= c_high + 1e-9


@pytest.mark.parametrize(
    ("importance", "disentanglement", "completeness"),
    [  # disentanglement_lib's DisentanglementTest and CompletenessTest on importance matrices
        (np.diag(5.0 * np.ones(5)), 1.0, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 1.0, 1.0),
        (np.zeros((10, 10)), 0.0, 0.0),
        (np.vstack([np.diag(5.0 * np.ones(5))] * 2), 1.0, 1 - np.log(2) / np.log(10)),
        (np.diag(5.0 * np.ones(5))[:2], 1.0, 1.0),
        (np.hstack([np.diag(5.0 * np.ones(5))] * 2), 1 - np.log(2) / np.log(10), 1.0),
    ],
)
def test_dci_scores_of_disentanglement_libs_importance_matrices(
    importance, disentanglement, completeness
):
    per_code, code_weights = _weighted_entropy_scores(importance)
    per_factor, factor_weights = _weighted_entropy_scores(importance.T)
    assert per_code @ code_weights == pytest.approx(disentanglement, abs=1e-7)
    assert per_factor @ factor_weights == pytest.approx(completeness, abs=1e-7)


@pytest.mark.parametrize(
    ("make_codes", "low", "high"),
    [(lambda f: f, 0.9, 1.0), (np.zeros_like, 0.0, 0.2), (lambda f: np.hstack([f, f]), 0.0, 0.1)],
    ids=["identity", "zeros", "duplicated"],
)
def test_mig_passes_disentanglement_libs_tests(make_codes, low, high):
    factors = _identity_data(3000)
    # The reference bins nothing (identity discretiser); 20 equal-width bins keep 1..10 apart.
    result = mig(make_codes(factors), factors)
    assert low <= result.mig <= high + 1e-9


@pytest.mark.parametrize(
    ("make_codes", "low", "high"),
    [(lambda f: f, 0.9, 1.0), (np.zeros_like, 0.0, 0.2), (lambda f: np.hstack([f, f]), 0.0, 0.2)],
    ids=["identity", "zeros", "duplicated"],
)
def test_sap_passes_disentanglement_libs_tests(make_codes, low, high):
    factors = _identity_data(6000)  # 3,000 training and 3,000 test rows, continuous factors
    result = sap(make_codes(factors), factors, factor_kinds=("continuous",) * 10,
                 n_train=3000, n_test=3000)  # fmt: skip
    assert low <= result.sap <= high + 1e-9


def test_codes_that_order_rows_alike_share_their_importance():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    x = np.column_stack([a, 2 * a + 1, -a, b, np.exp(a)])  # four orderings of a, one of b
    shared = _share_among_equivalent_codes(np.array([0.8, 0.0, 0.0, 0.2, 0.0]), x)
    np.testing.assert_allclose(shared, [0.2, 0.2, 0.2, 0.2, 0.2])


def test_histogram_trees_split_importance_between_copied_codes():
    factors = _identity_data(400)[:, :3]
    result = dci(np.hstack([factors, factors]), factors, n_train=300, n_test=100)
    np.testing.assert_allclose(result.importance[:3], result.importance[3:])
