"""Tests for per-image reconstruction errors, their summary and the worst images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import skew

from latentatlas.analysis.reconstruction import (
    ErrorSummary,
    ReconstructionErrors,
    error_distribution,
    reconstruction_errors,
    summarise_errors,
)
from latentatlas.errors import InputError
from latentatlas.models import build, reconstruction_error


def test_errors_of_constant_offsets_are_known():
    offsets = np.array([0.1, 0.5, 0.2, 0.4, 0.3])
    originals = np.zeros((5, 1, 4, 4), dtype=np.float32)
    reconstructions = originals + offsets[:, None, None, None].astype(np.float32)
    result = error_distribution(originals, reconstructions, n_worst=2)
    np.testing.assert_allclose(result.frobenius, 4.0 * offsets, rtol=1e-6)  # sqrt(16) * offset
    np.testing.assert_allclose(result.mse, offsets**2, rtol=1e-6)
    np.testing.assert_array_equal(result.worst_indices, [1, 3])
    np.testing.assert_allclose(result.worst_reconstructions[:, 0, 0, 0], [0.5, 0.4], rtol=1e-6)
    np.testing.assert_array_equal(result.worst_originals, 0.0)


def test_summary_agrees_with_numpy_and_scipy():
    values = np.random.default_rng(0).lognormal(size=1000)
    summary = summarise_errors(values)
    assert summary.mean == pytest.approx(values.mean())
    assert summary.median == pytest.approx(np.median(values))
    assert summary.p95 == pytest.approx(np.percentile(values, 95))
    assert summary.p99 == pytest.approx(np.percentile(values, 99))
    assert summary.max == pytest.approx(values.max())
    assert summary.skewness == pytest.approx(skew(values)) and summary.skewness > 2.0
    assert summarise_errors(np.ones(10)).skewness == 0.0


def test_mse_matches_the_models_own_reconstruction_error_and_round_trips():
    x = np.random.default_rng(1).uniform(size=(40, 1, 6, 6)).astype(np.float32)
    model = build("pca", (1, 6, 6), 4)
    model.fit_closed_form(x)
    result = reconstruction_errors(model, x, n_worst=3)
    np.testing.assert_allclose(result.mse, reconstruction_error(model, x), rtol=1e-4)
    np.testing.assert_allclose(result.frobenius, np.sqrt(result.mse * 36), rtol=1e-6)
    assert result.worst_originals.shape == (3, 1, 6, 6)
    assert result.frobenius[result.worst_indices[0]] == result.frobenius_summary.max
    back = ReconstructionErrors.from_dict(json.loads(json.dumps(result.to_dict())))
    assert isinstance(back.mse_summary, ErrorSummary)
    assert back.mse_summary.p99 == result.mse_summary.p99
    np.testing.assert_allclose(back.worst_reconstructions, result.worst_reconstructions)
    np.testing.assert_array_equal(back.worst_indices, result.worst_indices)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: error_distribution(np.zeros((3, 4)), np.zeros((3, 5))), "shape"),
        (lambda: error_distribution(np.zeros((1, 4)), np.zeros((1, 4))), "at least 2 rows"),
        (lambda: error_distribution(np.zeros((3, 4)), np.full((3, 4), np.nan)), "NaN"),
        (lambda: error_distribution(np.zeros((3, 4)), np.zeros((3, 4)), n_worst=0), "n_worst"),
        (lambda: reconstruction_errors(build("pca", (4,), 2), np.zeros((3, 5))), "expects"),
    ],
)
def test_bad_inputs_raise_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()
